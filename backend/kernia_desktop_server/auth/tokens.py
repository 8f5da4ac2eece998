"""Random tokens, their stored hashes, and the HMAC signature that makes a token a credential.

A credential is `<token>.<signature>`: the signature is base64 HMAC-SHA256 of the token under the server
secret, the layout Better Auth uses for its signed session cookie and `set-auth-token` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from urllib.parse import unquote

_ALPHABET = string.ascii_letters + string.digits
_SIGNATURE_LENGTH = 44  # base64 of 32 bytes, padded


def random_token(length: int = 32) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signature(value: str, secret: bytes) -> str:
    return base64.b64encode(hmac.new(secret, value.encode(), hashlib.sha256).digest()).decode()


def sign(value: str, secret: bytes) -> str:
    return f"{value}.{_signature(value, secret)}"


def unsign(signed: str, secret: bytes) -> str | None:
    """The token inside a signed credential, or None when it is unsigned, malformed or tampered with."""
    if "%" in signed:
        signed = unquote(signed)
    value, dot, signature = signed.rpartition(".")
    if not dot or not value or len(signature) != _SIGNATURE_LENGTH:
        return None
    if not hmac.compare_digest(signature, _signature(value, secret)):
        return None
    return value
