"""What a user does in the app's windows, and what the suite reads back from them."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

from tests.support.openid_provider import PROVIDER_ID
from tests.support.system_browser import sign_in_at_provider

SIGNED_IN = "body[data-view=signed-in]"
SIGNED_OUT = "body[data-view=signed-out]"


def sign_in(page: Page, email: str, password: str) -> None:
    """Fills and sends the sign-in form; the caller waits for the view it expects."""
    page.wait_for_selector(SIGNED_OUT)
    page.click("#tab-sign-in")
    page.fill("#sign-in-form input[name=email]", email)
    page.fill("#sign-in-form input[name=password]", password)
    page.click("#sign-in-form button[type=submit]")


def sign_out(page: Page) -> None:
    """Signs out and waits for the answer, which says what the server did: the view turns signed-out at once (the
    credential is forgotten first), the server's revocation comes after."""
    page.click("#sign-out")
    page.wait_for_selector(SIGNED_OUT)
    page.wait_for_selector("#sign-out:not([aria-busy])", state="attached")
    page.wait_for_selector("#banner-text:text-matches('^Signed out')")


def error_code(page: Page) -> str | None:
    """The code of the error the window shows, once it shows one."""
    page.wait_for_selector("#error:not([hidden])")
    return page.get_attribute("#error", "data-code")


def open_provider_window(main: Page, provider: str = PROVIDER_ID) -> Page:
    """Clicks the provider's button; returns the sign-in window it opens, at the test provider's login page."""
    main.wait_for_selector(f"#providers button[data-provider={provider}]:not([disabled])")
    with main.context.expect_page() as opened:
        main.click(f"#providers button[data-provider={provider}]")
    popup = opened.value
    main.wait_for_selector("body[data-view=waiting]")
    popup.wait_for_selector("input[name=login]", timeout=30_000)
    return popup


def finish_at_provider(popup: Page, login: str, *, deny: bool = False) -> None:
    """Signs in at the provider's pages in the sign-in window; the window then closes itself."""
    with popup.expect_event("close", timeout=30_000):
        sign_in_at_provider(popup, login, deny=deny)


def create_api_key(page: Page, name: str) -> str:
    """Makes an API key in the signed-in view; returns the key, shown once."""
    page.fill("#key-form input[name=name]", name)
    page.click("#key-form button[type=submit]")
    page.wait_for_selector("#new-key:not([hidden])")
    page.locator("#keys li", has_text=name).wait_for()
    return page.inner_text("#new-key-value").strip()


def add_note(page: Page, title: str, body: str) -> None:
    page.fill("#note-form input[name=title]", title)
    page.fill("#note-form textarea[name=body]", body)
    page.click("#note-form button[type=submit]")
    page.locator("#notes li", has_text=title).wait_for()


def confirm(button: Locator) -> None:
    """Clicks a destructive button, then again on the question it turns into."""
    handle = button.element_handle()
    handle.click()
    handle.wait_for_element_state("stable")
    assert handle.get_attribute("data-confirming") == "true"
    handle.click()
