"""The signed-in state of one partition: its credential (in the keyring, and in memory), its user, whether the server
can be reached, and the notice the UI should show. Every window of the partition shares one Account, and hears of
each change (`on_change`).

A network error never signs the account out: it goes offline, shows the last known user (a profile kept with the
credential in the keyring) and reconnects by itself. Only the server's answer that the session is gone signs out.
Signing out always works at once on this computer; a revocation the server could not be told of is kept in the
keyring and sent when the server can be reached again, in this run or the next.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from kernia_desktop.client import AuthClient, Offline, ServerError, SessionState, SignedIn
from kernia_desktop.partition import Partition

if TYPE_CHECKING:
    # keyring loads on the restore thread, with the first vault (kernia_desktop.shell).
    from kernia_desktop.vault import Vault

log = logging.getLogger(__name__)
T = TypeVar("T")

OFFLINE_NOTICE = "You are offline: this is what the app last knew. It reconnects by itself."
KEYRING_NOT_KEPT = (
    "The system keyring could not keep your sign-in, so you will be signed out when the app closes. "
    "The app tries again when the keyring is unlocked."
)
KEYRING_NOT_FORGOTTEN = (
    "Signed out, but the system keyring is locked: your sign-in stays in it until the keyring is unlocked, when "
    "the app removes it."
)
SIGNED_OUT_EVERYWHERE = "Signed out. The server ended every session of this account."
SIGNED_OUT = "Signed out. The server ended this session."
SIGNED_OUT_LATER = (
    "Signed out on this computer. The server cannot be reached now; it will be told to end the session as soon as "
    "the app reaches it."
)
# What of the user an offline view may show: kept in the keyring with the credential.
PROFILE_FIELDS = ("id", "name", "email", "image")
PROFILE, REVOCATIONS = "profile", "revoke"
# How long what waits for the window's first view (a restore's follow-up, the bundled backend's start) waits
# before it goes ahead anyway.
FIRST_VIEW_WAIT = 5.0
# For an account without a window to wait for.
SHOWN = threading.Event()
SHOWN.set()


def kept_profile(vault: Vault, partition: str) -> dict[str, Any] | None:
    """The last known user of a partition, as its account kept it in the keyring."""
    try:
        profile = json.loads(vault.load(vault.entry(partition, PROFILE)) or "null")
    except ValueError:
        return None
    return profile if isinstance(profile, dict) else None


class SignedOut(Exception):
    """The action needs a signed-in user."""


class Backoff:
    """Waits between reconnection attempts: doubling from `first` up to `longest` seconds, each wait drawn from its
    upper half so that many apps do not return to a server at once."""

    def __init__(self, first: float = 1.0, longest: float = 10.0) -> None:
        self.first, self.longest = first, longest
        self._next = first

    def delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.longest)
        return random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not a secret

    def reset(self) -> None:
        self._next = self.first


def unreachable(error: Offline | ServerError) -> bool:
    """A failure that says nothing of the session: no answer, or a server that is there but cannot serve now."""
    return isinstance(error, Offline) or error.status >= 500 or error.status == 429


class Account:
    def __init__(
        self,
        partition: Partition,
        client: AuthClient,
        vault: Vault,
        backoff: Callable[[], Backoff] = Backoff,
        keyring_retry: float = 5.0,
        first_view: threading.Event | None = None,
    ) -> None:
        self.partition = partition
        self.client = client
        self.vault = vault
        self._lock = threading.RLock()
        self._token: str | None = None
        self.user: dict[str, Any] | None = None
        self.offline = False
        # Set when the keyring could not be written as the account needs; cleared once it could.
        self.keyring_problem: str | None = None
        # Called after a sign-out, to drop what the partition's web views hold for the server (cookies).
        self.on_signed_out: Callable[[], None] = lambda: None
        # Called after every change of state(), from the thread that made it.
        self.on_change: Callable[[], None] = lambda: None
        self._backoff = backoff
        self._keyring_retry = keyring_retry
        # Set once the app's window shows its first view: what a restore leaves to do waits for it.
        self._first_view = first_view or SHOWN
        # Set when a confirmed session may differ from what the keyring keeps.
        self._unsettled = False
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._persist_lock = threading.Lock()
        self._revoke_lock = threading.Lock()
        self._reconnecting: threading.Thread | None = None
        self._persisting: threading.Thread | None = None

    @property
    def signed_in(self) -> bool:
        return self._token is not None

    def state(self) -> dict[str, Any]:
        """What the renderer may know: the user, whether the server can be reached, and a notice; never the
        credential."""
        notice = (OFFLINE_NOTICE if self.offline else None) or self.keyring_problem or self.vault.health.problem
        return {"user": self.user, "offline": self.offline, "notice": notice, "partition": self.partition.name}

    # -- the keyring ----------------------------------------------------------------------------------------

    def _entry(self, kind: str | None = None) -> str:
        return self.vault.entry(self.partition.name, kind)

    def _pending_revocations(self) -> list[dict[str, Any]]:
        try:
            pending = json.loads(self.vault.load(self._entry(REVOCATIONS)) or "[]")
        except ValueError:
            return []
        return [item for item in pending if isinstance(item, dict) and isinstance(item.get("token"), str)]

    def _persist(self) -> bool:
        """Makes the keyring hold what the account holds: the credential and profile, or neither. When the keyring
        cannot be written (locked while the app runs), says so and tries again until it can. One write at a time,
        each of the state as it starts: the last one always leaves the keyring as the account is."""
        with self._persist_lock:
            return self._write_keyring()

    def _write_keyring(self) -> bool:
        with self._lock:
            token, user = self._token, self.user
        if token is None:
            kept = self.vault.delete(self._entry()) & self.vault.delete(self._entry(PROFILE))
        else:
            profile = {key: (user or {}).get(key) for key in PROFILE_FIELDS}
            kept = self.vault.save(self._entry(), token) and self.vault.save(self._entry(PROFILE), json.dumps(profile))
        kept = kept and self.vault.keep_account(self.partition.name, token is not None)
        # A keyring the app could not use from the start is the vault's own notice, and nothing to retry.
        problem = None if kept or not self.vault.health.usable else KEYRING_NOT_KEPT if token else KEYRING_NOT_FORGOTTEN
        if problem != self.keyring_problem:
            self.keyring_problem = problem
            self.on_change()
        if problem is not None:
            self._start("_persisting", self._persist_later)
        return kept

    def _persist_later(self) -> None:
        while not self._closed.wait(self._keyring_retry):
            if self._persist():
                log.info("%s: the keyring is written again", self.partition.name)
                return

    # -- the server -----------------------------------------------------------------------------------------

    def restore(self) -> None:
        """Signs back in from the keyring entry; the server slides the session and may rotate its token. Offline,
        the account keeps the credential, shows the cached profile and reconnects by itself."""
        threading.Thread(target=self._settle, name="settle", daemon=True).start()
        token = self.vault.load(self._entry())
        if token is None:
            return
        try:
            state = self.client.restore_session(token)
        except (Offline, ServerError) as error:
            if not unreachable(error):
                log.warning("restore: the server refused the session check: %s", error)
                return
            log.info("restore: the server cannot be reached (%s); keeping the keyring entry", error)
            with self._lock:
                self._token, self.user = token, kept_profile(self.vault, self.partition.name)
            self._went_offline()
            return
        if state is None:
            log.info("restore: the session was revoked or has expired; forgetting it")
            self._persist()
            return
        self._confirmed(token, state)

    def _confirmed(self, token: str, state: SessionState) -> None:
        with self._lock:
            if self._token not in (None, token):
                return  # signed in again meanwhile
            self._token, self.user, self.offline = state.rotated_token or token, state.user, False
            self._unsettled = True
        self.on_change()

    def _settle(self) -> None:
        """After a restore, once the window shows its first view (which needs none of it): the sign-outs the server
        missed are sent, and the keyring is brought up to date when the session came back with a new token or the
        user changed."""
        self._first_view.wait(FIRST_VIEW_WAIT)
        if not self._closed.is_set():
            self._send_revocations()
            self._keep_confirmed()

    def _keep_confirmed(self) -> None:
        """Writes a confirmed session to the keyring when it differs from what is kept there."""
        with self._lock:
            unsettled, token, user = self._unsettled, self._token, self.user
            self._unsettled = False
        if not unsettled or token is None:
            return
        profile = {key: (user or {}).get(key) for key in PROFILE_FIELDS}
        if self.vault.load(self._entry()) != token or kept_profile(self.vault, self.partition.name) != profile:
            self._persist()

    def adopt(self, signed_in: SignedIn) -> None:
        with self._lock:
            self._token, self.user, self.offline = signed_in.token, signed_in.user, False
        if not self._persist():
            log.warning("signed in, but the keyring did not keep the credential")
        self.on_change()

    def forget(self) -> None:
        """Drops the local credential: memory, keyring (with the profile) and the web views' cookies."""
        with self._lock:
            self._token, self.user, self.offline = None, None, False
        self._persist()
        self.on_signed_out()
        self.on_change()

    def authorized(self, action: Callable[[str], T]) -> T:
        """Runs `action` with the credential. A 401 means the session ended elsewhere: the account signs out. A
        server that cannot be reached leaves it signed in, offline."""
        token = self._token
        if token is None:
            raise SignedOut
        try:
            result = action(token)
        except (Offline, ServerError) as error:
            if unreachable(error):
                self._went_offline()
            elif isinstance(error, ServerError) and error.status == 401 and self._token == token:
                self.forget()
            raise
        if self.offline:
            self.reconnect()  # the server answers again: confirm the session, and who it is
        return result

    def sign_out(self, everywhere: bool = False) -> str:
        """Forgets the session here at once, then ends it on the server (all of the user's sessions with
        `everywhere`), now or, offline, once the server can be reached. Says which happened."""
        with self._lock:
            token = self._token
        self.forget()
        if token is None:
            return SIGNED_OUT
        if not self._revoke(token, everywhere):
            log.info("sign-out: the server cannot be reached; the revocation waits in the keyring")
            with self._revoke_lock:
                pending = [*self._pending_revocations(), {"token": token, "everywhere": everywhere}]
                if not self.vault.save(self._entry(REVOCATIONS), json.dumps(pending)):
                    log.warning("sign-out: the keyring did not keep the pending revocation")
            self._start("_reconnecting", self._reconnect_loop)
            return SIGNED_OUT_LATER
        return SIGNED_OUT_EVERYWHERE if everywhere else SIGNED_OUT

    def _revoke(self, token: str, everywhere: bool) -> bool:
        """Ends the session (all of the user's with `everywhere`) on the server; False when the server could not be
        told. A refusal counts as told: the session had ended already."""
        try:
            (self.client.revoke_sessions if everywhere else self.client.sign_out)(token)
        except (Offline, ServerError) as error:
            return not unreachable(error)
        return True

    def _send_revocations(self) -> bool:
        """Tells the server of the sign-outs it missed; True once none is left."""
        with self._revoke_lock:
            return self._send_pending()

    def _send_pending(self) -> bool:
        pending = self._pending_revocations()
        left = []
        for item in pending:
            # A closing app's client closes with it: the next run sends what is left.
            if self._closed.is_set() or not self._revoke(item["token"], bool(item.get("everywhere"))):
                left.append(item)
        if left != pending:
            log.info("sent %d pending revocation(s)", len(pending) - len(left))
            if left:
                self.vault.save(self._entry(REVOCATIONS), json.dumps(left))
            else:
                self.vault.delete(self._entry(REVOCATIONS))
        return not left

    # -- reconnecting ---------------------------------------------------------------------------------------

    def close(self) -> None:
        """Stops reconnecting and retrying the keyring, before the app closes its client."""
        self._closed.set()
        self._wake.set()

    def reconnect(self) -> None:
        """Tries the server at once (a Retry button, the window regaining focus) rather than after the backoff."""
        self._wake.set()
        self._start("_reconnecting", self._reconnect_loop)

    def _went_offline(self) -> None:
        with self._lock:
            was, self.offline = self.offline, True
        if not was:
            log.info("%s: the server cannot be reached; reconnecting in the background", self.partition.name)
            self.on_change()
        self._start("_reconnecting", self._reconnect_loop)

    def _start(self, name: str, target: Callable[[], None]) -> None:
        with self._lock:
            running = getattr(self, name)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(target=target, name=f"{name.strip('_')}-{self.partition.slug}", daemon=True)
            setattr(self, name, thread)
            thread.start()

    def _wake_after(self, seconds: float) -> None:
        """Sleeps `seconds`, or less when reconnect() is called meanwhile."""
        if self._wake.wait(seconds):
            self._wake.clear()

    def _reconnect_loop(self) -> None:
        """Until the server answers: confirms the session (or learns that it is gone), and sends the revocations
        it missed."""
        backoff = self._backoff()
        while not self._closed.is_set():
            revoked = self._send_revocations()
            with self._lock:
                token = self._token if self.offline else None
            if token is None:
                if revoked:
                    return
            elif self._check(token):
                backoff.reset()
                continue
            self._wake_after(backoff.delay())

    def _check(self, token: str) -> bool:
        """Asks the server about the session; True when it answered (the session is confirmed, or gone)."""
        try:
            state = self.client.get_session(token)
        except Offline:
            return False
        except ServerError as error:
            if error.status != 401:
                return False
            state = None
        if state is not None:
            log.info("%s: reconnected", self.partition.name)
            self._confirmed(token, state)
            self._keep_confirmed()
        elif self._token == token:
            log.info("%s: the server says the session has ended; signing out", self.partition.name)
            self.forget()
        return True
