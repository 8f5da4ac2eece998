"""The wheel as a user installs it: product-named import packages only, extras that keep the server and the shell
apart, and the minimal example run from a project of its own that has its own backend/ and desktop/ packages."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Playwright

from tests.support.desktop import AppProcess, main_page, stop_with, wait_until
from tests.support.keyring import SecretService, keyring_secrets
from tests.support.server import PASSWORD, ROOT, free_port, unique_email

CONSTRAINTS = ROOT / "constraints.txt"
SERVER_STACK = {"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "aiosqlite", "argon2-cffi", "asyncpg"}
SHELL_STACK = {"pyside6-essentials", "pyside6-webengine", "pywebview", "qtpy", "keyring", "secretstorage"}


def run(*command: str | Path, cwd: Path = ROOT, timeout: float = 900) -> str:
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--wheel", "--outdir", out, ROOT)
    [built] = out.glob("kernia_desktop-*.whl")
    return built


def new_environment(where: Path, wheel: Path, extras: str) -> Path:
    """A fresh virtual environment with the wheel and its `extras` installed; returns its python."""
    run(sys.executable, "-m", "venv", where)
    python = where / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "-c", CONSTRAINTS, f"{wheel}[{extras}]")
    return python


def test_the_wheel_installs_product_named_packages_only(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
        requirements = [
            line.removeprefix("Requires-Dist: ")
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist: ")
        ]
    assert {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")} == {
        "kernia_desktop",
        "kernia_desktop_server",
    }
    for package in ("kernia_desktop", "kernia_desktop_server"):
        assert f"{package}/py.typed" in names
    assert "kernia_desktop_server/db/migrations/script.py.mako" in names
    assert "kernia_desktop_server/db/migrations/versions/0001_core.py" in names
    # A library's metadata names ranges: the exact versions are the project's own install (constraints.txt).
    assert requirements and not [pinned for pinned in requirements if "==" in pinned.split(";")[0]]


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_the_server_extra_serves_without_the_shell(wheel: Path, tmp_path: Path) -> None:
    python = new_environment(tmp_path / "server-env", wheel, "server")
    script = """
import importlib.util, sys
from kernia_desktop_server import Settings, create_app
create_app(Settings(data_dir=sys.argv[1]))
print(sorted(name for name in sys.modules if name.split(".")[0] in ("PySide6", "webview", "qtpy", "keyring")))
print([name for name in ("PySide6", "webview", "keyring") if importlib.util.find_spec(name)])
"""
    assert run(python, "-c", script, tmp_path / "data", cwd=tmp_path).splitlines() == ["[]", "[]"]
    port = free_port()
    env = {"KERNIA_DATA_DIR": str(tmp_path / "data"), "KERNIA_BASE_URL": f"http://127.0.0.1:{port}/api/auth"}
    server = subprocess.Popen(
        [python, "-m", "kernia_desktop_server", "--port", str(port)], cwd=tmp_path, env=env, stderr=subprocess.PIPE
    )
    try:
        assert wait_until(lambda: answers(f"http://127.0.0.1:{port}/api/auth/ok") or server.poll() is not None, 30)
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
    finally:
        server.terminate()
        server.wait(10)


def test_the_desktop_extra_brings_no_server_stack(wheel: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    run(sys.executable, "-m", "venv", tmp_path / "empty")
    pip = (tmp_path / "empty" / "bin" / "python", "-m", "pip", "install", "--quiet", "-c", CONSTRAINTS)
    run(*pip, "--dry-run", "--ignore-installed", "--report", report, f"{wheel}[desktop]")
    # Names as PEP 503 normalises them: PySide6_Essentials is pyside6-essentials.
    wanted = {
        re.sub(r"[-_.]+", "-", entry["metadata"]["name"]).lower() for entry in json.loads(report.read_text())["install"]
    }
    assert SHELL_STACK <= wanted
    assert not SERVER_STACK & wanted


def project_with_its_own_backend_and_desktop(root: Path) -> Path:
    """The minimal example, copied into a project that has packages named backend and desktop of its own."""
    project = root / "project"
    shutil.copytree(ROOT / "examples" / "minimal", project)
    for package in ("backend", "desktop"):
        (project / package).mkdir()
        (project / package / "__init__.py").write_text(f'OWNER = "the project\'s own {package}"\n')
    return project


def sign_up_and_greet(page: Page, name: str, email: str) -> str:
    page.wait_for_selector("body[data-view=signed-out]")
    for field, value in (("name", name), ("email", email), ("password", PASSWORD)):
        page.fill(f"input[name={field}]", value)
    page.click("#sign-up")
    page.wait_for_selector("body[data-view=signed-in]")
    return greet(page)


def greet(page: Page) -> str:
    page.click("#greet")
    page.wait_for_function("document.getElementById('greeting').textContent !== ''")
    return page.inner_text("#greeting")


def test_the_minimal_example_runs_from_the_wheel_beside_a_projects_own_packages(
    wheel: Path, tmp_path: Path, virtual_display: str, app_keyring: SecretService, playwright: Playwright
) -> None:
    python = new_environment(tmp_path / "app-env", wheel, "bundled")
    project = project_with_its_own_backend_and_desktop(tmp_path)
    owners = run(
        python, "-c", "import backend, desktop, kernia_desktop; print(backend.OWNER, desktop.OWNER)", cwd=project
    )
    assert owners.strip() == "the project's own backend the project's own desktop"

    def launch() -> AppProcess:
        app = AppProcess(
            tmp_path / "data", tmp_path / "home", virtual_display, app_keyring, (python, "app.py"), project
        )
        return app.start()

    email = unique_email("minimal")
    app = launch()
    with main_page(playwright, app) as page:
        assert sign_up_and_greet(page, "Ada", email) == "Hello, Ada!"
    [token] = keyring_secrets(app_keyring, "kernia-minimal:local")
    assert token
    stop_with(app, signal.SIGTERM)

    again = launch()
    with main_page(playwright, again) as page:
        page.wait_for_selector("body[data-view=signed-in]")
        assert greet(page) == "Hello, Ada!"
    stop_with(again, signal.SIGTERM)
