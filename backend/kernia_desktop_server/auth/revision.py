"""The auth revision, and the caches of credentials that it keeps exact.

A session or API key that was revoked must be refused on the very next request, by whichever worker or instance
gets it. Every transaction that revokes, or changes what a credential grants, also moves `auth_revision`'s one
generation on (`bump`), so the commit that ends a credential is the commit that moves the generation. Each request
reads the generation *after* it arrived and before it trusts a cached credential: a cache entry serves only
while the generation it was read under is still the current one. So any revocation that committed before the
request came in, on any worker, empties the cache first.

The read has to start after the request arrived; a notification (PostgreSQL's LISTEN/NOTIFY) reaches the other
workers some time after the commit, and a client that was told "revoked" can be on another worker before then.
So the database is asked, in the cheapest way each one allows:

- SQLite: a synchronous primary-key read on a connection of our own, on the event loop's thread: far cheaper than
  a hop to aiosqlite's thread for the session join (README, The fast session path).
- PostgreSQL: one `SELECT` on a dedicated asyncpg connection, shared by every request that arrived before it
  was sent; requests that arrive while it runs wait for the next one.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from kernia_desktop_server.auth.models import AuthRevision

if TYPE_CHECKING:
    import asyncpg

_READ = "SELECT generation FROM auth_revision WHERE id = 1"


async def bump(db: AsyncSession) -> None:
    """Moves the generation on inside `db`'s transaction; the caller commits, together with the revocation."""
    await db.execute(update(AuthRevision).where(AuthRevision.id == 1).values(generation=AuthRevision.generation + 1))


class RevisionSource(Protocol):
    async def current(self) -> int | None:
        """The generation as committed now; None when it cannot be known, and then no cache may be trusted."""
        ...

    async def close(self) -> None: ...


class Uncached:
    """For a database that no second connection can see (in-memory SQLite) or that has no reader here."""

    async def current(self) -> int | None:
        return None

    async def close(self) -> None:
        return None


class SqliteRevision:
    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

    async def current(self) -> int | None:
        try:
            if self._connection is None:
                # timeout=0: the event loop never waits on a lock; a busy database just bypasses the cache.
                # Autocommit, and every row fetched: no read transaction stays open to pin an old snapshot.
                self._connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            rows = self._connection.execute(_READ).fetchall()
        except sqlite3.Error:
            await self.close()
            return None
        return rows[0][0] if rows else None

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class PostgresRevision:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # One of the engine's connections, held for these reads, so it is set up as every other one is.
        self._connection: AsyncConnection | None = None
        self._driver: asyncpg.Connection | None = None
        # The read that has not been sent yet, which every request arriving now waits for.
        self._next: asyncio.Future[int | None] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def current(self) -> int | None:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read_while_asked())
        # Shielded: a request that is cancelled must not cancel the read that others wait for.
        return await asyncio.shield(self._next)

    async def _read_while_asked(self) -> None:
        while self._next is not None:
            # Taken before the query is sent: every request in this batch arrived before the read began.
            batch, self._next = self._next, None
            try:
                batch.set_result(await self._read())
            except Exception as error:
                batch.set_exception(error)

    async def _read(self) -> int | None:
        try:
            driver = self._driver
            if driver is None:
                self._connection = await self.engine.connect()
                driver = self._driver = (await self._connection.get_raw_connection()).driver_connection
                assert driver is not None, "a new connection has its driver's"
            # asyncpg straight, outside any transaction: a held connection never sits "idle in transaction".
            generation: int | None = await driver.fetchval(_READ)
            return generation
        except Exception:
            # Whatever broke (a lost server, a connection left mid-protocol), an unknown revision is safe: the
            # requests go to the database until a new connection reads it again.
            await self.close(broken=True)
            return None

    async def close(self, broken: bool = False) -> None:
        connection, self._connection, self._driver = self._connection, None, None
        if connection is not None:
            if broken:
                await connection.invalidate()
            await connection.close()


def revision_source(engine: AsyncEngine) -> RevisionSource:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return Uncached()
        return SqliteRevision(url.database)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
        return PostgresRevision(engine)
    return Uncached()


V = TypeVar("V")


class RevisionCache(Generic[V]):
    """Credentials read from the database, kept while the generation they were read under is current.

    The caller reads the generation (`revision`) before it reads the database, and stores what it read under that
    generation: a revocation that commits in between has moved the generation on, so the entry is never served.
    Only credentials that were found are stored; a credential made a moment ago on another worker must work.
    """

    def __init__(self, source: RevisionSource, max_entries: int = 10_000) -> None:
        self.source = source
        self.max_entries = max_entries
        self._generation: int | None = None
        self._entries: dict[str, V] = {}

    async def revision(self) -> int | None:
        generation = await self.source.current()
        if generation is not None and (self._generation is None or generation > self._generation):
            self._entries.clear()
            self._generation = generation
        return generation

    def get(self, key: str, generation: int | None) -> V | None:
        if generation is None or generation != self._generation:
            return None
        return self._entries.get(key)

    def put(self, key: str, generation: int | None, value: V) -> None:
        if generation is None or generation != self._generation:
            return
        if key not in self._entries and len(self._entries) >= self.max_entries:
            # The oldest entry goes first; it is read again from the database when next used.
            del self._entries[next(iter(self._entries))]
        self._entries[key] = value
