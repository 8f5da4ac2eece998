"""Sign-in through OAuth 2.0 and OpenID Connect providers (GitHub, Google, any OIDC issuer)."""

from pathlib import Path

from backend.auth.plugin import Plugin
from backend.auth.plugins.oauth.routes import form_post_router, router

plugin = Plugin(id="oauth", router=router, migrations=Path(__file__).parent / "migrations")

__all__ = ["form_post_router", "plugin"]
