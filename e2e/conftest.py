"""The end-to-end harness: the real app (`python -m desktop`, as `make run` starts it) on Xvfb, attached over
QtWebEngine's remote debugging with Playwright, a real Secret Service per test and a real OpenID provider.

On failure, every open window's screenshot and the app's logs go to test-artifacts/<test>/; the timings the
suite sees go to test-artifacts/e2e-timings.json (recorded, never asserted).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import openid_provider  # noqa: F401 - registers the fixture
from tests.desktop.conftest import app_keyring, launch_app, playwright, virtual_display  # noqa: F401
from tests.desktop.test_app import ARTIFACTS, LOCAL_SERVICE, keyring_secrets, stop_with
from tests.openid_provider import OpenIdProvider
from tests.services import DesktopApp, LaunchApp, SecretService, alive, descendants

# The provider's pages ask for Google Fonts; this machine has no way out.
GOOGLE_FONTS = re.compile(r"https://fonts\.(googleapis|gstatic)\.com/.*")
TIMINGS = ARTIFACTS / "e2e-timings.json"


class Timings:
    """What the suite measured, by name, written out after every measurement."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: dict[str, list[dict[str, Any]]] = {}

    def record(self, name: str, seconds: float, test: str) -> None:
        self.seen.setdefault(name, []).append({"test": test, "seconds": round(seconds, 3)})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"unit": "seconds", "timings": self.seen}, indent=2) + "\n")


@pytest.fixture(scope="session")
def timings() -> Timings:
    return Timings(TIMINGS)


@dataclass
class Launch:
    """One run of the app; `started_at` is the wall clock just before its process started."""

    app: DesktopApp
    started_at: float
    first_paint: float | None = None
    browsers: list[Browser] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.app.process is not None and self.app.process.poll() is None


class Harness:
    """Launches, attaches to, quits and restarts the app of one test."""

    def __init__(
        self,
        launcher: LaunchApp,
        provider: OpenIdProvider,
        driver: Playwright,
        keyring: SecretService,
        timings: Timings,
        test: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        self._launch_app = launcher
        self._provider = provider
        self._playwright = driver
        self.keyring = keyring
        self._timings = timings
        self.test = test
        self._monkeypatch = monkeypatch
        self.launches: list[Launch] = []

    def launch(self, **env: str) -> Launch:
        """Starts the app with the test OpenID provider configured into its bundled backend."""
        started_at = time.time()
        launch = Launch(self._launch_app(**self._provider.environment(), **env), started_at)
        self.launches.append(launch)
        return launch

    def quit(self, launch: Launch) -> None:
        """Quits as the desktop asks an app to (SIGTERM): it must exit 0, leaving no process behind."""
        stop_with(launch.app, signal.SIGTERM, within=10)

    def restart(self, launch: Launch, **env: str) -> Launch:
        self.quit(launch)
        return self.launch(**env)

    def _connect(self, launch: Launch) -> Browser:
        launch.app.wait_for_devtools()
        browser = self._playwright.chromium.connect_over_cdp(launch.app.devtools, no_defaults=True)
        launch.browsers.append(browser)
        return browser

    def main_page(self, launch: Launch) -> Page:
        """The app's first window, once its renderer shows a view; the first time, records launch to first paint."""
        context = self._connect(launch).contexts[0]
        context.route(GOOGLE_FONTS, lambda route: route.abort())
        page = context.pages[0] if context.pages else context.wait_for_event("page")
        page.wait_for_selector("body[data-view]", timeout=30_000)
        if launch.first_paint is None:
            page.wait_for_function("performance.getEntriesByType('paint').length > 0")
            painted_ms = page.evaluate("performance.timeOrigin + performance.getEntriesByType('paint')[0].startTime")
            launch.first_paint = painted_ms / 1000 - launch.started_at
            self.record("launch_to_first_paint", launch.first_paint)
        return page

    def record(self, name: str, seconds: float) -> None:
        self._timings.record(name, seconds, self.test)

    def keyring_tokens(self) -> list[str]:
        """The app's credentials for the default partition in the test's Secret Service."""
        return keyring_secrets(self.keyring, LOCAL_SERVICE, self._monkeypatch)

    @staticmethod
    def outside(launch: Launch) -> httpx.Client:
        """A client of the launch's bundled backend from outside the app, with no cookies of the app's."""
        return httpx.Client(base_url=launch.app.server_origin(), timeout=10)

    def save_failure(self, folder: Path) -> None:
        """Screenshots of every open window of every running launch, and every launch's logs."""
        shutil.rmtree(folder, ignore_errors=True)  # an earlier run's failure
        folder.mkdir(parents=True)
        for number, launch in enumerate(self.launches):
            (folder / f"launch-{number}.log").write_text(launch.app.report())
            if not launch.running:
                continue
            try:
                browser = self._connect(launch)
                for context in browser.contexts:
                    for index, page in enumerate(context.pages):
                        page.screenshot(path=str(folder / f"launch-{number}-window-{index}.png"), timeout=10_000)
            except (PlaywrightError, RuntimeError) as error:
                (folder / f"launch-{number}-screenshot-error.txt").write_text(str(error))

    def close(self) -> None:
        for launch in self.launches:
            for browser in launch.browsers:
                try:
                    browser.close()
                except PlaywrightError:
                    pass  # the app has gone, and the connection with it


@pytest.fixture
def harness(
    request: pytest.FixtureRequest,
    launch_app: LaunchApp,  # noqa: F811
    openid_provider: OpenIdProvider,  # noqa: F811
    playwright: Playwright,  # noqa: F811
    app_keyring: SecretService,  # noqa: F811
    timings: Timings,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Harness]:
    harness = Harness(launch_app, openid_provider, playwright, app_keyring, timings, request.node.name, monkeypatch)
    yield harness
    harness.close()


@pytest.fixture(autouse=True)
def no_process_left(
    virtual_display: str,  # noqa: F811
    playwright: Playwright,  # noqa: F811
    openid_provider: OpenIdProvider,  # noqa: F811
) -> Iterator[None]:
    """Every test ends with none of its processes running (the session's display, driver and provider stay)."""
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
