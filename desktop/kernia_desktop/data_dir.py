"""The data dir as the app needs it: a folder it can write, checked before anything uses it, with a problem told in
words a person can act on; and a damaged bundled database moved aside (kept, renamed) for a fresh start."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

# The SQLite journal files that belong with a database file.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def data_dir_problem(data_dir: Path) -> str | None:
    """Why the app cannot write `data_dir` (creating it if needed), or None when it can."""
    probe = data_dir / f".write-check-{os.getpid()}"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"x" * 4096)
        probe.unlink()
    except OSError as error:
        return explain(error, data_dir)
    return None


def explain(error: OSError, data_dir: Path) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk that holds {data_dir} is full. Free some space on it, then open the app again."
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (
            f"The app cannot write to its folder {data_dir}: it is read-only. Make it writable, or open the app "
            "with KERNIA_DESKTOP_DATA_DIR set to a folder it may write."
        )
    return f"The app cannot use its folder {data_dir} ({error.strerror or error}). Check the disk, then try again."


def move_aside(database: Path) -> Path:
    """Renames a damaged SQLite database (and its journal files) to `<name>.damaged-<time>`; the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = database.with_name(f"{database.name}.damaged-{stamp}")
    for suffix in ("", *SQLITE_COMPANIONS):
        part = database.with_name(database.name + suffix)
        if part.exists():
            part.rename(moved.with_name(moved.name + suffix))
    return moved
