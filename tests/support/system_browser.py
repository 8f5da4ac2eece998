"""Stands in for the user's default browser in the system-browser sign-in tests.

Used as BROWSER="python tests/support/system_browser.py %s &": Debian's Chromium, driven by Playwright, opens the URL,
signs in at the test OpenID provider as $KERNIA_TEST_BROWSER_LOGIN (denying consent when
$KERNIA_TEST_BROWSER_DENY is set), stops on the app's loopback page, and writes that page's URL and text to
$KERNIA_TEST_BROWSER_REPORT.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)


def new_page(browser: Browser) -> Page:
    page = browser.new_page()
    # The provider's pages ask for Google Fonts; this machine has no way out.
    page.route(re.compile(r"https://fonts\.(googleapis|gstatic)\.com/.*"), lambda route: route.abort())
    return page


def sign_in_at_provider(page: Page, login: str, *, deny: bool = False) -> None:
    """On the test OpenID provider's login page: signs in as `login`, then grants or denies consent."""
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.wait_for_selector("button[type=submit]")
    if deny:
        page.click("a[href$='/abort']")
    else:
        page.click("button[type=submit]")


def main(url: str) -> None:
    report = Path(os.environ["KERNIA_TEST_BROWSER_REPORT"])
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = new_page(browser)
        page.goto(url)
        sign_in_at_provider(
            page, os.environ["KERNIA_TEST_BROWSER_LOGIN"], deny=bool(os.environ.get("KERNIA_TEST_BROWSER_DENY"))
        )
        page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/callback\?"))
        report.write_text(json.dumps({"url": page.url, "text": page.inner_text("body")}))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1])
