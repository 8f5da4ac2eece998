"""The providers a server offers, each with a client made on first use."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from kernia_desktop_server.auth.errors import bad_request
from kernia_desktop_server.auth.plugins.oauth.config import ProviderConfig
from kernia_desktop_server.auth.plugins.oauth.protocol import ProviderClient


class ProviderRegistry:
    def __init__(self, configs: Iterable[ProviderConfig]) -> None:
        self.configs = {config.id: config for config in configs}
        self._clients: dict[str, ProviderClient] = {}
        # The providers' HTTP client, made with the first provider client unless one was set before.
        self.http: httpx.AsyncClient | None = None
        # Where providers send the browser back: <auth URL>/callback/<provider>; set when the plugin is set up.
        self.auth_url = ""

    def client(self, provider_id: str) -> ProviderClient:
        """The provider's client; 400 for a provider that does not exist or is not set up."""
        config = self.configs.get(provider_id)
        if config is None:
            raise bad_request("PROVIDER_NOT_FOUND", f"There is no provider called {provider_id!r}")
        if config.problem:
            raise bad_request("PROVIDER_NOT_CONFIGURED", f"{config.name} sign-in is not set up: {config.problem}")
        if provider_id not in self._clients:
            if self.http is None:
                self.http = httpx.AsyncClient(timeout=15.0, follow_redirects=False)
            redirect_uri = f"{self.auth_url}/callback/{provider_id}"
            self._clients[provider_id] = ProviderClient(config, redirect_uri, self.http)
        return self._clients[provider_id]

    async def close(self) -> None:
        if self.http is not None:
            await self.http.aclose()
            self.http = None
        self._clients.clear()
