"""Provider sign-in against stock servers, which have no desktop hand-off: kernia 0.1.0 from PyPI (its GitLab
social provider) and Better Auth 1.7 on Node (its generic OAuth plugin), both signing in at the real OpenID
provider. The embedded window is the HTTP stand-in of tests/support/oauth_flows.py, with the partition's cookies;
the real window is the end-to-end suite's (e2e/test_11_stock_servers.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kernia_desktop.account import Account
from kernia_desktop.client import AuthClient, ServerError
from kernia_desktop.cookie_sign_in import ReturnUrls, is_return, is_session_cookie, read_return
from kernia_desktop.oauth import BROWSER_NOT_POSSIBLE, SocialSignIn
from kernia_desktop.sign_in import REFUSALS, SIGNED_IN, SignInOutcome
from tests.support.oauth_flows import HttpWindowHost, shell_account, stored
from tests.support.openid_provider import PROVIDER_ID, OpenIdProvider
from tests.support.server import LiveServer
from tests.support.stock_servers import StockKerniaServer, StockServer


@pytest.fixture
def account(stock_server: StockServer) -> Iterator[Account]:
    with shell_account(f"{stock_server.url}/api/auth") as signed_out:
        yield signed_out


def sign_in_flows(host: HttpWindowHost) -> SocialSignIn:
    return SocialSignIn(host, timeout=60, open_browser=lambda url: False, bring_to_front=lambda parent: None)


def test_signs_in_through_the_servers_session_cookie_restores_and_signs_out(
    stock_server: StockServer, account: Account
) -> None:
    assert not account.client.has_desktop_handoff()
    host = HttpWindowHost("stock-user")
    assert sign_in_flows(host).run(account, stock_server.provider_id, "embedded", "main") == SIGNED_IN
    assert account.user is not None and account.user["email"] == "stock-user@example.com"
    assert host.parents == ["main"] and host.window.closed
    # The window came back to this sign-in's own return URL, and the profile keeps none of the server's cookies.
    assert "/.kernia-desktop/sign-in/" in host.window.reached and host.window.reached.endswith("/done")
    assert list(host.cookies.jar) == [cookie for cookie in host.cookies.jar if cookie.domain != "127.0.0.1"]
    token = stored(account)
    assert token is not None and "%" not in token

    with shell_account(account.client.base_url) as restarted:
        restarted.vault = account.vault
        restarted.restore()
        assert restarted.signed_in and restarted.user is not None
        assert restarted.user["email"] == "stock-user@example.com"
        restarted.sign_out()
        assert stored(restarted) is None
        assert restarted.client.get_session(token) is None


def test_a_provider_of_kernias_generic_oauth_plugin_signs_in_at_its_route(
    tmp_path: Path, gitlab_shaped_provider: OpenIdProvider
) -> None:
    server = StockKerniaServer(tmp_path / "stock", gitlab_shaped_provider.issuer).start()
    try:
        with shell_account(f"{server.url}/api/auth") as account:
            host = HttpWindowHost("generic-user")
            assert sign_in_flows(host).run(account, server.generic_provider_id, "embedded", "main") == SIGNED_IN
            assert any("/api/auth/oauth2/callback/" in url for url in host.window.visited)
            assert account.user is not None and account.user["email"] == "generic-user@example.com"
    finally:
        server.stop()


def test_a_system_browser_sign_in_runs_in_the_window_and_says_so(stock_server: StockServer, account: Account) -> None:
    opened: list[str] = []
    flows = SocialSignIn(
        HttpWindowHost("browser-asked"), 60, open_browser=opened.append, bring_to_front=lambda parent: None
    )
    assert flows.run(account, stock_server.provider_id, "system", "main") == SignInOutcome(message=BROWSER_NOT_POSSIBLE)
    assert opened == [] and account.user is not None


def test_an_unknown_provider_is_the_servers_answer(stock_server: StockServer, account: Account) -> None:
    host = HttpWindowHost("unused")
    outcome = sign_in_flows(host).run(account, "no-such-provider", "embedded", "main")
    assert outcome.error is not None and "PROVIDER" in outcome.error.upper()
    assert host.parents == [] and stored(account) is None


def test_the_session_cookie_is_found_by_its_form_or_its_configured_name() -> None:
    for name in ("better-auth.session_token", "__Secure-better-auth.session_token", "__Host-acme.session_token"):
        assert is_session_cookie(name)
    for name in ("better-auth.session_data", "better-auth.state", "session_token_copy", "x.session_token.sig"):
        assert not is_session_cookie(name)
    assert is_session_cookie("sid", configured="sid")
    assert not is_session_cookie("better-auth.session_token", configured="sid")


def test_returns_are_recognised_and_read() -> None:
    auth_url = "https://api.example.com/api/auth"
    returns = ReturnUrls.make("https://api.example.com")
    assert returns != ReturnUrls.make("https://api.example.com")
    assert is_return(returns.signed_in, returns, auth_url)
    assert is_return(f"{returns.failed}?error=access_denied", returns, auth_url)
    assert is_return(f"{auth_url}/callback/gitlab?error=access_denied&state=x", returns, auth_url)
    assert is_return(f"{auth_url}/oauth2/callback/acme?error=access_denied", returns, auth_url)
    # The provider's way back with a code loads: the server sets its session there.
    assert not is_return(f"{auth_url}/callback/gitlab?code=abc&state=x", returns, auth_url)
    assert not is_return(f"{ReturnUrls.make('https://api.example.com').signed_in}", returns, auth_url)
    assert not is_return("https://elsewhere.example/api/auth/callback/gitlab?error=x", returns, auth_url)

    assert read_return(returns.signed_in, returns) is None
    # A known code reads as a sentence of the app's; another as the provider's description.
    denied = read_return(f"{returns.failed}?error=access_denied&error_description=End-User+aborted", returns)
    assert denied == SignInOutcome("access_denied", REFUSALS["access_denied"])
    refused = read_return(f"{auth_url}/callback/gitlab?error=invalid_scope&error_description=No+such+scope", returns)
    assert refused == SignInOutcome("invalid_scope", "No such scope")


def recorded_server(answers: dict[str, httpx.Response]) -> tuple[AuthClient, list[tuple[str, dict[str, str]]]]:
    """A client whose server answers each path from `answers` (404 for the rest), and the requests it got."""
    seen: list[tuple[str, dict[str, str]]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/auth")
        seen.append((path, json.loads(request.content) if request.content else {}))
        return answers.get(path, httpx.Response(404, json={"code": "NOT_FOUND", "message": "Not Found"}))

    return AuthClient("https://api.example.com/api/auth", transport=httpx.MockTransport(answer)), seen


def test_a_generic_oauth_provider_begins_at_its_plugins_route() -> None:
    redirect = {"url": "https://idp.example/authorize?x=1", "redirect": False}
    client, seen = recorded_server(
        {
            "/sign-in/social": httpx.Response(
                404, json={"code": "PROVIDER_NOT_FOUND", "message": "Provider not found"}
            ),
            "/sign-in/oauth2": httpx.Response(200, json=redirect, headers={"set-cookie": "s=1; Path=/"}),
        }
    )
    begun = client.begin_social_sign_in("acme", "https://api.example.com/done", "https://api.example.com/failed")
    assert begun.url == redirect["url"] and begun.set_cookies == ["s=1; Path=/"]
    assert [path for path, _ in seen] == ["/sign-in/social", "/sign-in/oauth2"]
    assert seen[0][1]["provider"] == "acme" and seen[1][1]["providerId"] == "acme"
    assert seen[1][1]["callbackURL"] == "https://api.example.com/done" and seen[1][1]["disableRedirect"] is True


def test_a_provider_neither_route_knows_is_reported_as_the_first_answer() -> None:
    client, _ = recorded_server(
        {"/sign-in/social": httpx.Response(400, json={"code": "PROVIDER_NOT_FOUND", "message": "unknown provider"})}
    )
    with pytest.raises(ServerError) as refused:
        client.begin_social_sign_in("acme", "https://api.example.com/done", "https://api.example.com/failed")
    assert refused.value.code == "PROVIDER_NOT_FOUND" and refused.value.message == "unknown provider"


def test_an_answer_without_a_provider_url_is_refused() -> None:
    client, _ = recorded_server({"/sign-in/social": httpx.Response(200, json={"url": "javascript:alert(1)"})})
    with pytest.raises(ServerError) as refused:
        client.begin_social_sign_in("acme", "https://api.example.com/done", "https://api.example.com/failed")
    assert refused.value.code == "NO_PROVIDER_URL"


def test_our_server_signs_in_through_its_session_cookie_too(tmp_path: Path, openid_provider: OpenIdProvider) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'ours.db'}"
    server = LiveServer(tmp_path / "ours", database, openid_provider.environment()).start()
    try:
        with shell_account(f"{server.url}/api/auth") as account:
            host = HttpWindowHost("cookie-user")
            flows = SocialSignIn(host, 60, lambda url: False, lambda parent: None, handoff="cookie")
            assert flows.run(account, PROVIDER_ID, "embedded", "main") == SIGNED_IN
            assert account.user is not None and account.user["email"] == "cookie-user@example.com"
            assert host.window.reached.endswith("/done")
            token = stored(account)
            assert token is not None and account.client.get_session(token) is not None
    finally:
        server.stop()
