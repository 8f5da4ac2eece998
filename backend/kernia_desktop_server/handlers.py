"""Every error leaves as `{code, message}` with its status, never as a stack trace or HTML."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from kernia_desktop_server.auth.errors import ApiError


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route serves the request's path with. A path served by several routes (one per method)
    would otherwise name only the first route's in a 405's Allow."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> JSONResponse:
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
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(error.status_code, "HTTP_ERROR")
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(app, request))
        return JSONResponse({"code": code, "message": str(error.detail)}, error.status_code, headers)

    # Every other exception: middleware.ErrorBoundary.
