"""Password hashing: argon2id with the configured costs, on a bounded pool of the lowest-priority threads."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from argon2 import extract_parameters

from kernia_desktop_server.auth.passwords import HASHING_NICENESS, Passwords


def _nice_level(native_id: int) -> int:
    # /proc/<pid>/task/<tid>/stat: the fields after the command's closing parenthesis; nice is the 19th field.
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


async def test_a_hash_has_the_configured_costs_and_checks_only_its_password() -> None:
    passwords = Passwords(time_cost=2, memory_cost=8 * 1024, parallelism=1, threads=1)
    try:
        password_hash = await passwords.hash("correct horse battery")
        parameters = extract_parameters(password_hash)
        assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (2, 8 * 1024, 1)
        assert await passwords.verify(password_hash, "correct horse battery")
        assert not await passwords.verify(password_hash, "wrong horse battery")
        assert not await passwords.verify("not a hash", "correct horse battery")
        # No account: checked against a decoy, and never a match, whatever the password.
        assert not await passwords.verify(None, "decoy password that matches nothing")
    finally:
        passwords.close()


async def test_hashes_run_at_most_threads_at_once_at_the_lowest_priority() -> None:
    passwords = Passwords(time_cost=1, memory_cost=8 * 1024, parallelism=1, threads=2)
    try:
        await asyncio.gather(*(passwords.hash(f"password {n}") for n in range(8)))
        hashing = [thread for thread in threading.enumerate() if thread.name.startswith("argon2")]
        assert len(hashing) == 2
        assert all(_nice_level(thread.native_id or 0) == HASHING_NICENESS for thread in hashing)
        # The caller's own thread keeps its priority.
        assert _nice_level(threading.get_native_id()) == 0
    finally:
        passwords.close()
