"""Tokens in the OS keyring, and only there: no file fallback, no password prompt.

keyring's automatic choice may chain to file backends (keyrings.alt, keyrings.cryptfile) that write secrets
to disk or ask for a password on the terminal, so the vault picks among the operating systems' own stores
itself, and checks that the store is unlocked before it touches it.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError

log = logging.getLogger(__name__)

# The operating systems' own secret stores: the keyring modules that implement them, by platform. Only these are
# imported: keyring's own discovery loads every installed backend (the macOS one runs a compiler probe on Linux)
# through package metadata, a cost on every launch.
SYSTEM_BACKENDS: dict[str, tuple[str, ...]] = {
    "linux": ("keyring.backends.SecretService", "keyring.backends.libsecret", "keyring.backends.kwallet"),
    "darwin": ("keyring.backends.macOS",),
    "win32": ("keyring.backends.Windows",),
}


# The index of the partitions that keep a credential: no partition's name has a "#".
ACCOUNTS_ENTRY = "#accounts"


@dataclass(frozen=True)
class VaultHealth:
    usable: bool
    backend: str
    problem: str | None = None


class SecretStore(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


def system_backend(platform: str = sys.platform) -> KeyringBackend | None:
    """The highest-priority viable system keyring of this platform, or None."""
    modules = SYSTEM_BACKENDS.get("linux" if platform.startswith(("linux", "freebsd")) else platform, ())
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as error:
            log.info("keyring backend %s is not available: %s", module, error)
    viable: list[tuple[float, KeyringBackend]] = []
    for backend_class in KeyringBackend.get_viable_backends():
        if backend_class.__module__ not in modules:
            continue
        try:
            backend = backend_class()
            # A backend's priority raises when its service is gone (no D-Bus session, no daemon).
            viable.append((backend.priority, backend))
        except Exception as error:
            log.info("keyring backend %s is not usable: %s", backend_class.__module__, error)
    return max(viable, key=lambda pair: pair[0], default=(0, None))[1]


def secret_service_locked() -> bool:
    """Whether the Secret Service default collection is missing or locked: using it would raise a prompt."""
    import secretstorage
    from secretstorage.exceptions import ItemNotFoundException

    connection = secretstorage.dbus_init()
    try:
        # Collection() only opens the default collection; get_default_collection would create one, with a prompt.
        return secretstorage.Collection(connection).is_locked()
    except ItemNotFoundException:
        return True
    finally:
        connection.close()


def check_health(backend: KeyringBackend | None) -> VaultHealth:
    if backend is None:
        return VaultHealth(
            False, "none", "No system keyring is available, so you will be signed out when the app closes."
        )
    name = f"{type(backend).__module__.rsplit('.', 1)[-1]} keyring"
    if type(backend).__module__ == "keyring.backends.SecretService":
        try:
            if secret_service_locked():
                return VaultHealth(
                    False, name, "The system keyring is locked. Unlock it and restart the app to stay signed in."
                )
        except Exception as error:
            return VaultHealth(False, name, f"The system keyring cannot be reached ({error}).")
    return VaultHealth(True, name)


class Vault:
    """One keyring service (a server), one entry per partition (and per kind of record an account keeps beside its
    credential: `entry(partition, kind)`).

    `is_locked` says whether the store would need a prompt to be written now (the Secret Service locks while the
    app runs); it is then not written, and the call fails, rather than wait on a prompt no one may answer. The store
    is used by one thread at a time: the app's accounts, their keyring retries and the accounts list all reach it.
    """

    def __init__(
        self,
        service: str,
        store: SecretStore | None,
        health: VaultHealth,
        is_locked: Callable[[], bool] = lambda: False,
    ) -> None:
        self.service = service
        self.health = health
        self._store = store if health.usable else None
        self._is_locked = is_locked
        self._lock = threading.RLock()

    @classmethod
    def open(cls, service: str) -> Vault:
        backend = system_backend()
        secret_service = backend is not None and type(backend).__module__ == "keyring.backends.SecretService"
        return cls(service, backend, check_health(backend), secret_service_locked if secret_service else lambda: False)

    def accounts(self) -> list[str]:
        """The partitions that keep a credential here, in the order they were first kept."""
        try:
            kept = json.loads(self.load(ACCOUNTS_ENTRY) or "[]")
        except ValueError:
            return []
        return [name for name in kept if isinstance(name, str)] if isinstance(kept, list) else []

    def keep_account(self, partition: str, kept: bool) -> bool:
        """Adds the partition to the index of accounts (or, with kept False, takes it out)."""
        with self._lock:
            accounts = self.accounts()
            if (partition in accounts) == kept:
                return True
            accounts = [*accounts, partition] if kept else [name for name in accounts if name != partition]
            return self.save(ACCOUNTS_ENTRY, json.dumps(accounts)) if accounts else self.delete(ACCOUNTS_ENTRY)

    @staticmethod
    def entry(partition: str, kind: str | None = None) -> str:
        """The entry of a partition's credential, or of a record of another kind kept with it."""
        return partition if kind is None else f"{partition}#{kind}"

    def _unlocked(self) -> bool:
        try:
            return not self._is_locked()
        except Exception as error:
            log.warning("the keyring cannot be reached: %s", error)
            return False

    def load(self, account: str) -> str | None:
        # Not asked whether the store is locked: a read is on every launch's way to its first view, and the
        # vault opened only an unlocked store.
        with self._lock:
            if self._store is None:
                return None
            try:
                return self._store.get_password(self.service, account)
            except KeyringError as error:
                log.warning("reading the keyring failed: %s", error)
                return None

    def save(self, account: str, token: str) -> bool:
        """Keeps the token; False when it could only be kept in memory."""
        with self._lock:
            if self._store is None or not self._unlocked():
                return False
            try:
                self._store.set_password(self.service, account, token)
            except KeyringError as error:
                log.warning("writing the keyring failed: %s", error)
                return False
            return True

    def delete(self, account: str) -> bool:
        """Forgets the entry; False when the store could not be written (locked, or failing)."""
        with self._lock:
            if self._store is None:
                return True
            if not self._unlocked():
                return False
            try:
                if self._store.get_password(self.service, account) is not None:
                    self._store.delete_password(self.service, account)
            except KeyringError as error:
                log.warning("deleting from the keyring failed: %s", error)
                return False
            return True
