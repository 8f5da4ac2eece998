import pytest
from starlette.requests import Request

from kernia_desktop_server.auth.errors import ApiError
from kernia_desktop_server.auth.rate_limit import RateLimiter, client_address
from kernia_desktop_server.settings import Settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_counts_per_key_and_resets_after_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Settings(rate_limit_window=60), clock)
    for _ in range(3):
        limiter.hit(["a"], 3)
    with pytest.raises(ApiError) as refused:
        limiter.hit(["a"], 3)
    assert refused.value.status == 429
    assert refused.value.headers["Retry-After"] == "60"
    limiter.hit(["b"], 3)
    clock.now += 30
    with pytest.raises(ApiError) as refused:
        limiter.hit(["a"], 3)
    assert refused.value.headers["Retry-After"] == "30"
    clock.now += 31
    limiter.hit(["a"], 3)


def test_any_key_over_its_limit_refuses() -> None:
    limiter = RateLimiter(Settings(), FakeClock())
    limiter.hit(["address:1", "account:x"], 1)
    with pytest.raises(ApiError):
        limiter.hit(["address:2", "account:x"], 1)


def test_disabled_limiter_never_refuses() -> None:
    limiter = RateLimiter(Settings(rate_limit_enabled=False), FakeClock())
    for _ in range(10):
        limiter.hit(["a"], 1)


def _request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "headers": headers, "client": (peer, 1234)})


def test_forwarded_for_is_ignored_from_untrusted_peers() -> None:
    assert client_address(_request("203.0.113.9", "198.51.100.1"), []) == "203.0.113.9"
    assert client_address(_request("203.0.113.9", "198.51.100.1"), ["10.0.0.0/8"]) == "203.0.113.9"


def test_forwarded_for_from_a_trusted_proxy_names_the_nearest_untrusted_hop() -> None:
    request = _request("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.7")
    assert client_address(request, ["10.0.0.0/8"]) == "198.51.100.1"
    assert client_address(_request("10.0.0.2"), ["10.0.0.0/8"]) == "10.0.0.2"
