"""Applies the Alembic migrations of the core and of every plugin at start-up."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any fixed number: it names the PostgreSQL advisory lock that serialises migrating workers.
_MIGRATION_LOCK_ID = 0x4B45524E


def alembic_config(plugin_dirs: Iterable[Path] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = [MIGRATIONS_DIR / "versions", *plugin_dirs]
    config.set_main_option("version_locations", " ".join(str(path) for path in locations))
    config.set_main_option("path_separator", "space")
    return config


async def upgrade(engine: AsyncEngine, plugin_dirs: Iterable[Path] = ()) -> None:
    config = alembic_config(plugin_dirs)

    def run(connection: Connection) -> None:
        # Several workers start at once; one migrates while the others wait, then find nothing to do.
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        elif connection.dialect.name == "sqlite":
            # The write lock, taken before the schema version is read; the others wait for it (busy_timeout).
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")

    async with engine.begin() as connection:
        await connection.run_sync(run)
