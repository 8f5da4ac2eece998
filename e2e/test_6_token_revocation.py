"""Case 6: a bearer session and an API key work from outside the app until they are revoked in its UI."""

from __future__ import annotations

from e2e.harness import Harness
from e2e.ui import SIGNED_IN, confirm, create_api_key
from tests.support.desktop import sign_up_in_window
from tests.support.server import PASSWORD, unique_email

OUTSIDE_AGENT = "kernia-e2e-script"


def test_revoking_a_session_and_deleting_a_key_in_the_ui_end_them_at_once(harness: Harness) -> None:
    email = unique_email("revoker")
    launch = harness.launch()
    page = harness.main_page(launch)
    sign_up_in_window(page, "Hedy Lamarr", email)

    with harness.outside(launch) as outside:
        # A script signs in as the same user: a second session, with a bearer token.
        signed_in = outside.post(
            "/api/auth/sign-in/email",
            json={"email": email, "password": PASSWORD},
            headers={"user-agent": OUTSIDE_AGENT},
        )
        assert signed_in.status_code == 200, signed_in.text
        outside.cookies.clear()
        bearer = {"Authorization": f"Bearer {signed_in.headers['set-auth-token']}"}
        api_key = {"x-api-key": create_api_key(page, "deploy script")}
        for credential in (bearer, api_key):
            assert outside.get("/api/notes", headers=credential).status_code == 200

        page.reload()
        page.wait_for_selector(SIGNED_IN)
        other_session = page.locator("#sessions li", has_text=OUTSIDE_AGENT)
        confirm(other_session.get_by_role("button", name="Revoke"))
        other_session.wait_for(state="detached")
        assert outside.get("/api/notes", headers=bearer).status_code == 401
        assert outside.get("/api/notes", headers=api_key).status_code == 200

        key = page.locator("#keys li", has_text="deploy script")
        confirm(key.get_by_role("button", name="Revoke"))
        key.wait_for(state="detached")
        assert outside.get("/api/notes", headers=api_key).status_code == 401

    # The app's own session is untouched.
    page.reload()
    page.wait_for_selector(SIGNED_IN)
    assert email in page.inner_text("#whoami-name")
    assert len(harness.keyring_tokens()) == 1
