"""The data dir checked before the app uses it, against real faults (a read-only mount, a full file system), and a
damaged database moved aside."""

from __future__ import annotations

from pathlib import Path

from kernia_desktop.data_dir import data_dir_problem, move_aside
from tests.support.faults import full_disk, mounted_read_only


def test_a_data_dir_the_app_can_write_is_made_and_left_clean(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    assert data_dir_problem(data) is None
    assert data.is_dir() and list(data.iterdir()) == []


def test_a_read_only_data_dir_says_so_and_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    with mounted_read_only(tmp_path / "data") as data:
        problem = data_dir_problem(data)
    assert problem is not None and "read-only" in problem and str(data) in problem
    assert "KERNIA_DESKTOP_DATA_DIR" in problem


def test_a_full_disk_says_so(tmp_path: Path) -> None:
    with full_disk(tmp_path / "data") as data:
        problem = data_dir_problem(data)
    assert problem is not None and "full" in problem


def test_a_damaged_database_is_moved_aside_with_its_journal(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    database.write_bytes(b"damaged")
    (tmp_path / "app.db-wal").write_bytes(b"journal")
    moved = move_aside(database)
    assert not database.exists() and not (tmp_path / "app.db-wal").exists()
    assert moved.read_bytes() == b"damaged" and moved.name.startswith("app.db.damaged-")
    assert moved.with_name(f"{moved.name}-wal").read_bytes() == b"journal"
