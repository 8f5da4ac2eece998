"""The PostgreSQL server that `make test` and `make bench` start (scripts/postgres.sh): new databases of their own,
and emptying one."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pytest
from sqlalchemy.engine import make_url


def postgres_admin_url() -> str:
    url = os.environ.get("KERNIA_TEST_POSTGRES_URL")
    if not url:
        pytest.fail(
            "KERNIA_TEST_POSTGRES_URL is not set: run the tests with `make test`, which starts PostgreSQL "
            "(scripts/postgres.sh) and sets it"
        )
    return url


# Empties every table but the two that migrations fill: the schema version and the auth revision's one row.
TRUNCATE_ALL = """
DO $$ DECLARE tables text;
BEGIN
  SELECT string_agg(format('%I', tablename), ', ') INTO tables
  FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('alembic_version', 'auth_revision');
  IF tables IS NOT NULL THEN EXECUTE 'TRUNCATE ' || tables || ' CASCADE'; END IF;
END $$;
"""


async def _admin(url: str, statement: str) -> None:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password, database=parsed.database
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def run_admin(url: str, statement: str) -> None:
    asyncio.run(_admin(url, statement))


@contextmanager
def new_postgres_database(admin: str, label: str = "test") -> Iterator[str]:
    """The URL of a new, empty database on the server of `admin` (the URL of its maintenance database), dropped
    on leaving."""
    name = f"kernia_{label}_{secrets.token_hex(4)}"
    run_admin(admin, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        run_admin(admin, f'DROP DATABASE "{name}" WITH (FORCE)')
