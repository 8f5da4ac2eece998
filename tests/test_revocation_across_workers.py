"""Revocation is exact across processes: every worker and every instance that had a credential cached refuses it
on the very next request after it was revoked anywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support.server import PASSWORD, LiveServer, unique_email
from tests.support.workers import statuses_from_every_worker


def get_notes(headers: dict[str, str]) -> Callable[[httpx.Client], int]:
    return lambda client: client.get("/api/notes", headers=headers).status_code


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
            assert set(statuses_from_every_worker(server, get_notes(headers), workers=2)) == {200}

        deleted = httpx.post(f"{server.url}/api/auth/api-key/delete", headers=bearer, json={"keyId": key_id})
        assert deleted.json() == {"success": True}
        assert set(statuses_from_every_worker(server, get_notes(api_key), workers=2)) == {401}

        assert set(statuses_from_every_worker(server, get_notes(bearer), workers=2)) == {200}
        assert httpx.post(f"{server.url}/api/auth/sign-out", headers=bearer).json() == {"success": True}
        assert set(statuses_from_every_worker(server, get_notes(bearer), workers=2)) == {401}
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
