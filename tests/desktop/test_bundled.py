"""The bundled backend: its socket listens before the app loads, and a failed start is reported."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from desktop.bundled import BundledBackend


def test_a_request_sent_before_the_backend_loads_is_answered_once_it_serves(tmp_path: Path) -> None:
    backend = BundledBackend(tmp_path / "backend", "stable")
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
    backend = BundledBackend(occupied, "stable")
    backend.start()
    with pytest.raises(RuntimeError, match="the bundled backend failed"):
        backend.wait_started()
    assert backend.failure is not None
    backend.stop()
