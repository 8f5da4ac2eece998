"""create_app(settings): the auth API, the app's API and their error handling, on one FastAPI app."""

from __future__ import annotations

import ctypes
import gc
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount
from starlette.types import Scope

from backend.api import notes
from backend.auth.core import AUTH_TOKEN_HEADER, Auth
from backend.auth.errors import AuthError
from backend.auth.plugin import Plugin
from backend.auth.plugins import api_keys, desktop, email_password, oauth
from backend.auth.plugins.oauth.providers import ProviderConfig, providers_from_environment
from backend.auth.plugins.oauth.routes import Providers
from backend.db import create_engine
from backend.db.migrate import upgrade
from backend.middleware import BodySizeLimit, HostAllowlist
from backend.settings import Settings

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
RENDERER_DIR = Path(__file__).parent / "renderer"


class FallbackMount(Mount):
    """A mount that yields to every other route: a path that an API route serves by another method keeps that
    route's 405, where a plain mount at `/` would answer 404 for it."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        return (Match.PARTIAL if match is Match.FULL else match), child_scope


def default_plugins() -> list[Plugin]:
    return [email_password.plugin, api_keys.plugin, oauth.plugin, desktop.plugin]


def create_app(
    settings: Settings | None = None,
    plugins: Sequence[Plugin] | None = None,
    providers: Sequence[ProviderConfig] | None = None,
) -> FastAPI:
    """`providers` defaults to those configured in the environment (KERNIA_GITHUB_*, KERNIA_OIDC_<ID>_*...)."""
    settings = settings or Settings()
    engine = create_engine(settings.database)
    auth = Auth(settings, engine, default_plugins() if plugins is None else plugins)
    oauth_providers = Providers(list(providers_from_environment(os.environ) if providers is None else providers))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await upgrade(engine, [plugin.migrations for plugin in auth.plugins if plugin.migrations])
        # Everything made so far (modules, mappers, models) lives as long as the process: out of the collector's
        # reach, a full collection under load no longer walks it, which was most of the latency tail (p99).
        gc.freeze()
        return_freed_memory()
        yield
        await oauth_providers.http.aclose()
        await auth.revision.close()
        await engine.dispose()

    app = FastAPI(title="Kernia Desktop", lifespan=lifespan)
    app.state.auth = auth
    app.state.oauth_providers = oauth_providers
    app.include_router(auth.router(), prefix=settings.base_path)
    if oauth.plugin in auth.plugins:
        # Posted to from the provider's page, so outside the auth router's origin check (see the route).
        app.include_router(oauth.form_post_router, prefix=settings.base_path)
    app.include_router(notes.router, prefix="/api")
    # The desktop renderer, at the root; mounted last, so that it never shadows an API route.
    app.router.routes.append(FallbackMount("/", StaticFiles(directory=RENDERER_DIR, html=True), name="renderer"))
    install_error_handlers(app)

    app.add_middleware(
        CORSMiddleware,
        allow_origins=sorted(auth.trusted_origins),
        allow_credentials=True,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["authorization", "content-type", "x-api-key"],
        expose_headers=[AUTH_TOKEN_HEADER],
    )
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    if settings.loopback_only:
        app.add_middleware(HostAllowlist, hosts=[*LOOPBACK_NAMES, urlsplit(settings.base_url).hostname or ""])
    return app


def return_freed_memory() -> None:
    """Hands back to the OS the memory that starting up used and freed (import-time objects, schema building).
    glibc keeps freed pages in its arenas until it is asked to trim them; other C libraries have no such call."""
    malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None) if sys.platform == "linux" else None
    if malloc_trim is not None:
        malloc_trim(0)


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as `{code, message}` with its status, never as a stack trace or HTML."""

    @app.exception_handler(AuthError)
    async def auth_error(_request: Request, error: AuthError) -> JSONResponse:
        return JSONResponse({"code": error.code, "message": error.message}, error.status, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = error.errors()
        if any(problem.get("type") == "json_invalid" for problem in problems):
            return JSONResponse({"code": "INVALID_JSON", "message": "The request body is not valid JSON"}, 400)
        first = problems[0] if problems else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = f"{where}: {first.get('msg', 'invalid value')}" if where else first.get("msg", "invalid request")
        return JSONResponse({"code": "VALIDATION_ERROR", "message": message}, 400)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, error: HTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(error.status_code, "HTTP_ERROR")
        return JSONResponse({"code": code, "message": str(error.detail)}, error.status_code, error.headers)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, _error: Exception) -> JSONResponse:
        return JSONResponse({"code": "INTERNAL_SERVER_ERROR", "message": "Something went wrong on the server"}, 500)
