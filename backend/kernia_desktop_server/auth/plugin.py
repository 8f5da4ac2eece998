"""What a plugin is: a feature added to the auth core, which owns its routes (mounted under the auth path), its
tables (Alembic revisions on a branch of its own), its options and state, and its start and stop.

In `setup` a plugin may extend the core (a credential it recognises on protected routes, origins it trusts) and use
what other plugins offer (`services`): the desktop plugin finishes the oauth plugin's sign-ins in its own way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, TypeVar

from fastapi import APIRouter

from kernia_desktop_server.auth.core import Auth
from kernia_desktop_server.settings import ConfigurationError

T = TypeVar("T")


class Plugin:
    id: ClassVar[str]
    # A folder of Alembic revisions on a branch of the plugin's own, applied with the core's.
    migrations: ClassVar[Path | None] = None

    def setup(self, auth: Auth, plugins: Sequence[Plugin]) -> None:
        """Called once, when the KerniaAuth that holds the plugin is made; `plugins` are all of its plugins."""

    def routers(self) -> Sequence[APIRouter]:
        """The plugin's routes, mounted under the auth path. Each router adds the origin check itself
        (`Depends(verify_origin)`) unless its routes must take posts from other sites."""
        return ()

    def services(self) -> Sequence[object]:
        """What the plugin offers other plugins, found with `service_of`."""
        return ()

    async def start(self) -> None:
        """Runs as the app starts, after the migrations."""

    async def stop(self) -> None:
        """Runs as the app stops."""


def service_of(plugins: Sequence[Plugin], kind: type[T], needed_by: str) -> T:
    """The service of type `kind` that one of `plugins` offers; ConfigurationError when none does."""
    for plugin in plugins:
        for service in plugin.services():
            if isinstance(service, kind):
                return service
    raise ConfigurationError(f"the {needed_by} plugin needs a plugin that offers {kind.__name__}; add it to plugins")
