"""The core routes: reading, listing and ending sessions, and the health and error pages."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from kernia_desktop_server.auth.deps import AuthDep, CurrentSession, verify_origin
from kernia_desktop_server.auth.errors import not_found
from kernia_desktop_server.auth.tokens import token_hash, unsign
from kernia_desktop_server.auth.wire import RequestBody, SessionOut, SessionWithUser, StatusOut, SuccessOut
from kernia_desktop_server.openapi import error_responses

router = APIRouter(dependencies=[Depends(verify_origin)])


@router.get("/get-session")
async def get_session(request: Request, response: Response, auth: AuthDep) -> SessionWithUser | None:
    response.headers["Cache-Control"] = "no-store"
    presented = auth.presented_token(request)
    active = await auth.sessions.find(presented[1]) if presented else None
    if active is None:
        if auth.cookie.read(request):
            auth.cookie.clear(response)
        return None
    if active.refreshed:
        auth.issue(response, active)
    return SessionWithUser.of(active.session, active.user)


@router.post("/sign-out")
async def sign_out(request: Request, response: Response, auth: AuthDep) -> SuccessOut:
    """Ends the presented session, if any, and clears the cookie; succeeds either way, as Better Auth does."""
    auth.cookie.clear(response)
    presented = auth.presented_token(request)
    if presented is not None:
        active = await auth.sessions.find(presented[1])
        if active is not None:
            await auth.sessions.revoke(active.user.id, active.token)
    return SuccessOut(success=True)


@router.get("/list-sessions")
async def list_sessions(auth: AuthDep, current: CurrentSession) -> list[SessionOut]:
    return [SessionOut.of(session) for session in await auth.sessions.list_for_user(current.user.id)]


class RevokeSessionBody(RequestBody):
    token: str


@router.post("/revoke-session", responses=error_responses(404))
async def revoke_session(
    body: RevokeSessionBody, response: Response, auth: AuthDep, current: CurrentSession
) -> StatusOut:
    handle = unsign(body.token, auth.secret) or body.token
    if not await auth.sessions.revoke(current.user.id, handle):
        raise not_found("SESSION_NOT_FOUND", "No session of yours has that token")
    if handle in (current.token, token_hash(current.token)):
        auth.cookie.clear(response)
    return StatusOut(status=True)


@router.post("/revoke-sessions")
async def revoke_sessions(response: Response, auth: AuthDep, current: CurrentSession) -> StatusOut:
    await auth.sessions.revoke_all(current.user.id)
    auth.cookie.clear(response)
    return StatusOut(status=True)


@router.post("/revoke-other-sessions")
async def revoke_other_sessions(auth: AuthDep, current: CurrentSession) -> StatusOut:
    await auth.sessions.revoke_all(current.user.id, keep_token=current.token)
    return StatusOut(status=True)


@router.get("/ok")
async def ok() -> dict[str, bool]:
    return {"ok": True}


ERROR_DESCRIPTIONS = {
    "state_mismatch": "The sign-in could not be verified: it was started elsewhere, took too long, or was "
    "already used. Start the sign-in again.",
    "access_denied": "Access was denied at the provider, so you were not signed in.",
    "unable_to_link_account": "This sign-in could not be linked to an existing account.",
    "internal_server_error": "Something went wrong on the server. Try again in a moment.",
}


@router.get("/error", response_class=HTMLResponse)
async def error_page(error: str = "unknown_error", error_description: str | None = None) -> HTMLResponse:
    code = error[:100]
    description = ERROR_DESCRIPTIONS.get(code) or error_description or "The request could not be completed."
    title = code.replace("_", " ").capitalize()
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2933}}
h1{{font-size:1.4rem}}code{{background:#eef2f6;padding:.1rem .35rem;border-radius:4px}}</style></head>
<body><h1>{escape(title)}</h1><p>{escape(description[:500])}</p><p>Error code: <code>{escape(code)}</code></p>
</body></html>"""
    return HTMLResponse(page)
