"""The auth core: one `Auth` object per app holds the settings, storage and policies every route uses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection
from starlette.responses import Response

from backend.auth.cookies import SessionCookie
from backend.auth.errors import unauthorized
from backend.auth.models import Session, User
from backend.auth.origins import check_origin
from backend.auth.plugin import Plugin
from backend.auth.rate_limit import RateLimiter, client_address
from backend.auth.revision import RevisionCache, revision_source
from backend.auth.sessions import ActiveSession, SessionStore
from backend.auth.tokens import sign, unsign
from backend.db.read import Reader
from backend.settings import Settings

AUTH_TOKEN_HEADER = "set-auth-token"


@dataclass(frozen=True)
class Principal:
    """Who is calling, and with which credential."""

    user: User
    via: Literal["cookie", "bearer", "api_key"]
    session: Session | None = None
    api_key_id: str | None = None


class Auth:
    def __init__(self, settings: Settings, engine: AsyncEngine, plugins: Sequence[Plugin]) -> None:
        self.settings = settings
        self.secret = settings.secret_bytes
        self.engine = engine
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        self.reader = Reader(engine)
        self.revision = revision_source(engine)
        self.sessions = SessionStore(settings, self.sessionmaker, self.revision)
        self._caches: dict[str, RevisionCache[Any]] = {}
        self.cookie = SessionCookie(settings)
        self.rate_limiter = RateLimiter(settings)
        self.trusted_origins = settings.all_trusted_origins
        self.plugins = tuple(plugins)

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
        await db.commit()
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

    async def current_session(self, connection: HTTPConnection) -> tuple[str, ActiveSession] | None:
        presented = self.presented_token(connection)
        if presented is None:
            return None
        via, token = presented
        active = await self.sessions.find(token)
        return (via, active) if active else None

    async def authenticate(self, connection: HTTPConnection) -> Principal | None:
        """The caller of a protected route: by session (bearer or cookie), else by a plugin's credential."""
        found = await self.current_session(connection)
        if found is not None:
            via, active = found
            return Principal(user=active.user, via=via, session=active.session)  # type: ignore[arg-type]
        for plugin in self.plugins:
            if plugin.authenticate is not None:
                principal = await plugin.authenticate(self, connection)
                if principal is not None:
                    return principal
        return None

    def router(self) -> APIRouter:
        from backend.auth import routes

        router = APIRouter(dependencies=[Depends(verify_origin)])
        router.include_router(routes.router)
        for plugin in self.plugins:
            if plugin.router is not None:
                router.include_router(plugin.router)
        return router


async def get_auth(request: Request) -> Auth:
    # async although it never awaits: FastAPI runs a plain `def` dependency in a worker thread, a hop that costs
    # more than the whole cached session lookup on every request.
    return request.app.state.auth


AuthDep = Annotated[Auth, Depends(get_auth)]


async def verify_origin(request: Request, auth: AuthDep) -> None:
    check_origin(request, request.method, auth.trusted_origins)


async def require_session(request: Request, auth: AuthDep) -> ActiveSession:
    found = await auth.current_session(request)
    if found is None:
        raise unauthorized()
    return found[1]


CurrentSession = Annotated[ActiveSession, Depends(require_session)]


async def database(auth: AuthDep) -> AsyncIterator[AsyncSession]:
    async with auth.sessionmaker() as db:
        yield db


Database = Annotated[AsyncSession, Depends(database)]


async def reader(auth: AuthDep) -> Reader:
    return auth.reader


# For a route that only reads: no ORM session, and the cheapest path to the database (backend.db.read).
Reads = Annotated[Reader, Depends(reader)]
