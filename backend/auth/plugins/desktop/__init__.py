"""The desktop hand-off: a finished provider sign-in reaches the shell as a single-use code bound to the
shell's PKCE challenge, never as a session token in a URL or a cookie in its web view."""

from pathlib import Path

from backend.auth.plugin import Plugin
from backend.auth.plugins.desktop.routes import DESKTOP_COMPLETION, complete_with_grant, router

plugin = Plugin(
    id="desktop",
    router=router,
    migrations=Path(__file__).parent / "migrations",
    sign_in_completions={DESKTOP_COMPLETION: complete_with_grant},
)
