"""The shell's settings: chosen in code or on the command line, else read from the environment
(KERNIA_DESKTOP_*), else defaults.

A frozen dataclass read with the standard library, not pydantic-settings as the server's settings are: the shell
reads these first thing at launch, before the window can start, where pydantic's import is a cost the bench sees.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from kernia_desktop.partition import DEFAULT_PARTITION, Partition
from kernia_desktop_server.channels import DEFAULT_CHANNEL, check_callback_url, check_channel_name

ENV_PREFIX = "KERNIA_DESKTOP_"
# The variables that name the remote server, the first one set wins.
SERVER_VARIABLES = ("KERNIA_DESKTOP_SERVER", "KERNIA_DESKTOP_SERVER_URL", "KERNIA_BASE_URL")
# KERNIA_DESKTOP_FLOW_<PROVIDER>=embedded|system: where that provider's sign-in runs.
FLOW_PREFIX = f"{ENV_PREFIX}FLOW_"

# Where a provider's sign-in runs: a window of the app, or the user's own browser.
Flow = Literal["embedded", "system"]
FLOWS: tuple[Flow, ...] = ("embedded", "system")
# How a provider sign-in reaches the app: the desktop plugin's hand-off code, or the server's own session cookie
# (a stock Kernia or Better Auth server); "auto" asks the server which it has.
Handoff = Literal["auto", "desktop", "cookie"]
HANDOFFS: tuple[Handoff, ...] = ("auto", "desktop", "cookie")
# What a cookie's name may be (RFC 6265: an RFC 7230 token).
COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class SettingsError(ValueError):
    """A setting has a value the shell cannot use; the message names it and says what it takes."""


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


def _handoff(value: str) -> Handoff:
    if value not in HANDOFFS:
        raise ValueError(f"{value!r} is not a hand-off: use auto, desktop or cookie")
    return value


def _cookie_name(value: str) -> str:
    if not COOKIE_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a cookie name")
    return value


def _providers(value: str) -> dict[str, str]:
    """`id=Name,id=Name`: the providers a server without a /providers list offers, with their display names."""
    providers = {}
    for entry in value.split(","):
        provider, _, name = entry.partition("=")
        provider, name = provider.strip(), name.strip()
        if not provider or len(provider) > 64 or not provider.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"{entry!r} is not a provider: use id=Name, e.g. gitlab=GitLab")
        providers[provider] = name or provider
    return providers


def _partition(value: str) -> str:
    return Partition(value).name


def flow(value: str) -> Flow:
    if value not in FLOWS:
        raise ValueError(f"{value!r} is not a sign-in flow: use embedded or system")
    return value


def _flows(environ: Mapping[str, str], chosen: Mapping[str, str]) -> dict[str, Flow]:
    """Each provider's flow, by provider id (lower case): `chosen`'s, else its KERNIA_DESKTOP_FLOW_<PROVIDER>."""
    given = [
        (variable, variable.removeprefix(FLOW_PREFIX), value)
        for variable, value in environ.items()
        if variable.startswith(FLOW_PREFIX) and value
    ]
    given += [(f"flows[{provider!r}]", provider, value) for provider, value in chosen.items()]
    flows = {}
    for source, provider, value in given:
        try:
            flows[provider.lower()] = flow(value)
        except ValueError as error:
            raise SettingsError(f"{source}: {error}") from None
    return flows


# How each setting's text, from the environment or the command line, turns into its checked value.
_PARSERS: dict[str, Callable[[str], Any]] = {
    "data_dir": Path,
    "server": _server,
    "debug_port": _port,
    "oauth_timeout": _timeout,
    "request_timeout": _timeout,
    "partition": _partition,
    "channel": check_channel_name,
    "callback_url": check_callback_url,
    "handoff": _handoff,
    "session_cookie": _cookie_name,
    "providers": _providers,
}


@dataclass(frozen=True)
class DesktopSettings:
    data_dir: Path
    # The auth mount of a remote server; unset, the shell starts the bundled backend on 127.0.0.1.
    server: str | None = None
    # Opens QtWebEngine's remote debugging on 127.0.0.1 at this port, for the end-to-end tests only.
    debug_port: int | None = None
    oauth_timeout: float = 300.0
    # Seconds a request to the server may wait for its answer before the app says the server did not answer.
    request_timeout: float = 10.0
    partition: str = DEFAULT_PARTITION
    # The update channel this build belongs to, and where the server sends its sign-ins back (unset: the
    # server's own /desktop/callback/<channel>); the server must list the same channel and callback.
    channel: str = DEFAULT_CHANNEL
    callback_url: str | None = None
    # Where each provider's sign-in runs, by provider id; the providers not named run their default.
    flows: Mapping[str, Flow] = field(default_factory=dict)
    # How a provider sign-in reaches the app, and the name of a stock server's session cookie when it is not
    # "<prefix>.session_token" (unset: any such name).
    handoff: Handoff = "auto"
    session_cookie: str | None = None
    # The providers to offer, by id with their names, when the server has no /providers list (a stock server).
    providers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, app_name: str, environ: Mapping[str, str] | None = None, /, **chosen: Any) -> DesktopSettings:
        """The settings from `chosen` values (the app's code, the command line, a packaged build), else the
        environment (KERNIA_DESKTOP_<NAME>), else the defaults; each one checked. The data dir defaults to the
        platform's user data dir of `app_name`. Raises SettingsError."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in fields(cls):
            name = setting.name
            if name == "flows":
                values[name] = _flows(environ, chosen.get(name) or {})
                continue
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
        if "data_dir" not in values:
            import platformdirs  # only when no data dir is given

            values["data_dir"] = Path(platformdirs.user_data_dir(app_name))
        return cls(**values)

    @property
    def backend_dir(self) -> Path:
        return self.data_dir / "backend"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"
