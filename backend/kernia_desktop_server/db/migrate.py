"""Applies the Alembic migrations of the core and of every plugin at start-up.

Most starts find the database already at the scripts' heads. That is checked first, without Alembic: the heads
are read from the scripts' source (their `revision` and `down_revision`, as Alembic reads them by importing the
scripts) and compared with the revisions the database records. Only a database that is behind, or new, loads
Alembic (with Mako and Pygments, which the bench's launch and memory figures feel) to migrate it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any fixed number: it names the PostgreSQL advisory lock that serialises migrating workers.
_MIGRATION_LOCK_ID = 0x4B45524E


def version_locations(plugin_dirs: Iterable[Path] = ()) -> list[Path]:
    return [MIGRATIONS_DIR / "versions", *plugin_dirs]


def alembic_config(plugin_dirs: Iterable[Path] = ()) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_locations", " ".join(str(path) for path in version_locations(plugin_dirs)))
    config.set_main_option("path_separator", "space")
    return config


def _revisions(value: Any) -> set[str]:
    """A script's `down_revision`: None, one revision, or several (a merge)."""
    if value is None:
        return set()
    return {value} if isinstance(value, str) else set(value)


def script_heads(locations: Iterable[Path]) -> set[str]:
    """The revisions no script revises, from the scripts' module-level `revision` and `down_revision`."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for location in locations:
        for script in sorted(location.glob("*.py")):
            assigned = {
                target.id: node.value
                for node in ast.parse(script.read_text()).body
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            if "revision" in assigned:
                revisions.add(ast.literal_eval(assigned["revision"]))
                revised |= _revisions(ast.literal_eval(assigned.get("down_revision", ast.Constant(None))))
    return revisions - revised


async def is_current(engine: AsyncEngine, plugin_dirs: Iterable[Path] = ()) -> bool:
    """Whether the database records exactly the scripts' heads; False for a new database."""
    try:
        async with engine.connect() as connection:
            recorded = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    except DBAPIError:  # no alembic_version table yet
        return False
    return set(recorded) == script_heads(version_locations(plugin_dirs))


async def upgrade(engine: AsyncEngine, plugin_dirs: Iterable[Path] = ()) -> None:
    plugin_dirs = list(plugin_dirs)
    if await is_current(engine, plugin_dirs):
        return
    from alembic import command

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
