"""Case 4: signing out in the UI revokes the server session, empties the keyring, and survives a relaunch."""

from __future__ import annotations

from e2e.harness import Harness
from e2e.ui import SIGNED_OUT, sign_out
from tests.support.desktop import sign_up_in_window
from tests.support.server import unique_email


def test_signing_out_revokes_the_session_and_forgets_it(harness: Harness) -> None:
    launch = harness.launch()
    page = harness.main_page(launch)
    sign_up_in_window(page, "Margaret Hamilton", unique_email("logout"))
    [token] = harness.keyring_tokens()
    bearer = {"Authorization": f"Bearer {token}"}

    with harness.outside(launch) as outside:
        assert outside.get("/api/notes", headers=bearer).status_code == 200
        sign_out(page)
        assert outside.get("/api/notes", headers=bearer).status_code == 401
        assert outside.get("/api/auth/list-sessions", headers=bearer).status_code == 401
    assert harness.keyring_tokens() == []

    again = harness.main_page(harness.restart(launch))
    again.wait_for_selector(SIGNED_OUT, timeout=30_000)
    assert again.is_hidden("#whoami")
    assert harness.keyring_tokens() == []
