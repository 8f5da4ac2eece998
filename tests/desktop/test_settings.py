"""The shell's settings: read from the environment with the standard library, each one checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kernia_desktop.partition import DEFAULT_PARTITION
from kernia_desktop.settings import DesktopSettings, SettingsError


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = DesktopSettings.load("acme", {"KERNIA_DESKTOP_DATA_DIR": str(tmp_path)})
    assert settings == DesktopSettings(data_dir=tmp_path)
    assert (settings.server, settings.debug_port, settings.partition, settings.channel) == (
        None,
        None,
        DEFAULT_PARTITION,
        "stable",
    )
    assert settings.backend_dir == tmp_path / "backend" and settings.log_dir == tmp_path / "logs"
    assert settings.flows == {}


def test_the_data_dir_defaults_to_the_apps_own() -> None:
    import platformdirs

    assert DesktopSettings.load("acme", {}).data_dir == Path(platformdirs.user_data_dir("acme"))


def test_each_providers_flow_comes_from_code_else_its_variable(tmp_path: Path) -> None:
    environ = {"KERNIA_DESKTOP_FLOW_GITHUB": "system", "KERNIA_DESKTOP_FLOW_CORP": "system"}
    settings = DesktopSettings.load("acme", environ, data_dir=tmp_path, flows={"Corp": "embedded"})
    assert settings.flows == {"github": "system", "corp": "embedded"}
    with pytest.raises(SettingsError, match=r"^KERNIA_DESKTOP_FLOW_GITHUB: 'popup' is not a sign-in flow"):
        DesktopSettings.load("acme", {"KERNIA_DESKTOP_FLOW_GITHUB": "popup"}, data_dir=tmp_path)
    with pytest.raises(SettingsError, match=r"^flows\['corp'\]: 'popup' is not a sign-in flow"):
        DesktopSettings.load("acme", {}, data_dir=tmp_path, flows={"corp": "popup"})


def test_every_variable_is_read_and_checked(tmp_path: Path) -> None:
    settings = DesktopSettings.load(
        "acme",
        {
            "KERNIA_DESKTOP_DATA_DIR": str(tmp_path),
            "KERNIA_DESKTOP_SERVER": "https://api.example.com/api/auth/",
            "KERNIA_DESKTOP_DEBUG_PORT": "9222",
            "KERNIA_DESKTOP_OAUTH_TIMEOUT": "12.5",
            "KERNIA_DESKTOP_PARTITION": "persist:work",
            "KERNIA_DESKTOP_CHANNEL": "beta",
            "KERNIA_DESKTOP_CALLBACK_URL": "HTTPS://Example.com:443/cb",
        },
    )
    assert settings.server == "https://api.example.com/api/auth"
    assert (settings.debug_port, settings.oauth_timeout, settings.partition) == (9222, 12.5, "persist:work")
    assert (settings.channel, settings.callback_url) == ("beta", "https://example.com/cb")


def test_the_server_has_three_names_and_the_first_set_wins() -> None:
    environ = {
        "KERNIA_BASE_URL": "https://c.example/api/auth",
        "KERNIA_DESKTOP_SERVER_URL": "https://b.example/api/auth",
    }
    assert DesktopSettings.load("acme", environ).server == "https://b.example/api/auth"
    environ["KERNIA_DESKTOP_SERVER"] = "https://a.example/api/auth"
    assert DesktopSettings.load("acme", environ).server == "https://a.example/api/auth"
    # An empty variable counts as unset.
    assert DesktopSettings.load("acme", {"KERNIA_DESKTOP_SERVER": "", **environ}).server == "https://a.example/api/auth"
    assert DesktopSettings.load("acme", {"KERNIA_DESKTOP_SERVER": ""}).server is None


def test_chosen_values_win_over_the_environment() -> None:
    environ = {"KERNIA_DESKTOP_SERVER": "https://env.example/api/auth", "KERNIA_DESKTOP_DEBUG_PORT": "9222"}
    settings = DesktopSettings.load("acme", environ, server="https://chosen.example/api/auth", debug_port=None)
    assert settings.server == "https://chosen.example/api/auth"
    assert settings.debug_port is None


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("KERNIA_DESKTOP_SERVER", "api.example.com", "http(s) URL of its auth mount"),
        ("KERNIA_DESKTOP_DEBUG_PORT", "99999", "is not a port"),
        ("KERNIA_DESKTOP_DEBUG_PORT", "nine", "is not a port"),
        ("KERNIA_DESKTOP_OAUTH_TIMEOUT", "-1", "is not a timeout"),
        ("KERNIA_DESKTOP_OAUTH_TIMEOUT", "nan", "is not a timeout"),
        ("KERNIA_DESKTOP_PARTITION", "persist:../x", "is not a partition name"),
        ("KERNIA_DESKTOP_CHANNEL", "Beta!", "is not a channel name"),
        ("KERNIA_DESKTOP_CALLBACK_URL", "https://example.com/cb?x=1", "no ?query"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(variable: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError, match=f"^{variable}: .*{re.escape(says)}"):
        DesktopSettings.load("acme", {variable: value})
