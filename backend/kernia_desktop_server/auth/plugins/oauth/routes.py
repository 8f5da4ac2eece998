"""The oauth plugin's routes: /sign-in/social, /callback/{provider}, and /providers (which providers a UI can
offer)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import Field

from kernia_desktop_server.auth.deps import AuthDep, Database, verify_origin
from kernia_desktop_server.auth.errors import bad_request
from kernia_desktop_server.auth.plugins.oauth.service import SignInService
from kernia_desktop_server.auth.plugins.oauth.urls import check_redirect_target, with_query
from kernia_desktop_server.auth.wire import RequestBody, WireModel
from kernia_desktop_server.openapi import CROSS_SITE, error_responses

_SCOPE = re.compile(r"[\w:./-]{1,200}")


class SocialSignInBody(RequestBody):
    provider: str = Field(max_length=64)
    callback_url: str | None = Field(default=None, alias="callbackURL", max_length=2048)
    error_callback_url: str | None = Field(default=None, alias="errorCallbackURL", max_length=2048)
    new_user_callback_url: str | None = Field(default=None, alias="newUserCallbackURL", max_length=2048)
    disable_redirect: bool = False
    scopes: list[str] = Field(default_factory=list, max_length=20)


class SocialSignInOut(WireModel):
    url: str
    redirect: bool


class ProviderOut(WireModel):
    id: str
    name: str
    type: str
    available: bool
    reason: str | None


def oauth_routers(sign_ins: SignInService) -> tuple[APIRouter, APIRouter]:
    """The sign-in routes, behind the origin check; and the callback's form_post route, which is not (see there)."""
    router = APIRouter(dependencies=[Depends(verify_origin)])

    @router.get("/providers")
    async def list_providers() -> list[ProviderOut]:
        return [
            ProviderOut(
                id=config.id, name=config.name, type=config.kind, available=not config.problem, reason=config.problem
            )
            for config in sign_ins.providers.configs.values()
        ]

    @router.post("/sign-in/social", responses=error_responses(429))
    async def sign_in_social(
        body: SocialSignInBody, request: Request, response: Response, auth: AuthDep, db: Database
    ) -> SocialSignInOut:
        trusted = auth.trusted_origins
        callback = check_redirect_target(body.callback_url, trusted, "callbackURL") or "/"
        error_callback = check_redirect_target(body.error_callback_url, trusted, "errorCallbackURL")
        new_user_callback = check_redirect_target(body.new_user_callback_url, trusted, "newUserCallbackURL")
        if any(not _SCOPE.fullmatch(scope) for scope in body.scopes):
            raise bad_request("INVALID_SCOPE", "Scopes are words of letters, digits and : . / - _")
        url = await sign_ins.begin(
            auth,
            request,
            response,
            db,
            body.provider,
            callback_url=callback,
            error_callback_url=error_callback,
            new_user_callback_url=new_user_callback,
            scopes=body.scopes,
        )
        return SocialSignInOut(url=url, redirect=not body.disable_redirect)

    # Always a redirect: back to the app, or to its error callback with ?error=.
    @router.get("/callback/{provider_id}", status_code=302, response_class=RedirectResponse)
    async def callback_get(
        provider_id: str,
        request: Request,
        auth: AuthDep,
        db: Database,
        code: str | None = None,
        state: str | None = None,
        error: str | None = None,
    ) -> Response:
        return await sign_ins.callback(auth, request, db, provider_id, {"code": code, "state": state, "error": error})

    # The provider's page posts here from its own origin, so this route has no origin check. That is safe: it
    # changes nothing, only turns the post into a GET on the callback route, which checks the state and the
    # browser's state cookie.
    form_post_router = APIRouter()

    @form_post_router.post(
        "/callback/{provider_id}", status_code=303, response_class=RedirectResponse, openapi_extra={CROSS_SITE: True}
    )
    async def callback_post(
        provider_id: str,
        auth: AuthDep,
        code: str | None = Form(default=None),
        state: str | None = Form(default=None),
        error: str | None = Form(default=None),
    ) -> Response:
        """For providers that answer with response_mode=form_post. A cross-site POST carries no SameSite=Lax
        cookie, so the answer is moved to a GET on the same route, where the state cookie comes along."""
        params = {key: value for key, value in {"code": code, "state": state, "error": error}.items() if value}
        target = with_query(f"{auth.settings.base_url}/callback/{provider_id}", **params)
        return RedirectResponse(target, status_code=303)

    return router, form_post_router
