"""The async engine, with SQLite tuned for a desktop app that several requests share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    if not parsed.database or parsed.database == ":memory:":
        engine = create_async_engine(url)  # one connection already: a second one would see another database
    else:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection, which the process's transactions take in turn, first come first served: SQLite lets one
        # writer in at a time, and writers that each held a connection of their own would wait for its lock by
        # sleeping and polling (busy_timeout), in ever longer sleeps. Reads mostly go another way (db.read, the
        # credential caches).
        engine = create_async_engine(url, pool_size=1, max_overflow=0)
    event.listen(engine.sync_engine, "connect", _tune_sqlite)
    return engine


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while a writer commits; busy_timeout waits out a concurrent writer.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
