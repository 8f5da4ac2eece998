"""Case 5: the protected API refuses missing, tampered and signed-out credentials, and keeps users apart."""

from __future__ import annotations

from e2e.harness import Harness
from e2e.ui import add_note, sign_out
from tests.support.desktop import sign_up_in_window
from tests.support.server import unique_email


def tampered(token: str) -> str:
    """The token with one character of its signature changed."""
    flipped = "A" if token[-2] != "A" else "B"
    return f"{token[:-2]}{flipped}{token[-1]}"


def test_the_protected_api_answers_401_without_a_valid_credential_and_keeps_users_apart(harness: Harness) -> None:
    launch = harness.launch()
    page = harness.main_page(launch)
    sign_up_in_window(page, "Alice", unique_email("alice"))
    add_note(page, "Alice's secret plan", "only Alice may read this")
    [alice] = harness.keyring_tokens()

    with harness.outside(launch) as outside:
        assert outside.get("/api/notes").status_code == 401
        assert outside.get("/api/notes", headers={"Authorization": f"Bearer {tampered(alice)}"}).status_code == 401
        mine = outside.get("/api/notes", headers={"Authorization": f"Bearer {alice}"})
        assert mine.status_code == 200
        [note] = [note for note in mine.json() if note["title"] == "Alice's secret plan"]

        sign_out(page)
        assert outside.get("/api/notes", headers={"Authorization": f"Bearer {alice}"}).status_code == 401

        sign_up_in_window(page, "Bob", unique_email("bob"))
        [bob] = harness.keyring_tokens()
        as_bob = {"Authorization": f"Bearer {bob}"}
        assert outside.get("/api/notes", headers=as_bob).json() == []
        assert outside.get(f"/api/notes/{note['id']}", headers=as_bob).status_code == 404
        assert outside.delete(f"/api/notes/{note['id']}", headers=as_bob).status_code == 404
    # The list Bob sees once his own note is in it: his note alone.
    add_note(page, "Bob's shopping list", "milk")
    assert page.locator("#notes li").count() == 1
    assert "Alice" not in page.inner_text("#notes")
