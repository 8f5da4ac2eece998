"""Fixtures: a backend per test on SQLite and on PostgreSQL, in process and as a live uvicorn server."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from backend.app import create_app
from backend.settings import Settings
from desktop.processes import stop_process

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8000"
PASSWORD = "correct horse battery"


def postgres_admin_url() -> str:
    url = os.environ.get("KERNIA_TEST_POSTGRES_URL")
    if not url:
        pytest.fail(
            "KERNIA_TEST_POSTGRES_URL is not set: run the tests with `make test`, which starts PostgreSQL "
            "(scripts/postgres.sh) and sets it"
        )
    return url


# Empties every table but the two that migrations fill: the schema version and the auth revision's one row.
_TRUNCATE_ALL = """
DO $$ DECLARE tables text;
BEGIN
  SELECT string_agg(format('%I', tablename), ', ') INTO tables
  FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('alembic_version', 'auth_revision');
  IF tables IS NOT NULL THEN EXECUTE 'TRUNCATE ' || tables || ' CASCADE'; END IF;
END $$;
"""


async def _admin(url: str, statement: str) -> None:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password, database=parsed.database
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped on leaving."""
    admin = postgres_admin_url()
    name = f"kernia_test_{secrets.token_hex(4)}"
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this test run."""
    with new_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'kernia.db'}"
    url = request.getfixturevalue("postgres_url")
    # One database serves the whole run; each test starts from empty tables, as on SQLite.
    asyncio.run(_admin(url, _TRUNCATE_ALL))
    return url


@pytest.fixture
def make_settings(tmp_path: Path, database_url: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "base_url": f"{BASE}/api/auth",
            "data_dir": tmp_path / "data",
            "database_url": database_url,
        }
        values.update(overrides)
        return Settings(**values)

    return make


async def started_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield client


@pytest.fixture
def app(make_settings: Callable[..., Settings]) -> FastAPI:
    return create_app(make_settings())


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async for started in started_client(app):
        yield started


def unique_email(label: str = "user") -> str:
    return f"{label}-{secrets.token_hex(5)}@example.com"


async def sign_up(client: httpx.AsyncClient, email: str | None = None, **extra: Any) -> httpx.Response:
    body = {"name": "Test User", "email": email or unique_email(), "password": PASSWORD, **extra}
    response = await client.post("/api/auth/sign-up/email", json=body)
    assert response.status_code == 200, response.text
    return response


async def bearer_user(client: httpx.AsyncClient) -> dict[str, str]:
    """Signs a new user up and returns the headers that authenticate them by bearer token, without cookies."""
    response = await sign_up(client)
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.headers['set-auth-token']}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`python -m backend` in a child process, exactly as `make serve` runs it."""

    def __init__(self, data_dir: Path, database_url: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "KERNIA_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "KERNIA_BASE_URL": f"{self.url}/api/auth",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def command(self, *args: str) -> list[str]:
        """The child's command line; a subclass may run another server, one that also answers /api/auth/ok."""
        return [sys.executable, "-m", "backend", "--port", str(self.port), "--log-level", "warning", *args]

    def start(self, *args: str) -> LiveServer:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(*args),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the backend exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/auth/ok", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"the backend did not answer within 30 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process:
            stop_process(self.process, grace_seconds=10)


@pytest.fixture
def live_server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "live", database_url).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def openid_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real OpenID provider (npm oidc-provider), one for the test run."""
    from tests.openid_provider import OpenIdProvider

    provider = OpenIdProvider(tmp_path_factory.mktemp("openid-provider") / "provider.log")
    yield provider
    provider.stop()
