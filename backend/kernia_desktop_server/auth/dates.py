"""Dates as the wire carries them and as SQLite keeps them. Standard library only: the desktop shell's launch-time
session check (local_sessions) writes the same dates the server does."""

from __future__ import annotations

from datetime import UTC, datetime


def wire_datetime(value: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and a Z, as JavaScript's Date.toISOString writes it."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stored_datetime(value: str) -> datetime:
    """A UTC date as SQLAlchemy keeps it in SQLite: ISO-8601 text without a zone."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
