"""python -m release.smoke dist/kernia-desktop: a packaged build of the notes app on this operating system, against
the notes server this script runs on KERNIA_DESKTOP_SERVER_URL's port (the URL the package was built for), or one
already running there (--server-running).

What it checks, on macOS, Windows and Linux alike: a session token in the OS keyring (Keychain, Credential
Manager, Secret Service), where a sign-in leaves it, signs the app in at launch, and again after a restart; the
persistent partition keeps its web storage folder across the restart; and neither the token nor a session
cookie is ever written to the app's data dir. The app's own log tells what it did: a packaged build has no
remote debugging to ask it.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import keyring

from kernia_desktop.partition import DEFAULT_PARTITION, Partition

ROOT = Path(__file__).resolve().parent.parent
# The notes app's server: the app signs in to it and reads its notes.
NOTES_SERVER = "examples.notes.server:create_app"


class SmokeFailure(AssertionError):
    pass


def log_shows_answered(log_text: str, request: str) -> bool:
    """Whether the app's log (desktop.log) shows `request`, e.g. "GET https://host/api/notes", answered with 2xx:
    what a packaged build, which has no remote debugging, tells of what its renderer did."""
    return re.search(rf'HTTP Request: {re.escape(request)} "HTTP/1.1 2\d\d', log_text) is not None


def wait_for(condition: Callable[[], bool], what: str, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else ""
            raise SmokeFailure(f"{what} did not happen within {timeout:.0f} s\n{tail}")
        time.sleep(0.2)


@contextmanager
def backend(auth_url: str, data_dir: Path) -> Iterator[None]:
    """`python -m kernia_desktop_server` serving the notes server at the auth URL's port, with a secret of its
    own."""
    port = urlsplit(auth_url).port
    environment = {
        **os.environ,
        "KERNIA_BASE_URL": auth_url,
        "KERNIA_DATA_DIR": str(data_dir),
        "KERNIA_SECRET": secrets.token_urlsafe(48),
    }
    with (data_dir / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kernia_desktop_server",
                "--app",
                NOTES_SERVER,
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def answers() -> bool:
            try:
                return httpx.get(f"{auth_url}/ok", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answers, "the backend's start", 60, data_dir / "server.log")
        yield
    finally:
        server.terminate()
        server.wait(10)


def run_app(executable: Path, data_dir: Path, auth_url: str, launch: int) -> None:
    """One launch: it must show the signed-in view (its notes are fetched), then it is asked to quit."""
    log = data_dir / "logs" / "desktop.log"
    offset = len(log.read_text(errors="replace")) if log.exists() else 0
    environment = {**os.environ, "KERNIA_DESKTOP_DATA_DIR": str(data_dir)}
    app = subprocess.Popen([str(executable)], env=environment)
    origin = f"{urlsplit(auth_url).scheme}://{urlsplit(auth_url).netloc}"
    try:

        def signed_in() -> bool:
            if app.poll() is not None:
                raise SmokeFailure(f"the app exited ({app.returncode}) on launch {launch}")
            text = log.read_text(errors="replace")[offset:] if log.exists() else ""
            return log_shows_answered(text, f"GET {origin}/api/notes")

        wait_for(signed_in, f"the signed-in view on launch {launch}", 120, log)
    finally:
        app.terminate()
        try:
            app.wait(20)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def smoke(app_name: str, executable: Path, auth_url: str, server_running: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="kernia-smoke-") as work_dir:
        work = Path(work_dir)
        (work / "server").mkdir()
        data_dir = work / "app"
        with nullcontext() if server_running else backend(auth_url, work / "server"):
            account = {"name": "Smoke Test", "email": f"smoke-{secrets.token_hex(4)}@example.com"}
            signed_up = httpx.post(
                f"{auth_url}/sign-up/email", json={**account, "password": secrets.token_urlsafe(16)}, timeout=30
            )
            signed_up.raise_for_status()
            token = signed_up.headers["set-auth-token"]
            parts = urlsplit(auth_url)
            service = f"{app_name}:{parts.scheme}://{parts.netloc}"
            # Where the app's own sign-in would leave it: the OS keyring, one entry per partition.
            keyring.set_password(service, DEFAULT_PARTITION, token)
            try:
                run_app(executable, data_dir, auth_url, 1)
                storage = Partition(DEFAULT_PARTITION).storage_dir(data_dir)
                assert storage is not None
                if not storage.is_dir():
                    raise SmokeFailure(f"the persistent partition has no storage folder at {storage}")
                run_app(executable, data_dir, auth_url, 2)
                if not storage.is_dir():
                    raise SmokeFailure("the persistent partition's storage did not survive the restart")
                if keyring.get_password(service, DEFAULT_PARTITION) is None:
                    raise SmokeFailure("the keyring entry is gone after a restart that stayed signed in")
                on_disk = [
                    path
                    for path in data_dir.rglob("*")
                    if path.is_file() and token.split(".")[0].encode() in path.read_bytes()
                ]
                if on_disk:
                    raise SmokeFailure(f"the session token was written to disk: {on_disk}")
            finally:
                try:
                    keyring.delete_password(service, DEFAULT_PARTITION)
                except keyring.errors.PasswordDeleteError:
                    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release.smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "folder", type=Path, help="the packaged build's folder, named after the app, e.g. dist/kernia-desktop"
    )
    parser.add_argument(
        "--server-running",
        action="store_true",
        help="the notes server already serves KERNIA_DESKTOP_SERVER_URL; start none",
    )
    arguments = parser.parse_args(argv)
    auth_url = os.environ.get("KERNIA_DESKTOP_SERVER_URL")
    if not auth_url:
        print("release.smoke: set KERNIA_DESKTOP_SERVER_URL to the URL the package was built for", file=sys.stderr)
        return 2
    # The build names the folder and the executable after the app; its keyring entries carry that name too.
    app_name = arguments.folder.resolve().name
    executable = arguments.folder / (f"{app_name}.exe" if sys.platform == "win32" else app_name)
    try:
        smoke(app_name, executable, auth_url.rstrip("/"), arguments.server_running)
    except SmokeFailure as failure:
        print(f"release.smoke: FAILED: {failure}", file=sys.stderr)
        return 1
    print(f"release.smoke: {executable} restored its session from the keyring, twice, with nothing on disk.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
