"""What a plugin is: routes under the auth mount, tables with their own migrations, and optionally a way
of recognising a credential on protected routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from backend.auth.core import Auth, Principal

CredentialResolver = Callable[["Auth", HTTPConnection], Awaitable["Principal | None"]]


@dataclass(frozen=True)
class Plugin:
    id: str
    router: APIRouter | None = None
    # A folder of Alembic revisions on a branch of the plugin's own, applied with the core's.
    migrations: Path | None = None
    authenticate: CredentialResolver | None = None
