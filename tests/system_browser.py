"""Stands in for the user's default browser in the system-browser sign-in tests.

Used as BROWSER="python tests/system_browser.py %s &": Debian's Chromium, driven by Playwright, opens the URL,
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

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main(url: str) -> None:
    report = Path(os.environ["KERNIA_TEST_BROWSER_REPORT"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        # The provider's pages ask for Google Fonts; this machine has no way out.
        page.route(re.compile(r"https://fonts\.(googleapis|gstatic)\.com/.*"), lambda route: route.abort())
        page.goto(url)
        page.fill("input[name=login]", os.environ["KERNIA_TEST_BROWSER_LOGIN"])
        page.fill("input[name=password]", "any password")
        page.click("button[type=submit]")
        page.wait_for_selector("button[type=submit]")
        if os.environ.get("KERNIA_TEST_BROWSER_DENY"):
            page.click("a[href$='/abort']")
        else:
            page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/callback\?"))
        report.write_text(json.dumps({"url": page.url, "text": page.inner_text("body")}))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1])
