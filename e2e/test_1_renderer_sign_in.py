"""Case 1: sign up and sign in with email and password through the renderer's forms."""

from __future__ import annotations

from e2e.harness import Harness
from e2e.ui import SIGNED_IN, error_code, sign_in, sign_out
from tests.support.desktop import sign_up_in_window
from tests.support.server import PASSWORD, unique_email


def test_sign_up_then_sign_in_shows_the_user_and_a_wrong_password_stores_nothing(harness: Harness) -> None:
    email = unique_email("renderer")
    page = harness.main_page(harness.launch())

    sign_up_in_window(page, "Ada Lovelace", email)
    assert email in page.inner_text("#whoami-name")
    assert "Ada Lovelace" in page.inner_text("#whoami-name")
    assert len(harness.keyring_tokens()) == 1

    sign_out(page)
    assert harness.keyring_tokens() == []
    sign_in(page, email, PASSWORD)
    page.wait_for_selector(SIGNED_IN)
    assert email in page.inner_text("#whoami-name")
    assert page.is_visible("#error") is False
    assert len(harness.keyring_tokens()) == 1

    sign_out(page)
    sign_in(page, email, "not the password at all")
    assert error_code(page) == "INVALID_EMAIL_OR_PASSWORD"
    assert "do not match" in page.inner_text("#error")
    assert page.get_attribute("body", "data-view") == "signed-out"
    assert page.is_hidden("#whoami")
    assert harness.keyring_tokens() == []
