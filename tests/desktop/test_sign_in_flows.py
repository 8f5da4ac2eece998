"""The shell's provider sign-in, both flows, against the live backend and the real OpenID provider.

The embedded window is stood in for by an HTTP client that follows it hop by hop (the Qt window itself is
tested by the app tests); the system flow uses the real loopback listener and a real browser (Chromium, driven
by tests/support/system_browser.py through the standard BROWSER variable)."""

from __future__ import annotations

import json
import sys
import threading
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernia_desktop.account import Account
from kernia_desktop.loopback import LoopbackListener
from kernia_desktop.oauth import SocialSignIn, flow_for
from kernia_desktop.sign_in import CANCELLED, SIGNED_IN, TIMED_OUT
from tests.support.oauth_flows import HttpWindowHost, shell_account, stored
from tests.support.openid_provider import PROVIDER_ID, OpenIdProvider
from tests.support.server import ROOT, LiveServer


@pytest.fixture
def server(tmp_path: Path, openid_provider: OpenIdProvider) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "live", f"sqlite+aiosqlite:///{tmp_path / 'live.db'}", openid_provider.environment())
    live.start()
    yield live
    live.stop()


@pytest.fixture
def account(server: LiveServer) -> Iterator[Account]:
    with shell_account(f"{server.url}/api/auth") as signed_out:
        yield signed_out


def test_embedded_flow_signs_in_through_the_hand_off(account: Account) -> None:
    host = HttpWindowHost("embedded-user")
    flows = SocialSignIn(host, timeout=60, open_browser=lambda url: False, bring_to_front=lambda parent: None)
    assert flows.run(account, PROVIDER_ID, "embedded", parent="main-window") == SIGNED_IN
    assert account.user and account.user["email"] == "embedded-user@example.com"
    assert host.parents == ["main-window"] and host.window.closed
    token = stored(account)
    assert token and account.client.get_session(token).user["email"] == "embedded-user@example.com"


@pytest.fixture
def system_browser(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """BROWSER names the Chromium stand-in; webbrowser reads it afresh."""
    report = tmp_path / "browser-report.json"
    monkeypatch.setenv("BROWSER", f"{sys.executable} {ROOT / 'tests' / 'support' / 'system_browser.py'} %s &")
    monkeypatch.setenv("KERNIA_TEST_BROWSER_REPORT", str(report))
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    return report


def test_system_flow_signs_in_through_the_users_browser(
    account: Account, system_browser: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERNIA_TEST_BROWSER_LOGIN", "browser-user")
    raised: list[Any] = []
    flows = SocialSignIn(
        HttpWindowHost("unused"), timeout=120, open_browser=webbrowser.open, bring_to_front=raised.append
    )
    assert flows.run(account, PROVIDER_ID, "system", parent="main-window") == SIGNED_IN
    assert account.user and account.user["email"] == "browser-user@example.com"
    assert raised == ["main-window"]
    assert stored(account)
    for _ in range(100):
        if system_browser.exists():
            break
        time.sleep(0.1)
    landed = json.loads(system_browser.read_text())
    assert landed["url"].startswith("http://127.0.0.1:") and "code=" in landed["url"]
    assert "Signed in — you can close this tab" in landed["text"]


def test_system_flow_reports_access_denied(
    account: Account, system_browser: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERNIA_TEST_BROWSER_LOGIN", "denying-user")
    monkeypatch.setenv("KERNIA_TEST_BROWSER_DENY", "1")
    flows = SocialSignIn(
        HttpWindowHost("unused"), timeout=120, open_browser=webbrowser.open, bring_to_front=lambda parent: None
    )
    outcome = flows.run(account, PROVIDER_ID, "system", parent=None)
    assert outcome.error == "access_denied"
    assert account.user is None and stored(account) is None


def test_timeout_and_cancel_close_the_listener_and_store_nothing(account: Account) -> None:
    opened: list[str] = []

    def browser_that_never_returns(url: str) -> bool:
        opened.append(url)
        return True

    flows = SocialSignIn(
        HttpWindowHost("unused"), timeout=0.5, open_browser=browser_that_never_returns, bring_to_front=print
    )
    assert flows.run(account, PROVIDER_ID, "system", parent=None) == TIMED_OUT
    redirect = httpx.URL(opened[0]).params["redirect_uri"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(redirect)

    flows.timeout = 60
    outcome: list[Any] = []
    runner = threading.Thread(target=lambda: outcome.append(flows.run(account, PROVIDER_ID, "system", parent=None)))
    runner.start()
    while len(opened) < 2:
        time.sleep(0.05)
    assert flows.cancel(account)
    runner.join(10)
    assert outcome == [CANCELLED]
    assert stored(account) is None and account.user is None


def test_one_flow_at_a_time_per_partition(account: Account) -> None:
    started = threading.Event()

    def slow_browser(url: str) -> bool:
        started.set()
        return True

    flows = SocialSignIn(HttpWindowHost("unused"), timeout=5, open_browser=slow_browser, bring_to_front=print)
    first = threading.Thread(target=flows.run, args=(account, PROVIDER_ID, "system", None))
    first.start()
    started.wait(5)
    assert flows.run(account, PROVIDER_ID, "system", None).error == "FLOW_IN_PROGRESS"
    flows.cancel(account)
    first.join(10)


def test_listener_takes_one_matching_callback_and_refuses_the_rest() -> None:
    received: list[str] = []
    listener = LoopbackListener("the-right-state", received.append)
    base = listener.redirect_uri
    try:
        assert base.startswith("http://127.0.0.1:")
        refused = [
            httpx.get(f"{base}?state=wrong&code=x"),
            httpx.get(f"{base}?code=x"),
            httpx.get(f"http://127.0.0.1:{listener.port}/other?state=the-right-state&code=x"),
            httpx.get(f"{base}?state=the-right-state&code=x", headers={"Host": "evil.example"}),
        ]
        assert [response.status_code for response in refused] == [400, 400, 400, 400]
        assert received == []
        accepted = httpx.get(f"{base}?state=the-right-state&code=the-code")
        assert accepted.status_code == 200 and "you can close this tab" in accepted.text
        second = httpx.get(f"{base}?state=the-right-state&code=another")
        assert second.status_code == 400
        assert received == [f"{base}?state=the-right-state&code=the-code"]
    finally:
        listener.close()


def test_flow_choice_per_provider() -> None:
    assert flow_for("google", None, {}) == "system"
    assert flow_for("github", None, {}) == "embedded"
    assert flow_for("github", None, {"github": "system"}) == "system"
    assert flow_for("google", None, {"google": "embedded"}) == "embedded"
    assert flow_for("google", "embedded", {"google": "system"}) == "embedded"
