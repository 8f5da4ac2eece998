"""The bundled backend: its socket listens before the app loads, a failed start is reported, and a restore is
confirmed in its database without it."""

from __future__ import annotations

import shutil
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernia_desktop.bundled import BundledBackend, BundledClient
from kernia_desktop_server.local_sessions import confirmed_session
from tests.support.server import NOTES_SERVER, PASSWORD, unique_email


def test_a_request_sent_before_the_backend_loads_is_answered_once_it_serves(tmp_path: Path) -> None:
    backend = BundledBackend(tmp_path / "backend", NOTES_SERVER, "stable")
    try:
        # Connected and sent before the app is even imported: the socket already listens, the kernel holds it.
        with socket.create_connection(("127.0.0.1", backend.port), timeout=60) as early:
            early.sendall(f"GET /api/auth/ok HTTP/1.1\r\nHost: 127.0.0.1:{backend.port}\r\n\r\n".encode())
            backend.start()
            backend.wait_started()
            assert early.recv(4096).startswith(b"HTTP/1.1 200")
        assert httpx.get(f"{backend.auth_url}/desktop/callback/stable").status_code == 200
    finally:
        backend.stop()


def test_a_backend_that_cannot_start_says_why(tmp_path: Path) -> None:
    occupied = tmp_path / "backend"
    occupied.write_text("a file where the data dir should be")
    backend = BundledBackend(occupied, NOTES_SERVER, "stable")
    backend.start()
    with pytest.raises(RuntimeError, match="the bundled backend failed"):
        backend.wait_started()
    assert backend.failure is not None
    backend.stop()


def signed_up(backend_dir: Path) -> tuple[str, dict[str, Any]]:
    """A new account on a bundled backend of `backend_dir`: its credential, and the backend's get-session answer
    for it. The backend is stopped again."""
    backend = BundledBackend(backend_dir, NOTES_SERVER, "stable")
    try:
        backend.start()
        backend.wait_started()
        body = {"name": "Grace Hopper", "email": unique_email("bundled"), "password": PASSWORD}
        signed = httpx.post(f"{backend.auth_url}/sign-up/email", json=body)
        token = signed.headers["set-auth-token"]
        answer = httpx.get(f"{backend.auth_url}/get-session", headers={"authorization": f"Bearer {token}"})
        return token, answer.json()
    finally:
        backend.stop()


@pytest.fixture
def relaunch(tmp_path: Path) -> Iterator[tuple[str, dict[str, Any], BundledBackend]]:
    """An account's credential and the backend's get-session answer for it, then a new bundled backend of the
    same data dir, not started: the app's relaunch."""
    token, answer = signed_up(tmp_path / "backend")
    backend = BundledBackend(tmp_path / "backend", NOTES_SERVER, "stable")
    yield token, answer, backend
    backend.stop()


def test_a_restore_is_confirmed_in_the_database_before_the_backend_loads(
    relaunch: tuple[str, dict[str, Any], BundledBackend],
) -> None:
    token, answer, backend = relaunch
    restored = BundledClient(backend).restore_session(token)
    assert restored is not None
    # The backend's own answer, field for field, from its database alone.
    assert (restored.user, restored.session) == (answer["user"], answer["session"])
    assert not backend.start_requested


def test_a_credential_the_database_does_not_confirm_is_left_to_the_backend(
    relaunch: tuple[str, dict[str, Any], BundledBackend],
) -> None:
    token, _, backend = relaunch
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert BundledClient(backend).restore_session(tampered) is None
    # Asked the backend, which it started for the question.
    assert backend.start_requested
    bearer = {"authorization": f"Bearer {token}"}
    assert httpx.post(f"{backend.auth_url}/sign-out", headers=bearer, json={}).status_code == 200
    assert BundledClient(backend).restore_session(token) is None


def test_the_database_check_only_confirms_live_sessions_it_can_read(tmp_path: Path) -> None:
    backend_dir = tmp_path / "backend"
    token, answer = signed_up(backend_dir)
    assert confirmed_session(backend_dir, token) == answer
    # The wire's expiry is cut to the millisecond.
    expired = datetime.fromisoformat(answer["session"]["expiresAt"]) + timedelta(milliseconds=1)
    assert confirmed_session(backend_dir, token, now=expired - timedelta(days=1)) == answer
    assert confirmed_session(backend_dir, token, now=expired) is None
    assert confirmed_session(backend_dir, token.rpartition(".")[0]) is None  # without its signature
    assert confirmed_session(tmp_path / "elsewhere", token) is None

    other_schema = tmp_path / "other-schema"
    other_schema.mkdir()
    shutil.copy(backend_dir / "secret", other_schema / "secret")
    with closing(sqlite3.connect(other_schema / "kernia.db")) as database:
        database.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY)")
        database.commit()
    assert confirmed_session(other_schema, token) is None

    (backend_dir / "secret").write_text("damaged")
    assert confirmed_session(backend_dir, token) is None
