"""Update channels: each has its own callback URL and origin, and a build of one channel cannot finish a sign-in
whose callback belongs to another. Runs against the real OpenID provider, on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from examples.notes.server import create_app
from kernia_desktop.account import Account
from kernia_desktop.bundled import BundledBackend
from kernia_desktop.oauth import PkcePair, SocialSignIn, is_callback
from kernia_desktop.partition import DEFAULT_PARTITION
from kernia_desktop.platform import IsCallback
from kernia_desktop.settings import DesktopSettings
from kernia_desktop.sign_in import SIGNED_IN, SignInOutcome
from kernia_desktop_server import ConfigurationError, KerniaAuth, Plugin, Settings, desktop, oauth
from kernia_desktop_server.auth.plugins.desktop.plugin import Desktop
from kernia_desktop_server.auth.plugins.oauth.providers import providers_from_environment
from kernia_desktop_server.channels import channel_callback_url
from tests.support.oauth_flows import (
    HttpWindow,
    HttpWindowHost,
    authorize_path,
    code_of,
    exchange,
    run_flow,
    shell_account,
)
from tests.support.openid_provider import PROVIDER_ID, OpenIdProvider
from tests.support.server import BASE, NOTES_SERVER, PASSWORD, LiveServer, unique_email

STABLE_CALLBACK = f"{BASE}/api/auth/desktop/callback/stable"
# The beta builds come back to a page of their own, on an origin of their own.
BETA_CALLBACK = "https://beta.example.com/desktop/callback"
CHANNELS = f"stable,beta={BETA_CALLBACK}"


@pytest.fixture
def app(make_settings, openid_provider: OpenIdProvider) -> FastAPI:  # type: ignore[no-untyped-def]
    settings = make_settings(desktop_channels=CHANNELS)
    return create_app(settings, providers=providers_from_environment(openid_provider.environment()))


def desktop_plugin_of(tmp_path: Path, base_url: str, *plugins: Plugin) -> tuple[KerniaAuth, Desktop]:
    auth = KerniaAuth(Settings(base_url=base_url, data_dir=tmp_path), plugins=[oauth([]), *plugins])
    [plugin] = [plugin for plugin in auth.plugins if isinstance(plugin, Desktop)]
    return auth, plugin


def test_channels_are_read_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNIA_DESKTOP_CHANNELS", f" stable , beta={BETA_CALLBACK} ")
    auth, plugin = desktop_plugin_of(tmp_path, "https://auth.example.com/api/auth", desktop())
    assert plugin.callbacks == {
        "stable": "https://auth.example.com/api/auth/desktop/callback/stable",
        "beta": BETA_CALLBACK,
    }
    assert {"https://auth.example.com", "https://beta.example.com"} <= auth.trusted_origins
    monkeypatch.delenv("KERNIA_DESKTOP_CHANNELS")
    _, plugin = desktop_plugin_of(tmp_path, "http://127.0.0.1:8000/api/auth", desktop())
    assert plugin.callbacks == {"stable": "http://127.0.0.1:8000/api/auth/desktop/callback/stable"}


def test_channels_given_in_code_win_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNIA_DESKTOP_CHANNELS", "stable,beta")
    _, plugin = desktop_plugin_of(tmp_path, "https://auth.example.com/api/auth", desktop(channels=["nightly"]))
    assert plugin.callbacks == {"nightly": "https://auth.example.com/api/auth/desktop/callback/nightly"}
    with pytest.raises(ConfigurationError, match="not a channel name"):
        desktop_plugin_of(tmp_path, "https://auth.example.com/api/auth", desktop(channels=["Nightly"]))


def test_the_desktop_plugin_needs_the_oauth_plugin(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="desktop plugin needs"):
        KerniaAuth(Settings(data_dir=tmp_path), plugins=[desktop()])


@pytest.mark.parametrize(
    ("channels", "complaint"),
    [
        ("Stable", "not a channel name"),
        ("stable,stable", "a channel is named twice"),
        ("beta=ftp://beta.example.com/callback", "not a callback URL"),
        ("beta=https://beta.example.com/callback#app", "not a callback URL"),
        ("x" * 33, "not a channel name"),
        ("", "no channel is listed"),
        ("stable,beta=", "names no callback URL"),
        ("beta=/desktop/callback", "not a callback URL"),
        ("beta=https://user@beta.example.com/callback", "not a callback URL"),
        ("beta=https://beta.example.com/callback?build=1", "no [?]query"),
    ],
)
def test_malformed_channels_are_refused_with_a_clear_message(channels: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        Settings(desktop_channels=channels)


def test_callback_urls_are_kept_in_the_spelling_a_web_view_reports(tmp_path: Path) -> None:
    auth, plugin = desktop_plugin_of(tmp_path, BASE, desktop(["stable", "beta=HTTPS://Beta.Example.com:443"]))
    assert plugin.callbacks["beta"] == "https://beta.example.com/"
    assert "https://beta.example.com" in auth.trusted_origins
    shell = SocialSignIn(HttpWindowHost("unused"), 60, lambda url: False, lambda parent: None, "beta", BETA_CALLBACK)
    assert shell.callback_url == BETA_CALLBACK


@pytest.mark.parametrize(
    ("channel", "redirect_uri"),
    [
        ("stable", BETA_CALLBACK),
        ("beta", STABLE_CALLBACK),
        ("beta", f"{BETA_CALLBACK}x"),
        # A loopback address, but the port that serves stable's callback, not a shell's listener.
        ("beta", f"{BASE}/api/auth/desktop/callback/beta/../stable"),
    ],
)
async def test_a_channel_cannot_send_its_sign_in_to_another_channels_callback(
    client: httpx.AsyncClient, channel: str, redirect_uri: str
) -> None:
    response = await client.get(authorize_path(PkcePair.make(), redirect_uri, channel=channel))
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REDIRECT_URI" and channel in response.json()["message"]


async def test_an_unknown_channel_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(authorize_path(PkcePair.make(), STABLE_CALLBACK, channel="nightly"))
    assert response.status_code == 400 and response.json()["code"] == "UNKNOWN_CHANNEL"


async def test_a_beta_sign_in_comes_back_to_betas_callback_and_only_a_beta_build_redeems_it(
    client: httpx.AsyncClient,
) -> None:
    pkce = PkcePair.make()
    location = await run_flow(client, pkce, redirect_uri=BETA_CALLBACK, channel="beta")
    assert location.startswith(f"{BETA_CALLBACK}?")
    code = code_of(location)
    as_stable = await exchange(client, code, pkce.verifier, "stable")
    assert as_stable.status_code == 400 and as_stable.json()["code"] == "INVALID_GRANT"
    # The attempt burnt the code: single-use stays single-use.
    as_beta = await exchange(client, code, pkce.verifier, "beta")
    assert as_beta.status_code == 400 and as_beta.json()["code"] == "INVALID_GRANT"

    again = PkcePair.make()
    redeemed = await exchange(
        client,
        code_of(await run_flow(client, again, redirect_uri=BETA_CALLBACK, channel="beta")),
        again.verifier,
        "beta",
    )
    assert redeemed.status_code == 200 and redeemed.json()["user"]["email"]


async def test_a_stable_code_is_refused_to_a_beta_build(client: httpx.AsyncClient) -> None:
    pkce = PkcePair.make()
    code = code_of(await run_flow(client, pkce))  # a shell from before channels: stable, no channel sent
    refused = await exchange(client, code, pkce.verifier, "beta")
    assert refused.status_code == 400 and refused.json()["code"] == "INVALID_GRANT"


async def test_each_channels_origin_is_trusted_and_no_other(client: httpx.AsyncClient) -> None:
    async def sign_up_from(origin: str) -> httpx.Response:
        body = {"name": "Channel", "email": unique_email("channel"), "password": PASSWORD}
        return await client.post("/api/auth/sign-up/email", json=body, headers={"Origin": origin})

    assert (await sign_up_from("https://beta.example.com")).status_code == 200
    refused = await sign_up_from("https://gamma.example.com")
    assert refused.status_code == 403 and refused.json()["code"] == "INVALID_ORIGIN"


async def test_every_channels_landing_page_is_served(client: httpx.AsyncClient) -> None:
    for path in ("/api/auth/desktop/callback", "/api/auth/desktop/callback/beta"):
        page = await client.get(path)
        assert page.status_code == 200 and "Return to the app" in page.text


def test_a_build_stops_only_at_its_own_callback() -> None:
    assert is_callback(f"{STABLE_CALLBACK}?code=c&state=s", STABLE_CALLBACK)
    assert is_callback(STABLE_CALLBACK, STABLE_CALLBACK)
    for elsewhere in (
        f"{STABLE_CALLBACK}-next?code=c",
        f"{STABLE_CALLBACK}/x",
        BETA_CALLBACK,
        f"{BETA_CALLBACK}?code=c",
    ):
        assert not is_callback(elsewhere, STABLE_CALLBACK)


def test_a_shells_channel_and_callback_are_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERNIA_DESKTOP_CHANNEL", "beta")
    monkeypatch.setenv("KERNIA_DESKTOP_CALLBACK_URL", BETA_CALLBACK)
    settings = DesktopSettings.load("acme")
    assert (settings.channel, settings.callback_url) == ("beta", BETA_CALLBACK)
    monkeypatch.setenv("KERNIA_DESKTOP_CHANNEL", "Beta!")
    with pytest.raises(ValueError, match="not a channel name"):
        DesktopSettings.load("acme")


@pytest.fixture
def beta_server(tmp_path: Path, openid_provider: OpenIdProvider) -> Iterator[LiveServer]:
    environment = {**openid_provider.environment(), "KERNIA_DESKTOP_CHANNELS": "stable,beta"}
    live = LiveServer(tmp_path / "live", f"sqlite+aiosqlite:///{tmp_path / 'live.db'}", environment)
    live.start()
    yield live
    live.stop()


def embedded_sign_in(host: HttpWindowHost, account: Account, channel: str) -> SignInOutcome:
    flows = SocialSignIn(host, 60, lambda url: False, lambda parent: None, channel=channel)
    return flows.run(account, PROVIDER_ID, "embedded", parent="main-window")


def test_a_beta_shell_signs_in_through_its_own_callback(beta_server: LiveServer) -> None:
    host = HttpWindowHost("beta-user")
    with shell_account(f"{beta_server.url}/api/auth") as account:
        assert embedded_sign_in(host, account, "beta") == SIGNED_IN
    assert account.user and account.user["email"] == "beta-user@example.com"
    assert host.window.reached.startswith(f"{beta_server.url}/api/auth/desktop/callback/beta?")


class WindowSteeredToBeta(HttpWindowHost):
    """A sign-in window whose flow was steered to the beta channel (its channel and redirect_uri rewritten): the
    server then sends a genuine beta code to beta's callback, and the window reports where it landed."""

    def open_auth_window(
        self,
        parent: Any,
        url: str,
        is_shells_callback: IsCallback,
        on_callback: Callable[[str], None],
        on_closed: Callable[[], None],
        on_unreachable: Callable[[str], None],
    ) -> HttpWindow:
        authorize, _, query = url.partition("?")
        beta_callback = authorize.replace("/desktop/authorize", "/desktop/callback/beta")
        steered = dict(parse_qsl(query)) | {"channel": "beta", "redirect_uri": beta_callback}
        lands_at_beta = functools.partial(is_callback, callback_url=beta_callback)
        return super().open_auth_window(
            parent, f"{authorize}?{urlencode(steered)}", lands_at_beta, on_callback, on_closed, on_unreachable
        )


