"""Sign-in with GitHub, Google or any OpenID Connect provider: /sign-in/social, /callback/{provider}, and
/providers (which providers a UI can offer)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.core import Auth, AuthDep, Database
from backend.auth.errors import bad_request
from backend.auth.models import Account, User
from backend.auth.plugin import FinishedSignIn
from backend.auth.plugins.oauth import state as flow_state
from backend.auth.plugins.oauth.protocol import Identity, OAuthFailure, ProviderClient
from backend.auth.plugins.oauth.providers import ProviderConfig
from backend.auth.plugins.oauth.urls import check_redirect_target, with_query
from backend.auth.wire import RequestBody, WireModel

log = logging.getLogger(__name__)
SESSION_COMPLETION = "session"
_ERROR_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

router = APIRouter()


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


class Providers:
    """The configured providers, each with a client made on first use."""

    def __init__(self, configs: list[ProviderConfig]) -> None:
        self.configs = {config.id: config for config in configs}
        self._clients: dict[str, ProviderClient] = {}
        self.http = httpx.AsyncClient(timeout=15.0, follow_redirects=False)

    def client(self, auth: Auth, provider_id: str) -> ProviderClient:
        config = self.configs.get(provider_id)
        if config is None:
            raise bad_request("PROVIDER_NOT_FOUND", f"There is no provider called {provider_id!r}")
        if config.problem:
            raise bad_request("PROVIDER_NOT_CONFIGURED", f"{config.name} sign-in is not set up: {config.problem}")
        if provider_id not in self._clients:
            redirect_uri = f"{auth.settings.base_url}/callback/{provider_id}"
            self._clients[provider_id] = ProviderClient(config, redirect_uri, self.http)
        return self._clients[provider_id]


def providers_of(request: Request) -> Providers:
    return request.app.state.oauth_providers


def state_cookie(auth: Auth) -> flow_state.StateCookie:
    return flow_state.StateCookie(auth.secret, auth.settings.secure_cookies, auth.settings.base_path)


@router.get("/providers")
async def list_providers(request: Request) -> list[ProviderOut]:
    return [
        ProviderOut(
            id=config.id, name=config.name, type=config.kind, available=not config.problem, reason=config.problem
        )
        for config in providers_of(request).configs.values()
    ]


async def begin(
    auth: Auth,
    request: Request,
    response: Response,
    db: AsyncSession,
    provider_id: str,
    *,
    callback_url: str,
    error_callback_url: str | None = None,
    new_user_callback_url: str | None = None,
    scopes: list[str] | None = None,
    completion: str = SESSION_COMPLETION,
    completion_data: dict[str, Any] | None = None,
) -> str:
    """Starts a sign-in: stores its state, binds it to this browser with a cookie on `response`, and returns
    the provider's authorization URL. Redirect targets must already be checked."""
    client = providers_of(request).client(auth, provider_id)
    # Each start stores a row until it expires: a bound on starts is a bound on what one caller can store.
    auth.rate_limiter.hit(
        [f"provider-sign-in:address:{auth.client_address(request)}"], auth.settings.rate_limit_auth_max
    )
    row, state, binding = flow_state.new_state(
        provider_id,
        callback_url=callback_url,
        error_callback_url=error_callback_url,
        new_user_callback_url=new_user_callback_url,
        completion=completion,
        completion_data=json.dumps(completion_data or {}),
    )
    try:
        url = await client.authorization_url(state, row.code_verifier, row.nonce, scopes or [])
    except OAuthFailure as failure:
        raise bad_request("PROVIDER_UNAVAILABLE", f"{client.config.name} cannot be reached right now") from failure
    await flow_state.sweep_expired(db)
    db.add(row)
    await db.commit()
    state_cookie(auth).write(response, binding)
    return url


