"""The desktop benchmarks, on a virtual display (Xvfb): the notes example app (`python -m examples.notes`, as
`make run` starts it) against the floor, a bare pywebview/Qt window painting a static page (bench/floor_window.py).

Every window is watched the same way, over QtWebEngine's remote debugging: a launch ends when its page shows
the view that is waited for. Each measurement is the median of several launches, after one launch that is not
counted (it fills the disk caches, and for the app it creates the bundled backend's database); the floor and
the app's launches take turns.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Page, Playwright, sync_playwright

from bench.report import MEMORY, REMOTE, RESTART, DesktopResult
from bench.server import PASSWORD, ROOT
from e2e.ui import SIGNED_IN, SIGNED_OUT, open_provider_window, sign_in
from kernia_desktop.processes import stop_process
from kernia_desktop.xvfb import VirtualDisplay
from tests.support.desktop import AppProcess, alive, descendants
from tests.support.keyring import SecretService
from tests.support.openid_provider import OpenIdProvider
from tests.support.server import LiveServer
from tests.support.system_browser import sign_in_at_provider

LAUNCHES = 7
ROUND_TRIPS = 3
# Memory is read this long after the view shows, the same for the app and the floor.
SETTLE_SECONDS = 1.0
VIEW_TIMEOUT_MS = 60_000
FLOOR_READY = "body[data-view=ready]"
FIRST_PAINT = "launch to first paint (signed-out view)"
ROUND_TRIP = "provider sign-in round trip, less the time at the provider"
STACK_FLOOR = "memory that FastAPI, SQLAlchemy and uvicorn alone add to a process (bench/stack_floor.py)"


class FloorWindow(AppProcess):
    """bench/floor_window.py, launched as the app is: the same display, environment and remote debugging."""

    def __init__(self, home: Path, display: str, keyring: SecretService) -> None:
        super().__init__(home / "data", home, display, keyring, QT_API="pyside6", QT_DISABLE_SHADER_DISK_CACHE="1")
        # What kernia_desktop/qt.py makes of KERNIA_DESKTOP_DEBUG_PORT, given straight to QtWebEngine.
        self.env["QTWEBENGINE_REMOTE_DEBUGGING"] = f"127.0.0.1:{self.debug_port}"

    def start(self, *args: str) -> FloorWindow:
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.floor_window", *args],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=output,
            )
        return self


def tree_memory_mb(pid: int) -> float:
    """The resident memory (VmRSS) of a process and all its descendants, added up, in MB."""
    total_kb = 0
    for member in {pid} | descendants(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:  # the process has just gone
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total_kb += int(found.group(1)) if found else 0
    return total_kb / 1024


def _stop(window: AppProcess) -> None:
    """SIGTERM, then SIGKILL for whatever of its process tree is left."""
    assert window.process is not None
    tree = descendants(window.process.pid)
    stop_process(window.process, grace_seconds=20)
    for pid in tree:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@contextmanager
def launched(playwright: Playwright, window: AppProcess, view: str) -> Iterator[tuple[Page, float, float]]:
    """Starts the window and yields its page once it shows `view`, with the seconds that took and the memory
    of its process tree a moment later; stops it on leaving."""
    started = time.monotonic()
    window.start()
    assert window.process is not None
    try:
        window.wait_for_devtools(VIEW_TIMEOUT_MS / 1000, poll=0.02)
        browser = playwright.chromium.connect_over_cdp(window.devtools, no_defaults=True)
        try:
            context = browser.contexts[0]
            page = context.pages[0] if context.pages else context.wait_for_event("page")
            # Checked in the page on every animation frame: wait_for_selector polls from outside at growing
            # intervals (up to 500 ms), which would add a varying delay to every launch.
            page.wait_for_function(
                "view => document.querySelector(view) !== null", arg=view, polling="raf", timeout=VIEW_TIMEOUT_MS
            )
            seconds = time.monotonic() - started
            time.sleep(SETTLE_SECONDS)
            yield page, seconds, tree_memory_mb(window.process.pid)
        finally:
            browser.close()
    finally:
        _stop(window)


def _interleaved_medians(
    playwright: Playwright, subjects: list[tuple[Callable[[], AppProcess], str]]
) -> list[tuple[float, float]]:
    """For each (launcher, view): the median ms to its view and the median MB, over the counted launches.

    The subjects take turns, one launch each per round, so that the floor and the app meet the same state of the
    machine (a busier moment, a warmer cache) rather than one of them running all its launches first."""
    for make, view in subjects:
        with launched(playwright, make(), view):
            pass
    runs: list[list[tuple[float, float]]] = [[] for _ in subjects]
    for _ in range(LAUNCHES):
        for (make, view), measured in zip(subjects, runs, strict=True):
            with launched(playwright, make(), view) as (_page, seconds, memory):
                measured.append((seconds * 1000, memory))
    return [
        (statistics.median(ms for ms, _ in measured), statistics.median(mb for _, mb in measured)) for measured in runs
    ]


def _sign_up_through_the_window(page: Page, server: str) -> None:
    """Makes an account on the server the app signs in to, then signs in to it in the window, as a person
    would."""
    email = f"bench-{secrets.token_hex(4)}@example.com"
    httpx.post(
        f"{server}/api/auth/sign-up/email", json={"name": "Bench", "email": email, "password": PASSWORD}
    ).raise_for_status()
    sign_in(page, email, PASSWORD)
    page.wait_for_selector(SIGNED_IN, timeout=VIEW_TIMEOUT_MS)


def _stack_floor_mb() -> float:
    """The median of a few runs of bench/stack_floor.py, each in a fresh process."""
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-m", "bench.stack_floor"], cwd=ROOT, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(3)
    ]
    return statistics.median(runs)


def _round_trip(playwright: Playwright, make: Callable[[], AppProcess]) -> float:
    """ms from the click on the provider's button to the signed-in view, less the time on the provider's pages
    (typing, and the provider's own answers to them)."""
    with launched(playwright, make(), SIGNED_OUT) as (page, _seconds, _memory):
        page.wait_for_selector("#providers button[data-provider]:not([disabled])", timeout=VIEW_TIMEOUT_MS)
        clicked = time.monotonic()
        popup = open_provider_window(page)
        at_provider = time.monotonic()
        sign_in_at_provider(popup, f"bench-{secrets.token_hex(4)}@example.com")
        left_provider = time.monotonic()
        page.wait_for_selector(SIGNED_IN, timeout=VIEW_TIMEOUT_MS)
        done = time.monotonic()
    return ((done - clicked) - (left_provider - at_provider)) * 1000


def run(work: Path) -> list[DesktopResult]:
    work.mkdir(parents=True, exist_ok=True)
    display = VirtualDisplay()
    keyrings: list[SecretService] = []
    provider: OpenIdProvider | None = None
    servers: list[LiveServer] = []

    def keyring(name: str) -> SecretService:
        keyrings.append(SecretService(work / name / "keyring"))
        return keyrings[-1]

    def app(name: str, **env: str) -> Callable[[], AppProcess]:
        """Launches of the app that share one data dir and one keyring, and so what each one leaves behind."""
        store = keyring(name)
        return lambda: AppProcess(work / name / "data", work / name / "home", display.display, store, **env)

    try:
        with sync_playwright() as playwright:
            floor_store = keyring("floor")
            signed_in = app("signed-in")
            first = signed_in()
            with launched(playwright, first, SIGNED_OUT) as (page, _seconds, _memory):
                _sign_up_through_the_window(page, first.server_origin())
            server = LiveServer(work / "remote-server", f"sqlite+aiosqlite:///{work / 'remote-server.db'}")
            servers.append(server.start())
            remote = app("remote", KERNIA_DESKTOP_SERVER=f"{server.url}/api/auth")
            with launched(playwright, remote(), SIGNED_OUT) as (page, _seconds, _memory):
                _sign_up_through_the_window(page, server.url)

            (floor_ms, floor_mb), (first_paint_ms, _), (restart_ms, restart_mb), (remote_ms, remote_mb) = (
                _interleaved_medians(
                    playwright,
                    [
                        (lambda: FloorWindow(work / "floor", display.display, floor_store), FLOOR_READY),
                        (app("signed-out"), SIGNED_OUT),
                        (signed_in, SIGNED_IN),
                        (remote, SIGNED_IN),
                    ],
                )
            )

            provider = OpenIdProvider(work / "openid-provider.log")
            round_trips = [
                _round_trip(playwright, app(f"provider-{index}", **provider.environment()))
                for index in range(ROUND_TRIPS)
            ]
    finally:
        if provider is not None:
            provider.stop()
        for server in servers:
            server.stop()
        for store in keyrings:
            store.stop()
        display.stop()
    return [
        DesktopResult(FIRST_PAINT, first_paint_ms, "ms", floor_ms),
        DesktopResult(RESTART, restart_ms, "ms", floor_ms),
        DesktopResult(ROUND_TRIP, statistics.median(round_trips), "ms"),
        DesktopResult(MEMORY, restart_mb, "MB", floor_mb),
        DesktopResult(RESTART + REMOTE, remote_ms, "ms", floor_ms),
        DesktopResult(MEMORY + REMOTE, remote_mb, "MB", floor_mb),
        DesktopResult(STACK_FLOOR, _stack_floor_mb(), "MB"),
    ]