def test_a_stable_shell_does_not_take_a_code_sent_to_betas_callback(beta_server: LiveServer) -> None:
    host = WindowSteeredToBeta("steered-user")
    with shell_account(f"{beta_server.url}/api/auth") as account:
        outcome = embedded_sign_in(host, account, "stable")
    assert urlsplit(host.window.reached).path.endswith("/desktop/callback/beta") and "code=" in host.window.reached
    assert outcome.error == "invalid_callback"
    assert account.user is None and account.vault.load(DEFAULT_PARTITION) is None


def test_a_bundled_backend_serves_its_shells_channel(
    tmp_path: Path, openid_provider: OpenIdProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in openid_provider.environment().items():
        monkeypatch.setenv(name, value)
    backend = BundledBackend(tmp_path / "backend", NOTES_SERVER, "beta")
    backend.start()
    try:
        backend.wait_started()
        with shell_account(backend.auth_url) as account:
            assert embedded_sign_in(HttpWindowHost("bundled-beta-user"), account, "beta") == SIGNED_IN
        # It serves that one channel: a stable build's sign-in is not this shell's.
        stable_callback = channel_callback_url(backend.auth_url, "stable")
        refused = httpx.get(f"{backend.origin}{authorize_path(PkcePair.make(), stable_callback, channel='stable')}")
        assert refused.status_code == 400 and refused.json()["code"] == "UNKNOWN_CHANNEL"
    finally:
        backend.stop()
