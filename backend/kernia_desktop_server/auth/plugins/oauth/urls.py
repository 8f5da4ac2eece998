"""Where a sign-in may send the browser: relative paths on this server, or URLs on a trusted origin."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from kernia_desktop_server.auth.errors import bad_request
from kernia_desktop_server.settings import origin_of


def check_redirect_target(url: str | None, trusted_origins: frozenset[str], field: str) -> str | None:
    """`url` when it is a safe place to redirect to; 400 INVALID_CALLBACK_URL otherwise."""
    if url is None:
        return None
    unsafe = any(ord(character) < 0x21 or character == "\\" for character in url) or len(url) > 2048
    if not unsafe and url.startswith("/") and not url.startswith("//"):
        return url
    if not unsafe and "://" in url:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and not parts.username and origin_of(url) in trusted_origins:
            return url
    raise bad_request("INVALID_CALLBACK_URL", f"{field} must be a path on this server or a URL on a trusted origin")


def with_query(url: str, **params: str) -> str:
    """`url` with `params` added to its query, keeping what it already has."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))
