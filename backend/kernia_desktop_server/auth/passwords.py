"""Password hashing with argon2id; verification costs the same whether or not the account exists."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _decoy_hash() -> str:
    """Verified against when the email is unknown, so a sign-in's timing does not tell whether it exists.
    Made on first use: an argon2 hash at import would delay every start of the app's bundled backend."""
    return _hasher.hash("decoy password that matches nothing")


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow: keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _decoy_hash(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)
