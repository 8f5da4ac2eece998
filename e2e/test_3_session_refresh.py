"""Case 3: a relaunch signs back in from the keyring, until the session is revoked on the server."""

from __future__ import annotations

import time

import httpx

from e2e.harness import Harness, Launch
from e2e.ui import SIGNED_IN, SIGNED_OUT
from tests.support.desktop import sign_up_in_window
from tests.support.server import LiveServer, unique_email


def signed_up(harness: Harness) -> tuple[Launch, str]:
    launch = harness.launch()
    email = unique_email("refresh")
    sign_up_in_window(harness.main_page(launch), "Katherine Johnson", email)
    return launch, email


def test_a_relaunch_is_signed_in_from_the_keyring_with_no_interaction(harness: Harness) -> None:
    launch, email = signed_up(harness)
    assert len(harness.keyring_tokens()) == 1

    again = harness.restart(launch)
    page = harness.main_page(again)
    page.wait_for_selector(SIGNED_IN, timeout=30_000)
    harness.record("launch_to_signed_in_after_restart", time.time() - again.started_at)
    assert email in page.inner_text("#whoami-name")
    [token] = harness.keyring_tokens()
    with harness.outside(again) as outside:
        session = outside.get("/api/auth/get-session", headers={"Authorization": f"Bearer {token}"})
    assert session.status_code == 200 and session.json()["user"]["email"] == email


def test_a_session_revoked_while_the_app_was_closed_signs_out_and_leaves_the_keyring(harness: Harness) -> None:
    launch, _ = signed_up(harness)
    [token] = harness.keyring_tokens()
    harness.quit(launch)

    # The bundled backend's own data dir (database and signing secret), served alone while the app is closed.
    backend_dir = launch.app.data_dir / "backend"
    server = LiveServer(backend_dir, f"sqlite+aiosqlite:///{backend_dir / 'kernia.db'}").start()
    try:
        bearer = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{server.url}/api/notes", headers=bearer).status_code == 200
        assert httpx.post(f"{server.url}/api/auth/sign-out", headers=bearer, json={}).status_code == 200
        assert httpx.get(f"{server.url}/api/notes", headers=bearer).status_code == 401
    finally:
        server.stop()

    page = harness.main_page(harness.launch())
    page.wait_for_selector(SIGNED_OUT, timeout=30_000)
    assert page.is_hidden("#whoami")
    assert harness.keyring_tokens() == []
