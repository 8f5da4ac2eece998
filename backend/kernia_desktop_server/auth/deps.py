"""FastAPI dependencies on the auth core mounted on the app (KerniaAuth.mount), for the auth routes and plugins."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Request
from fastapi.openapi.models import HTTPBearer
from fastapi.security.base import SecurityBase
from sqlalchemy.ext.asyncio import AsyncSession

from kernia_desktop_server.auth.core import Auth
from kernia_desktop_server.auth.errors import unauthorized
from kernia_desktop_server.auth.origins import check_origin
from kernia_desktop_server.auth.sessions import ActiveSession
from kernia_desktop_server.openapi import SESSION

APP_STATE_KEY = "kernia_auth"
T = TypeVar("T")


async def get_auth(request: Request) -> Auth:
    # async although it never awaits: FastAPI runs a plain `def` dependency in a worker thread, a hop that costs
    # more than the whole cached session lookup.
    auth: Auth = getattr(request.app.state, APP_STATE_KEY)
    return auth


AuthDep = Annotated[Auth, Depends(get_auth)]


async def verify_origin(request: Request, auth: AuthDep) -> None:
    check_origin(request, request.method, auth.trusted_origins)


class CredentialScheme(SecurityBase, Generic[T]):
    """A dependency that finds the caller's credential, and says in the OpenAPI document that its routes take one
    (FastAPI lists a SecurityBase dependency in the operation's `security`; openapi.py names the credentials)."""

    def __init__(self, scheme_name: str, resolve: Callable[[Request], Awaitable[T]]) -> None:
        self.model = HTTPBearer()
        self.scheme_name = scheme_name
        self._resolve = resolve

    async def __call__(self, request: Request) -> T:
        return await self._resolve(request)


async def _current_session(request: Request) -> ActiveSession:
    found = await (await get_auth(request)).current_session(request)
    if found is None:
        raise unauthorized()
    return found[1]


# A session, by bearer token or cookie; 401 without one.
require_session = CredentialScheme(SESSION, _current_session)


CurrentSession = Annotated[ActiveSession, Depends(require_session)]


async def database(auth: AuthDep) -> AsyncIterator[AsyncSession]:
    async with auth.sessionmaker() as db:
        yield db


Database = Annotated[AsyncSession, Depends(database)]
