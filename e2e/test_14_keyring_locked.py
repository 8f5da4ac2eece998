"""Case 14: a keyring locked while the app runs. The sign-in works, the window says that it will not outlast the
app, and once the keyring is unlocked again the app writes it there by itself and the notice goes."""

from __future__ import annotations

from e2e.harness import Harness
from e2e.ui import SIGNED_OUT
from tests.support.desktop import sign_up_in_window
from tests.support.server import unique_email


def test_a_keyring_locked_mid_run_is_told_and_written_once_unlocked(harness: Harness) -> None:
    page = harness.main_page(harness.launch())
    page.wait_for_selector(SIGNED_OUT)
    harness.keyring.lock()

    sign_up_in_window(page, "Locked Keyring", unique_email("locked"))
    page.wait_for_selector("#banner:not([hidden])")
    assert "signed out when the app closes" in page.inner_text("#banner-text")

    harness.keyring.unlock()
    page.wait_for_selector("#banner", state="hidden", timeout=30_000)
    assert len(harness.keyring_tokens()) == 1
