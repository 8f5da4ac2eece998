"""The signed-in state of one partition: its credential (in the keyring, and in memory), its user, and the
notice the UI should show. Every window of the partition shares one Account."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from kernia_desktop.client import AuthClient, Offline, ServerError, SignedIn
from kernia_desktop.partition import Partition

if TYPE_CHECKING:
    # keyring loads on the restore thread, with the first vault (kernia_desktop.shell).
    from kernia_desktop.vault import Vault

log = logging.getLogger(__name__)
T = TypeVar("T")

OFFLINE_NOTICE = "The server cannot be reached. You are still signed in; reconnect to continue."


class SignedOut(Exception):
    """The action needs a signed-in user."""


class Account:
    def __init__(self, partition: Partition, client: AuthClient, vault: Vault) -> None:
        self.partition = partition
        self.client = client
        self.vault = vault
        self._lock = threading.RLock()
        self._token: str | None = None
        self.user: dict[str, Any] | None = None
        self.offline = False
        # Called after a sign-out, to drop what the partition's web views hold for the server (cookies).
        self.on_signed_out: Callable[[], None] = lambda: None

    @property
    def signed_in(self) -> bool:
        return self._token is not None

    def state(self) -> dict[str, Any]:
        """What the renderer may know: the user and a notice, never the credential."""
        notice = OFFLINE_NOTICE if self.offline else self.vault.health.problem
        return {"user": self.user, "notice": notice, "partition": self.partition.name}

    def restore(self) -> None:
        """Signs back in from the keyring entry; the server slides the session and may rotate its token."""
        token = self.vault.load(self.partition.name)
        if token is None:
            return
        try:
            state = self.client.restore_session(token)
        except Offline:
            log.info("restore: server offline; keeping the keyring entry")
            with self._lock:
                self._token, self.offline = token, True
            return
        except ServerError as error:
            log.warning("restore: the server refused the session check: %s", error)
            return
        with self._lock:
            if state is None:
                log.info("restore: the session was revoked or has expired; forgetting it")
                self.vault.delete(self.partition.name)
                return
            self._token, self.user, self.offline = state.rotated_token or token, state.user, False
            if state.rotated_token:
                self.vault.save(self.partition.name, state.rotated_token)

    def adopt(self, signed_in: SignedIn) -> None:
        with self._lock:
            self._token, self.user, self.offline = signed_in.token, signed_in.user, False
            self.vault.save(self.partition.name, signed_in.token)

    def forget(self) -> None:
        """Drops the local credential: memory, keyring and the web views' cookies."""
        with self._lock:
            self._token, self.user, self.offline = None, None, False
            self.vault.delete(self.partition.name)
        self.on_signed_out()

    def authorized(self, action: Callable[[str], T]) -> T:
        """Runs `action` with the credential. A 401 means the session ended elsewhere: the account signs out."""
        token = self._token
        if token is None:
            raise SignedOut
        try:
            result = action(token)
        except Offline:
            self.offline = True
            raise
        except ServerError as error:
            if error.status == 401:
                self.forget()
            raise
        self.offline = False
        return result

    def sign_out(self, everywhere: bool = False) -> None:
        """Revokes the session on the server (all of the user's sessions with `everywhere`), then forgets it."""
        if self._token is None:
            self.forget()
            return
        self.authorized(self.client.revoke_sessions if everywhere else self.client.sign_out)
        self.forget()
