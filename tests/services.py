"""Real services for the desktop tests: a D-Bus session bus with gnome-keyring's Secret Service on it, and the
desktop app itself in a child process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from desktop.processes import stop_process
from tests.conftest import ROOT, free_port

KEYRING_PASSWORD = b"kernia-test-keyring"
SECRETS_NAME = "org.freedesktop.secrets"


class SecretService:
    """dbus-daemon --session plus gnome-keyring-daemon with an unlocked login keyring, in a HOME of its own.

    DISPLAY is left out of their environment: with a display, gnome-keyring would open prompt windows.
    """

    def __init__(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        runtime = home / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        self.env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
        self.env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime), XDG_DATA_HOME=str(home / ".local" / "share"))
        self._bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            env=self.env,
        )
        assert self._bus.stdout is not None
        self.address = self._bus.stdout.readline().decode().strip()
        self.env["DBUS_SESSION_BUS_ADDRESS"] = self.address
        self._keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self.env,
        )
        assert self._keyring.stdin is not None
        self._keyring.stdin.write(KEYRING_PASSWORD)
        self._keyring.stdin.close()
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _secrets_name_owned(self) -> bool:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(self.address) as connection:
            return bool(connection.send_and_get_reply(message_bus.NameHasOwner(SECRETS_NAME)).body[0])

    def _wait_until_ready(self, timeout: float = 20.0) -> None:
        import secretstorage

        previous = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = self.address
        deadline = time.monotonic() + timeout
        problem: object = "the default collection stayed locked"
        try:
            # A Secret Service call before our daemon owns the name would make the bus start a daemon of its own
            # (D-Bus activation), one without the unlocked login keyring.
            while not self._secrets_name_owned():
                if time.monotonic() > deadline:
                    raise RuntimeError("gnome-keyring-daemon did not take the Secret Service name")
                time.sleep(0.05)
            while time.monotonic() < deadline:
                try:
                    connection = secretstorage.dbus_init()
                    try:
                        # Opened, never created: creating a collection would need a prompt.
                        if not secretstorage.Collection(connection).is_locked():
                            return
                    finally:
                        connection.close()
                except Exception as error:  # the daemon is still starting
                    problem = error
                time.sleep(0.1)
            raise RuntimeError(f"the Secret Service did not become ready: {problem}")
        finally:
            if previous is None:
                del os.environ["DBUS_SESSION_BUS_ADDRESS"]
            else:
                os.environ["DBUS_SESSION_BUS_ADDRESS"] = previous

    def stop(self) -> None:
        for process in (self._keyring, self._bus):
            stop_process(process, grace_seconds=5)


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


class DesktopApp:
    """`python -m desktop` in a child process, as `make run` starts it, with a data dir and HOME of its own, on
    the given X display, with the Secret Service's session bus and QtWebEngine's remote debugging on."""

    def __init__(
        self,
        data_dir: Path,
        home: Path,
        display: str,
        keyring: SecretService,
        command: Sequence[str] = (sys.executable, "-m", "desktop"),
        **env: str,
    ) -> None:
        """`command` runs the app: `python -m desktop` by default, or a packaged build's executable."""
        self.command = list(command)
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

    def start(self, *args: str) -> DesktopApp:
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(
                [*self.command, *args],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        return self

    def run_to_end(self, timeout: float) -> subprocess.CompletedProcess[str]:
        """Runs another launch with the same environment to its end."""
        return subprocess.run(self.command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)

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
LaunchApp = Callable[..., DesktopApp]
