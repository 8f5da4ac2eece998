"""The fast session path: credentials cached in the process, and exact under revocation all the same."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import create_async_engine

from examples.notes.server import create_app
from kernia_desktop_server.auth.models import Session
from kernia_desktop_server.auth.revision import PostgresRevision, RevisionCache, Uncached, bump
from kernia_desktop_server.settings import Settings
from tests.support.server import (
    BASE,
    PASSWORD,
    auth_of,
    bearer_user,
    counted_statements,
    create_key,
    sign_up,
    started_client,
    unique_email,
)


async def test_a_known_credential_is_served_without_a_database_query(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    api = {"x-api-key": (await create_key(client, headers))["key"]}
    for credential in (headers, api):
        assert (await client.get("/api/notes", headers=credential)).status_code == 200
    with counted_statements(app) as statements:
        session = (await client.get("/api/auth/get-session", headers=headers)).json()
        assert session["user"]["name"] == "Test User"
        assert (await client.get("/api/notes", headers=api)).status_code == 200
    # Only the notes query itself: neither credential was looked up again.
    assert [statement for statement in statements if "notes" not in statement] == []


async def test_a_new_session_is_known_from_its_first_use(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Signing up or in caches the session it opens: the client's first request with it reads no session."""
    email = unique_email()
    signed_up = await sign_up(client, email)
    signed_in = await client.post("/api/auth/sign-in/email", json={"email": email, "password": PASSWORD})
    client.cookies.clear()
    for response in (signed_up, signed_in):
        headers = {"Authorization": f"Bearer {response.headers['set-auth-token']}"}
        with counted_statements(app) as statements:
            session = (await client.get("/api/auth/get-session", headers=headers)).json()
        assert session["user"]["email"] == email
        assert statements == []


async def test_revocations_in_this_process_fail_the_next_request(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    created = await create_key(client, headers)
    api = {"x-api-key": created["key"]}
    for credential in (headers, api):
        assert (await client.get("/api/notes", headers=credential)).status_code == 200
    await client.post("/api/auth/api-key/update", headers=headers, json={"keyId": created["id"], "enabled": False})
    assert (await client.get("/api/notes", headers=api)).status_code == 401
    assert (await client.get("/api/notes", headers=headers)).status_code == 200
    await client.post("/api/auth/sign-out", headers=headers)
    assert (await client.get("/api/notes", headers=headers)).status_code == 401


async def test_a_revocation_committed_elsewhere_is_seen_at_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    """Another worker or instance revokes straight in the database: this process learns it from the revision."""
    headers = await bearer_user(client)
    assert (await client.get("/api/notes", headers=headers)).status_code == 200
    auth = auth_of(app)
    async with auth.sessionmaker() as elsewhere:
        await elsewhere.execute(delete(Session))
        await bump(elsewhere)
        await elsewhere.commit()
    assert (await client.get("/api/notes", headers=headers)).status_code == 401


async def test_the_cache_refuses_a_session_once_it_has_expired(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(session_short_expires_in=1))
    async for client in started_client(app):
        signed_up = await sign_up(client, rememberMe=False)
        client.cookies.clear()
        headers = {"Authorization": f"Bearer {signed_up.headers['set-auth-token']}"}
        assert (await client.get("/api/notes", headers=headers)).status_code == 200
        await asyncio.sleep(1.2)
        assert (await client.get("/api/notes", headers=headers)).status_code == 401


async def test_a_revision_that_cannot_be_read_bypasses_the_cache(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    auth = auth_of(app)
    auth.sessions.cache.source = Uncached()
    with counted_statements(app) as statements:
        for _ in range(2):
            assert (await client.get("/api/notes", headers=headers)).status_code == 200
    assert sum("sessions" in statement for statement in statements) == 2


async def test_entries_of_an_older_generation_are_neither_served_nor_stored() -> None:
    class Counter:
        generation = 1

        async def current(self) -> int | None:
            return self.generation

        async def close(self) -> None:
            return None

    source = Counter()
    cache: RevisionCache[str] = RevisionCache(source, max_entries=2)
    read_under = await cache.revision()
    cache.put("a", read_under, "A")
    assert cache.get("a", read_under) == "A"
    source.generation = 2
    # A revocation committed between this reader's revision and its database read: its result is not kept.
    now = await cache.revision()
    cache.put("b", read_under, "B")
    assert cache.get("a", now) is None and cache.get("b", now) is None
    for key in "cde":
        cache.put(key, now, key.upper())
    assert [cache.get(key, now) for key in "cde"] == [None, "D", "E"]


class ScriptedPostgresRevision(PostgresRevision):
    """Each read waits until the test answers it, so the test decides what is on the wire when."""

    def __init__(self) -> None:
        super().__init__(create_async_engine("postgresql+asyncpg://nobody@127.0.0.1/unused"))
        self.reads: list[asyncio.Future[int | None]] = []

    async def _read(self) -> int | None:
        self.reads.append(asyncio.get_running_loop().create_future())
        return await self.reads[-1]


async def test_postgres_revision_reads_start_after_the_caller_arrives() -> None:
    """A caller that arrives while a read is on the wire waits for the next read: only that one can see a commit
    made just before the caller came. Callers that arrive together share one read."""
    source = ScriptedPostgresRevision()
    first = asyncio.ensure_future(source.current())
    await asyncio.sleep(0.01)
    assert len(source.reads) == 1
    late = [asyncio.ensure_future(source.current()) for _ in range(3)]
    await asyncio.sleep(0.01)
    source.reads[0].set_result(1)
    assert await first == 1
    await asyncio.sleep(0.01)
    assert not any(caller.done() for caller in late) and len(source.reads) == 2
    source.reads[1].set_result(2)
    assert await asyncio.gather(*late) == [2, 2, 2]
    assert len(source.reads) == 2


async def test_a_lost_postgres_connection_bypasses_the_cache_until_it_is_back(
    postgres_url: str, tmp_path: Path
) -> None:
    app = create_app(Settings(base_url=f"{BASE}/api/auth", database_url=postgres_url, data_dir=tmp_path))
    async for client in started_client(app):
        headers = await bearer_user(client)
        assert (await client.get("/api/notes", headers=headers)).status_code == 200
        async with auth_of(app).engine.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query LIKE 'SELECT generation FROM auth_revision%'"
                )
            )
        with counted_statements(app) as statements:
            assert (await client.get("/api/notes", headers=headers)).status_code == 200
        assert any("sessions" in statement for statement in statements)
        await client.post("/api/auth/sign-out", headers=headers)
        assert (await client.get("/api/notes", headers=headers)).status_code == 401
        again = await bearer_user(client)
        assert (await client.get("/api/notes", headers=again)).status_code == 200
        with counted_statements(app) as statements:
            assert (await client.get("/api/auth/get-session", headers=again)).json()["user"]
        assert statements == []
