"""Fixed-window rate limits, counted per client address and per account: in PostgreSQL when the server runs on it,
so that a limit holds across workers and instances, else in the process."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.requests import HTTPConnection

from kernia_desktop_server.auth.errors import ApiError
from kernia_desktop_server.settings import Settings


def client_address(connection: HTTPConnection, trusted_proxies: Iterable[str]) -> str:
    """The caller's address. X-Forwarded-For counts only when the peer is a trusted proxy, and then the
    nearest address in it that is not itself a trusted proxy."""
    peer = connection.client.host if connection.client else "unknown"
    networks = [ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies]
    if not networks or not _in_networks(peer, networks):
        return peer
    hops = [hop.strip() for hop in connection.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in_networks(hop, networks):
            return hop
    return hops[0] if hops else peer


def _in_networks(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class RateLimiter(Protocol):
    async def hit(self, keys: Iterable[str], limit: int) -> None:
        """Counts one request against every key; raises 429 once any of them is over `limit` in its window."""
        ...

    async def close(self) -> None: ...


def too_many(retry_after: float) -> ApiError:
    seconds = str(max(1, math.ceil(retry_after)))
    return ApiError(
        429,
        "TOO_MANY_REQUESTS",
        f"Too many requests. Try again in {seconds} seconds.",
        headers={"Retry-After": seconds, "X-Retry-After": seconds},
    )


class Unlimited:
    """Rate limits turned off (KERNIA_RATE_LIMIT_ENABLED=false)."""

    async def hit(self, keys: Iterable[str], limit: int) -> None:
        return None

    async def close(self) -> None:
        return None


class MemoryRateLimiter:
    """Fixed windows counted in the process: exact for one process (the desktop app's bundled backend); with N
    workers on a database other than PostgreSQL, a client gets up to N times each limit."""

    def __init__(self, window: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    async def hit(self, keys: Iterable[str], limit: int) -> None:
        now = self._clock()
        retry_after = 0.0
        for key in keys:
            started, count = self._windows.get(key, (now, 0))
            if now - started >= self.window:
                started, count = now, 0
            self._windows[key] = (started, count + 1)
            if count + 1 > limit:
                retry_after = max(retry_after, started + self.window - now)
        if len(self._windows) > 100_000:
            self._windows = {key: value for key, value in self._windows.items() if now - value[0] < self.window}
        if retry_after:
            raise too_many(retry_after)

    async def close(self) -> None:
        return None


# One fixed window per key, counted in the database's clock: one row, moved on in one statement, whichever worker
# or instance counts.
_COUNT = text(
    """
INSERT INTO rate_limits AS counted (key, window_start, hits) VALUES (:key, now(), 1)
ON CONFLICT (key) DO UPDATE SET
    window_start = CASE WHEN counted.window_start <= now() - make_interval(secs => :window)
                        THEN now() ELSE counted.window_start END,
    hits = CASE WHEN counted.window_start <= now() - make_interval(secs => :window)
                THEN 1 ELSE counted.hits + 1 END
RETURNING counted.hits, EXTRACT(EPOCH FROM counted.window_start + make_interval(secs => :window) - now())
"""
)
_FORGET = text("DELETE FROM rate_limits WHERE window_start <= now() - make_interval(secs => :window)")
# Counts between two sweeps of the windows that have ended.
_SWEEP_EVERY = 1000


class PostgresRateLimiter:
    """Counts in PostgreSQL, so a limit holds across workers and instances. The counts are committed without waiting
    for the disk (a count lost in a crash costs a client one request), on an engine of their own. A key is stored as
    its SHA-256: the table keeps no email address or client address that was tried."""

    def __init__(self, window: int, engine: AsyncEngine) -> None:
        self.window = window
        self._engine = create_async_engine(
            engine.url,
            isolation_level="AUTOCOMMIT",
            pool_pre_ping=True,
            connect_args={"server_settings": {"synchronous_commit": "off"}},
        )
        self._counted = 0

    async def hit(self, keys: Iterable[str], limit: int) -> None:
        retry_after = 0.0
        async with self._engine.connect() as connection:
            for key in keys:
                stored = hashlib.sha256(key.encode()).hexdigest()
                hits, remaining = (await connection.execute(_COUNT, {"key": stored, "window": self.window})).one()
                if hits > limit:
                    retry_after = max(retry_after, float(remaining))
            self._counted += 1
            if self._counted % _SWEEP_EVERY == 0:
                await connection.execute(_FORGET, {"window": self.window})
        if retry_after:
            raise too_many(retry_after)

    async def close(self) -> None:
        await self._engine.dispose()


def rate_limiter(settings: Settings, engine: AsyncEngine) -> RateLimiter:
    """In PostgreSQL when the server's database is PostgreSQL, else in the process."""
    if not settings.rate_limit_enabled:
        return Unlimited()
    if engine.url.get_backend_name() == "postgresql":
        return PostgresRateLimiter(settings.rate_limit_window, engine)
    return MemoryRateLimiter(settings.rate_limit_window)
