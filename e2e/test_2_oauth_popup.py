"""Case 2: provider sign-in in a second window, modal to the main one, at the real OpenID provider."""

from __future__ import annotations

import time

from e2e.harness import Harness
from e2e.ui import SIGNED_IN, SIGNED_OUT, error_code, finish_at_provider, open_provider_window
from e2e.x11 import screen
from tests.support.server import unique_email

MAIN_TITLE = "Kernia Desktop"
POPUP_TITLE = "Sign in"


def test_the_provider_window_is_modal_and_closes_itself_once_signed_in(harness: Harness) -> None:
    launch = harness.launch()
    main = harness.main_page(launch)
    main.wait_for_selector(SIGNED_OUT)
    login = unique_email("provider")

    clicked = time.monotonic()
    popup = open_provider_window(main)
    with screen(launch.app.env["DISPLAY"]) as x11:
        parent, child = x11.wait_for(MAIN_TITLE), x11.wait_for(POPUP_TITLE)
        assert x11.transient_for(child.window) == parent.window.id
        assert "_NET_WM_STATE_MODAL" in x11.states(child.window)
        assert "_NET_WM_STATE_MODAL" not in x11.states(parent.window)

    finish_at_provider(popup, login)
    main.wait_for_selector(SIGNED_IN, timeout=30_000)
    harness.record("popup_round_trip", time.monotonic() - clicked)
    assert login in main.inner_text("#whoami-name")
    assert main.context.pages == [main]
    assert len(harness.keyring_tokens()) == 1


def test_closing_the_provider_window_by_hand_cancels(harness: Harness) -> None:
    launch = harness.launch()
    main = harness.main_page(launch)
    main.wait_for_selector(SIGNED_OUT)
    popup = open_provider_window(main)

    with screen(launch.app.env["DISPLAY"]) as x11, popup.expect_event("close"):
        x11.request_close(x11.wait_for(POPUP_TITLE).window)
    assert error_code(main) == "cancelled"
    assert main.get_attribute("body", "data-view") == "signed-out"
    assert harness.keyring_tokens() == []


def test_denying_consent_closes_the_window_and_shows_access_denied(harness: Harness) -> None:
    main = harness.main_page(harness.launch())
    main.wait_for_selector(SIGNED_OUT)
    popup = open_provider_window(main)

    finish_at_provider(popup, unique_email("denier"), deny=True)
    assert error_code(main) == "access_denied"
    assert main.get_attribute("body", "data-view") == "signed-out"
    assert main.context.pages == [main]
    assert harness.keyring_tokens() == []
