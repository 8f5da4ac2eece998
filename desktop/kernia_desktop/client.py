"""The wire-protocol client the shell uses: Kernia / Better Auth routes, the desktop hand-off, and requests to the
app's own API (Session).

It speaks only HTTP, so the shell works the same against the bundled backend and a remote Kernia server.

httpx is imported, and its client set up (TLS included), by the first request, not with this module: that work
stays out of the window's start-up, and a bundled app's restore never needs it (kernia_desktop.bundled).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

AUTH_TOKEN_HEADER = "set-auth-token"


class ServerError(Exception):
    """The server answered with an error: its status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class Offline(Exception):
    """The server could not be reached."""


class NoAnswer(Offline):
    """The server took the request but did not answer in time (a hung server, or a network that drops packets)."""


@dataclass(frozen=True)
class SignedIn:
    token: str
    user: dict[str, Any]


@dataclass(frozen=True)
class ProviderRedirect:
    """Where a server's social sign-in sends the browser, and the cookies it set with that answer (Better Auth
    keeps the sign-in's state in one, which its callback checks)."""

    url: str
    set_cookies: list[str]


@dataclass(frozen=True)
class SessionState:
    user: dict[str, Any]
    session: dict[str, Any]
    # Set when the server handed out a new credential (a rotated token) with this answer.
    rotated_token: str | None = None


def _error_of(response: httpx.Response) -> ServerError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "message" in body:
        return ServerError(response.status_code, str(body.get("code") or "ERROR"), str(body["message"]))
    return ServerError(response.status_code, f"HTTP_{response.status_code}", response.reason_phrase or "error")


class AuthClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = "kernia-desktop",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._user_agent = user_agent
        parts = urlsplit(self.base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self._timeout = timeout
        self._transport = transport
        self._http_client: httpx.Client | None = None
        self._opening = threading.Lock()

    @property
    def _http(self) -> httpx.Client:
        with self._opening:
            if self._http_client is None:
                import httpx

                self._http_client = httpx.Client(
                    timeout=self._timeout, transport=self._transport, headers={"user-agent": self._user_agent}
                )
            return self._http_client

    def close(self) -> None:
        with self._opening:
            if self._http_client is not None:
                self._http_client.close()

    def _request(
        self,
        method: str,
        url: str,
        token: str | None = None,
        *,
        json: Any = None,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        import httpx

        sent = {**(headers or {}), **({"authorization": f"Bearer {token}"} if token else {})}
        try:
            response = self._http.request(method, url, json=json, params=params, headers=sent)
        except httpx.TimeoutException as error:
            raise NoAnswer(
                f"The server did not answer within {self._timeout:g} seconds. Try again in a moment."
            ) from error
        except httpx.TransportError as error:
            raise Offline(f"{self.origin} cannot be reached ({type(error).__name__})") from error
        if response.status_code >= 400:
            raise _error_of(response)
        # Cookies are never kept: the credential lives in the keyring and travels as a bearer token.
        self._http.cookies.clear()
        return response

    def auth(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        return self._request(method, f"{self.base_url}{path}", token, **kwargs)

    def app(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        return self._request(method, f"{self.origin}{path}", token, **kwargs)

    @staticmethod
    def _signed_in(response: httpx.Response) -> SignedIn:
        body = response.json()
        # The set-auth-token header is the bearer credential; older servers only put it in the body.
        token = response.headers.get(AUTH_TOKEN_HEADER) or body.get("token")
        if not token:
            raise ServerError(response.status_code, "NO_TOKEN", "The server signed in without handing out a token")
        return SignedIn(token=token, user=body["user"])

    def sign_up_email(self, name: str, email: str, password: str) -> SignedIn:
        body = {"name": name, "email": email, "password": password}
        return self._signed_in(self.auth("POST", "/sign-up/email", json=body))

    def sign_in_email(self, email: str, password: str) -> SignedIn:
        return self._signed_in(self.auth("POST", "/sign-in/email", json={"email": email, "password": password}))

    def get_session(self, token: str) -> SessionState | None:
        response = self.auth("GET", "/get-session", token)
        # No session: Better Auth answers `null`, kernia (Python) an empty body.
        body = response.json() if response.content.strip() else None
        if not body:
            return None
        rotated = response.headers.get(AUTH_TOKEN_HEADER)
        return SessionState(body["user"], body["session"], rotated if rotated and rotated != token else None)

    def restore_session(self, token: str) -> SessionState | None:
        """The session a credential kept from an earlier run still names, checked as the app starts."""
        return self.get_session(token)

    def sign_out(self, token: str) -> None:
        self.auth("POST", "/sign-out", token, json={})

    def revoke_sessions(self, token: str) -> None:
        self.auth("POST", "/revoke-sessions", token, json={})

    def list_sessions(self, token: str) -> list[dict[str, Any]]:
        sessions: list[dict[str, Any]] = self.auth("GET", "/list-sessions", token).json()
        return sessions

    def revoke_session(self, token: str, handle: str) -> None:
        self.auth("POST", "/revoke-session", token, json={"token": handle})

    def providers(self) -> list[dict[str, Any]]:
        providers: list[dict[str, Any]] = self.auth("GET", "/providers").json()
        return providers

    def has_desktop_handoff(self) -> bool:
        """Whether the server has the desktop hand-off (this project's desktop plugin): a stock Kernia or Better
        Auth server has no /desktop/authorize at all, while ours answers a request without its parameters 400."""
        try:
            self.auth("GET", "/desktop/authorize")
        except ServerError as error:
            return error.status != 404
        return True

    def begin_social_sign_in(self, provider: str, callback_url: str, error_callback_url: str) -> ProviderRedirect:
        """Asks the server for the provider's authorization URL: /sign-in/social, or for a provider of a generic
        OAuth plugin that only that plugin's route knows, /sign-in/oauth2."""
        returns = {"callbackURL": callback_url, "errorCallbackURL": error_callback_url, "disableRedirect": True}
        # kernia 0.1.0 reads /sign-in/social's body in snake_case only; Better Auth drops keys it does not know.
        returns |= {"callback_url": callback_url, "error_callback_url": error_callback_url}
        try:
            response = self.auth("POST", "/sign-in/social", json={"provider": provider, **returns})
        except ServerError as unknown:
            if unknown.status != 404 and unknown.code != "PROVIDER_NOT_FOUND":
                raise
            try:
                response = self.auth("POST", "/sign-in/oauth2", json={"providerId": provider, **returns})
            except ServerError as generic:
                # No such route, or no such provider there either: the first answer says what is wrong.
                if generic.status == 404 or generic.code == "PROVIDER_NOT_FOUND":
                    raise unknown from None
                raise
        url = response.json().get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ServerError(response.status_code, "NO_PROVIDER_URL", "The server did not say where to sign in.")
        return ProviderRedirect(url, response.headers.get_list("set-cookie"))

    def exchange_desktop_code(self, code: str, code_verifier: str, channel: str) -> SignedIn:
        """Trades the single-use hand-off code of a social sign-in for a session (the desktop plugin); only a
        build of the channel the sign-in began in can."""
        body = {"code": code, "codeVerifier": code_verifier, "channel": channel}
        return self._signed_in(self.auth("POST", "/desktop/token", json=body))
