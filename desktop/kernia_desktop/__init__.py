"""Kernia Desktop's shell: ship a Python desktop app (pywebview on Qt WebEngine) that signs in to a Kernia or
Better Auth server and keeps the credential in the OS keyring.

    app = DesktopApp("acme", renderer=Path(__file__).parent / "ui", server="https://api.acme.com/api/auth")

    @app.expose
    def list_projects(session: Session) -> list[dict]:
        return session.get("/api/projects").json()

    app.run()
"""

from kernia_desktop.app import DesktopApp
from kernia_desktop.bridge import BridgeError
from kernia_desktop.session import Session
from kernia_desktop.settings import SettingsError
from kernia_desktop_server import __version__

__all__ = ["BridgeError", "DesktopApp", "Session", "SettingsError", "__version__"]
