"""Sign-in through the system browser (RFC 8252): the app hands the provider's pages to the user's browser
(the standard BROWSER variable names a Playwright-driven Chromium here), waits on a loopback port, and comes
back signed in, with no window of its own opened."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from e2e.harness import Harness
from e2e.ui import SIGNED_IN, SIGNED_OUT
from tests.support.openid_provider import PROVIDER_ID
from tests.support.server import ROOT, unique_email


def test_sign_in_in_the_users_browser(harness: Harness, tmp_path: Path) -> None:
    login = unique_email("browser").split("@")[0]
    report = tmp_path / "browser-report.json"
    launch = harness.launch(
        BROWSER=f"{sys.executable} {ROOT / 'tests' / 'support' / 'system_browser.py'} %s &",
        KERNIA_DESKTOP_FLOW_TESTIDP="system",
        KERNIA_TEST_BROWSER_LOGIN=login,
        KERNIA_TEST_BROWSER_REPORT=str(report),
    )
    main = harness.main_page(launch)
    main.wait_for_selector(SIGNED_OUT)
    main.wait_for_selector(f"#providers button[data-provider={PROVIDER_ID}]:not([disabled])")
    main.click(f"#providers button[data-provider={PROVIDER_ID}]")
    main.wait_for_selector("body[data-view=waiting]")
    assert "Continue in your browser" in main.inner_text("#waiting-text")
    assert main.is_visible("#cancel-sign-in")

    main.wait_for_selector(SIGNED_IN, timeout=60_000)
    assert login in main.inner_text("#whoami-name")
    assert main.context.pages == [main], "the system flow opens no window in the app"
    assert len(harness.keyring_tokens()) == 1
    deadline = time.monotonic() + 30
    while not report.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    landed = json.loads(report.read_text())
    assert landed["url"].startswith("http://127.0.0.1:")
    assert "Signed in — you can close this tab" in landed["text"]
