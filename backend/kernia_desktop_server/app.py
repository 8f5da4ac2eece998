"""The default app: the auth API with every plugin, and nothing else. `python -m kernia_desktop_server` serves it;
an app of your own mounts a KerniaAuth on its FastAPI app instead (README, Build your own app)."""

from __future__ import annotations

from fastapi import FastAPI

from kernia_desktop_server.auth.plugins.api_keys.plugin import api_keys
from kernia_desktop_server.auth.plugins.desktop.plugin import desktop
from kernia_desktop_server.auth.plugins.email_password import email_password
from kernia_desktop_server.auth.plugins.oauth.plugin import oauth
from kernia_desktop_server.kernia import KerniaAuth
from kernia_desktop_server.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """The settings default to the environment's (Settings())."""
    app = FastAPI(title="Kernia Desktop server")
    KerniaAuth(settings, plugins=[email_password(), api_keys(), oauth(), desktop()]).mount(app)
    return app
