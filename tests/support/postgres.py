"""The PostgreSQL server that `make test` and `make bench` start (scripts/postgres.sh): new databases of their own,
and emptying one."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.support.server import free_port


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


class PostgresCluster:
    """A PostgreSQL server of a test's own, on a port of its own, which the test may stop and start: the Debian
    server's programs, run as the postgres user (PostgreSQL refuses to run as root), in a folder of /tmp that user
    can reach (a test's tmp_path is root's alone)."""

    def __init__(self) -> None:
        self.bin = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
        self.directory = Path(tempfile.mkdtemp(prefix="kernia-postgres-"))
        self.data = self.directory / "data"
        shutil.chown(self.directory, "postgres", "postgres")
        self.port = free_port()
        self._as_postgres(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str | Path) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *map(str, command)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{command[0]}: {done.stdout}{done.stderr}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self._as_postgres(
            self.bin / "pg_ctl", "-D", self.data, "-l", self.directory / "server.log", "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        self._as_postgres(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.directory)
