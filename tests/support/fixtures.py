"""The fixtures tests/ and e2e/ share, registered for both by the root conftest.py: a server per test on SQLite and
on PostgreSQL, in process and as a live child process; the real OpenID provider; the desktop app's display,
keyring and driver; the stock servers of the wire protocol."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Playwright, sync_playwright

from examples.notes.server import create_app
from kernia_desktop.xvfb import VirtualDisplay
from kernia_desktop_server import Settings
from tests.support.desktop import AppProcess, LaunchApp
from tests.support.keyring import SecretService
from tests.support.openid_provider import OpenIdProvider
from tests.support.postgres import TRUNCATE_ALL, new_postgres_database, postgres_admin_url, run_admin
from tests.support.server import BASE, LiveServer, started_client
from tests.support.stock_servers import StockBetterAuthServer, StockKerniaServer, StockServer


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own for this test run."""
    with new_postgres_database(postgres_admin_url()) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'kernia.db'}"
    url: str = request.getfixturevalue("postgres_url")
    # One database serves the whole run; each test starts from empty tables, as on SQLite.
    run_admin(url, TRUNCATE_ALL)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def new_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nothing has migrated yet, for a test whose app has other tables than the notes app's (the run's
    shared PostgreSQL database is migrated by its first test)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
        return
    with new_postgres_database(postgres_admin_url()) as url:
        yield url


@pytest.fixture
def make_settings(tmp_path: Path, database_url: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "base_url": f"{BASE}/api/auth",
            "data_dir": tmp_path / "data",
            "database_url": database_url,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def app(make_settings: Callable[..., Settings]) -> FastAPI:
    """The notes example's server."""
    return create_app(make_settings())


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async for started in started_client(app):
        yield started


@pytest.fixture
def live_server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "live", database_url).start()
    yield server
    server.stop()


@pytest.fixture
def sqlite_live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """For tests of the shell's client of the server, which the database behind the server does not concern."""
    server = LiveServer(tmp_path / "live", f"sqlite+aiosqlite:///{tmp_path / 'live.db'}").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def openid_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIdProvider]:
    """The real OpenID provider (npm oidc-provider), one for the test run."""
    provider = OpenIdProvider(tmp_path_factory.mktemp("openid-provider") / "provider.log")
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def gitlab_shaped_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIdProvider]:
    """The OpenID provider at GitLab's paths, for stock kernia's GitLab social provider; one for the test run."""
    provider = OpenIdProvider(tmp_path_factory.mktemp("gitlab-provider") / "provider.log", routes="gitlab")
    yield provider
    provider.stop()


@pytest.fixture(params=["kernia", "better-auth"])
def stock_server(
    request: pytest.FixtureRequest, tmp_path: Path, openid_provider: OpenIdProvider
) -> Iterator[StockServer]:
    """Each stock server in turn, signing in at the test OpenID provider."""
    server: StockServer
    if request.param == "kernia":
        server = StockKerniaServer(tmp_path / "stock", request.getfixturevalue("gitlab_shaped_provider").issuer)
    else:
        server = StockBetterAuthServer(tmp_path / "stock", openid_provider)
    server.start()
    yield server
    server.stop()


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
    launched: list[AppProcess] = []

    def launch(*args: str, data_dir: Path | None = None, **env: Any) -> AppProcess:
        home = tmp_path / f"home-{len(launched)}"
        app = AppProcess(data_dir or tmp_path / "data", home, virtual_display, app_keyring, **env)
        launched.append(app.start(*args))
        return app

    yield launch
    for app in launched:
        app.kill()