@router.post("/sign-in/social")
async def sign_in_social(
    body: SocialSignInBody, request: Request, response: Response, auth: AuthDep, db: Database
) -> SocialSignInOut:
    trusted = auth.trusted_origins
    callback = check_redirect_target(body.callback_url, trusted, "callbackURL") or "/"
    error_callback = check_redirect_target(body.error_callback_url, trusted, "errorCallbackURL")
    new_user_callback = check_redirect_target(body.new_user_callback_url, trusted, "newUserCallbackURL")
    if any(not re.fullmatch(r"[\w:./-]{1,200}", scope) for scope in body.scopes):
        raise bad_request("INVALID_SCOPE", "Scopes are words of letters, digits and : . / - _")
    url = await begin(
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


def error_redirect(auth: Auth, target: str | None, code: str) -> RedirectResponse:
    code = code if _ERROR_CODE.fullmatch(code) else "unknown_error"
    return RedirectResponse(with_query(target or f"{auth.settings.base_url}/error", error=code), status_code=302)


async def find_or_create_user(db: AsyncSession, provider_id: str, identity: Identity) -> tuple[User, bool]:
    """The user this identity signs in as, linking or creating as needed; a new account says so."""
    linked = await db.scalar(
        select(User)
        .join(Account, Account.user_id == User.id)
        .where(Account.provider_id == provider_id, Account.account_id == identity.account_id)
    )
    if linked is not None:
        return linked, False
    if not identity.email:
        raise OAuthFailure("email_not_found", "the provider shared no email address")
    email = identity.email.strip().lower()
    user = await db.scalar(select(User).where(User.email == email))
    is_new = user is None
    if user is None:
        user = User(
            name=identity.name or email, email=email, email_verified=identity.email_verified, image=identity.image
        )
        db.add(user)
        await db.flush()
    elif not identity.email_verified:
        # An unverified address proves nothing: linking it would hand the account to whoever typed it.
        raise OAuthFailure("unable_to_link_account", "the provider has not verified this email address")
    db.add(Account(user_id=user.id, provider_id=provider_id, account_id=identity.account_id))
    await db.flush()
    return user, is_new


async def complete_with_session(auth: Auth, request: Request, db: AsyncSession, finished: FinishedSignIn) -> Response:
    target = (finished.is_new_user and finished.new_user_callback_url) or finished.callback_url
    response = RedirectResponse(target, status_code=302)
    await auth.open_session(db, request, response, finished.user)
    return response


async def callback(
    request: Request, provider_id: str, params: dict[str, str | None], auth: Auth, db: AsyncSession
) -> Response:
    cookie = state_cookie(auth)
    row = await flow_state.consume(db, provider_id, params.get("state"), cookie.read(request))
    if row is None:
        response: Response = error_redirect(auth, None, "state_mismatch")
    elif params.get("error"):
        response = error_redirect(auth, row.error_callback_url, params["error"] or "")
    else:
        response = await _finish(auth, request, db, row, params.get("code"))
    cookie.clear(response)
    return response


async def _finish(auth: Auth, request: Request, db: AsyncSession, row: Any, code: str | None) -> Response:
    completions = {SESSION_COMPLETION: complete_with_session}
    for plugin in auth.plugins:
        completions.update(plugin.sign_in_completions)
    try:
        if not code:
            raise OAuthFailure("invalid_code", "the callback carries no code")
        client = providers_of(request).client(auth, row.provider_id)
        tokens = await client.exchange(code, row.code_verifier)
        identity = await client.identity(tokens, row.nonce)
        user, is_new = await find_or_create_user(db, row.provider_id, identity)
        finished = FinishedSignIn(
            user, is_new, row.callback_url, row.new_user_callback_url, json.loads(row.completion_data)
        )
        return await completions[row.completion](auth, request, db, finished)
    except OAuthFailure as failure:
        log.info("sign-in with %s failed: %s", row.provider_id, failure)
        await db.rollback()
        return error_redirect(auth, row.error_callback_url, failure.code)
    except Exception:
        # The browser is in the middle of a redirect chain (often in a sign-in window): it must land on the
        # error callback, not on a JSON error body.
        log.exception("sign-in with %s failed on the server", row.provider_id)
        await db.rollback()
        return error_redirect(auth, row.error_callback_url, "internal_server_error")


@router.get("/callback/{provider_id}")
async def callback_get(
    provider_id: str,
    request: Request,
    auth: AuthDep,
    db: Database,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    return await callback(request, provider_id, {"code": code, "state": state, "error": error}, auth, db)


# The provider's page posts here from its own origin, so this route is mounted without the origin check
# (backend.app). That is safe: it changes nothing, only turns the post into a GET on the callback route,
# which checks the state and the browser's state cookie.
form_post_router = APIRouter()


@form_post_router.post("/callback/{provider_id}")
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
    return RedirectResponse(with_query(f"{auth.settings.base_url}/callback/{provider_id}", **params), status_code=303)
