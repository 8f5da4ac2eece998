"""Real services for the desktop tests: a D-Bus session bus with gnome-keyring's Secret Service on it."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

KEYRING_PASSWORD = b"kernia-test-keyring"


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
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 20.0) -> None:
        import secretstorage

        previous = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = self.address
        deadline = time.monotonic() + timeout
        problem: object = "the default collection stayed locked"
        try:
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
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
