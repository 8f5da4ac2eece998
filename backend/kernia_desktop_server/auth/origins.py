"""Trusted origins: a browser request that changes state must come from a page the server trusts."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from kernia_desktop_server.auth.errors import ApiError
from kernia_desktop_server.settings import origin_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_origin(connection: HTTPConnection) -> str | None:
    origin = connection.headers.get("origin")
    if origin:
        return origin.lower()
    referer = connection.headers.get("referer")
    return origin_of(referer) if referer else None


def check_origin(connection: HTTPConnection, method: str, trusted: frozenset[str]) -> None:
    """Refuses a state-changing request sent from an untrusted page.

    Requests that carry no Origin or Referer are not from a browser page (bearer and API-key clients) and
    pass; a browser always sends one on the requests that could be forged.
    """
    if method in SAFE_METHODS:
        return
    origin = request_origin(connection)
    if origin is not None and origin not in trusted:
        raise ApiError(403, "INVALID_ORIGIN", f"Requests from {origin} are not allowed")
