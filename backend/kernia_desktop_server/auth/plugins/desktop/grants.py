"""Single-use hand-off codes bound to a PKCE S256 challenge (RFC 7636), and the redirect targets they may
travel to: the app's own callback page for the embedded window, a loopback port for the system browser
(RFC 8252 section 7.3)."""

from __future__ import annotations

import hmac
import re
from datetime import timedelta
from urllib.parse import urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kernia_desktop_server.auth.errors import ApiError, bad_request
from kernia_desktop_server.auth.models import User
from kernia_desktop_server.auth.plugins.desktop.models import DesktopGrant
from kernia_desktop_server.auth.tokens import random_token, token_hash
from kernia_desktop_server.db import utcnow
from kernia_desktop_server.settings import origin_of

GRANT_LIFETIME = timedelta(seconds=60)
# RFC 7636 section 4.2: the S256 challenge is base64url of a SHA-256 digest, 43 characters.
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def invalid_grant() -> ApiError:
    return bad_request("INVALID_GRANT", "The sign-in code is invalid, was already used, or has expired")


def check_challenge(challenge: str, method: str) -> str:
    if method != "S256":
        raise bad_request("INVALID_CODE_CHALLENGE_METHOD", "Only the S256 code challenge method is accepted")
    if not _CHALLENGE.fullmatch(challenge):
        raise bad_request("INVALID_CODE_CHALLENGE", "The code challenge must be an S256 challenge (43 characters)")
    return challenge


def check_redirect_uri(redirect_uri: str, channel: str, callbacks: dict[str, str]) -> str:
    """The channel's own callback for the embedded window, or http://127.0.0.1:<port>/<path> for the system
    browser; nothing else, and never another channel's callback."""
    if channel not in callbacks:
        raise bad_request("UNKNOWN_CHANNEL", f"This server has no desktop channel named {channel[:32]!r}")
    if redirect_uri == callbacks[channel]:
        return redirect_uri
    parts = urlsplit(redirect_uri)
    try:
        port = parts.port
    except ValueError:
        port = None
    loopback = (
        parts.scheme == "http"
        and parts.hostname == "127.0.0.1"
        and parts.netloc == f"127.0.0.1:{port}"
        and port is not None
        and not parts.fragment
        # A loopback port that serves a channel's callback (a bundled backend's, or a server run on 127.0.0.1)
        # is not a shell's one-shot listener: any path there, such as .../callback/stable/../beta, could
        # reach another channel's callback.
        and origin_of(redirect_uri) not in {origin_of(callback) for callback in callbacks.values()}
    )
    if not loopback:
        raise bad_request(
            "INVALID_REDIRECT_URI",
            f"The redirect URI must be the {channel} channel's callback or http://127.0.0.1:<port>/<path>",
        )
    return redirect_uri


async def issue(db: AsyncSession, user: User, code_challenge: str, channel: str) -> str:
    """Adds a grant for `channel` to `db`'s transaction and returns its code, which is stored only as a hash."""
    code = random_token(43)
    db.add(
        DesktopGrant(
            code_hash=token_hash(code),
            user_id=user.id,
            code_challenge=code_challenge,
            channel=channel,
            expires_at=utcnow() + GRANT_LIFETIME,
        )
    )
    await db.flush()
    return code


async def redeem(db: AsyncSession, code: str, code_verifier: str, channel: str) -> str:
    """The user id a code was issued for. The grant is deleted first, whatever follows: of two concurrent
    exchanges only one deletes it, and a wrong verifier or another channel's build burns the code."""
    if not _VERIFIER.fullmatch(code_verifier):
        raise bad_request("INVALID_CODE_VERIFIER", "The code verifier must be 43 to 128 unreserved characters")
    deleted = await db.execute(
        delete(DesktopGrant)
        .where(DesktopGrant.code_hash == token_hash(code))
        .returning(DesktopGrant.user_id, DesktopGrant.code_challenge, DesktopGrant.expires_at, DesktopGrant.channel)
    )
    row = deleted.first()
    await db.commit()
    if row is None:
        raise invalid_grant()
    user_id, challenge, expires_at, issued_for = row
    if expires_at <= utcnow() or not hmac.compare_digest(issued_for, channel):
        raise invalid_grant()
    if not hmac.compare_digest(create_s256_code_challenge(code_verifier), challenge):
        raise invalid_grant()
    return user_id
