"""The sign-in service of the oauth plugin: it begins a provider sign-in, links the provider's identity to an
account, and finishes the sign-in with a completion (a session and a redirect by default). Other plugins use it
through its service object: the desktop plugin begins sign-ins whose completion is a hand-off code."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernia_desktop_server.auth.core import Auth
from kernia_desktop_server.auth.errors import bad_request
from kernia_desktop_server.auth.models import Account, User
from kernia_desktop_server.auth.plugins.oauth import state as flow_state
from kernia_desktop_server.auth.plugins.oauth.models import OAuthState
from kernia_desktop_server.auth.plugins.oauth.protocol import Identity, OAuthFailure
from kernia_desktop_server.auth.plugins.oauth.registry import ProviderRegistry
from kernia_desktop_server.auth.plugins.oauth.urls import with_query

log = logging.getLogger(__name__)
SESSION_COMPLETION = "session"
_ERROR_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class FinishedSignIn:
    """A provider sign-in that succeeded: whose it is, and what its flow asked for when it began."""

    user: User
    is_new_user: bool
    callback_url: str
    new_user_callback_url: str | None
    data: Mapping[str, Any]


# Builds the response that ends a successful provider sign-in.
SignInCompletion = Callable[[Auth, Request, AsyncSession, FinishedSignIn], Awaitable[Response]]


def state_cookie(auth: Auth) -> flow_state.StateCookie:
    return flow_state.StateCookie(auth.secret, auth.settings.secure_cookies, auth.settings.base_path)


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


class SignInService:
    def __init__(self, providers: ProviderRegistry) -> None:
        self.providers = providers
        self._completions: dict[str, SignInCompletion] = {SESSION_COMPLETION: complete_with_session}

    def add_completion(self, name: str, completion: SignInCompletion) -> None:
        """Lets sign-ins begun with `completion=name` end with `completion` instead of a session cookie."""
        self._completions[name] = completion

    async def begin(
        self,
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
        client = self.providers.client(provider_id)
        # Each start stores a row until it expires: a bound on starts is a bound on what one caller can store.
        await auth.rate_limiter.hit(
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

    async def callback(
        self, auth: Auth, request: Request, db: AsyncSession, provider_id: str, params: dict[str, str | None]
    ) -> Response:
        """Ends the sign-in a provider's callback belongs to: with its completion, or a redirect with ?error=."""
        cookie = state_cookie(auth)
        row = await flow_state.consume(db, provider_id, params.get("state"), cookie.read(request))
        if row is None:
            response: Response = error_redirect(auth, None, "state_mismatch")
        elif params.get("error"):
            response = error_redirect(auth, row.error_callback_url, params["error"] or "")
        else:
            response = await self._finish(auth, request, db, row, params.get("code"))
        cookie.clear(response)
        return response

    async def _finish(
        self, auth: Auth, request: Request, db: AsyncSession, row: OAuthState, code: str | None
    ) -> Response:
        try:
            if not code:
                raise OAuthFailure("invalid_code", "the callback carries no code")
            client = self.providers.client(row.provider_id)
            tokens = await client.exchange(code, row.code_verifier)
            identity = await client.identity(tokens, row.nonce)
            user, is_new = await find_or_create_user(db, row.provider_id, identity)
            finished = FinishedSignIn(
                user, is_new, row.callback_url, row.new_user_callback_url, json.loads(row.completion_data)
            )
            return await self._completions[row.completion](auth, request, db, finished)
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
