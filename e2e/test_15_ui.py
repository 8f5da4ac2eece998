"""Case 15: the notes app's views as a person (or a screen reader) meets them: every field has a label, the sign-in
tabs are tabs with panels, a note's body takes lines, the one-time API key can be copied, and what cannot be undone
asks first."""

from __future__ import annotations

from e2e.harness import Harness
from e2e.ui import SIGNED_OUT, add_note, create_api_key
from tests.support.desktop import sign_up_in_window
from tests.support.server import unique_email


def test_fields_have_labels_and_the_tabs_their_panels(harness: Harness) -> None:
    page = harness.main_page(harness.launch())
    page.wait_for_selector(SIGNED_OUT)
    for tab in page.get_by_role("tab").all():
        panel = tab.get_attribute("aria-controls")
        assert panel and page.get_attribute(f"#{panel}", "role") == "tabpanel"
        assert page.get_attribute(f"#{panel}", "aria-labelledby") == tab.get_attribute("id")
    page.get_by_role("tab", name="Create account").click()
    assert page.get_by_role("tab", name="Create account").get_attribute("aria-selected") == "true"
    assert page.is_visible("#sign-up-form") and page.is_hidden("#sign-in-form")

    sign_up_in_window(page, "Labelled", unique_email("labels"))
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input, textarea")]
            .filter((field) => field.labels.length === 0 && !field.getAttribute("aria-label"))
            .map((field) => field.outerHTML)"""
    )
    assert unlabelled == []
    assert page.get_by_label("Note").evaluate("field => field.tagName") == "TEXTAREA"


def test_a_note_keeps_its_lines_the_key_can_be_copied_and_deleting_asks_first(harness: Harness) -> None:
    page = harness.main_page(harness.launch())
    sign_up_in_window(page, "Careful", unique_email("careful"))
    add_note(page, "Shopping", "bread\nmilk")
    assert page.locator("#notes li", has_text="Shopping").inner_text().count("\n") >= 2

    create_api_key(page, "ci")
    page.click("#copy-key")
    page.wait_for_selector("#copy-status:text-matches('.')")
    assert page.inner_text("#copy-status") == "Copied."

    note = page.locator("#notes li", has_text="Shopping")
    delete = note.get_by_role("button", name="Delete")
    delete.click()
    assert note.get_by_role("button", name="Delete this note?").is_visible()
    assert page.locator("#notes li", has_text="Shopping").count() == 1
    note.get_by_role("button", name="Delete this note?").click()
    note.wait_for(state="detached")
