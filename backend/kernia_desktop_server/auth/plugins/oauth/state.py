"""The OAuth `state` (RFC 6749 section 10.12, RFC 9700 section 4.7): random, single-use, short-lived, kept on
the server, and bound to the browser that began the sign-in by a signed HttpOnly cookie."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast
from urllib.parse import quote

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection
from starlette.responses import Response

from kernia_desktop_server.auth.plugins.oauth.models import OAuthState
from kernia_desktop_server.auth.tokens import random_token, sign, token_hash, unsign
from kernia_desktop_server.db import utcnow

STATE_LIFETIME = timedelta(minutes=10)
STATE_COOKIE = "better-auth.oauth_state"


@dataclass(frozen=True)
class StateCookie:
    secret: bytes
    secure: bool
    path: str

    @property
    def name(self) -> str:
        return f"__Secure-{STATE_COOKIE}" if self.secure else STATE_COOKIE

    def write(self, response: Response, binding: str) -> None:
        response.set_cookie(
            self.name,
            quote(sign(binding, self.secret), safe=""),
            max_age=int(STATE_LIFETIME.total_seconds()),
            path=self.path,
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    def read(self, connection: HTTPConnection) -> str | None:
        value = connection.cookies.get(self.name)
        return unsign(value, self.secret) if value else None

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.name, path=self.path, secure=self.secure, httponly=True, samesite="lax")


def new_state(provider_id: str, **fields: str | None) -> tuple[OAuthState, str, str]:
    """A state row with its state value and browser binding, which are only stored hashed."""
    state, binding = random_token(43), random_token(43)
    row = OAuthState(
        state_hash=token_hash(state),
        binding_hash=token_hash(binding),
        provider_id=provider_id,
        code_verifier=random_token(64),
        nonce=random_token(32),
        expires_at=utcnow() + STATE_LIFETIME,
        **fields,
    )
    return row, state, binding


async def sweep_expired(db: AsyncSession) -> None:
    """Removes the rows of flows nobody finished (a closed window, a user who walked away)."""
    await db.execute(delete(OAuthState).where(OAuthState.expires_at <= utcnow()))


async def consume(db: AsyncSession, provider_id: str, state: str | None, binding: str | None) -> OAuthState | None:
    """The flow `state` names, removed so it can never be used again; None when the state is missing, unknown,
    expired, for another provider, or presented by a browser other than the one that began the flow."""
    if not state or not binding:
        return None
    row = await db.scalar(select(OAuthState).where(OAuthState.state_hash == token_hash(state)))
    if row is None or row.provider_id != provider_id:
        return None
    if not hmac.compare_digest(row.binding_hash, token_hash(binding)):
        # Another browser's callback: leave the flow for its own browser.
        return None
    # Deleting decides the race: of two concurrent callbacks with this state, one deletes the row.
    deleted = cast(
        CursorResult[Any], await db.execute(delete(OAuthState).where(OAuthState.state_hash == row.state_hash))
    )
    await db.commit()
    if deleted.rowcount != 1 or row.expires_at <= utcnow():
        return None
    return row
