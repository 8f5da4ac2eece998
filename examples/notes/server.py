"""The notes app's server: the auth API with every plugin, and the notes API. The desktop app runs it bundled;
`python -m kernia_desktop_server --app examples.notes.server:create_app` serves it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI

from examples.notes.notes import notes_router
from kernia_desktop_server import (
    KerniaAuth,
    ProviderConfig,
    Settings,
    api_keys,
    desktop,
    email_password,
    oauth,
)

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, *, providers: Sequence[ProviderConfig] | None = None) -> FastAPI:
    """`settings` default to the environment's; `providers` to those the environment configures."""
    auth = KerniaAuth(
        settings,
        plugins=[email_password(), api_keys(), oauth(providers), desktop()],
        migrations=[MIGRATIONS],
    )
    app = FastAPI(title="Kernia Desktop notes")
    auth.mount(app)
    app.include_router(notes_router(auth), prefix="/api")
    return app
