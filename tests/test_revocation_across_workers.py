"""Revocation is exact across processes: every worker and every instance that had a credential cached refuses it
on the very next request after it was revoked anywhere."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.support.desktop import descendants
from tests.support.server import PASSWORD, LiveServer, unique_email

CONNECTIONS = 16
MAX_ROUNDS = 20


def _server_side_sockets(port: int) -> set[str]:
    """The inodes of the established connections whose server end is `port`, from /proc/net."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "01":
                inodes.add(f"socket:[{fields[9]}]")
    return inodes


def _answering_processes(server: LiveServer) -> set[int]:
    """The server's processes that hold one of its open client connections."""
    assert server.process is not None
    sockets = _server_side_sockets(server.port)
    holders = set()
    for pid in descendants(server.process.pid) | {server.process.pid}:
        try:
            links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:  # the process has just gone
            continue
        if links & sockets:
            holders.add(pid)
    return holders


def statuses_from_every_worker(server: LiveServer, path: str, headers: dict[str, str], workers: int) -> list[int]:
    """Sends the request on fresh connections, several at once, in rounds until every worker has answered some.

    Each round's connections stay open until /proc tells which worker holds each, so the answering workers are
    known, not guessed."""
    statuses: list[int] = []
    answered: set[int] = set()
    for _ in range(MAX_ROUNDS):
        clients = [httpx.Client(base_url=server.url, timeout=10) for _ in range(CONNECTIONS)]
        try:
            with ThreadPoolExecutor(8) as pool:
                statuses += pool.map(lambda client: client.get(path, headers=headers).status_code, clients)
            answered |= _answering_processes(server)
        finally:
            for client in clients:
                client.close()
        if len(answered) >= workers:
            return statuses
    raise AssertionError(f"only {len(answered)} of {workers} workers answered in {MAX_ROUNDS} rounds")


def _sign_up(server: LiveServer) -> tuple[dict[str, str], dict[str, str], str]:
    """A new user's bearer headers, and an API key of theirs as headers and by id."""
    signed_up = httpx.post(
        f"{server.url}/api/auth/sign-up/email",
        json={"name": "Worker", "email": unique_email(), "password": PASSWORD},
    )
    bearer = {"Authorization": f"Bearer {signed_up.headers['set-auth-token']}"}
    created = httpx.post(f"{server.url}/api/auth/api-key/create", headers=bearer, json={}).json()
    return bearer, {"x-api-key": created["key"]}, created["id"]


def test_a_revocation_reaches_every_worker_at_once(tmp_path: Path, database_url: str) -> None:
    server = LiveServer(tmp_path / "workers", database_url).start("--workers", "2")
    try:
        bearer, api_key, key_id = _sign_up(server)
        # Both workers now hold both credentials in their caches.
        for headers in (bearer, api_key):
            assert set(statuses_from_every_worker(server, "/api/notes", headers, workers=2)) == {200}

        deleted = httpx.post(f"{server.url}/api/auth/api-key/delete", headers=bearer, json={"keyId": key_id})
        assert deleted.json() == {"success": True}
        assert set(statuses_from_every_worker(server, "/api/notes", api_key, workers=2)) == {401}

        assert set(statuses_from_every_worker(server, "/api/notes", bearer, workers=2)) == {200}
        assert httpx.post(f"{server.url}/api/auth/sign-out", headers=bearer).json() == {"success": True}
        assert set(statuses_from_every_worker(server, "/api/notes", bearer, workers=2)) == {401}
    finally:
        server.stop()


def test_a_revocation_on_one_instance_reaches_another(tmp_path: Path, database_url: str) -> None:
    """Two servers on one database, as behind a load balancer; they share the data dir, and so the secret."""
    first = LiveServer(tmp_path / "instances", database_url).start()
    second = LiveServer(tmp_path / "instances", database_url).start()
    try:
        bearer, api_key, key_id = _sign_up(first)
        for server in (first, second):
            for headers in (bearer, api_key):
                assert httpx.get(f"{server.url}/api/notes", headers=headers).status_code == 200
        httpx.post(f"{first.url}/api/auth/api-key/update", headers=bearer, json={"keyId": key_id, "enabled": False})
        assert httpx.get(f"{second.url}/api/notes", headers=api_key).status_code == 401
        httpx.post(f"{second.url}/api/auth/revoke-sessions", headers=bearer)
        assert httpx.get(f"{first.url}/api/notes", headers=bearer).status_code == 401
    finally:
        second.stop()
        first.stop()
