"""Kernia Desktop's server: a FastAPI auth API that speaks the Kernia / Better Auth wire protocol, mounted on your
own FastAPI app (KerniaAuth), with plugins for email and password, API keys, OAuth and OpenID Connect sign-in and
the desktop shell's hand-off.

The names below load on first use: the desktop shell imports this package's standard-library modules (channels,
local_sessions) at launch, and an install without the server extra has no FastAPI to load.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_EXPORTS = {
    "KerniaAuth": "kernia_desktop_server.kernia",
    "Settings": "kernia_desktop_server.settings",
    "ConfigurationError": "kernia_desktop_server.settings",
    "create_app": "kernia_desktop_server.app",
    "Plugin": "kernia_desktop_server.auth.plugin",
    "email_password": "kernia_desktop_server.auth.plugins.email_password",
    "api_keys": "kernia_desktop_server.auth.plugins.api_keys.plugin",
    "oauth": "kernia_desktop_server.auth.plugins.oauth.plugin",
    "desktop": "kernia_desktop_server.auth.plugins.desktop.plugin",
    "ProviderConfig": "kernia_desktop_server.auth.plugins.oauth.config",
    "ProfileMapping": "kernia_desktop_server.auth.plugins.oauth.config",
    "oauth2_provider": "kernia_desktop_server.auth.plugins.oauth.config",
    "oidc_provider": "kernia_desktop_server.auth.plugins.oauth.config",
    "apple_provider": "kernia_desktop_server.auth.plugins.oauth.presets",
    "discord_provider": "kernia_desktop_server.auth.plugins.oauth.presets",
    "github_provider": "kernia_desktop_server.auth.plugins.oauth.presets",
    "gitlab_provider": "kernia_desktop_server.auth.plugins.oauth.presets",
    "google_provider": "kernia_desktop_server.auth.plugins.oauth.presets",
    "microsoft_provider": "kernia_desktop_server.auth.plugins.oauth.presets",
    "ApiError": "kernia_desktop_server.auth.errors",
    "User": "kernia_desktop_server.auth.models",
    "Base": "kernia_desktop_server.db.base",
    "UTCDateTime": "kernia_desktop_server.db.base",
    "new_id": "kernia_desktop_server.db.base",
    "is_id": "kernia_desktop_server.db.base",
    "utcnow": "kernia_desktop_server.db.base",
    "Reader": "kernia_desktop_server.db.read",
}

__all__ = [
    "ApiError",
    "Base",
    "ConfigurationError",
    "KerniaAuth",
    "Plugin",
    "ProfileMapping",
    "ProviderConfig",
    "Reader",
    "Settings",
    "UTCDateTime",
    "User",
    "__version__",
    "api_keys",
    "apple_provider",
    "create_app",
    "desktop",
    "discord_provider",
    "email_password",
    "github_provider",
    "gitlab_provider",
    "google_provider",
    "is_id",
    "microsoft_provider",
    "new_id",
    "oauth",
    "oauth2_provider",
    "oidc_provider",
    "utcnow",
]

if TYPE_CHECKING:
    from kernia_desktop_server.app import create_app
    from kernia_desktop_server.auth.errors import ApiError
    from kernia_desktop_server.auth.models import User
    from kernia_desktop_server.auth.plugin import Plugin
    from kernia_desktop_server.auth.plugins.api_keys.plugin import api_keys
    from kernia_desktop_server.auth.plugins.desktop.plugin import desktop
    from kernia_desktop_server.auth.plugins.email_password import email_password
    from kernia_desktop_server.auth.plugins.oauth.config import (
        ProfileMapping,
        ProviderConfig,
        oauth2_provider,
        oidc_provider,
    )
    from kernia_desktop_server.auth.plugins.oauth.plugin import oauth
    from kernia_desktop_server.auth.plugins.oauth.presets import (
        apple_provider,
        discord_provider,
        github_provider,
        gitlab_provider,
        google_provider,
        microsoft_provider,
    )
    from kernia_desktop_server.db.base import Base, UTCDateTime, is_id, new_id, utcnow
    from kernia_desktop_server.db.read import Reader
    from kernia_desktop_server.kernia import KerniaAuth
    from kernia_desktop_server.settings import ConfigurationError, Settings


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kernia_desktop_server' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
