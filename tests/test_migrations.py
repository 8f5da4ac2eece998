"""Start-up migrations: a database at the scripts' heads is recognised without loading Alembic; a new one, or one
behind the scripts, is migrated."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from examples.notes.server import MIGRATIONS as NOTES_MIGRATIONS
from kernia_desktop_server import api_keys, desktop, oauth
from kernia_desktop_server.db import create_engine
from kernia_desktop_server.db.migrate import alembic_config, is_current, script_heads, upgrade, version_locations

# The plugins' and the notes example's own.
PLUGIN_DIRS: list[Path] = [
    *(plugin.migrations for plugin in (api_keys(), oauth([]), desktop()) if plugin.migrations),
    NOTES_MIGRATIONS,
]


def test_the_heads_read_from_the_scripts_are_alembics_own() -> None:
    alembic_heads = set(ScriptDirectory.from_config(alembic_config(PLUGIN_DIRS)).get_heads())
    assert script_heads(version_locations(PLUGIN_DIRS)) == alembic_heads
    assert "0004_rate_limits" in alembic_heads and len(alembic_heads) == 1 + len(PLUGIN_DIRS)


async def test_a_new_database_is_migrated_then_starts_without_alembic(
    new_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(new_database_url)
    try:
        assert not await is_current(engine, PLUGIN_DIRS)
        await upgrade(engine, PLUGIN_DIRS)
        assert await is_current(engine, PLUGIN_DIRS)
        # Alembic cannot be imported now: a start that needed it would fail.
        monkeypatch.setitem(sys.modules, "alembic", None)
        await upgrade(engine, PLUGIN_DIRS)
    finally:
        await engine.dispose()


async def test_a_database_behind_the_scripts_is_migrated(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine, PLUGIN_DIRS)
        async with engine.begin() as connection:
            await connection.execute(text("DROP TABLE rate_limits"))
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :behind WHERE version_num = :head"),
                {"behind": "0003_auth_revision", "head": "0004_rate_limits"},
            )
        assert not await is_current(engine, PLUGIN_DIRS)
        await upgrade(engine, PLUGIN_DIRS)
        assert await is_current(engine, PLUGIN_DIRS)
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM rate_limits"))).scalar_one() == 0
    finally:
        await engine.dispose()


async def test_a_database_from_when_notes_were_core_keeps_its_notes(database_url: str) -> None:
    """Before the notes app was an example, its table came with the core revisions (0003_auth_revision followed
    0002_notes), so such a database records no head of the notes branch."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine, PLUGIN_DIRS)
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM alembic_version WHERE version_num = '0002_notes'"))
            await connection.execute(
                text(
                    "INSERT INTO users (id, name, email, email_verified, created_at, updated_at) "
                    "VALUES ('u1', 'Ada', 'ada@example.com', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO notes (id, user_id, title, body, created_at, updated_at) "
                    "VALUES ('n1', 'u1', 'kept', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        assert not await is_current(engine, PLUGIN_DIRS)
        await upgrade(engine, PLUGIN_DIRS)
        assert await is_current(engine, PLUGIN_DIRS)
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT title FROM notes"))).scalars().all() == ["kept"]
    finally:
        await engine.dispose()
