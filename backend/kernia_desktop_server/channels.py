"""Update channels: their names and callback URLs, checked the same way by the server and the desktop shell.

Standard library only: the shell reads these at launch, before anything heavier is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

DEFAULT_CHANNEL = "stable"
# An update channel's name: it travels in URLs and in the names of packaged builds, so a short lowercase slug.
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def check_channel_name(name: str) -> str:
    if not CHANNEL_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a channel name: use 1 to 32 lowercase letters, digits and dashes")
    return name


def check_callback_url(url: str) -> str:
    """The URL, checked and in the one spelling a web view reports it in (lower-case scheme and host, no default
    port, at least "/" as path): the server compares a shell's redirect URI with it as a string, and the shell
    compares every navigation with it."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or port == -1 or parts.username is not None:
        raise ValueError(f"{url!r} is not a callback URL: use an absolute http(s) URL such as https://host/path")
    if parts.query or parts.fragment or url.rstrip().endswith(("?", "#")):
        # The server appends ?code=…&state=…, and the shell recognises its callback by what precedes the "?".
        raise ValueError(f"{url!r} is not a callback URL: it must have no ?query and no #fragment")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}"


def channel_callback_url(auth_url: str, channel: str) -> str:
    """A channel's callback when none is configured: the server's own landing page for that channel."""
    return check_callback_url(f"{auth_url.rstrip('/')}/desktop/callback/{check_channel_name(channel)}")


def parse_channel(entry: str) -> tuple[str, str | None]:
    """`name` or `name=callback URL`, checked."""
    name, has_url, callback = entry.partition("=")
    if has_url and not callback.strip():
        raise ValueError(f"{entry!r} names no callback URL after '=': write the name alone or name=URL")
    return check_channel_name(name.strip()), check_callback_url(callback) if has_url else None


def parse_channels(entries: Iterable[str]) -> list[tuple[str, str | None]]:
    """A list of channel entries, each checked; at least one, and no name twice."""
    channels = [parse_channel(entry) for entry in entries]
    names = [name for name, _ in channels]
    if not names:
        raise ValueError("no channel is listed: name at least one, e.g. stable")
    if len(set(names)) != len(names):
        raise ValueError("a channel is named twice")
    return channels


def channel_callbacks(auth_url: str, entries: Iterable[str]) -> dict[str, str]:
    """Each channel's callback URL, by name: the one its entry names, else the server's own page for it."""
    return {name: callback or channel_callback_url(auth_url, name) for name, callback in parse_channels(entries)}
