"""The oauth plugin: its providers, routes and table, and the sign-in service it offers other plugins."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from fastapi import APIRouter

from kernia_desktop_server.auth.core import Auth
from kernia_desktop_server.auth.plugin import Plugin
from kernia_desktop_server.auth.plugins.oauth.config import ProviderConfig
from kernia_desktop_server.auth.plugins.oauth.providers import providers_from_environment
from kernia_desktop_server.auth.plugins.oauth.registry import ProviderRegistry
from kernia_desktop_server.auth.plugins.oauth.routes import oauth_routers
from kernia_desktop_server.auth.plugins.oauth.service import SignInService


class OAuth(Plugin):
    id = "oauth"
    migrations = Path(__file__).parent / "migrations"

    def __init__(self, providers: Iterable[ProviderConfig]) -> None:
        self.sign_ins = SignInService(ProviderRegistry(providers))

    def setup(self, auth: Auth, plugins: Sequence[Plugin]) -> None:
        self.sign_ins.providers.auth_url = auth.settings.base_url

    def routers(self) -> Sequence[APIRouter]:
        return oauth_routers(self.sign_ins)

    def services(self) -> Sequence[object]:
        return (self.sign_ins,)

    async def stop(self) -> None:
        await self.sign_ins.providers.close()


def oauth(providers: Iterable[ProviderConfig] | None = None) -> OAuth:
    """Sign-in with OAuth 2.0 and OpenID Connect providers (/sign-in/social, /callback/{provider}, /providers).
    `providers` come from oauth2_provider, oidc_provider or a preset (github_provider, ...); without them, they
    are read from the environment (see providers)."""
    return OAuth(providers_from_environment(os.environ) if providers is None else providers)
