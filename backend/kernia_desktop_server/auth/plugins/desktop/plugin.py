"""The desktop plugin: the hand-off routes and grants table, for the update channels it serves. It finishes the
oauth plugin's sign-ins with a hand-off code, so it needs that plugin."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from fastapi import APIRouter

from kernia_desktop_server.auth.core import Auth
from kernia_desktop_server.auth.plugin import Plugin, service_of
from kernia_desktop_server.auth.plugins.desktop.routes import DESKTOP_COMPLETION, complete_with_grant, desktop_router
from kernia_desktop_server.auth.plugins.oauth.service import SignInService
from kernia_desktop_server.channels import channel_callbacks
from kernia_desktop_server.settings import ConfigurationError


class Desktop(Plugin):
    id = "desktop"
    migrations = Path(__file__).parent / "migrations"

    def __init__(self, channels: Iterable[str] | None = None) -> None:
        self.channels = None if channels is None else list(channels)
        self.callbacks: dict[str, str] = {}
        self._sign_ins: SignInService | None = None

    def setup(self, auth: Auth, plugins: Sequence[Plugin]) -> None:
        try:
            self.callbacks = channel_callbacks(auth.settings.base_url, self.channels or auth.settings.desktop_channels)
        except ValueError as error:
            raise ConfigurationError(f"the desktop plugin's channels: {error}") from None
        # Trusted as KERNIA_TRUSTED_ORIGINS are: each channel's callback is where this server sends a browser back.
        auth.trust(self.callbacks.values())
        self._sign_ins = service_of(plugins, SignInService, self.id)
        self._sign_ins.add_completion(DESKTOP_COMPLETION, complete_with_grant)

    def routers(self) -> Sequence[APIRouter]:
        assert self._sign_ins is not None, "set up by KerniaAuth"
        return (desktop_router(self._sign_ins, self.callbacks),)


def desktop(channels: Iterable[str] | None = None) -> Desktop:
    """The desktop hand-off (/desktop/authorize, /desktop/token, /desktop/callback/<channel>) for the desktop
    shell's social sign-in. `channels` are the update channels served: `name` (its callback is this server's
    /desktop/callback/<name>) or `name=callback URL`; default KERNIA_DESKTOP_CHANNELS, else stable. Needs the
    oauth plugin."""
    return Desktop(channels)
