"""KerniaAuth: the auth core with its plugins, mounted on the developer's FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.ext.asyncio import AsyncSession

from kernia_desktop_server.auth import routes
from kernia_desktop_server.auth.core import AUTH_TOKEN_HEADER, Auth
from kernia_desktop_server.auth.deps import APP_STATE_KEY, CredentialScheme
from kernia_desktop_server.auth.errors import unauthorized
from kernia_desktop_server.auth.models import User
from kernia_desktop_server.auth.origins import check_origin
from kernia_desktop_server.auth.plugin import Plugin
from kernia_desktop_server.db import create_engine
from kernia_desktop_server.db.migrate import upgrade
from kernia_desktop_server.handlers import install_error_handlers
from kernia_desktop_server.memory import settle_after_start
from kernia_desktop_server.middleware import BodySizeLimit, ErrorBoundary, HostAllowlist, StorableText
from kernia_desktop_server.openapi import CREDENTIAL, install_openapi
from kernia_desktop_server.settings import Settings

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


class KerniaAuth(Auth):
    """The auth API of one app: sessions, cookies and bearer tokens at the base URL's path, plus its plugins.

    `migrations` are folders of Alembic revisions for the app's own tables (branches of their own that depend on
    the core's `0001_core`); they run with the core's and the plugins' when the app starts.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        plugins: Sequence[Plugin] = (),
        *,
        migrations: Iterable[Path] = (),
    ) -> None:
        settings = settings or Settings()
        super().__init__(settings, create_engine(settings.database))
        self.plugins = tuple(plugins)
        ids = [plugin.id for plugin in self.plugins]
        if len(set(ids)) != len(ids):
            raise ValueError(f"a plugin is given twice: {ids}")
        self.migrations = [*(plugin.migrations for plugin in self.plugins if plugin.migrations), *migrations]
        for plugin in self.plugins:
            plugin.setup(self, self.plugins)
        # The dependency for the app's protected routes: the caller, by session cookie, bearer token or API key.
        self.current_user = CredentialScheme(CREDENTIAL, self._current_user)

    @staticmethod
    def mounted_on(app: FastAPI) -> KerniaAuth | None:
        """The KerniaAuth mounted on `app`, if any."""
        auth = getattr(app.state, APP_STATE_KEY, None)
        return auth if isinstance(auth, KerniaAuth) else None

    # -- dependencies for the app's own routes ---------------------------------------------------------------

    async def _current_user(self, request: Request) -> User:
        """401 without a credential. A request that carries the cookie must come from a trusted origin when it
        changes state."""
        # Checked against the auth revision on every request: a revoked session or deleted key fails at once.
        principal = await self.authenticate(request)
        if principal is None:
            raise unauthorized("A valid session, bearer token or API key is required")
        if principal.via == "cookie":
            # A cookie rides along on forged cross-site requests; bearer tokens and API keys do not.
            check_origin(request, request.method, self.trusted_origins)
        return principal.user

    async def database(self) -> AsyncIterator[AsyncSession]:
        """An ORM session for the request; the route commits what it changes."""
        async with self.sessionmaker() as db:
            yield db

    async def prepare(self) -> None:
        """What a start needs before it can serve (the migrations), for a check before the server's workers start:
        their own starts then find nothing left to do."""
        try:
            await upgrade(self.engine, self.migrations)
        finally:
            await self.engine.dispose()

    # -- mounting --------------------------------------------------------------------------------------------

    def mount(self, app: FastAPI) -> None:
        """Serves the auth API on `app` at the base URL's path: the routes of the core and of every plugin, error
        answers as {code, message}, the origin (CORS), body-size and, on loopback, Host checks, and a start-up that
        migrates the database before the app's own lifespan runs."""
        if self.mounted_on(app) is not None:
            raise RuntimeError("this app already has a KerniaAuth mounted")
        setattr(app.state, APP_STATE_KEY, self)
        prefix = self.settings.base_path
        app.include_router(routes.router, prefix=prefix)
        for plugin in self.plugins:
            for router in plugin.routers():
                app.include_router(router, prefix=prefix)
        install_error_handlers(app)
        app.add_middleware(ErrorBoundary)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=sorted(self.trusted_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "x-api-key"],
            expose_headers=[AUTH_TOKEN_HEADER],
        )
        app.add_middleware(StorableText)
        app.add_middleware(BodySizeLimit, limit=self.settings.max_body_bytes)
        if self.settings.loopback_only:
            hosts = [*LOOPBACK_NAMES, urlsplit(self.settings.base_url).hostname or ""]
            app.add_middleware(HostAllowlist, hosts=hosts)
        app.router.lifespan_context = self._lifespan_around(app.router.lifespan_context)
        install_openapi(app, prefix, self.cookie.name)

    def _lifespan_around(self, app_lifespan: Any) -> Any:
        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[Mapping[str, Any] | None]:
            await upgrade(self.engine, self.migrations)
            for plugin in self.plugins:
                await plugin.start()
            try:
                context: AbstractAsyncContextManager[Mapping[str, Any] | None] = app_lifespan(app)
                async with context as state:
                    settle_after_start()
                    yield state
            finally:
                for plugin in reversed(self.plugins):
                    await plugin.stop()
                await self.revision.close()
                await self.rate_limiter.close()
                await self.engine.dispose()

        return lifespan
