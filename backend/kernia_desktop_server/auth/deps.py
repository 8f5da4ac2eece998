"""FastAPI dependencies on the auth core mounted on the app (KerniaAuth.mount), for the auth routes and plugins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from kernia_desktop_server.auth.core import Auth
from kernia_desktop_server.auth.errors import unauthorized
from kernia_desktop_server.auth.origins import check_origin
from kernia_desktop_server.auth.sessions import ActiveSession

APP_STATE_KEY = "kernia_auth"


async def get_auth(request: Request) -> Auth:
    # async although it never awaits: FastAPI runs a plain `def` dependency in a worker thread, a hop that costs
    # more than the whole cached session lookup.
    auth: Auth = getattr(request.app.state, APP_STATE_KEY)
    return auth


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
