"""Fixed-window rate limits, counted per client address and per account."""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Iterable

from starlette.requests import HTTPConnection

from kernia_desktop_server.auth.errors import ApiError
from kernia_desktop_server.settings import Settings


def client_address(connection: HTTPConnection, trusted_proxies: Iterable[str]) -> str:
    """The caller's address. X-Forwarded-For counts only when the peer is a trusted proxy, and then the
    nearest address in it that is not itself a trusted proxy."""
    peer = connection.client.host if connection.client else "unknown"
    networks = [ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies]
    if not networks or not _in_networks(peer, networks):
        return peer
    hops = [hop.strip() for hop in connection.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in_networks(hop, networks):
            return hop
    return hops[0] if hops else peer


def _in_networks(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class RateLimiter:
    """In-process counters. Each worker counts on its own, so N workers allow up to N times the limit."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = settings.rate_limit_enabled
        self.window = settings.rate_limit_window
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, keys: Iterable[str], limit: int) -> None:
        """Counts one request against every key; raises 429 once any of them is over `limit`."""
        if not self.enabled:
            return
        now = self._clock()
        retry_after = 0.0
        for key in keys:
            started, count = self._windows.get(key, (now, 0))
            if now - started >= self.window:
                started, count = now, 0
            self._windows[key] = (started, count + 1)
            if count + 1 > limit:
                retry_after = max(retry_after, started + self.window - now)
        if len(self._windows) > 100_000:
            self._forget_expired(now)
        if retry_after:
            seconds = str(max(1, math.ceil(retry_after)))
            raise ApiError(
                429,
                "TOO_MANY_REQUESTS",
                f"Too many requests. Try again in {seconds} seconds.",
                headers={"Retry-After": seconds, "X-Retry-After": seconds},
            )

    def _forget_expired(self, now: float) -> None:
        self._windows = {key: value for key, value in self._windows.items() if now - value[0] < self.window}
