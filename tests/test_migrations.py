"""Start-up migrations: a database at the scripts' heads is recognised without loading Alembic; a new one, or one
behind the scripts, is migrated."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from backend.app import default_plugins
from backend.db import create_engine
from backend.db.migrate import alembic_config, is_current, script_heads, upgrade, version_locations
from tests.conftest import new_postgres_database

PLUGIN_DIRS: list[Path] = [plugin.migrations for plugin in default_plugins() if plugin.migrations]


def test_the_heads_read_from_the_scripts_are_alembics_own() -> None:
    alembic_heads = set(ScriptDirectory.from_config(alembic_config(PLUGIN_DIRS)).get_heads())
    assert script_heads(version_locations(PLUGIN_DIRS)) == alembic_heads
    assert "0003_auth_revision" in alembic_heads and len(alembic_heads) == 1 + len(PLUGIN_DIRS)


@pytest.fixture(params=["sqlite", "postgres"])
def new_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nothing has migrated yet (the tests' shared PostgreSQL database is migrated by the first)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
        return
    with new_postgres_database() as url:
        yield url


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
            await connection.execute(text("DROP TABLE auth_revision"))
            await connection.execute(
                text("UPDATE alembic_version SET version_num = '0002_notes' WHERE version_num = '0003_auth_revision'")
            )
        assert not await is_current(engine, PLUGIN_DIRS)
        await upgrade(engine, PLUGIN_DIRS)
        assert await is_current(engine, PLUGIN_DIRS)
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT generation FROM auth_revision"))).scalar_one() == 0
    finally:
        await engine.dispose()
