"""The desktop hand-off: the shell opens /desktop/authorize in a window (or the system browser), the provider
sign-in runs as usual, and instead of a session cookie the browser is sent to the shell's redirect URI with a
single-use code, which the shell trades for a session at /desktop/token with its PKCE verifier."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernia_desktop_server.auth.core import Auth
from kernia_desktop_server.auth.deps import AuthDep, Database, verify_origin
from kernia_desktop_server.auth.models import User
from kernia_desktop_server.auth.plugins.desktop import grants
from kernia_desktop_server.auth.plugins.oauth.service import FinishedSignIn, SignInService
from kernia_desktop_server.auth.plugins.oauth.urls import with_query
from kernia_desktop_server.auth.wire import RequestBody, UserOut, WireModel
from kernia_desktop_server.channels import DEFAULT_CHANNEL
from kernia_desktop_server.openapi import error_responses

DESKTOP_COMPLETION = "desktop"


class TokenBody(RequestBody):
    code: str = Field(max_length=128)
    code_verifier: str = Field(max_length=128)
    # Shells from before update channels send none: they are stable builds.
    channel: str = Field(default=DEFAULT_CHANNEL, max_length=32)


class TokenOut(WireModel):
    token: str
    user: UserOut


async def complete_with_grant(auth: Auth, request: Request, db: AsyncSession, finished: FinishedSignIn) -> Response:
    """Ends a provider sign-in begun at /desktop/authorize: a hand-off code, sent to the shell's redirect URI."""
    code = await grants.issue(db, finished.user, finished.data["code_challenge"], finished.data["channel"])
    await db.commit()
    return RedirectResponse(with_query(finished.callback_url, code=code, state=finished.data["state"]), status_code=302)


def desktop_router(sign_ins: SignInService, callbacks: dict[str, str]) -> APIRouter:
    """The hand-off routes for the update channels in `callbacks` (each channel's callback URL, by name)."""
    router = APIRouter(prefix="/desktop", dependencies=[Depends(verify_origin)])

    @router.get("/authorize", status_code=302, response_class=RedirectResponse, responses=error_responses(429))
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
        target = grants.check_redirect_uri(redirect_uri, channel, callbacks)
        response = RedirectResponse("", status_code=302)
        url = await sign_ins.begin(
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

    @router.post("/token")
    async def token(body: TokenBody, request: Request, response: Response, auth: AuthDep, db: Database) -> TokenOut:
        user_id = await grants.redeem(db, body.code, body.code_verifier, body.channel)
        user = await db.scalar(select(User).where(User.id == user_id))
        if user is None:
            raise grants.invalid_grant()
        active = await auth.open_session(db, request, response, user)
        return TokenOut(token=auth.credential(active), user=UserOut.model_validate(user))

    @router.get("/callback", response_class=HTMLResponse)
    async def callback_page() -> HTMLResponse:
        """Where the embedded window is sent; the shell stops that navigation, so a person sees this page only if
        they opened the link outside the app."""
        return return_to_the_app()

    @router.get("/callback/{channel}", response_class=HTMLResponse)
    async def channel_callback_page(channel: str) -> HTMLResponse:
        """The callback page of one update channel (they are all the same page)."""
        return return_to_the_app()

    return router


def return_to_the_app() -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Sign-in</title></head>"
        "<body style='font:16px system-ui;margin:4rem auto;max-width:30rem'>"
        "<h1>Return to the app</h1><p>This sign-in continues in the app. You can close this page.</p>"
        "</body></html>"
    )
