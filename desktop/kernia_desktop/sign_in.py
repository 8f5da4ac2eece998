"""What every provider sign-in of the shell shares, whichever hand-off ends it: how it ended, and the one flow in
progress per partition, which a callback, a close, a cancel or the timeout ends once."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kernia_desktop.client import Offline, ServerError
from kernia_desktop.platform import AuthWindow


@dataclass(frozen=True)
class SignInOutcome:
    """How a social sign-in ended: error None means signed in; a message with no error is a notice to show."""

    error: str | None = None
    message: str | None = None


SIGNED_IN = SignInOutcome()
CANCELLED = SignInOutcome("cancelled", "Sign-in was cancelled.")
TIMED_OUT = SignInOutcome("timeout", "Sign-in took too long and was stopped. Try again.")
IN_PROGRESS = SignInOutcome("FLOW_IN_PROGRESS", "A sign-in is already in progress in this window's partition.")


class PendingSignIn:
    """One flow in progress: it ends once, with the callback URL, a close, a cancel or the timeout."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._lock = threading.Lock()
        self.callback_url: str | None = None
        self.outcome: SignInOutcome | None = None
        self.window: AuthWindow | None = None

    def finish(self, *, callback_url: str | None = None, outcome: SignInOutcome | None = None) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self.callback_url, self.outcome = callback_url, outcome
            self._done.set()

    def wait(self, timeout: float) -> bool:
        return self._done.wait(timeout)

    def end(self, timeout: float) -> str | None:
        """Waits for the flow to end (at most `timeout`), closes its window; the callback URL it reached, if any."""
        if not self.wait(timeout):
            self.finish(outcome=TIMED_OUT)
        if self.window is not None:
            self.window.close()
        return self.callback_url


def provider_refusal(code: str, description: str | None) -> SignInOutcome:
    """A provider's (or server's) ?error= answer to a sign-in."""
    code = code[:64]
    return SignInOutcome(code, description or f"The provider refused the sign-in ({code}).")


def request_failure(error: ServerError | Offline) -> SignInOutcome:
    """A request of the sign-in to the server that failed: its answer, or that it could not be reached."""
    if isinstance(error, ServerError):
        return SignInOutcome(error.code, error.message)
    return SignInOutcome("OFFLINE", str(error))
