"""Read-only SELECTs on the cheapest path each database offers.

A request that reads through an ORM session pays for far more than its query. On aiosqlite every statement hops
to the driver's thread and back for each step (cursor, execute, fetch, close, two rollbacks), which costs far more
than the query itself. On SQLite a file database is therefore read synchronously, on the event
loop's thread, through a connection of the process's own, as the auth revision is read (auth.revision):

- In WAL mode a reader never waits for a writer. The connection has a zero busy timeout, so the loop never waits
  on a lock either: a read that finds the database busy is simply sent through the async engine, which waits.
- The loop is not held any longer than before: the rows were fetched on aiosqlite's thread, but turning them into
  Python values and then JSON always ran on the loop, and costs more per row than SQLite's read.
- The connection is `query_only`, and in autocommit: it cannot write, and no read transaction stays open.

Every other database (PostgreSQL) is read through an async engine of the reader's own, in autocommit, with no ORM
session and no identity map. Both paths run the same Core statement, built once by the caller, and hand back
mappings of the selected columns; the same column types turn the values into Python (an aware UTC datetime on
SQLite as on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, RowMapping, Select, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


class Reader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sqlite = _sqlite_reader(engine)
        self._engine = _autocommit_reader(engine)

    async def all(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Sequence[RowMapping]:
        if self._sqlite is not None:
            try:
                with self._sqlite.connect() as connection:
                    rows: Sequence[RowMapping] = connection.execute(statement, parameters).mappings().all()
                    return rows
            except OperationalError:
                pass  # busy (or the file went away): the async engine waits, and reports what is really wrong
        async with self._engine.connect() as connection:
            read: Sequence[RowMapping] = (await connection.execute(statement, parameters)).mappings().all()
            return read

    async def first(self, statement: Select[Any], parameters: Mapping[str, Any]) -> RowMapping | None:
        """The one row of a statement that finds at most one (by primary key), or None."""
        rows = await self.all(statement, parameters)
        return rows[0] if rows else None


def _sqlite_reader(engine: AsyncEngine) -> Engine | None:
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    # check_same_thread off: used only on an event loop's thread, synchronously, but not always the same loop's.
    reader = create_engine(
        url.set(drivername="sqlite"), connect_args={"timeout": 0, "isolation_level": None, "check_same_thread": False}
    )
    event.listen(reader, "connect", _read_only)
    # Closed with the engine it reads for.
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: reader.dispose())
    return reader


def _autocommit_reader(engine: AsyncEngine) -> AsyncEngine:
    if engine.url.get_backend_name() != "postgresql":
        return engine
    # Autocommit: a single SELECT needs no BEGIN and ROLLBACK around it, and the pre-ping is then one round trip
    # rather than three (in a transaction of its own otherwise).
    # A pool as large as the reads a busy worker has in flight: QueuePool closes every connection returned beyond
    # `pool_size`, and opening one per request costs more than the whole read.
    reader = create_async_engine(engine.url, isolation_level="AUTOCOMMIT", pool_pre_ping=True, pool_size=20)
    # Inside the greenlet that disposes `engine`, where the async driver can still be called.
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: reader.sync_engine.dispose())
    return reader


def _read_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")
