"""Social sign-in for the shell: PKCE and state made here, the provider's pages in a window (or browser), and
the single-use hand-off code traded for a session through the backend's desktop plugin.

The session never travels in a URL: the window only ever sees a short-lived code that is useless without the
PKCE verifier, and the verifier never leaves this process. A server without the desktop plugin (a stock Kernia
or Better Auth server) signs in through its own session cookie instead (kernia_desktop.cookie_sign_in).
"""

from __future__ import annotations

import functools
import hmac
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from kernia_desktop.account import Account
from kernia_desktop.client import AuthClient, Offline, ServerError
from kernia_desktop.cookie_sign_in import CookieSignIn
from kernia_desktop.loopback import LoopbackListener
from kernia_desktop.platform import AuthWindowHost
from kernia_desktop.settings import Flow, Handoff
from kernia_desktop.sign_in import (
    CANCELLED,
    IN_PROGRESS,
    SIGNED_IN,
    PendingSignIn,
    SignInOutcome,
    provider_refusal,
    request_failure,
)
from kernia_desktop_server.channels import DEFAULT_CHANNEL, channel_callback_url, check_callback_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PkcePair:
    verifier: str
    challenge: str

    @classmethod
    def make(cls) -> PkcePair:
        verifier = generate_token(64)
        return cls(verifier, create_s256_code_challenge(verifier))


def authorize_url(auth_url: str, provider: str, pkce: PkcePair, redirect_uri: str, state: str, channel: str) -> str:
    query = urlencode(
        {
            "provider": provider,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
            "redirect_uri": redirect_uri,
            "state": state,
            "channel": channel,
        }
    )
    return f"{auth_url}/desktop/authorize?{query}"


def is_callback(url: str, callback_url: str) -> bool:
    """Whether a navigation reaches the callback itself, with any query: not a longer path that begins the same,
    such as another channel's /desktop/callback/stable-next seen by a stable build."""
    return url == callback_url or url.startswith(f"{callback_url}?")


def read_callback(url: str, callback_url: str, expected_state: str) -> tuple[str | None, SignInOutcome | None]:
    """The hand-off code in a return to `callback_url`, or the outcome that ends the flow without one. A return
    anywhere else (another channel's callback) is refused even with the right state: its code was not sent to
    this build."""
    if not is_callback(url, callback_url):
        return None, SignInOutcome("invalid_callback", "The sign-in came back to the wrong address. Try again.")
    params = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    if not hmac.compare_digest(params.get("state", ""), expected_state):
        return None, SignInOutcome("state_mismatch", "The sign-in could not be verified. Try again.")
    if "error" in params:
        return None, provider_refusal(params["error"], params.get("error_description"))
    if not params.get("code"):
        return None, SignInOutcome("invalid_callback", "The sign-in returned without a code. Try again.")
    return params["code"], None


# Providers that refuse embedded web views (Google answers disallowed_useragent) sign in in the user's browser.
SYSTEM_BROWSER_PROVIDERS = frozenset({"google"})


def flow_for(provider: str, override: Flow | None, configured: Mapping[str, Flow]) -> Flow:
    """The renderer's choice for this sign-in, else the app's for the provider (DesktopSettings.flows), else the
    provider's default."""
    return override or configured.get(provider) or ("system" if provider in SYSTEM_BROWSER_PROVIDERS else "embedded")


# Said after a sign-in the app asked to run in the browser but ran in its own window.
BROWSER_NOT_POSSIBLE = (
    "This server cannot hand a sign-in in your browser back to the app, so it ran in the app's own window."
)


