"""The server while its database cannot be reached or used: 503 DATABASE_UNAVAILABLE with Retry-After, a log line
per outage rather than a traceback per request, the client's connection kept, and a recovery with no restart."""

from __future__ import annotations

import http.client
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.support.desktop import wait_until
from tests.support.postgres import PostgresCluster
from tests.support.server import PASSWORD, LiveServer, unique_email


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    yield cluster
    cluster.remove()


def signed_up(server: LiveServer) -> dict[str, str]:
    body = {"name": "Outage", "email": unique_email("outage"), "password": PASSWORD}
    response = httpx.post(f"{server.url}/api/auth/sign-up/email", json=body)
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.headers['set-auth-token']}", "content-type": "application/json"}


def request(
    connection: http.client.HTTPConnection, method: str, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], dict[str, str]]:
    """One request on `connection`, which must still be open: http.client never reconnects by itself."""
    body = json.dumps({"title": "written during an outage"}) if method == "POST" else None
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), json.loads(response.read() or b"null")


def answers_ok(server: LiveServer, headers: dict[str, str]) -> bool:
    return httpx.get(f"{server.url}/api/notes", headers=headers).status_code == 200


def test_a_stopped_postgresql_is_503_on_a_kept_connection_and_recovery_needs_no_restart(
    tmp_path: Path, cluster: PostgresCluster
) -> None:
    server = LiveServer(tmp_path / "server", cluster.url).start()
    try:
        headers = signed_up(server)
        with closing(http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)) as connection:
            assert request(connection, "GET", "/api/notes", headers)[0] == 200
            cluster.stop()
            for method in ("GET", "POST", "GET", "POST"):
                status, response_headers, body = request(connection, method, "/api/notes", headers)
                assert status == 503, body
                assert body["code"] == "DATABASE_UNAVAILABLE" and response_headers["retry-after"] == "2"
                assert response_headers.get("connection") != "close"
            cluster.start()
            assert wait_until(lambda: answers_ok(server, headers), timeout=20)
            assert request(connection, "GET", "/api/notes", headers)[0] == 200
        notes = httpx.get(f"{server.url}/api/notes", headers=headers).json()
        assert notes == [], "nothing answered with 503 was written"
        log = server.log.read_text()
        assert log.count("the database is unavailable") == 1, log
        assert "Traceback" not in log, log
    finally:
        server.stop()


def test_sqlite_busy_past_its_timeout_is_503(tmp_path: Path) -> None:
    database = tmp_path / "busy.db"
    server = LiveServer(tmp_path / "server", f"sqlite+aiosqlite:///{database}").start()
    try:
        headers = signed_up(server)
        with closing(sqlite3.connect(database, isolation_level=None)) as holder:
            holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock, and keeps it
            written = httpx.post(f"{server.url}/api/notes", headers=headers, json={"title": "waits"}, timeout=30)
            holder.execute("ROLLBACK")
        assert written.status_code == 503 and written.json()["code"] == "DATABASE_UNAVAILABLE"
        assert written.headers["retry-after"] == "2"
        assert httpx.post(f"{server.url}/api/notes", headers=headers, json={"title": "after"}).status_code == 201
    finally:
        server.stop()
