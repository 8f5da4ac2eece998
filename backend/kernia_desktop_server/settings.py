"""The server's settings: given in code, else read from the environment (KERNIA_*, DATABASE_URL), else defaults.

The OAuth providers' variables (KERNIA_GITHUB_*, KERNIA_OIDC_<ID>_*...) are read by the oauth plugin, which can be
given its providers in code instead.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from kernia_desktop_server.channels import DEFAULT_CHANNEL, parse_channels
from kernia_desktop_server.local_files import DATABASE_FILE, SECRET_FILE

APP_NAME = "kernia-desktop"


class ConfigurationError(RuntimeError):
    """The settings cannot produce a safe server; the message says what to set."""


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KERNIA_", extra="ignore", populate_by_name=True)

    base_url: str = "http://127.0.0.1:8000/api/auth"
    secret: SecretStr | None = None
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))
    trusted_origins: CommaList = []
    trusted_proxies: CommaList = []

    # The address uvicorn binds to; it decides whether a generated secret and the Host allowlist apply.
    host: str = "127.0.0.1"
    port: int = 8000

    session_expires_in: int = Field(default=7 * 24 * 3600, gt=0)
    session_update_age: int = Field(default=24 * 3600, ge=0)
    # A session made with rememberMe=false is a browser-session cookie and lives at most this long.
    session_short_expires_in: int = Field(default=24 * 3600, gt=0)

    password_min_length: int = Field(default=8, ge=1)
    password_max_length: int = Field(default=128, ge=8)
    # argon2id's cost: passes over the memory, the memory in KiB, and its lanes. The defaults are RFC 9106's second
    # recommended option (3 passes over 64 MiB) with one lane rather than four, so that each hash keeps to one core.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost: int = Field(default=64 * 1024, ge=8 * 1024)
    argon2_parallelism: int = Field(default=1, ge=1)
    # How many hashes each process runs at once (unset: one per core); the others wait their turn.
    password_hash_threads: int | None = Field(default=None, ge=1)
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)

    rate_limit_enabled: bool = True
    rate_limit_window: int = Field(default=60, gt=0)
    # Sign-in and sign-up attempts per window, counted per client address and per account.
    rate_limit_auth_max: int = Field(default=10, gt=0)
    # Requests made with API keys per window, per client address and per key owner.
    rate_limit_api_key_max: int = Field(default=600, gt=0)

    # The api_keys plugin's prefix, when it is given none in code.
    api_key_prefix: str = "kernia_"

    # The desktop plugin's update channels, when it is given none in code: `name` (its callback is this server's
    # /desktop/callback/<name>) or `name=callback URL`.
    desktop_channels: CommaList = [DEFAULT_CHANNEL]

    @field_validator("trusted_origins", "trusted_proxies", "desktop_channels", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_origins")
    @classmethod
    def _normalise_origins(cls, value: list[str]) -> list[str]:
        return [origin_of(item) if "://" in item else item.lower() for item in value]

    @field_validator("desktop_channels")
    @classmethod
    def _check_channels(cls, value: list[str]) -> list[str]:
        try:
            parse_channels(value)
        except ValueError as error:
            raise ValueError(f"KERNIA_DESKTOP_CHANNELS: {error}") from None
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("KERNIA_BASE_URL must be an absolute http(s) URL such as http://127.0.0.1:8000/api/auth")
        return value.rstrip("/")

    @property
    def base_origin(self) -> str:
        return origin_of(self.base_url)

    @property
    def base_path(self) -> str:
        """The path the auth API is mounted at, e.g. /api/auth."""
        return urlsplit(self.base_url).path or "/api/auth"

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    @property
    def loopback_only(self) -> bool:
        return is_loopback_host(self.host)

    @property
    def all_trusted_origins(self) -> frozenset[str]:
        """The base URL's origin and KERNIA_TRUSTED_ORIGINS; plugins may trust more (the desktop plugin's channel
        callbacks)."""
        return frozenset([self.base_origin, *self.trusted_origins])

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / DATABASE_FILE}"

    @cached_property
    def secret_bytes(self) -> bytes:
        """The signing secret: configured, or generated once and kept in the data dir for a loopback run."""
        if self.secret is not None:
            value = self.secret.get_secret_value()
            if len(value) < 32:
                raise ConfigurationError("KERNIA_SECRET must be at least 32 characters long")
            return value.encode()
        if not self.loopback_only:
            raise ConfigurationError(
                f"KERNIA_SECRET is not set and the server would listen on {self.host}, which is not a loopback "
                "address. Set KERNIA_SECRET to a random string of at least 32 characters "
                '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )
        return _load_or_create_secret(self.data_dir / SECRET_FILE)


def _load_or_create_secret(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: workers starting together all read one complete secret.
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    value = path.read_text().strip()
    if len(value) < 32:
        raise ConfigurationError(f"the secret file {path} is damaged; delete it to make a new one")
    return value.encode()