class SocialSignIn:
    """Runs the app's provider sign-ins, one at a time per partition, in the embedded window or the browser.

    `open_browser` opens a URL in the user's browser (webbrowser.open honours BROWSER); `bring_to_front`
    raises the app's window once the browser hands the sign-in back. `channel` is the build's update channel and
    `callback_url` its embedded callback (None: the server's /desktop/callback/<channel>). `app_title` names the
    app on the page the browser shows at the end. `handoff` says how a sign-in reaches the app ("auto": the
    desktop hand-off where the server has it, else the server's session cookie), and `session_cookie` names
    that cookie where it is not in the Better Auth family's form.
    """

    def __init__(
        self,
        host: AuthWindowHost,
        timeout: float,
        open_browser: Callable[[str], bool],
        bring_to_front: Callable[[Any], None],
        channel: str = DEFAULT_CHANNEL,
        callback_url: str | None = None,
        app_title: str = "the app",
        handoff: Handoff = "auto",
        session_cookie: str | None = None,
    ) -> None:
        self.host = host
        self.app_title = app_title
        self.timeout = timeout
        self.channel = channel
        # In the spelling the web view reports navigations in, so that is_callback recognises it.
        self.callback_url = None if callback_url is None else check_callback_url(callback_url)
        self.open_browser = open_browser
        self.bring_to_front = bring_to_front
        self.handoff = handoff
        self.cookie_sign_in = CookieSignIn(host, session_cookie)
        self._pending: dict[str, PendingSignIn] = {}
        self._lock = threading.Lock()

    def cancel(self, account: Account) -> bool:
        pending = self._pending.get(account.partition.name)
        if pending is None:
            return False
        pending.finish(outcome=CANCELLED)
        return True

    def run(self, account: Account, provider: str, flow: Flow, parent: Any) -> SignInOutcome:
        partition = account.partition.name
        with self._lock:
            if partition in self._pending:
                return IN_PROGRESS
            pending = self._pending[partition] = PendingSignIn()
        try:
            try:
                handoff = self._handoff_of(account.client)
            except Offline as error:
                return request_failure(error)
            if handoff == "desktop":
                return self._run_desktop(account, provider, flow, parent, pending)
            outcome = self.cookie_sign_in.run(account, provider, parent, pending, self.timeout)
            if flow == "system" and outcome == SIGNED_IN:
                return SignInOutcome(message=BROWSER_NOT_POSSIBLE)
            return outcome
        finally:
            with self._lock:
                del self._pending[partition]

    def _handoff_of(self, client: AuthClient) -> Literal["desktop", "cookie"]:
        """The setting, or once "auto" has asked the server, what it found."""
        if self.handoff == "auto":
            self.handoff = "desktop" if client.has_desktop_handoff() else "cookie"
            log.info("the server %s the desktop hand-off", "has" if self.handoff == "desktop" else "does not have")
        return self.handoff

    def _run_desktop(
        self, account: Account, provider: str, flow: Flow, parent: Any, pending: PendingSignIn
    ) -> SignInOutcome:
        pkce, state = PkcePair.make(), generate_token(32)
        auth_url = account.client.base_url
        if flow == "system":
            listener = LoopbackListener(state, lambda reached: pending.finish(callback_url=reached), self.app_title)
            pending.window = listener
            callback = listener.redirect_uri
            if not self.open_browser(authorize_url(auth_url, provider, pkce, callback, state, self.channel)):
                listener.close()
                return SignInOutcome("BROWSER_UNAVAILABLE", "No web browser could be opened for the sign-in.")
        else:
            callback = self.callback_url or channel_callback_url(auth_url, self.channel)
            pending.open_window(
                self.host,
                parent,
                authorize_url(auth_url, provider, pkce, callback, state, self.channel),
                functools.partial(is_callback, callback_url=callback),
            )
        reached = pending.end(self.timeout)
        if flow == "system" and reached is not None:
            self.bring_to_front(parent)
        if reached is None:
            return pending.outcome or CANCELLED
        code, failure = read_callback(reached, callback, state)
        if failure is not None:
            return failure
        assert code is not None
        try:
            account.adopt(account.client.exchange_desktop_code(code, pkce.verifier, self.channel))
        except (ServerError, Offline) as error:
            log.warning("the hand-off code exchange failed: %s", error)
            return request_failure(error)
        return SIGNED_IN
