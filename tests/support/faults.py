"""Faults the tests cause for real, as root: a folder made read-only under the process, and a full disk."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def mounted_read_only(folder: Path) -> Iterator[Path]:
    """`folder`, mounted read-only over itself."""
    subprocess.run(["mount", "--bind", folder, folder], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", folder], check=True)
        yield folder
    finally:
        subprocess.run(["umount", folder], check=True)


@contextmanager
def full_disk(folder: Path) -> Iterator[Path]:
    """`folder` on a tiny file system of its own, filled up."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", folder], check=True)
    try:
        filler = folder / "filler"
        try:
            with filler.open("wb") as output:
                while True:
                    output.write(b"\0" * 4096)
                    output.flush()
        except OSError:
            pass
        yield folder
    finally:
        subprocess.run(["umount", folder], check=True)
