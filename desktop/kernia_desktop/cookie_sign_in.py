"""Social sign-in against a server without the desktop hand-off (a stock Kernia or Better Auth server), in the
flow such servers give a desktop app: the shell asks the server for the provider's URL (/sign-in/social, with
return URLs on the server's own origin that only this sign-in knows), opens it in the partition's modal sign-in
window and watches every navigation for the return. By then the server's callback has set its session cookie in
the window's web profile: the shell takes it out, leaving none of the server's cookies in the profile, confirms
it with get-session as a bearer token, and keeps it in the keyring as it keeps every credential.

A stock server's cookie lands wherever its callback is loaded, so this flow has no system-browser form: in the
user's browser the session would stay there.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from authlib.common.security import generate_token

from kernia_desktop.account import Account
from kernia_desktop.client import Offline, ServerError, SignedIn
from kernia_desktop.platform import AuthWindowHost
from kernia_desktop.sign_in import (
    CANCELLED,
    SIGNED_IN,
    PendingSignIn,
    SignInOutcome,
    provider_refusal,
    request_failure,
)

log = logging.getLogger(__name__)

# The session cookie's name on Better Auth and kernia is "<cookie prefix>.session_token" ("better-auth" by
# default), behind "__Secure-" on HTTPS; the browser's other name prefix is "__Host-".
SESSION_COOKIE_NAME = "session_token"
COOKIE_NAME_PREFIXES = ("__Secure-", "__Host-")
# Where the return URLs live on the server's origin; the window stops there, so nothing needs to answer them.
RETURN_PATH = "/.kernia-desktop/sign-in"
# How long after the return the session cookie may take to be reported by the web profile.
COOKIE_ARRIVAL = 5.0

NO_SESSION = SignInOutcome(
    "NO_SESSION_COOKIE", "The server finished the sign-in without a session the app could keep. Try again."
)
NOT_CONFIRMED = SignInOutcome("SESSION_NOT_CONFIRMED", "The server did not confirm the new session. Try again.")


def is_session_cookie(name: str, configured: str | None = None) -> bool:
    """Whether a cookie is the server's session: the configured name, else any name in the Better Auth family's
    form (with or without its prefixes), so both servers' defaults and a custom cookie prefix are found."""
    if configured:
        return name == configured
    for prefix in COOKIE_NAME_PREFIXES:
        name = name.removeprefix(prefix)
    return name == SESSION_COOKIE_NAME or name.endswith(f".{SESSION_COOKIE_NAME}")


@dataclass(frozen=True)
class ReturnUrls:
    """The two URLs the server sends the window back to, unique to one sign-in."""

    base: str

    @classmethod
    def make(cls, origin: str) -> ReturnUrls:
        return cls(f"{origin}{RETURN_PATH}/{generate_token(24)}")

    @property
    def signed_in(self) -> str:
        return f"{self.base}/done"

    @property
    def failed(self) -> str:
        return f"{self.base}/failed"


def is_provider_refusal(url: str, auth_url: str) -> bool:
    """A provider's error on its way back to the server's callback route. kernia answers that with an error page
    of its own rather than the error URL, so the window stops it and the shell reads the provider's words."""
    parts = urlsplit(url)
    auth_path = urlsplit(auth_url).path
    at_callback = parts.path.startswith((f"{auth_path}/callback/", f"{auth_path}/oauth2/callback/"))
    return url.startswith(auth_url) and at_callback and "error" in parse_qs(parts.query)


def is_return(url: str, returns: ReturnUrls, auth_url: str) -> bool:
    return url.startswith(f"{returns.base}/") or is_provider_refusal(url, auth_url)


def read_return(url: str, returns: ReturnUrls) -> SignInOutcome | None:
    """None when the window came back signed in, else why it did not."""
    if urlsplit(url).path == urlsplit(returns.signed_in).path:
        return None
    params = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    return provider_refusal(params.get("error") or "unknown_error", params.get("error_description"))


class CookieSignIn:
    """The flow above, for SocialSignIn; `session_cookie` names the server's session cookie when it is not in the
    Better Auth family's form."""

    def __init__(self, host: AuthWindowHost, session_cookie: str | None = None) -> None:
        self.host = host
        self.session_cookie = session_cookie

    def run(
        self, account: Account, provider: str, parent: Any, pending: PendingSignIn, timeout: float
    ) -> SignInOutcome:
        client, partition = account.client, account.partition
        returns = ReturnUrls.make(client.origin)
        try:
            redirect = client.begin_social_sign_in(provider, returns.signed_in, returns.failed)
        except (ServerError, Offline) as error:
            log.warning("the server did not begin the %s sign-in: %s", provider, error)
            return request_failure(error)
        host = urlsplit(client.origin).hostname or ""
        self.host.set_cookies(partition, client.base_url, redirect.set_cookies)
        pending.open_window(
            self.host, parent, redirect.url, functools.partial(is_return, returns=returns, auth_url=client.base_url)
        )
        reached = pending.end(timeout)
        failure = CANCELLED if reached is None else read_return(reached, returns)
        wanted = functools.partial(is_session_cookie, configured=self.session_cookie)
        # Taken (and every other cookie of the server's with it) whatever the outcome: the profile keeps none.
        cookie = self.host.take_cookies(partition, host, wanted, 0 if failure else COOKIE_ARRIVAL)
        if failure is not None:
            return pending.outcome or failure
        if cookie is None:
            log.warning("the %s sign-in came back without a session cookie", provider)
            return NO_SESSION
        token = unquote(cookie)
        try:
            state = client.get_session(token)
        except (ServerError, Offline) as error:
            log.warning("the new session could not be confirmed: %s", error)
            return request_failure(error)
        if state is None:
            return NOT_CONFIRMED
        account.adopt(SignedIn(state.rotated_token or token, state.user))
        return SIGNED_IN
