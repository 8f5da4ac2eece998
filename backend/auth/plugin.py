"""What a plugin is: routes under the auth mount, tables with their own migrations, a way of recognising a
credential on protected routes, and ways of finishing a provider sign-in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

if TYPE_CHECKING:
    from backend.auth.core import Auth, Principal
    from backend.auth.models import User

CredentialResolver = Callable[["Auth", HTTPConnection], Awaitable["Principal | None"]]


@dataclass(frozen=True)
class FinishedSignIn:
    """A provider sign-in that succeeded: whose it is, and what its flow asked for when it began."""

    user: User
    is_new_user: bool
    callback_url: str
    new_user_callback_url: str | None
    data: Mapping[str, Any]


# Builds the response that ends a successful provider sign-in (a session cookie and a redirect, by default).
SignInCompletion = Callable[["Auth", Request, AsyncSession, FinishedSignIn], Awaitable[Response]]


@dataclass(frozen=True)
class Plugin:
    id: str
    router: APIRouter | None = None
    # A folder of Alembic revisions on a branch of the plugin's own, applied with the core's.
    migrations: Path | None = None
    authenticate: CredentialResolver | None = None
    sign_in_completions: Mapping[str, SignInCompletion] = field(default_factory=dict)
