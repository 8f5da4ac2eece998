"""A real Secret Service for the tests: a D-Bus session bus with gnome-keyring's daemon on it, and what the app
stored there."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import secretstorage
from jeepney import DBusAddress, new_method_call
from secretstorage.exceptions import ItemNotFoundException
from secretstorage.util import format_secret, open_session

from kernia_desktop.partition import DEFAULT_PARTITION
from kernia_desktop.processes import stop_process

KEYRING_PASSWORD = b"kernia-test-keyring"
SECRETS_NAME = "org.freedesktop.secrets"
SECRETS_PATH = "/org/freedesktop/secrets"
GNOME_KEYRING_INTERNAL = "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"


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
        deadline = time.monotonic() + timeout
        problem: object = "the default collection stayed locked"
        with on_session_bus(self.address):
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

    def lock(self) -> None:
        """Locks the default collection, as a person (or the screen locker) would while apps run."""
        with on_session_bus(self.address):
            connection = secretstorage.dbus_init()
            try:
                secretstorage.Collection(connection).lock()
            finally:
                connection.close()

    def unlock(self) -> None:
        """Unlocks the default collection with its password, through gnome-keyring's own interface for this (the
        Secret Service's Unlock would open a prompt, which has no display here)."""
        with on_session_bus(self.address):
            connection = secretstorage.dbus_init()
            try:
                service = DBusAddress(SECRETS_PATH, bus_name=SECRETS_NAME, interface="org.freedesktop.Secret.Service")
                [collection] = connection.send_and_get_reply(
                    new_method_call(service, "ReadAlias", "s", ("default",))
                ).body
                secret = format_secret(open_session(connection), KEYRING_PASSWORD, "text/plain")
                internal = DBusAddress(SECRETS_PATH, bus_name=SECRETS_NAME, interface=GNOME_KEYRING_INTERNAL)
                connection.send_and_get_reply(
                    new_method_call(internal, "UnlockWithMasterPassword", "o(oayays)", (collection, secret))
                )
            finally:
                connection.close()

    def stop(self) -> None:
        for process in (self._keyring, self._bus):
            stop_process(process, grace_seconds=5)


def keyring_secrets(keyring: SecretService, service: str, partition: str = DEFAULT_PARTITION) -> list[str]:
    """The secrets stored under `service` for `partition` in `keyring`."""
    with on_session_bus(keyring.address):
        connection = secretstorage.dbus_init()
        try:
            found = []
            for item in secretstorage.search_items(connection, {"service": service, "username": partition}):
                try:
                    found.append(item.get_secret().decode())
                except ItemNotFoundException:
                    pass  # deleted between the search and the read: the app signed out meanwhile
            return found
        finally:
            connection.close()


@contextmanager
def on_session_bus(address: str) -> Iterator[None]:
    """This process's D-Bus session bus (secretstorage reads DBUS_SESSION_BUS_ADDRESS) is `address` inside."""
    previous = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        yield
    finally:
        if previous is None:
            del os.environ["DBUS_SESSION_BUS_ADDRESS"]
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = previous
