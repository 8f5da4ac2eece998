"""The session cookie: its name, its attributes, and how it is written and cleared."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import HTTPConnection
from starlette.responses import Response

from kernia_desktop_server.settings import Settings

SESSION_COOKIE = "better-auth.session_token"
SECURE_PREFIX = "__Secure-"


class SessionCookie:
    def __init__(self, settings: Settings) -> None:
        self.secure = settings.secure_cookies
        self.name = f"{SECURE_PREFIX}{SESSION_COOKIE}" if self.secure else SESSION_COOKIE

    def read(self, connection: HTTPConnection) -> str | None:
        return connection.cookies.get(self.name)

    def write(self, response: Response, credential: str, max_age: int | None) -> None:
        """max_age None makes a browser-session cookie (rememberMe: false)."""
        response.set_cookie(
            self.name,
            quote(credential, safe=""),
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.name, path="/", secure=self.secure, httponly=True, samesite="lax")
