"""The notes example's server, in process (an httpx client on its ASGI app) and as a live child process, and what
a client does with it."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from kernia_desktop.processes import stop_process
from kernia_desktop_server import KerniaAuth

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:8000"
PASSWORD = "correct horse battery"
# The app `python -m kernia_desktop_server` serves in the live-server tests and the bench.
NOTES_SERVER = "examples.notes.server:create_app"
SERVE_NOTES = ("-m", "kernia_desktop_server", "--app", NOTES_SERVER)


def auth_of(app: FastAPI) -> KerniaAuth:
    """The KerniaAuth mounted on `app`."""
    auth = KerniaAuth.mounted_on(app)
    assert auth is not None
    return auth


async def started_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield client


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


async def create_key(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict[str, Any]:
    response = await client.post("/api/auth/api-key/create", headers=headers, json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """`python -m kernia_desktop_server` serving the notes example's server, in a child process."""

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
        return [sys.executable, *SERVE_NOTES, "--port", str(self.port), "--log-level", "warning", *args]

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
                raise RuntimeError(f"the server exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/auth/ok", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not answer within 30 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process:
            stop_process(self.process, grace_seconds=10)


@contextmanager
def counted_statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app sends through its engine while the block runs."""
    statements: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = auth_of(app).engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
