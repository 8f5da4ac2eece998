"""The auth core: one `Auth` object per app holds the settings, storage and policies every route uses.

Plugins extend it when they are set up (a credential they recognise, origins they trust); the core knows nothing of
them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from kernia_desktop_server.auth.cookies import SessionCookie
from kernia_desktop_server.auth.models import User
from kernia_desktop_server.auth.principal import Principal
from kernia_desktop_server.auth.rate_limit import client_address, rate_limiter
from kernia_desktop_server.auth.revision import RevisionCache, revision_source
from kernia_desktop_server.auth.sessions import ActiveSession, SessionStore
from kernia_desktop_server.auth.tokens import sign, unsign
from kernia_desktop_server.db.read import Reader
from kernia_desktop_server.settings import Settings, origin_of

AUTH_TOKEN_HEADER = "set-auth-token"

# Recognises a credential other than a session (an API key) on a protected route; None when there is none.
CredentialResolver = Callable[["Auth", HTTPConnection], Awaitable[Principal | None]]


class Auth:
    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self.settings = settings
        self.secret = settings.secret_bytes
        self.engine = engine
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        self.reader = Reader(engine)
        self.revision = revision_source(engine)
        self.sessions = SessionStore(settings, self.sessionmaker, self.revision)
        self._caches: dict[str, RevisionCache[Any]] = {}
        self.cookie = SessionCookie(settings)
        self.rate_limiter = rate_limiter(settings, engine)
        self.trusted_origins = settings.all_trusted_origins
        self.credential_resolvers: list[CredentialResolver] = []

    def trust(self, urls: Iterable[str]) -> None:
        """Adds the origins of `urls` to the trusted ones (origin checks and CORS)."""
        self.trusted_origins = self.trusted_origins | {origin_of(url) for url in urls}

    def cache(self, name: str) -> RevisionCache[Any]:
        """A plugin's own cache of the credentials it recognises, kept exact by the auth revision."""
        return self._caches.setdefault(name, RevisionCache(self.revision))

    def client_address(self, connection: HTTPConnection) -> str:
        return client_address(connection, self.settings.trusted_proxies)

    def credential(self, active: ActiveSession) -> str:
        """The signed token that the cookie, `set-auth-token` and a bearer header carry."""
        return sign(active.token, self.secret)

    def issue(self, response: Response, active: ActiveSession) -> None:
        """Hands a session to the client: as the cookie, and as a bearer credential in `set-auth-token`."""
        credential = self.credential(active)
        max_age = self.settings.session_expires_in if active.session.remember_me else None
        self.cookie.write(response, credential, max_age)
        response.headers[AUTH_TOKEN_HEADER] = credential
        response.headers["Access-Control-Expose-Headers"] = AUTH_TOKEN_HEADER

    async def open_session(
        self, db: AsyncSession, request: Request, response: Response, user: User, *, remember_me: bool = True
    ) -> ActiveSession:
        """Signs `user` in from this request: a new session, committed, and handed to the client on `response`."""
        active = await self.sessions.create(
            db,
            user,
            remember_me=remember_me,
            ip_address=self.client_address(request),
            user_agent=request.headers.get("user-agent"),
        )
        self.issue(response, active)
        return active

    def presented_token(self, connection: HTTPConnection) -> tuple[Literal["cookie", "bearer"], str] | None:
        """The session token a request carries; a bearer header wins over the cookie, as in Better Auth."""
        scheme, _, value = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            token = unsign(value.strip(), self.secret)
            return ("bearer", token) if token else None
        cookie = self.cookie.read(connection)
        if cookie:
            token = unsign(cookie, self.secret)
            return ("cookie", token) if token else None
        return None

    async def current_session(
        self, connection: HTTPConnection
    ) -> tuple[Literal["cookie", "bearer"], ActiveSession] | None:
        presented = self.presented_token(connection)
        if presented is None:
            return None
        via, token = presented
        active = await self.sessions.find(token)
        return (via, active) if active else None

    async def authenticate(self, connection: HTTPConnection) -> Principal | None:
        """The caller of a protected route: by session (bearer or cookie), else by a credential a plugin recognises."""
        found = await self.current_session(connection)
        if found is not None:
            via, active = found
            return Principal(user=active.user, via=via, session=active.session)
        for resolve in self.credential_resolvers:
            principal = await resolve(self, connection)
            if principal is not None:
                return principal
        return None
