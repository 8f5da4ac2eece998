"""The api_keys plugin: its routes, its table, and the x-api-key header recognised on protected routes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import APIRouter

from kernia_desktop_server.auth.core import Auth
from kernia_desktop_server.auth.plugin import Plugin
from kernia_desktop_server.auth.plugins.api_keys.routes import api_key_router, authenticate_api_key


class ApiKeys(Plugin):
    id = "api-key"
    migrations = Path(__file__).parent / "migrations"

    def __init__(self, prefix: str | None = None) -> None:
        self.prefix = prefix

    def setup(self, auth: Auth, plugins: Sequence[Plugin]) -> None:
        if self.prefix is None:
            self.prefix = auth.settings.api_key_prefix
        auth.credential_resolvers.append(authenticate_api_key)

    def routers(self) -> Sequence[APIRouter]:
        return (api_key_router(self.prefix or None),)


def api_keys(prefix: str | None = None) -> ApiKeys:
    """API keys (/api-key/create, list, get, update, delete), accepted in the x-api-key header wherever a session
    is. New keys begin with `prefix` (default: KERNIA_API_KEY_PREFIX, else kernia_); "" gives keys no prefix."""
    return ApiKeys(prefix)
