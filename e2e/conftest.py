"""The end-to-end suite's fixtures (the harness is e2e/harness.py). On failure, every open window's screenshot and the
app's logs go to test-artifacts/<test>/; the timings the suite sees go to test-artifacts/e2e-timings.json
(recorded, never asserted).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright

from e2e.harness import TIMINGS, Harness, Timings
from tests.support.desktop import ARTIFACTS, LaunchApp, alive, descendants
from tests.support.keyring import SecretService
from tests.support.openid_provider import OpenIdProvider


@pytest.fixture(scope="session")
def timings() -> Timings:
    return Timings(TIMINGS)


@pytest.fixture
def harness(
    request: pytest.FixtureRequest,
    launch_app: LaunchApp,
    openid_provider: OpenIdProvider,
    playwright: Playwright,
    app_keyring: SecretService,
    timings: Timings,
) -> Iterator[Harness]:
    harness = Harness(launch_app, openid_provider, playwright, app_keyring, timings, request.node.name)
    yield harness
    harness.close()


@pytest.fixture(autouse=True)
def no_process_left(
    virtual_display: str,
    playwright: Playwright,
    openid_provider: OpenIdProvider,
    gitlab_shaped_provider: OpenIdProvider,
) -> Iterator[None]:
    """Every test ends with none of its processes running (the session's display, driver and providers stay)."""
    before = descendants(os.getpid())
    yield
    deadline = time.monotonic() + 10
    while left := [pid for pid in descendants(os.getpid()) - before if alive(pid)]:
        if time.monotonic() > deadline:
            commands = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in left]
            raise AssertionError(f"the test left processes running: {commands}")
        time.sleep(0.1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    harness = getattr(item, "funcargs", {}).get("harness")
    if report.failed and report.when == "call" and isinstance(harness, Harness):
        harness.save_failure(ARTIFACTS / re.sub(r"[^\w.-]+", "_", item.name))
