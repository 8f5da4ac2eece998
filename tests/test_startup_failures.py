"""A server that cannot start says why in a line or two, naming the setting or the resource and what to do, and
exits with 2 for a setting to fix or 3 for a resource that cannot be used; never with a traceback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from examples.notes.server import create_app
from kernia_desktop_server import KerniaAuth, Settings
from tests.support.faults import mounted_read_only
from tests.support.postgres import postgres_admin_url
from tests.support.server import NOTES_SERVER, ROOT, free_port


def start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m kernia_desktop_server` serving the notes app with `env`, run until it exits."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KERNIA_")}
    environment.pop("DATABASE_URL", None)
    environment.update({"KERNIA_DATA_DIR": str(tmp_path / "data"), **env})
    command = [sys.executable, "-m", "kernia_desktop_server", "--app", NOTES_SERVER, "--port", str(free_port())]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


def said(run: subprocess.CompletedProcess[str]) -> str:
    """What the server said, checked to be short and free of tracebacks."""
    assert "Traceback" not in run.stderr, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, run.stderr
    return run.stderr


def postgres_url(**parts: str | int) -> str:
    return make_url(postgres_admin_url()).set(**parts).render_as_string(hide_password=False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("database_url", "says"),
    [
        ("not a url", "DATABASE_URL is not a database URL"),
        ("nosuchdb+driver://host/db", "DATABASE_URL names a driver this server cannot use"),
        ("postgresql://localhost/db", "DATABASE_URL names a driver this server cannot use"),
    ],
)
def test_a_database_url_that_cannot_work_is_a_setting_to_fix(tmp_path: Path, database_url: str, says: str) -> None:
    run = start(tmp_path, DATABASE_URL=database_url)
    assert run.returncode == 2 and says in said(run)


def test_a_wrong_password_is_a_setting_to_fix(tmp_path: Path) -> None:
    run = start(tmp_path, DATABASE_URL=postgres_url(password="not-the-password"))
    assert run.returncode == 2 and "refused DATABASE_URL's user or password" in said(run)


def test_an_unreachable_database_is_a_resource_to_make_available(tmp_path: Path) -> None:
    run = start(tmp_path, DATABASE_URL=postgres_url(port=free_port()))
    assert run.returncode == 3
    assert "cannot be reached" in said(run) and "start it, or fix DATABASE_URL" in run.stderr
    assert "not-the-password" not in run.stderr and "kernia_test@" not in run.stderr, "no password in the message"


def test_a_short_secret_is_a_setting_to_fix(tmp_path: Path) -> None:
    run = start(tmp_path, KERNIA_SECRET="too short")
    assert run.returncode == 2 and "KERNIA_SECRET must be at least 32 characters" in said(run)


def test_a_data_dir_it_cannot_write_is_a_resource_to_make_available(tmp_path: Path) -> None:
    (tmp_path / "read-only").mkdir()
    with mounted_read_only(tmp_path / "read-only") as folder:
        run = start(tmp_path, KERNIA_DATA_DIR=str(folder / "data"))
    assert run.returncode == 3
    assert f"cannot write {folder / 'data'}" in said(run) and "KERNIA_DATA_DIR" in run.stderr


def test_a_read_only_database_is_a_resource_to_make_available(tmp_path: Path) -> None:
    folder = tmp_path / "database"
    database_url = f"sqlite+aiosqlite:///{folder / 'app.db'}"
    auth = KerniaAuth.mounted_on(create_app(Settings(data_dir=tmp_path / "data", database_url=database_url)))
    assert auth is not None
    asyncio.run(auth.prepare())
    with mounted_read_only(folder):
        run = start(tmp_path, DATABASE_URL=database_url)
    assert run.returncode == 3 and f"the SQLite database {folder / 'app.db'}" in said(run)


def test_a_damaged_database_is_a_resource_to_make_available(tmp_path: Path) -> None:
    database = tmp_path / "damaged.db"
    database.write_bytes(b"these bytes are not an SQLite database" * 200)
    run = start(tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{database}")
    assert run.returncode == 3 and f"the SQLite database {database} is damaged" in said(run)
