"""Case 10: the notes app's packaged build (`make package`), built here by the same command for the notes server
this test runs, with server secrets in the build's environment. Its executable runs under Xvfb with a real
Secret Service; a packaged build has no remote debugging, so a person's keystrokes (XTest) drive it, and its
own log, the keyring and the server tell what it did."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PyInstaller.archive.readers import CArchiveReader

from e2e.x11 import Screen, screen
from examples.notes.app import app as notes
from release.secrets import configured_secrets, scan, scan_tarball
from release.smoke import log_shows_answered
from tests.support.desktop import ARTIFACTS, AppProcess, stop_with
from tests.support.keyring import SecretService, keyring_secrets
from tests.support.server import ROOT, LiveServer, unique_email

PASSWORD = "correct horse battery"
# `make package`'s command: the notes app, named by its module and attribute.
BUILD = (sys.executable, "-m", "release.build", "--app", "examples.notes.app:app")


@dataclass(frozen=True)
class Build:
    folder: Path
    tarball: Path
    output: str
    environment: dict[str, str]

    @property
    def executable(self) -> Path:
        return self.folder / notes.name


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The "production" server the package is built for: the notes server (`python -m kernia_desktop_server`)
    with a secret of its own."""
    folder = tmp_path_factory.mktemp("production")
    server = LiveServer(
        folder, f"sqlite+aiosqlite:///{folder / 'kernia.db'}", {"KERNIA_SECRET": secrets.token_urlsafe(48)}
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def build(production: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """`python -m release.build`, as `make package` runs it, with the server's secret and a provider's client
    secret in its environment: both must stay out of what it produces."""
    dist = tmp_path_factory.mktemp("dist")
    environment = {
        **production.env,
        "KERNIA_DESKTOP_SERVER_URL": f"{production.url}/api/auth",
        "KERNIA_GITHUB_CLIENT_SECRET": f"github-client-secret-{secrets.token_hex(16)}",
    }
    done = subprocess.run(
        [*BUILD, "--dist", str(dist)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [tarball] = dist.glob(f"{notes.name}-*-stable-linux-*.tar.gz")
    return Build(dist / notes.name, tarball, done.stdout, environment)


def log_after(app: AppProcess, offset: int) -> str:
    log = app.data_dir / "logs" / "desktop.log"
    return log.read_text(errors="replace")[offset:] if log.exists() else ""


def log_size(app: AppProcess) -> int:
    log = app.data_dir / "logs" / "desktop.log"
    return len(log.read_text(errors="replace")) if log.exists() else 0


def wait_for_request(app: AppProcess, offset: int, request: str, timeout: float = 60.0) -> None:
    """Waits for the app's own log to show `request` (e.g. "GET .../api/notes") answered, after `offset`."""
    deadline = time.monotonic() + timeout
    while not log_shows_answered(log_after(app, offset), request):
        assert app.process is not None and app.process.poll() is None, app.report()
        if time.monotonic() > deadline:
            raise AssertionError(f"the app made no {request} within {timeout:.0f} s:\n{app.report()}")
        time.sleep(0.1)


def wait_until(condition, what: str, app: AppProcess, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s:\n{app.report()}")
        time.sleep(0.1)


def port_is_closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def save_artifacts(app: AppProcess, display: str, name: str) -> None:
    folder = ARTIFACTS / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.txt").write_text(app.report())
    with screen(display) as x:
        x.screenshot(x.display.screen().root, folder / "screen.png")


def give_the_page_the_keyboard(x: Screen) -> None:
    """Focuses the app's window and clicks its header's empty corner, as a person would before typing: the click
    gives the web page the keyboard, and the next Tab goes to the first control after the header's start."""
    window = x.wait_for(notes.title).window
    x.focus(window)
    x.click(window, 8, 8)


def test_the_build_has_the_shell_and_its_settings_and_no_secret(build: Build, production: LiveServer) -> None:
    assert "no configured secret in it" in build.output
    internal = build.folder / "_internal"
    baked = json.loads((internal / "kernia_desktop" / "build-info.json").read_text())
    assert baked["server"] == f"{production.url}/api/auth" and baked["channel"] == "stable"
    assert (internal / "examples" / "notes" / "ui" / "index.html").is_file()
    # QtWebEngine whole: its renderer process, its resources and its locales; the QML plugins it does not use, not.
    assert list(internal.rglob("QtWebEngineProcess")), "QtWebEngine's renderer process is in the build"
    assert list(internal.rglob("qtwebengine_resources.pak")) and list(internal.rglob("qtwebengine_locales/en-US.pak"))
    assert not list(internal.rglob("qml"))
    # The shell and the app are in, the server side is not: no FastAPI, SQLAlchemy, pydantic, migrations, bundled
    # backend or notes server.
    modules = set(CArchiveReader(str(build.executable)).open_embedded_archive("PYZ.pyz").toc)
    shell = {"kernia_desktop.app", "kernia_desktop.qt", "kernia_desktop.packaged", "examples.notes.app"}
    assert shell | {"webview", "keyring"} <= modules
    server_side = (
        "kernia_desktop_server.app",
        "kernia_desktop_server.auth",
        "kernia_desktop_server.db",
        "kernia_desktop.bundled",
        "examples.notes.server",
        "examples.notes.notes",
        "fastapi",
        "sqlalchemy",
        "alembic",
        "pydantic",
    )
    assert not [module for module in modules if module.startswith(server_side)]
    with tarfile.open(build.tarball) as archive:
        assert f"{notes.name}/{notes.name}" in archive.getnames()

    configured = configured_secrets(build.environment)
    assert {"KERNIA_SECRET", "KERNIA_GITHUB_CLIENT_SECRET"} <= {secret.source for secret in configured}
    assert scan(build.folder, configured) == [] and scan_tarball(build.tarball, configured) == []


def test_a_build_without_a_server_url_is_refused_clearly(tmp_path: Path) -> None:
    done = subprocess.run(
        [*BUILD, "--dist", str(tmp_path)],
        cwd=ROOT,
        env={key: value for key, value in os.environ.items() if key != "KERNIA_DESKTOP_SERVER_URL"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "KERNIA_DESKTOP_SERVER_URL is not set" in done.stderr
    assert not list(tmp_path.iterdir())


def test_a_build_of_what_is_not_a_desktop_app_is_refused_clearly(tmp_path: Path) -> None:
    """--app names the notes server's factory: the build says what it takes, and builds nothing."""
    done = subprocess.run(
        [sys.executable, "-m", "release.build", "--app", "examples.notes.server:create_app", "--dist", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "KERNIA_DESKTOP_SERVER_URL": "https://api.example.com/api/auth"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "examples.notes.server:create_app is a function, not a DesktopApp" in done.stderr
    assert not list(tmp_path.iterdir())


def test_a_secret_baked_into_a_build_fails_it_clearly(production: LiveServer, tmp_path: Path) -> None:
    """A client secret that found its way into a baked setting (here the callback URL): the scan stops the build,
    names the variable and the file, never the value, and publishes no tarball."""
    leaked = f"leaked-{secrets.token_hex(16)}"
    done = subprocess.run(
        [*BUILD, "--dist", str(tmp_path)],
        cwd=ROOT,
        env={
            **production.env,
            "KERNIA_DESKTOP_SERVER_URL": f"{production.url}/api/auth",
            "KERNIA_DESKTOP_CALLBACK_URL": f"https://app.example.com/callback/{leaked}",
            "KERNIA_OIDC_ACME_CLIENT_SECRET": leaked,
        },
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 1
    assert "KERNIA_OIDC_ACME_CLIENT_SECRET (as text) in" in done.stderr and "build-info.json" in done.stderr
    assert leaked not in done.stdout + done.stderr
    assert not list(tmp_path.glob("*.tar.gz"))


def test_sign_up_restart_restore_from_the_keyring_and_sign_out_with_the_keyboard(
    build: Build,
    production: LiveServer,
    virtual_display: str,
    app_keyring: SecretService,
    tmp_path: Path,
) -> None:
    service = f"{notes.name}:{production.url}"
    auth = f"{production.url}/api/auth"

    def launch() -> AppProcess:
        return AppProcess(
            tmp_path / "data",
            tmp_path / "home",
            virtual_display,
            app_keyring,
            command=[str(build.executable)],
            # Neither may take effect in a packaged build; AppProcess also sets KERNIA_DESKTOP_DEBUG_PORT.
            KERNIA_DESKTOP_SERVER="http://127.0.0.1:9/api/auth",
        ).start()

    app = launch()
    try:
        wait_for_request(app, 0, f"GET {auth}/providers")  # the signed-out view asks which providers exist
        assert port_is_closed(app.debug_port), "a packaged build must not open remote debugging"
        assert "ignored: KERNIA_DESKTOP_SERVER, KERNIA_DESKTOP_DEBUG_PORT" in app.output.read_text()

        email = unique_email("packaged")
        with screen(virtual_display) as x:
            give_the_page_the_keyboard(x)
            # The tabs are one stop, moved between with the arrow keys: "Create account", then its first field.
            for key in ("Tab", "Right", "Tab"):
                x.press(key)
            x.type("Grace Hopper")
            x.press("Tab")
            x.type(email)
            x.press("Tab")
            x.type(PASSWORD)
            x.press("Return")
        wait_until(lambda: keyring_secrets(app_keyring, service), "the sign-up", app)
        [token] = keyring_secrets(app_keyring, service)
        session = session_of(auth, token)
        assert isinstance(session, dict) and session["user"]["email"] == email
        stop_with(app, signal.SIGTERM)

        app = launch()
        # Restored from the keyring with no keystroke: the signed-in view loads the user's notes and keys.
        wait_for_request(app, 0, f"GET {production.url}/api/notes")
        wait_for_request(app, 0, f"GET {auth}/api-key/list")
        assert port_is_closed(app.debug_port)
        with screen(virtual_display) as x:
            give_the_page_the_keyboard(x)
            x.press("Tab")  # the header's "Sign out", the first control of the signed-in view
            x.press("Return")
        wait_until(lambda: not keyring_secrets(app_keyring, service), "the sign-out", app)
        # Forgotten here first, then revoked on the server.
        wait_until(lambda: session_of(auth, token) is None, "the revocation", app)
        stop_with(app, signal.SIGTERM)
    except BaseException:
        save_artifacts(app, virtual_display, "packaged-build")
        app.kill()
        raise


def session_of(auth: str, token: str) -> object:
    answer = httpx.get(f"{auth}/get-session", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_smoke_test_that_macos_and_windows_run_passes_here(
    build: Build, production: LiveServer, virtual_display: str, app_keyring: SecretService
) -> None:
    """release/smoke.py, which the CI workflow runs on macOS and Windows runners, on this build and keyring."""
    done = subprocess.run(
        [sys.executable, "-m", "release.smoke", str(build.folder), "--server-running"],
        cwd=ROOT,
        env={**app_keyring.env, "DISPLAY": virtual_display, "KERNIA_DESKTOP_SERVER_URL": f"{production.url}/api/auth"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "restored its session from the keyring, twice, with nothing on disk" in done.stdout
