"""Case 7: a window of the same partition shares its sign-in; a window of another partition has its own."""

from __future__ import annotations

from playwright.sync_api import Page

from e2e.harness import Harness
from e2e.ui import SIGNED_IN, SIGNED_OUT
from kernia_desktop.partition import DEFAULT_PARTITION
from tests.support.desktop import sign_up_in_window
from tests.support.server import unique_email


def open_window(main: Page, partition: str) -> Page:
    with main.context.expect_page() as opened:
        main.evaluate("partition => window.pywebview.api.open_window('/', partition)", partition)
    return opened.value


def test_a_window_in_the_same_partition_is_signed_in_and_one_in_another_is_not(harness: Harness) -> None:
    main_user, other_user = unique_email("main"), unique_email("other")
    main = harness.main_page(harness.launch())
    sign_up_in_window(main, "Barbara Liskov", main_user)

    same = open_window(main, DEFAULT_PARTITION)
    same.wait_for_selector(SIGNED_IN, timeout=30_000)
    assert main_user in same.inner_text("#whoami-name")

    other = open_window(main, "persist:work")
    other.wait_for_selector(SIGNED_OUT, timeout=30_000)
    assert other.is_hidden("#whoami")

    # The other partition signs in on its own: neither window's user changes the other's.
    sign_up_in_window(other, "Frances Allen", other_user)
    assert other_user in other.inner_text("#whoami-name")
    for window in (main, same):
        window.reload()
        window.wait_for_selector(SIGNED_IN)
        assert main_user in window.inner_text("#whoami-name")
    assert len(harness.keyring_tokens()) == 1
