"""What stops a server from starting, said in a line or two that name the setting or the resource and what to do,
with an exit status that tells the two apart: a setting to fix, or a resource to make available."""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidRequestError, NoSuchModuleError

from kernia_desktop_server.db.availability import driver_error
from kernia_desktop_server.kernia import KerniaAuth
from kernia_desktop_server.settings import ConfigurationError, Settings

# A setting is wrong: fix it (the same status the short-secret check has always had).
EXIT_CONFIGURATION = 2
# A resource the server needs cannot be used (the database, the data dir): make it available.
EXIT_UNAVAILABLE = 3


@dataclass(frozen=True)
class StartupFailure(Exception):
    status: int
    message: str
    # The SQLite file that is damaged, when that is what stopped the start: an app may offer to move it aside.
    damaged_file: str | None = None

    def __str__(self) -> str:
        return self.message


def load_factory(factory: Callable[..., Any] | str) -> Callable[..., Any]:
    """An app factory, or one named "module:function" and imported now; StartupFailure when it cannot be."""
    if not isinstance(factory, str):
        return factory
    module, _, name = factory.partition(":")
    try:
        loaded: Callable[..., Any] = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise StartupFailure(EXIT_CONFIGURATION, f"the app {factory!r} cannot be loaded: {error}") from None
    return loaded


def prepared_app(make_app: Callable[[], FastAPI], settings: Settings | None) -> FastAPI:
    """The app `make_app` makes, with the database of the auth mounted on it brought up to date: its start-up fails
    here, where the failure is told in words (a server would log a traceback). A known failure is raised as a
    StartupFailure; any other (a bug) as it is."""
    try:
        app = make_app()
        auth = KerniaAuth.mounted_on(app)
        if auth is not None:
            asyncio.run(auth.prepare())
    except Exception as error:
        failure = explained(error, settings)
        if failure is None:
            raise
        raise failure from None
    return app


def _database(settings: Settings | None) -> str:
    """The database, named without its password."""
    if settings is None:
        return "the database"
    url = make_url(settings.database)
    if url.get_backend_name() == "sqlite":
        return f"the SQLite database {url.database}"
    return f"the database {url.database} at {url.host}:{url.port or 5432}"


def explained(error: BaseException, settings: Settings | None) -> StartupFailure | None:
    """The failure `error` stands for, or None when it is not one of the known start-up failures (a bug)."""
    if isinstance(error, StartupFailure):
        return error
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc'])).upper() or 'a setting'}: {problem['msg']}"
            for problem in error.errors()
        )
        return StartupFailure(EXIT_CONFIGURATION, f"{problems} (KERNIA_ settings and DATABASE_URL)")
    if isinstance(error, ConfigurationError):
        return StartupFailure(EXIT_CONFIGURATION, str(error))
    if isinstance(error, NoSuchModuleError | InvalidRequestError | ImportError):
        return StartupFailure(
            EXIT_CONFIGURATION,
            f"DATABASE_URL names a driver this server cannot use ({error}): use postgresql+asyncpg or sqlite+aiosqlite",
        )
    if isinstance(error, ArgumentError):
        return StartupFailure(
            EXIT_CONFIGURATION,
            "DATABASE_URL is not a database URL: use e.g. postgresql+asyncpg://user:password@host/database or "
            "sqlite+aiosqlite:////path/to/file.db",
        )
    cause = driver_error(error)
    name = type(cause).__name__
    database = _database(settings)
    if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
        return StartupFailure(EXIT_CONFIGURATION, f"{database} refused DATABASE_URL's user or password: {cause}")
    if name == "InvalidCatalogNameError":
        return StartupFailure(EXIT_CONFIGURATION, f"{database} does not exist: create it, or fix DATABASE_URL")
    if isinstance(cause, OSError) and cause.filename:
        # A file or folder of its own (the data dir, the secret, the SQLite database), not a network peer.
        return StartupFailure(
            EXIT_UNAVAILABLE,
            f"the server cannot write {cause.filename} ({cause.strerror}): give it a data dir it may write "
            "(KERNIA_DATA_DIR)",
        )
    text = str(cause)
    if isinstance(cause, sqlite3.Error) or "sqlite3" in type(cause).__module__:
        if "readonly" in text or "read-only" in text:
            return StartupFailure(EXIT_UNAVAILABLE, f"{database} is read-only: the server must be able to write it")
        if "not a database" in text or "malformed" in text:
            return StartupFailure(
                EXIT_UNAVAILABLE,
                f"{database} is damaged ({text}): restore it from a backup, or move it away",
                make_url(settings.database).database if settings is not None else None,
            )
        return StartupFailure(EXIT_UNAVAILABLE, f"{database} cannot be used: {text}")
    if isinstance(cause, OSError) or isinstance(error, DBAPIError):
        return StartupFailure(
            EXIT_UNAVAILABLE, f"{database} cannot be reached ({text or name}): start it, or fix DATABASE_URL"
        )
    return None
