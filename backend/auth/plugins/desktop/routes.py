"""The desktop hand-off: the shell opens /desktop/authorize in a window (or the system browser), the provider
sign-in runs as usual, and instead of a session cookie the browser is sent to the shell's redirect URI with a
single-use code, which the shell trades for a session at /desktop/token with its PKCE verifier."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.core import Auth, AuthDep, Database
from backend.auth.models import User
from backend.auth.plugin import FinishedSignIn
from backend.auth.plugins.desktop import grants
from backend.auth.plugins.oauth.routes import begin
from backend.auth.plugins.oauth.urls import with_query
from backend.auth.wire import RequestBody, UserOut, WireModel
from backend.channels import DEFAULT_CHANNEL

DESKTOP_COMPLETION = "desktop"

router = APIRouter(prefix="/desktop")


class TokenBody(RequestBody):
    code: str = Field(max_length=128)
    code_verifier: str = Field(max_length=128)
    # Shells from before update channels send none: they are stable builds.
    channel: str = Field(default=DEFAULT_CHANNEL, max_length=32)


class TokenOut(WireModel):
    token: str
    user: UserOut


@router.get("/authorize")
async def authorize(
    request: Request,
    auth: AuthDep,
    db: Database,
    provider: str = Query(max_length=64),
    code_challenge: str = Query(max_length=128),
    code_challenge_method: str = Query(max_length=16),
    redirect_uri: str = Query(max_length=2048),
    state: str = Query(min_length=16, max_length=256),
    channel: str = Query(default=DEFAULT_CHANNEL, max_length=32),
) -> Response:
    """Begins a provider sign-in for a shell of update channel `channel`; every later failure goes back to the
    shell as ?error=."""
    challenge = grants.check_challenge(code_challenge, code_challenge_method)
    target = grants.check_redirect_uri(redirect_uri, channel, auth.settings.desktop_callbacks)
    response = RedirectResponse("", status_code=302)
    url = await begin(
        auth,
        request,
        response,
        db,
        provider,
        callback_url=target,
        error_callback_url=with_query(target, state=state),
        completion=DESKTOP_COMPLETION,
        completion_data={"code_challenge": challenge, "state": state, "channel": channel},
    )
    response.headers["location"] = url
    return response


async def complete_with_grant(auth: Auth, request: Request, db: AsyncSession, finished: FinishedSignIn) -> Response:
    code = await grants.issue(db, finished.user, finished.data["code_challenge"], finished.data["channel"])
    await db.commit()
    return RedirectResponse(with_query(finished.callback_url, code=code, state=finished.data["state"]), status_code=302)


@router.post("/token")
async def token(body: TokenBody, request: Request, response: Response, auth: AuthDep, db: Database) -> TokenOut:
    user_id = await grants.redeem(db, body.code, body.code_verifier, body.channel)
    user = await db.scalar(select(User).where(User.id == user_id))
    if user is None:
        raise grants.invalid_grant()
    active = await auth.open_session(db, request, response, user)
    return TokenOut(token=auth.credential(active), user=UserOut.model_validate(user))


@router.get("/callback", response_class=HTMLResponse)
@router.get("/callback/{channel}", response_class=HTMLResponse)
async def callback_page() -> HTMLResponse:
    """Where the embedded window is sent; the shell stops that navigation, so a person sees this page only if
    they opened the link outside the app."""
    return HTMLResponse(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Kernia Desktop</title></head>"
        "<body style='font:16px system-ui;margin:4rem auto;max-width:30rem'>"
        "<h1>Return to Kernia Desktop</h1><p>This sign-in continues in the app. You can close this page.</p>"
        "</body></html>"
    )
