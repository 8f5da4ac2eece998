"""Every environment variable the desktop shell reads, in one place."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.settings import DEFAULT_CHANNEL, check_callback_url, check_channel_name
from desktop.partition import DEFAULT_PARTITION

APP_NAME = "kernia-desktop"


class DesktopSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KERNIA_DESKTOP_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))
    # The auth mount of a remote server; unset, the shell starts the bundled backend on 127.0.0.1.
    server: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KERNIA_DESKTOP_SERVER", "KERNIA_DESKTOP_SERVER_URL", "KERNIA_BASE_URL"),
    )
    # Opens QtWebEngine's remote debugging on 127.0.0.1 at this port, for the end-to-end tests only.
    debug_port: int | None = Field(default=None, ge=1, le=65535)
    oauth_timeout: float = Field(default=300.0, gt=0)
    partition: str = DEFAULT_PARTITION
    # The update channel this build belongs to, and where the server sends its sign-ins back (unset: the
    # server's own /desktop/callback/<channel>); the server must list the same channel and callback.
    channel: str = DEFAULT_CHANNEL
    callback_url: str | None = None

    @field_validator("channel")
    @classmethod
    def _check_channel(cls, value: str) -> str:
        return check_channel_name(value)

    @field_validator("callback_url")
    @classmethod
    def _check_callback_url(cls, value: str | None) -> str | None:
        return None if value is None else check_callback_url(value)

    @field_validator("server")
    @classmethod
    def _check_server(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError(
                "the server must be an http(s) URL of its auth mount, e.g. https://api.example.com/api/auth"
            )
        return value

    @property
    def backend_dir(self) -> Path:
        return self.data_dir / "backend"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"
