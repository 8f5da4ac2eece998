"""What every provider sign-in of the shell shares, whichever hand-off ends it: how it ended, and the one flow in
progress per partition, which a callback, a close, a cancel or the timeout ends once."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kernia_desktop.client import NoAnswer, Offline, ServerError
from kernia_desktop.platform import AuthWindow, AuthWindowHost, IsCallback


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

    def open_window(self, host: AuthWindowHost, parent: Any, url: str, is_callback: IsCallback) -> None:
        """Opens the flow's sign-in window: its return, its close by hand, or a page it cannot reach ends the flow."""
        self.window = host.open_auth_window(
            parent,
            url,
            is_callback,
            on_callback=lambda reached: self.finish(callback_url=reached),
            on_closed=lambda: self.finish(outcome=CANCELLED),
            on_unreachable=lambda failed: self.finish(outcome=unreachable(failed)),
        )

    def end(self, timeout: float) -> str | None:
        """Waits for the flow to end (at most `timeout`), closes its window; the callback URL it reached, if any."""
        if not self.wait(timeout):
            self.finish(outcome=TIMED_OUT)
        if self.window is not None:
            self.window.close()
        return self.callback_url


# The ?error= codes a sign-in most often ends with, in words for the person signing in (OAuth 2.0's, RFC 6749
# 4.1.2.1, and the servers' own). Others read as their error_description, or as a refusal.
REFUSALS = {
    "access_denied": "You declined the sign-in at the provider, so you are not signed in.",
    "consent_required": "The provider needs your consent before you can sign in. Try again and allow access.",
    "login_required": "The provider needs you to sign in there first. Try again.",
    "temporarily_unavailable": "The provider cannot take sign-ins right now. Try again later.",
    "server_error": "The provider had a problem with the sign-in. Try again later.",
    "provider_unavailable": "The provider could not be reached. Try again later.",
    "unable_to_link_account": (
        "An account with this email exists already, and the provider has not confirmed that the email is yours, so "
        "the two cannot be joined. Sign in as you did before."
    ),
    "state_mismatch": "The sign-in could not be verified. Try again.",
}


def provider_refusal(code: str, description: str | None) -> SignInOutcome:
    """A provider's (or server's) ?error= answer to a sign-in."""
    code = code[:64]
    return SignInOutcome(code, REFUSALS.get(code) or description or "The provider refused the sign-in.")


def unreachable(url: str) -> SignInOutcome:
    """The sign-in window could not load a page: the provider (or the server) cannot be reached."""
    return SignInOutcome(
        "UNREACHABLE",
        f"The sign-in page at {urlsplit(url).netloc or url} could not be reached. Check your connection and try again.",
    )


def request_failure(error: ServerError | Offline) -> SignInOutcome:
    """A request of the sign-in to the server that failed: its answer, or that it could not be reached."""
    if isinstance(error, ServerError):
        return SignInOutcome(error.code, error.message)
    return SignInOutcome("TIMEOUT" if isinstance(error, NoAnswer) else "OFFLINE", str(error))
