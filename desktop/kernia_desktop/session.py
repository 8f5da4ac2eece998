"""Session: what an exposed function gets, the signed-in account of the window that called it, as an HTTP client of
the app's server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

    from kernia_desktop.account import Account


class Session:
    """Each request carries the account's credential as a bearer token; the function never sees it, and neither does
    the renderer. An answer of 400 or more raises, and reaches the renderer as the server's {code, message}; a 401
    also signs the account out, as the built-in calls do. A server that cannot be reached answers OFFLINE."""

    def __init__(self, account: Account) -> None:
        self._account = account

    @property
    def user(self) -> dict[str, Any]:
        """The signed-in user as the server describes them (id, name, email, image...)."""
        return dict(self._account.user or {})

    @property
    def partition(self) -> str:
        return self._account.partition.name

    @property
    def auth_path(self) -> str:
        """The path of the server's auth API (e.g. /api/auth), for calls to it such as /api-key/list."""
        return urlsplit(self._account.client.base_url).path

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """`path` is absolute on the server's origin, e.g. /api/projects: a request never leaves that origin."""
        if not path.startswith("/") or path.startswith("//"):
            raise ValueError(f"{path!r} is not a path on the server: begin it with a single /")
        client = self._account.client
        return self._account.authorized(
            lambda token: client.app(method, path, token, json=json, params=params, headers=headers)
        )

    def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> httpx.Response:
        return self.request("GET", path, params=params)

    def post(self, path: str, *, json: Any = None) -> httpx.Response:
        return self.request("POST", path, json=json)

    def put(self, path: str, *, json: Any = None) -> httpx.Response:
        return self.request("PUT", path, json=json)

    def patch(self, path: str, *, json: Any = None) -> httpx.Response:
        return self.request("PATCH", path, json=json)

    def delete(self, path: str) -> httpx.Response:
        return self.request("DELETE", path)
