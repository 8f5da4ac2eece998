"""The one dependency that says who calls a protected route: session cookie, bearer token or API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from backend.auth.core import AuthDep, Principal
from backend.auth.errors import unauthorized
from backend.auth.origins import check_origin


async def require_principal(request: Request, auth: AuthDep) -> Principal:
    # Checked against the auth revision on every request: a revoked session or deleted key fails at once.
    principal = await auth.authenticate(request)
    if principal is None:
        raise unauthorized("A valid session, bearer token or API key is required")
    if principal.via == "cookie":
        # A cookie rides along on forged cross-site requests; bearer tokens and API keys do not.
        check_origin(request, request.method, auth.trusted_origins)
    return principal


Caller = Annotated[Principal, Depends(require_principal)]
