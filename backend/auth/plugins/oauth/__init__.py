"""Sign-in through OAuth 2.0 and OpenID Connect providers (GitHub, Google, any OIDC issuer)."""

from pathlib import Path

from backend.auth.plugin import Plugin
from backend.auth.plugins.oauth.routes import router

plugin = Plugin(id="oauth", router=router, migrations=Path(__file__).parent / "migrations")
