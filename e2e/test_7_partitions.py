"""Case 7: a window of the same partition shares its sign-in; a window of another partition has its own."""

from __future__ import annotations

import time

from playwright.sync_api import Page

from e2e.harness import Harness
from e2e.ui import SIGNED_IN, SIGNED_OUT, add_note, confirm
from kernia_desktop.partition import DEFAULT_PARTITION
from tests.support.desktop import LOCAL_SERVICE, sign_up_in_window
from tests.support.keyring import keyring_secrets
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


def test_every_window_of_a_partition_follows_a_sign_out_made_in_another(harness: Harness) -> None:
    main = harness.main_page(harness.launch())
    sign_up_in_window(main, "Grace Hopper", unique_email("drift"))
    same = open_window(main, DEFAULT_PARTITION)
    same.wait_for_selector(SIGNED_IN, timeout=30_000)

    main.click("#sign-out")
    signed_out = time.monotonic()
    # No reload and no polling by the renderer: the shell tells every window of the partition.
    same.wait_for_selector(SIGNED_OUT, timeout=10_000)
    harness.record("other_window_follows_sign_out", time.monotonic() - signed_out)
    assert same.is_hidden("#whoami") and same.inner_text("#notes") == ""
    main.wait_for_selector(SIGNED_OUT)
    assert harness.keyring_tokens() == []


def test_a_second_account_is_added_used_in_its_own_window_and_removed(harness: Harness) -> None:
    main = harness.main_page(harness.launch())
    sign_up_in_window(main, "First Account", unique_email("first"))
    with main.context.expect_page() as opened:
        main.click("#add-account")
    second = opened.value
    second.wait_for_selector(SIGNED_OUT, timeout=30_000)
    sign_up_in_window(second, "Second Account", unique_email("second"))
    add_note(second, "The second account's note", "in its own window")

    listed = main.locator("#accounts li", has_text="Second Account")
    listed.wait_for()
    partition = listed.get_attribute("data-partition")
    assert partition is not None and partition.startswith("persist:account-")
    assert len(keyring_secrets(harness.keyring, LOCAL_SERVICE, partition)) == 1
    assert "The second account's note" not in main.inner_text("#notes")

    confirm(listed.get_by_role("button", name="Remove"))
    second.wait_for_selector(SIGNED_OUT, timeout=10_000)
    listed.wait_for(state="detached")
    assert keyring_secrets(harness.keyring, LOCAL_SERVICE, partition) == []
    assert "First Account" in main.inner_text("#whoami-name") and len(harness.keyring_tokens()) == 1
