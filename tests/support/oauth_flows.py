"""Provider sign-ins as the tests drive them: the browser's side at the test OpenID provider, the shell's side of
the desktop hand-off, and a stand-in for the embedded sign-in window that follows it hop by hop over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx

from kernia_desktop.account import Account
from kernia_desktop.client import AuthClient
from kernia_desktop.oauth import PkcePair
from kernia_desktop.partition import DEFAULT_PARTITION, Partition
from kernia_desktop.platform import IsCallback
from kernia_desktop.vault import Vault, VaultHealth
from tests.support.fakes import MemoryStore
from tests.support.openid_provider import PROVIDER_ID, walk_provider
from tests.support.server import BASE, unique_email

SHELL_CALLBACK = f"{BASE}/api/auth/desktop/callback/stable"
SHELL_STATE = "shell-state-0123456789abcdef"


async def back_at_app(client: httpx.AsyncClient, callback_url: str) -> httpx.Response:
    """The browser following the provider's redirect back to the app's callback route."""
    parts = urlsplit(callback_url)
    return await client.get(f"{parts.path}?{parts.query}")


def login_name() -> str:
    return f"person{unique_email().split('-')[1].split('@')[0]}"


def authorize_path(pkce: PkcePair, redirect_uri: str = SHELL_CALLBACK, **overrides: str) -> str:
    query = {
        "provider": PROVIDER_ID,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "redirect_uri": redirect_uri,
        "state": SHELL_STATE,
        **overrides,
    }
    return f"/api/auth/desktop/authorize?{urlencode(query)}"


async def run_flow(client: httpx.AsyncClient, pkce: PkcePair, *, consent: bool = True, **overrides: str) -> str:
    """The shell's window: authorize, the provider's pages, and the redirect back; returns where it ends."""
    started = await client.get(authorize_path(pkce, **overrides))
    assert started.status_code == 302, started.text
    with httpx.Client() as provider_browser:
        callback = walk_provider(provider_browser, started.headers["location"], login_name(), consent=consent)
    landed = await back_at_app(client, callback)
    assert landed.status_code == 302
    assert "better-auth.session_token" not in landed.headers.get("set-cookie", "")
    assert "set-auth-token" not in landed.headers
    return landed.headers["location"]


def code_of(location: str) -> str:
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [SHELL_STATE]
    return query["code"][0]


async def exchange(client: httpx.AsyncClient, code: str, verifier: str, channel: str | None = None) -> httpx.Response:
    """The shell's token request; without a channel, as a shell from before update channels sends it."""
    body = {"code": code, "codeVerifier": verifier} | ({"channel": channel} if channel else {})
    return await client.post("/api/auth/desktop/token", json=body)


class HttpWindow:
    """Follows the embedded window's navigations with an HTTP client and the partition's cookies, as the Qt window
    would: through the server's redirects, the provider's pages (walked as `login`), and back."""

    def __init__(self, login: str, cookies: httpx.Cookies) -> None:
        self.login = login
        self.cookies = cookies
        self.closed = False
        self.reached = ""
        # Every URL the window loaded, in order.
        self.visited: list[str] = []

    def open(self, url: str, is_callback: IsCallback, on_callback: Callable[[str], None]) -> None:
        def navigate(url: str) -> None:
            with httpx.Client(cookies=self.cookies) as browser:
                at_provider = False
                while not is_callback(url):
                    self.visited.append(url)
                    response = browser.get(url)
                    if response.status_code == 200 and not at_provider:
                        url, at_provider = walk_provider(browser, url, self.login), True
                        continue
                    assert response.is_redirect, (url, response.status_code, response.text[:500])
                    url = urljoin(url, response.headers["location"])
                self.cookies.update(browser.cookies)
            self.reached = url
            on_callback(url)

        threading.Thread(target=navigate, args=(url,), daemon=True).start()

    def close(self) -> None:
        self.closed = True


class HttpWindowHost:
    """platform.AuthWindowHost for the tests: one partition, whose cookies are an httpx cookie jar."""

    def __init__(self, login: str) -> None:
        self.cookies = httpx.Cookies()
        self.window = HttpWindow(login, self.cookies)
        self.parents: list[Any] = []

    def open_auth_window(
        self,
        parent: Any,
        url: str,
        is_callback: IsCallback,
        on_callback: Callable[[str], None],
        on_closed: Callable[[], None],
        on_unreachable: Callable[[str], None],
    ) -> HttpWindow:
        self.parents.append(parent)
        self.window.open(url, is_callback, on_callback)
        return self.window

    def set_cookies(self, partition: Partition, url: str, set_cookie_headers: Sequence[str]) -> None:
        headers = [("set-cookie", header) for header in set_cookie_headers]
        self.cookies.extract_cookies(httpx.Response(200, headers=headers, request=httpx.Request("POST", url)))

    def take_cookies(
        self, partition: Partition, host: str, wanted: Callable[[str], bool], timeout: float
    ) -> str | None:
        of_host = [cookie for cookie in self.cookies.jar if cookie.domain == host]
        for cookie in of_host:
            self.cookies.delete(cookie.name, cookie.domain, cookie.path)
        return next((cookie.value for cookie in of_host if wanted(cookie.name)), None)


@contextmanager
def shell_account(auth_url: str) -> Iterator[Account]:
    """A signed-out account of a shell talking to `auth_url`, with an in-memory keyring."""
    client = AuthClient(auth_url)
    account = Account(
        Partition(DEFAULT_PARTITION), client, Vault("kernia-desktop:test", MemoryStore(), VaultHealth(True, "test"))
    )
    try:
        yield account
    finally:
        account.close()
        client.close()


def stored(account: Account) -> str | None:
    """The credential the account keeps in its keyring."""
    return account.vault.load(account.partition.name)
