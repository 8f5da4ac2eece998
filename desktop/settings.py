"""Every environment variable the desktop shell reads, in one place.

A frozen dataclass read from the environment with the standard library, not pydantic-settings as the backend's
settings are: the shell reads these first thing at launch, and pydantic costs about 100 ms and 20 MB there,
before the window can start.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from backend.channels import DEFAULT_CHANNEL, check_callback_url, check_channel_name
from desktop.partition import DEFAULT_PARTITION, Partition

APP_NAME = "kernia-desktop"
ENV_PREFIX = "KERNIA_DESKTOP_"
# The variables that name the remote server, the first one set wins.
SERVER_VARIABLES = ("KERNIA_DESKTOP_SERVER", "KERNIA_DESKTOP_SERVER_URL", "KERNIA_BASE_URL")


class SettingsError(ValueError):
    """A setting has a value the shell cannot use; the message names it and says what it takes."""


def _default_data_dir() -> Path:
    import platformdirs  # only when no data dir is given

    return Path(platformdirs.user_data_dir(APP_NAME))


def _server(value: str) -> str:
    value = value.rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise ValueError("the server must be an http(s) URL of its auth mount, e.g. https://api.example.com/api/auth")
    return value


def _port(value: str) -> int:
    if not value.strip().isdigit() or not 1 <= int(value) <= 65535:
        raise ValueError(f"{value!r} is not a port: use a number from 1 to 65535")
    return int(value)


def _timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"{value!r} is not a timeout: use a number of seconds above 0")
    return seconds


def _partition(value: str) -> str:
    return Partition(value).name


# How each setting's text, from the environment or the command line, turns into its checked value.
_PARSERS: dict[str, Callable[[str], Any]] = {
    "data_dir": Path,
    "server": _server,
    "debug_port": _port,
    "oauth_timeout": _timeout,
    "partition": _partition,
    "channel": check_channel_name,
    "callback_url": check_callback_url,
}


@dataclass(frozen=True)
class DesktopSettings:
    data_dir: Path = field(default_factory=_default_data_dir)
    # The auth mount of a remote server; unset, the shell starts the bundled backend on 127.0.0.1.
    server: str | None = None
    # Opens QtWebEngine's remote debugging on 127.0.0.1 at this port, for the end-to-end tests only.
    debug_port: int | None = None
    oauth_timeout: float = 300.0
    partition: str = DEFAULT_PARTITION
    # The update channel this build belongs to, and where the server sends its sign-ins back (unset: the
    # server's own /desktop/callback/<channel>); the server must list the same channel and callback.
    channel: str = DEFAULT_CHANNEL
    callback_url: str | None = None

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **chosen: Any) -> DesktopSettings:
        """The settings from `chosen` values (the command line's, a packaged build's), else the environment
        (KERNIA_DESKTOP_<NAME>), else the defaults; each one checked. Raises SettingsError."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in fields(cls):
            name = setting.name
            variables = SERVER_VARIABLES if name == "server" else (f"{ENV_PREFIX}{name.upper()}",)
            if name in chosen:
                source, raw = name, chosen[name]
            else:
                given = [(variable, environ[variable]) for variable in variables if environ.get(variable)]
                source, raw = given[0] if given else (name, None)
            if raw is None:
                continue
            try:
                values[name] = _PARSERS[name](raw) if isinstance(raw, str) else raw
            except ValueError as error:
                raise SettingsError(f"{source}: {error}") from None
        return cls(**values)

    @property
    def backend_dir(self) -> Path:
        return self.data_dir / "backend"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"
