"""The OpenAPI document as the app answers: every error as {code, message} (400 where FastAPI would declare 422),
the credentials a protected operation takes, and on each operation the statuses that the guards around its route
can answer with. It is read from the document FastAPI makes, so an app's own routes are described as truly as the
auth API's: a route protected by `auth.current_user` says so in its `security`, which the guards' statuses follow.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA = "Error"
# The security schemes the credential dependencies (deps.CredentialScheme) name, and the credentials each takes.
SESSION = "KerniaSession"
CREDENTIAL = "KerniaCredential"
_TAKES = {SESSION: ("bearerToken", "sessionCookie"), CREDENTIAL: ("bearerToken", "sessionCookie", "apiKey")}
# Set on an operation that takes posts from other sites, so that no origin check guards it.
CROSS_SITE = "x-kernia-cross-site"
# Why each status can come, whatever the route itself does.
_WHY = {
    400: "The request is not valid: VALIDATION_ERROR, INVALID_JSON, INVALID_TEXT (text no database can store), "
    "INVALID_HOST, or the route's own code",
    401: "UNAUTHORIZED: no valid session, bearer token or API key",
    403: "INVALID_ORIGIN: a state-changing request from a page this server does not trust",
    404: "Nothing has that id, or the path holds text no database can store",
    413: "PAYLOAD_TOO_LARGE: the body is over the server's limit",
    422: "The request is understood but cannot be done, as its code says",
    429: "TOO_MANY_REQUESTS, with Retry-After",
    503: "DATABASE_UNAVAILABLE: the database cannot be reached; Retry-After says when to try again",
}
_STATE_CHANGING = ("post", "put", "patch", "delete")
# The text a request may carry (middleware.StorableText refuses the rest): no NUL, no lone surrogate.
STORABLE_TEXT = "^[^\\u0000\\uD800-\\uDFFF]*$"
# Any JSON value whose text (strings and keys, at any depth) is storable: what a body's other members may hold,
# since the routes ignore members they do not know, as Better Auth's do.
STORABLE_VALUE = "StorableValue"
_STORABLE_VALUE = {
    "anyOf": [
        {"type": "string", "pattern": STORABLE_TEXT},
        {"type": ["number", "boolean", "null"]},
        {"type": "array", "items": {"$ref": f"#/components/schemas/{STORABLE_VALUE}"}},
        {
            "type": "object",
            "propertyNames": {"pattern": STORABLE_TEXT},
            "additionalProperties": {"$ref": f"#/components/schemas/{STORABLE_VALUE}"},
        },
    ]
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}},
    }


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route whose own answers include these error statuses, as {code, message}."""
    return {status: _error(_WHY[status]) for status in statuses}


def install_openapi(app: FastAPI, auth_path: str, cookie_name: str) -> None:
    """Makes `app.openapi` document the app as described above; `auth_path` is where the auth API is mounted, whose
    state-changing routes check the origin."""
    generate = app.openapi  # FastAPI's own: it keeps the document until the routes change
    rewritten: list[int] = []

    def openapi() -> dict[str, Any]:
        schema = generate()
        if rewritten != [id(schema)]:
            _rewrite(schema, auth_path, cookie_name)
            rewritten[:] = [id(schema)]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _rewrite(schema: dict[str, Any], auth_path: str, cookie_name: str) -> None:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for generated in ("HTTPValidationError", "ValidationError"):
        schemas.pop(generated, None)
    schemas[ERROR_SCHEMA] = {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    }
    schemes = components.setdefault("securitySchemes", {})
    if [schemes.pop(name) for name in (SESSION, CREDENTIAL) if name in schemes]:
        schemes["bearerToken"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "The set-auth-token header's value",
        }
        schemes["sessionCookie"] = {"type": "apiKey", "in": "cookie", "name": cookie_name}
        schemes["apiKey"] = {"type": "apiKey", "in": "header", "name": "x-api-key"}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _document(operation, method, path.startswith(f"{auth_path}/"))
                for parameter in operation.get("parameters", []):
                    _storable(parameter.get("schema", {}))
    for component in schemas.values():
        _storable(component)
        if component.get("type") == "object" and "additionalProperties" not in component:
            component["propertyNames"] = {"pattern": STORABLE_TEXT}
            component["additionalProperties"] = {"$ref": f"#/components/schemas/{STORABLE_VALUE}"}
    schemas[STORABLE_VALUE] = _STORABLE_VALUE


def _storable(schema: Any) -> None:
    """Says of every free-text string in `schema`, at any depth, that it holds only storable text."""
    if isinstance(schema, dict):
        if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & schema.keys():
            schema["pattern"] = STORABLE_TEXT
        for value in schema.values():
            _storable(value)
    elif isinstance(schema, list):
        for value in schema:
            _storable(value)


def _document(operation: dict[str, Any], method: str, in_auth_api: bool) -> None:
    responses: dict[str, Any] = operation["responses"]
    validation = responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if validation.get("$ref", "").endswith("/HTTPValidationError"):
        del responses["422"]
    wanted = {400, 503}
    schemes = [name for requirement in operation.get("security", []) for name in requirement]
    if schemes:
        operation["security"] = [{credential: []} for credential in _TAKES[schemes[0]]]
        wanted.add(401)
    if CREDENTIAL in schemes:
        wanted.add(429)  # an API key over its rate limit
    if method in _STATE_CHANGING and (schemes or in_auth_api) and not operation.pop(CROSS_SITE, False):
        wanted.add(403)
    if any(parameter.get("in") == "path" for parameter in operation.get("parameters", [])):
        wanted.add(404)
    if "requestBody" in operation:
        wanted.add(413)
    for status in sorted(wanted):
        responses.setdefault(str(status), _error(_WHY[status]))
