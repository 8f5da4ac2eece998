"""The notes app (`python -m examples.notes`) on a virtual display, driven through its windows with Playwright over
QtWebEngine's remote debugging, with a real Secret Service holding its credential."""

from __future__ import annotations

import fcntl
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Playwright

from kernia_desktop.partition import DEFAULT_PARTITION
from tests.support.desktop import (
    ARTIFACTS,
    LOCAL_SERVICE,
    LaunchApp,
    alive,
    descendants,
    distinct_colours,
    files_containing,
    main_page,
    sign_up_in_window,
    stop_with,
    wait_until,
)
from tests.support.keyring import SecretService, keyring_secrets
from tests.support.openid_provider import PROVIDER_ID, OpenIdProvider
from tests.support.server import PASSWORD, LiveServer, unique_email


def test_sign_up_in_the_window_then_a_relaunch_is_signed_in(
    launch_app: LaunchApp, app_keyring: SecretService, playwright: Playwright
) -> None:
    email = unique_email("desktop")
    launched_at = time.monotonic()
    app = launch_app()
    with main_page(playwright, app) as page:
        page.wait_for_selector("body[data-view=signed-out]")
        print(f"launch to the sign-in view: {time.monotonic() - launched_at:.2f} s")
        assert page.url.startswith("file://") and page.url.endswith("/examples/notes/ui/index.html")
        sign_up_in_window(page, "Ada Lovelace", email)
        assert email in page.inner_text("#whoami-name")
        assert page.evaluate("document.cookie") == ""
        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / "desktop-signed-in.png"
        page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000
    assert distinct_colours(screenshot) > 5

    [token] = keyring_secrets(app_keyring, LOCAL_SERVICE)
    assert token
    stop_with(app, signal.SIGTERM)
    assert (app.data_dir / "backend").is_dir()
    assert (app.data_dir / "partitions" / "kernia").is_dir()
    assert (app.data_dir / "logs" / "desktop.log").is_file()
    assert not files_containing(token, app.data_dir, Path(app.env["HOME"]))

    relaunched_at = time.monotonic()
    again = launch_app()
    with main_page(playwright, again) as page:
        page.wait_for_selector("body[data-view=signed-in]")
        print(f"relaunch to the signed-in view: {time.monotonic() - relaunched_at:.2f} s")
        assert email in page.inner_text("#whoami-name")
    stop_with(again, signal.SIGINT)


def test_closing_the_last_window_ends_the_app(launch_app: LaunchApp, playwright: Playwright) -> None:
    app = launch_app()
    assert app.process is not None
    with main_page(playwright, app) as page:
        page.wait_for_selector("body[data-view=signed-out]")
        origin = app.server_origin()
        children = descendants(app.process.pid)
        page.evaluate("window.close()")
        assert app.wait(timeout=10) == 0, app.report()
    time.sleep(0.5)
    assert not [pid for pid in children if alive(pid)]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{origin}/api/auth/ok", timeout=2)
    with (app.data_dir / "instance.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_a_backend_that_cannot_start_is_explained_in_the_window(
    launch_app: LaunchApp, playwright: Playwright, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "backend").write_text("a file where the bundled backend's data dir should be")
    app = launch_app(data_dir=data_dir)
    with main_page(playwright, app) as page:
        page.wait_for_selector("body[data-view=cannot-start]")
        failure = page.inner_text("#failure")
        assert failure.startswith(f"the server cannot write {data_dir / 'backend'}"), failure
        assert "Traceback" not in page.inner_text("body")
        page.close()
        assert app.wait(timeout=10) == 1, app.report()
    assert "the bundled backend failed" in app.output.read_text()


def top_window(display: str) -> str:
    """The title of the app's window on top: xwininfo lists the root's children from the top down."""
    tree = subprocess.run(
        ["xwininfo", "-display", display, "-root", "-children"], capture_output=True, text=True, check=True
    ).stdout
    return re.findall(r'^\s+0x[0-9a-f]+ "(Kernia Desktop[^"]*)"', tree, re.MULTILINE)[0]


def test_a_second_launch_brings_the_first_to_the_front_and_exits(launch_app: LaunchApp, playwright: Playwright) -> None:
    app = launch_app()
    display = app.env["DISPLAY"]
    with main_page(playwright, app) as first:
        first.wait_for_selector("body[data-view=signed-out]")
        with first.context.expect_page() as opened:
            first.evaluate("window.pywebview.api.open_window('/', 'scratch')")
        opened.value.wait_for_selector("body[data-view=signed-out]")
        assert wait_until(lambda: top_window(display) == "Kernia Desktop (scratch)")

        started = time.monotonic()
        other = app.run_to_end(timeout=30)
        assert other.returncode == 0, other.stdout + other.stderr
        assert "already running" in other.stdout
        assert time.monotonic() - started < 5
        assert wait_until(lambda: top_window(display) == "Kernia Desktop")
        assert app.process is not None and app.process.poll() is None
    stop_with(app, signal.SIGTERM)


