"""Named partitions, as Electron names them: `persist:<name>` keeps web storage on disk, any other name is
in memory only. Each partition is one web profile and one signed-in account."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PARTITION = "persist:kernia"
PERSIST_PREFIX = "persist:"
_NAME = re.compile(r"^(persist:)?[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class InvalidPartition(ValueError):
    pass


@dataclass(frozen=True)
class Partition:
    name: str

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise InvalidPartition(
                f"{self.name!r} is not a partition name: use letters, digits, '.', '_' or '-', "
                "optionally after 'persist:'"
            )

    @property
    def persistent(self) -> bool:
        return self.name.startswith(PERSIST_PREFIX)

    @property
    def slug(self) -> str:
        return self.name.removeprefix(PERSIST_PREFIX)

    def storage_dir(self, data_dir: Path) -> Path | None:
        """Where a persistent partition keeps its web storage; None for an in-memory one."""
        return data_dir / "partitions" / self.slug if self.persistent else None
