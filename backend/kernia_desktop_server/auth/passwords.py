"""Password hashing with argon2id, on a small pool of threads of its own; checking costs the same whether or not
the account exists."""

from __future__ import annotations

import asyncio
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# A hashing thread's Linux nice level, the lowest priority: a storm of sign-ins slows sign-ins, not every other
# request of the process, nor of the other workers on the machine (make bench, the load test).
HASHING_NICENESS = 19


def default_threads() -> int:
    """One per core: at their lower priority, hashes take only the CPU time that other requests leave unused."""
    return os.cpu_count() or 1


def _lower_priority() -> None:
    # On Linux a thread is scheduled on its own, and takes a nice level of its own.
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, 0, HASHING_NICENESS)


class Passwords:
    def __init__(self, time_cost: int, memory_cost: int, parallelism: int, threads: int) -> None:
        """`memory_cost` in KiB; `threads`: how many hashes run at once, the others wait their turn."""
        self._argon2 = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="argon2", initializer=_lower_priority)

    @cached_property
    def _decoy_hash(self) -> str:
        """Checked against when the email is unknown, so a sign-in's timing does not tell whether it exists. Made
        on first use: an argon2 hash at start-up would delay every start of the app's bundled backend."""
        return self._argon2.hash("decoy password that matches nothing")

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._argon2.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        def verify() -> bool:
            try:
                return self._argon2.verify(password_hash or self._decoy_hash, password) and password_hash is not None
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.get_running_loop().run_in_executor(self._pool, verify)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
