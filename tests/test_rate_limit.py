"""Rate limits: fixed windows per key, counted in the process or, on PostgreSQL, in the database."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from starlette.requests import Request

from kernia_desktop_server.auth.errors import ApiError
from kernia_desktop_server.auth.rate_limit import (
    MemoryRateLimiter,
    PostgresRateLimiter,
    RateLimiter,
    client_address,
    rate_limiter,
)
from kernia_desktop_server.db import create_engine
from kernia_desktop_server.db.migrate import upgrade
from kernia_desktop_server.settings import Settings
from tests.support.postgres import new_postgres_database, postgres_admin_url
from tests.support.server import LiveServer, unique_email
from tests.support.workers import statuses_from_every_worker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_limit_counts_per_key_and_resets_after_the_window() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(60, clock)
    for _ in range(3):
        await limiter.hit(["a"], 3)
    with pytest.raises(ApiError) as refused:
        await limiter.hit(["a"], 3)
    assert refused.value.status == 429
    assert refused.value.headers["Retry-After"] == "60"
    await limiter.hit(["b"], 3)
    clock.now += 30
    with pytest.raises(ApiError) as refused:
        await limiter.hit(["a"], 3)
    assert refused.value.headers["Retry-After"] == "30"
    clock.now += 31
    await limiter.hit(["a"], 3)


@pytest.fixture
async def counted(new_database_url: str) -> AsyncIterator[RateLimiter]:
    """The limiter the server uses on each database: in the process on SQLite, in PostgreSQL on PostgreSQL."""
    engine = create_engine(new_database_url)
    await upgrade(engine)
    limiter = rate_limiter(Settings(rate_limit_window=60), engine)
    assert isinstance(limiter, PostgresRateLimiter if "postgresql" in new_database_url else MemoryRateLimiter)
    yield limiter
    await limiter.close()
    await engine.dispose()


async def test_any_key_over_its_limit_refuses(counted: RateLimiter) -> None:
    await counted.hit(["address:1", "account:x"], 1)
    with pytest.raises(ApiError) as refused:
        await counted.hit(["address:2", "account:x"], 1)
    assert refused.value.status == 429 and 1 <= int(refused.value.headers["Retry-After"]) <= 60
    await counted.hit(["address:3", "account:y"], 1)


async def test_disabled_limits_never_refuse() -> None:
    limiter = rate_limiter(Settings(rate_limit_enabled=False), create_engine("sqlite+aiosqlite://"))
    for _ in range(10):
        await limiter.hit(["a"], 1)


def _request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "headers": headers, "client": (peer, 1234)})


def test_forwarded_for_is_ignored_from_untrusted_peers() -> None:
    assert client_address(_request("203.0.113.9", "198.51.100.1"), []) == "203.0.113.9"
    assert client_address(_request("203.0.113.9", "198.51.100.1"), ["10.0.0.0/8"]) == "203.0.113.9"


def test_forwarded_for_from_a_trusted_proxy_names_the_nearest_untrusted_hop() -> None:
    request = _request("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.7")
    assert client_address(request, ["10.0.0.0/8"]) == "198.51.100.1"
    assert client_address(_request("10.0.0.2"), ["10.0.0.0/8"]) == "10.0.0.2"


def test_on_postgresql_a_limit_holds_across_workers(tmp_path: Path) -> None:
    """Two workers, ten sign-in attempts allowed a minute per address: wherever the attempts land, the eleventh is
    refused."""
    with new_postgres_database(postgres_admin_url()) as database_url:
        server = LiveServer(tmp_path / "workers", database_url, {"KERNIA_RATE_LIMIT_AUTH_MAX": "10"})
        server.start("--workers", "2")
        try:

            def attempt(client: httpx.Client) -> int:
                body = {"email": unique_email("limited"), "password": "not the password"}
                return client.post("/api/auth/sign-in/email", json=body).status_code

            statuses = statuses_from_every_worker(server, attempt, workers=2)
            assert len(statuses) > 10
            assert statuses.count(401) == 10 and set(statuses) == {401, 429}
        finally:
            server.stop()
        # What was counted is kept as digests: no address or email that was tried.
        keys = asyncio.run(_stored_keys(database_url))
        assert keys and all(re.fullmatch("[0-9a-f]{64}", key) for key in keys)


async def _stored_keys(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.scalars(text("SELECT key FROM rate_limits"))).all())
    finally:
        await engine.dispose()
