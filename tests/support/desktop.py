"""The desktop app in a child process, on a virtual display, and what the tests do with its windows and files."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Page, Playwright
from PySide6.QtGui import QImage

from tests.support.keyring import SecretService
from tests.support.server import PASSWORD, ROOT, free_port

ARTIFACTS = ROOT / "test-artifacts"
# The notes app, as `make run` starts it; its keyring service when it runs its bundled backend.
NOTES_APP = (sys.executable, "-m", "examples.notes")
LOCAL_SERVICE = "kernia-desktop:local"


def descendants(pid: int) -> set[int]:
    """The processes below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process has just gone
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class AppProcess:
    """The notes app (`python -m examples.notes`, as `make run` starts it), or the `command` given, in a child
    process with a data dir and HOME of its own, on the given X display, with the Secret Service's session bus and
    QtWebEngine's remote debugging on."""

    def __init__(
        self,
        data_dir: Path,
        home: Path,
        display: str,
        keyring: SecretService,
        command: Sequence[str] = NOTES_APP,
        cwd: Path = ROOT,
        **env: str,
    ) -> None:
        """`command` runs the app in `cwd`: the notes app by default, or a packaged build's executable, or an app
        of a project elsewhere."""
        self.command = list(command)
        self.cwd = cwd
        self.data_dir = data_dir
        self.debug_port = free_port()
        self.devtools = f"http://127.0.0.1:{self.debug_port}"
        runtime = home / "runtime"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        inherited = {key: value for key, value in keyring.env.items() if not key.startswith(("KERNIA_", "XDG_", "QT_"))}
        self.env = {
            **inherited,
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(runtime),
            "DISPLAY": display,
            "KERNIA_DESKTOP_DATA_DIR": str(data_dir),
            "KERNIA_DESKTOP_DEBUG_PORT": str(self.debug_port),
            "QTWEBENGINE_DISABLE_SANDBOX": "1",
            **env,
        }
        self.output = home / "app-output.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *args: str) -> AppProcess:
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(
                [*self.command, *args],
                cwd=self.cwd,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        return self

    def run_to_end(self, timeout: float) -> subprocess.CompletedProcess[str]:
        """Runs another launch with the same environment to its end."""
        return subprocess.run(self.command, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=timeout)

    def wait_for_devtools(self, timeout: float = 60.0, poll: float = 0.1) -> None:
        """`poll`: the seconds between two tries (the bench times launches, so it asks more often)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited early ({self.process.returncode}):\n{self.report()}")
            try:
                if httpx.get(f"{self.devtools}/json/version", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(poll)
        raise RuntimeError(f"the app opened no window within {timeout:.0f} s:\n{self.report()}")

    def server_origin(self) -> str:
        """The origin of the server the latest launch signs in to, as its log says (the bundled backend listens
        on a port the OS picks)."""
        log = (self.data_dir / "logs" / "desktop.log").read_text()
        named = re.findall(r"signing in to (https?://[^/\s]+)", log)
        assert named, log[-2000:]
        return named[-1]

    def report(self) -> str:
        log = self.data_dir / "logs" / "desktop.log"
        return "\n".join(
            f"--- {path}:\n{path.read_text(errors='replace')[-6000:]}" for path in (self.output, log) if path.exists()
        )

    def signal(self, number: signal.Signals = signal.SIGTERM) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def kill(self) -> None:
        """Ends the app and everything it started, whatever state it is in."""
        if self.process is None:
            return
        for pid in [*descendants(self.process.pid), self.process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()


# The launch_app fixture: starts the app with arguments, a data dir (default: the test's) and extra environment.
LaunchApp = Callable[..., AppProcess]


@contextmanager
def main_page(playwright: Playwright, app: AppProcess) -> Iterator[Page]:
    """The app's first window, over CDP; the connection is dropped on exit (the app keeps running)."""
    app.wait_for_devtools()
    browser = playwright.chromium.connect_over_cdp(app.devtools, no_defaults=True)
    try:
        context = browser.contexts[0]
        yield context.pages[0] if context.pages else context.wait_for_event("page")
    finally:
        browser.close()


def sign_up_in_window(page: Page, name: str, email: str) -> None:
    """Creates an account in the notes app's signed-out view; returns once it shows the signed-in view."""
    page.wait_for_selector("body[data-view=signed-out]")
    page.click("#tab-sign-up")
    page.fill("#sign-up-form input[name=name]", name)
    page.fill("#sign-up-form input[name=email]", email)
    page.fill("#sign-up-form input[name=password]", PASSWORD)
    page.click("#sign-up-form button[type=submit]")
    page.wait_for_selector("body[data-view=signed-in]")


def files_containing(secret: str, *roots: Path) -> list[Path]:
    needles = [secret.encode(), secret.split(".")[0].encode()]
    return [
        path
        for root in roots
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink() and any(needle in path.read_bytes() for needle in needles)
    ]


def distinct_colours(png: Path) -> int:
    """The colours of a 100 x 100 grid of the image's pixels: a blank or one-colour window has one or two, a view
    with text (antialiased) has dozens."""
    image = QImage(str(png))
    assert not image.isNull(), png
    step_x, step_y = max(1, image.width() // 100), max(1, image.height() // 100)
    return len({image.pixel(x, y) for x in range(0, image.width(), step_x) for y in range(0, image.height(), step_y)})


def stop_with(app: AppProcess, number: signal.Signals, within: float = 5.0) -> None:
    """Signals the app; it must exit 0 in time and leave none of its processes behind."""
    assert app.process is not None
    children = descendants(app.process.pid)
    assert children, "QtWebEngine runs its renderers in child processes"
    started = time.monotonic()
    app.signal(number)
    assert app.wait(timeout=within + 5) == 0, app.report()
    assert time.monotonic() - started < within
    time.sleep(0.5)
    assert not [pid for pid in children if alive(pid)]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
