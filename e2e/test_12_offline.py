"""Case 12: the app keeps its user when the server cannot be reached. Remote mode against a live server of the notes
app that the test stops and starts again: a relaunch while it is down shows the signed-in view of the last known
user, marked offline, and recovers by itself once the server is back; a sign-out while it is down forgets the
credential at once and revokes the session once the server is back."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e.harness import Harness
from e2e.ui import SIGNED_OUT, add_note, error_code
from kernia_desktop.partition import DEFAULT_PARTITION
from tests.support.desktop import sign_up_in_window, wait_until
from tests.support.keyring import keyring_secrets
from tests.support.server import LiveServer, unique_email

OFFLINE = "body[data-view=signed-in][data-offline=true]"
ONLINE = "body[data-view=signed-in][data-offline=false]"


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "remote", f"sqlite+aiosqlite:///{tmp_path / 'remote.db'}").start()
    yield server
    server.stop()


def settings(server: LiveServer) -> dict[str, str]:
    return {"KERNIA_DESKTOP_SERVER": f"{server.url}/api/auth"}


def session_ended(server: LiveServer, token: str) -> bool:
    response = httpx.get(f"{server.url}/api/auth/get-session", headers={"authorization": f"Bearer {token}"})
    return response.status_code == 200 and response.json() is None


def test_an_offline_relaunch_shows_the_last_user_and_recovers_when_the_server_returns(
    harness: Harness, remote: LiveServer
) -> None:
    launch = harness.launch(**settings(remote))
    page = harness.main_page(launch)
    sign_up_in_window(page, "Ada Lovelace", unique_email("offline"))
    add_note(page, "Kept on the server", "until it is back")
    remote.stop()

    again = harness.main_page(harness.restart(launch, **settings(remote)))
    again.wait_for_selector(OFFLINE, timeout=30_000)
    assert "Ada Lovelace" in again.inner_text("#whoami-name")
    assert "offline" in again.inner_text("#banner-text") and again.is_visible("#retry")
    assert again.is_disabled("#note-form button[type=submit]") and again.is_enabled("#sign-out")
    assert "Not available offline" in again.inner_text("#notes")
    # The accounts the app keeps are listed from the keyring, offline too.
    again.locator("#accounts li", has_text="Ada Lovelace").wait_for()
    assert len(keyring_secrets(harness.keyring, f"kernia-desktop:{remote.url}")) == 1

    remote.start()
    again.wait_for_selector(ONLINE, timeout=30_000)
    again.locator("#notes li", has_text="Kept on the server").wait_for()
    assert again.is_hidden("#banner")


def test_signing_out_offline_forgets_at_once_and_revokes_once_the_server_is_back(
    harness: Harness, remote: LiveServer
) -> None:
    service = f"kernia-desktop:{remote.url}"
    page = harness.main_page(harness.launch(**settings(remote)))
    sign_up_in_window(page, "Alan Turing", unique_email("offline-out"))
    [token] = keyring_secrets(harness.keyring, service)
    remote.stop()

    page.click("#sign-out")
    page.wait_for_selector(SIGNED_OUT)
    page.wait_for_selector("#banner:not([hidden])")
    assert "will be told" in page.inner_text("#banner-text")
    assert keyring_secrets(harness.keyring, service) == []
    assert keyring_secrets(harness.keyring, service, f"{DEFAULT_PARTITION}#profile") == []
    assert len(keyring_secrets(harness.keyring, service, f"{DEFAULT_PARTITION}#revoke")) == 1

    remote.start()
    assert wait_until(lambda: session_ended(remote, token), timeout=30)
    assert wait_until(lambda: keyring_secrets(harness.keyring, service, f"{DEFAULT_PARTITION}#revoke") == [])


def test_a_server_that_hangs_shows_the_wait_and_gives_up_in_words(harness: Harness, remote: LiveServer) -> None:
    page = harness.main_page(harness.launch(**settings(remote), KERNIA_DESKTOP_REQUEST_TIMEOUT="2"))
    page.wait_for_selector(SIGNED_OUT)
    assert remote.process is not None
    remote.process.send_signal(signal.SIGSTOP)
    try:
        page.fill("#sign-in-form input[name=email]", unique_email("hung"))
        page.fill("#sign-in-form input[name=password]", "any password at all")
        page.click("#sign-in-form button[type=submit]")
        page.wait_for_selector("#sign-in-form button[type=submit][aria-busy=true]:disabled")
        assert error_code(page) == "TIMEOUT"
        assert "did not answer within 2 seconds" in page.inner_text("#error")
        page.wait_for_selector("#sign-in-form button[type=submit]:not([aria-busy]):enabled")
    finally:
        remote.process.send_signal(signal.SIGCONT)