def test_windows_share_their_partition_and_nothing_else(launch_app: LaunchApp, playwright: Playwright) -> None:
    email = unique_email("partition")
    app = launch_app()
    with main_page(playwright, app) as main:
        sign_up_in_window(main, "Grace Hopper", email)
        main.evaluate("localStorage.setItem('seen', 'main')")
        windows = {}
        for partition in (DEFAULT_PARTITION, "scratch"):
            with main.context.expect_page() as opened:
                main.evaluate(f"window.pywebview.api.open_window('/', '{partition}')")
            windows[partition] = opened.value
        same, other = windows[DEFAULT_PARTITION], windows["scratch"]
        same.wait_for_selector("body[data-view=signed-in]")
        assert email in same.inner_text("#whoami-name")
        assert same.evaluate("localStorage.getItem('seen')") == "main"
        other.wait_for_selector("body[data-view=signed-out]")
        assert other.evaluate("localStorage.getItem('seen')") is None

        same.click("#sign-out")
        same.wait_for_selector("body[data-view=signed-out]")
        main.reload()
        main.wait_for_selector("body[data-view=signed-out]")
    stop_with(app, signal.SIGTERM)
    assert not (app.data_dir / "partitions" / "scratch").exists()


def test_remote_mode_serves_the_apps_renderer_and_starts_no_backend(
    tmp_path: Path,
    launch_app: LaunchApp,
    app_keyring: SecretService,
    playwright: Playwright,
) -> None:
    server = LiveServer(tmp_path / "server", f"sqlite+aiosqlite:///{tmp_path / 'server.db'}").start()
    try:
        email = unique_email("remote")
        app = launch_app(KERNIA_DESKTOP_SERVER=f"{server.url}/api/auth")
        with main_page(playwright, app) as page:
            assert page.url.startswith("file://") and page.url.endswith("/examples/notes/ui/index.html")
            assert app.server_origin() == server.url
            sign_up_in_window(page, "Remote User", email)
        stop_with(app, signal.SIGTERM)
        signed_in = httpx.post(f"{server.url}/api/auth/sign-in/email", json={"email": email, "password": PASSWORD})
        assert signed_in.status_code == 200
        assert keyring_secrets(app_keyring, f"kernia-desktop:{server.url}")
        assert not (app.data_dir / "backend").exists()
    finally:
        server.stop()


def test_provider_sign_in_in_a_modal_window(
    launch_app: LaunchApp, openid_provider: OpenIdProvider, playwright: Playwright
) -> None:
    app = launch_app(**openid_provider.environment())
    with main_page(playwright, app) as main:
        main.wait_for_selector("body[data-view=signed-out]")
        with main.context.expect_page() as opened:
            main.click(f"button[data-provider={PROVIDER_ID}]")
        provider = opened.value
        main.wait_for_selector("body[data-view=waiting]")
        provider.fill("input[name=login]", "modal-user@example.com")
        provider.fill("input[name=password]", "any password")
        provider.click("button[type=submit]")
        provider.wait_for_selector("button[type=submit]")
        provider.click("button[type=submit]")
        main.wait_for_selector("body[data-view=signed-in]", timeout=20_000)
        assert "modal-user@example.com" in main.inner_text("#whoami-name")
        assert len(main.context.pages) == 1, "the sign-in window closes itself"
    stop_with(app, signal.SIGTERM)


def test_without_a_display_the_app_runs_on_xvfb_and_saves_a_screenshot(launch_app: LaunchApp) -> None:
    """What `make run` does on a machine without a screen."""
    app = launch_app("--xvfb-if-no-display", DISPLAY="")
    assert app.process is not None
    assert wait_until(lambda: "Saved a screenshot" in app.output.read_text(), timeout=60), app.report()
    output = app.output.read_text()
    assert "virtual display" in output
    screenshot = Path(re.findall(r"Saved a screenshot of the main window \(\d+x\d+\) to (\S+)", output)[0])
    assert screenshot == app.data_dir / "screenshots" / "main-window.png"
    assert distinct_colours(screenshot) > 5
    xvfb = [pid for pid in descendants(app.process.pid) if Path(f"/proc/{pid}/comm").read_text().strip() == "Xvfb"]
    assert len(xvfb) == 1
    stop_with(app, signal.SIGINT)
    assert not alive(xvfb[0])
