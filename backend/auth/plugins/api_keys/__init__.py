"""API keys: long-lived credentials a user makes for scripts and services, sent in the x-api-key header."""

from pathlib import Path

from backend.auth.plugin import Plugin
from backend.auth.plugins.api_keys.routes import authenticate_api_key, router

plugin = Plugin(
    id="api-key",
    router=router,
    migrations=Path(__file__).parent / "migrations",
    authenticate=authenticate_api_key,
)
