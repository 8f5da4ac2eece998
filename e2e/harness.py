"""The end-to-end harness: the notes app (`python -m examples.notes`, as `make run` starts it) on Xvfb, attached over
QtWebEngine's remote debugging with Playwright, with a real Secret Service per test and a real OpenID provider."""

from __future__ import annotations

import json
import re
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, Playwright
from playwright.sync_api import Error as PlaywrightError

from tests.support.desktop import ARTIFACTS, LOCAL_SERVICE, AppProcess, LaunchApp, stop_with
from tests.support.keyring import SecretService, keyring_secrets
from tests.support.openid_provider import OpenIdProvider

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


@dataclass
class Launch:
    """One run of the app; `started_at` is the wall clock just before its process started."""

    app: AppProcess
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
    ) -> None:
        self._launch_app = launcher
        self._provider = provider
        self._playwright = driver
        self.keyring = keyring
        self._timings = timings
        self.test = test
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
        return keyring_secrets(self.keyring, LOCAL_SERVICE)

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
