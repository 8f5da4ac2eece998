"""The example apps' pages, read as markup: every field a person fills has a label (the notes app's views are also
checked live, in e2e/test_15_ui.py)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.support.server import ROOT

FIELDS = {"input", "textarea", "select"}


class LabelledFields(HTMLParser):
    """Collects the fields that are neither inside a <label>, nor named by a label's `for`, nor `aria-label`led."""

    def __init__(self) -> None:
        super().__init__()
        self.open_labels = 0
        self.labelled_ids: set[str] = set()
        self.fields: list[tuple[dict[str, str | None], bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.labelled_ids.add(str(attributes["for"]))
        elif tag in FIELDS:
            self.fields.append((attributes, self.open_labels > 0 or bool(attributes.get("aria-label"))))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self) -> list[dict[str, str | None]]:
        return [attrs for attrs, labelled in self.fields if not labelled and attrs.get("id") not in self.labelled_ids]


@pytest.mark.parametrize("app", ["notes", "minimal"])
def test_every_field_has_a_label(app: str) -> None:
    page = LabelledFields()
    page.feed((ROOT / "examples" / app / "ui" / "index.html").read_text())
    assert page.fields, "the page has fields to check"
    assert page.unlabelled() == []
