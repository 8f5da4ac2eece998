import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kernia_desktop_server.settings import ConfigurationError, Settings
from tests.support.server import ROOT


def test_loopback_run_generates_one_secret_and_keeps_it(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path, host="127.0.0.1").secret_bytes
    second = Settings(data_dir=tmp_path, host="127.0.0.1").secret_bytes
    assert first == second and len(first) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / "secret").st_mode) == 0o600


def test_non_loopback_run_without_secret_refuses(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="KERNIA_SECRET"):
        _ = Settings(data_dir=tmp_path, host="0.0.0.0").secret_bytes
    assert not (tmp_path / "secret").exists()


def test_short_secret_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="at least 32"):
        _ = Settings(data_dir=tmp_path, secret="too short").secret_bytes


def test_server_refuses_to_start_on_public_address_without_secret(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "KERNIA_SECRET"}
    env["KERNIA_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "kernia_desktop_server", "--host", "0.0.0.0", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "KERNIA_SECRET is not set" in result.stderr


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KERNIA_TRUSTED_ORIGINS", "https://app.example.com/, http://localhost:5173")
    monkeypatch.setenv("KERNIA_SESSION_EXPIRES_IN", "30")
    monkeypatch.setenv("KERNIA_SESSION_UPDATE_AGE", "5")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@db/kernia")
    monkeypatch.setenv("KERNIA_BASE_URL", "https://api.example.com/api/auth/")
    settings = Settings(data_dir=tmp_path)
    assert settings.trusted_origins == ["https://app.example.com", "http://localhost:5173"]
    assert settings.session_expires_in == 30 and settings.session_update_age == 5
    assert settings.database == "postgresql+asyncpg://u:p@db/kernia"
    assert settings.base_url == "https://api.example.com/api/auth"
    assert settings.base_path == "/api/auth"
    assert settings.secure_cookies
    assert settings.all_trusted_origins == {
        "https://api.example.com",
        "https://app.example.com",
        "http://localhost:5173",
    }


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).database == f"sqlite+aiosqlite:///{tmp_path / 'kernia.db'}"


def test_relative_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="absolute"):
        Settings(base_url="/api/auth")
