from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Playwright, sync_playwright

from desktop.xvfb import VirtualDisplay
from tests.services import DesktopApp, LaunchApp, SecretService


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretService]:
    service = SecretService(tmp_path_factory.mktemp("keyring-home"))
    yield service
    service.stop()


@pytest.fixture
def session_bus(secret_service: SecretService, monkeypatch: pytest.MonkeyPatch) -> SecretService:
    """Points this process at the test Secret Service."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.address)
    monkeypatch.delenv("DISPLAY", raising=False)
    return secret_service


@pytest.fixture
def no_session_bus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")


@pytest.fixture(scope="session")
def virtual_display() -> Iterator[str]:
    """An Xvfb server for the app's windows, on the first free display number."""
    display = VirtualDisplay()
    yield display.display
    display.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module-scoped: while Playwright's sync API is open, the thread has a running event loop, which the
    # asyncio tests of other modules cannot share.
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def app_keyring(tmp_path: Path) -> Iterator[SecretService]:
    """A Secret Service of the test's own: what one launch stores, the next one of the test finds."""
    service = SecretService(tmp_path / "keyring-home")
    yield service
    service.stop()


@pytest.fixture
def launch_app(tmp_path: Path, virtual_display: str, app_keyring: SecretService) -> Iterator[LaunchApp]:
    """Starts the app with these arguments; every launch of a test shares its data dir and keyring unless told
    otherwise."""
    launched: list[DesktopApp] = []

    def launch(*args: str, data_dir: Path | None = None, **env: Any) -> DesktopApp:
        home = tmp_path / f"home-{len(launched)}"
        app = DesktopApp(data_dir or tmp_path / "data", home, virtual_display, app_keyring, **env)
        launched.append(app.start(*args))
        return app

    yield launch
    for app in launched:
        app.kill()
