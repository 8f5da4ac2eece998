"""Social / OpenID Connect sign-in against a real OpenID provider (npm oidc-provider on 127.0.0.1)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from examples.notes.server import create_app
from kernia_desktop_server.auth.models import Account, Session, User
from kernia_desktop_server.auth.plugins.oauth.models import OAuthState
from kernia_desktop_server.auth.plugins.oauth.providers import providers_from_environment
from kernia_desktop_server.db import utcnow
from tests.support.oauth_flows import back_at_app, login_name
from tests.support.openid_provider import PROVIDER_ID, OpenIdProvider, walk_provider
from tests.support.server import BASE, LiveServer, auth_of, sign_up, started_client
from tests.support.system_browser import launch, new_page, sign_in_at_provider

CALLBACK = "/welcome"
ERROR_CALLBACK = "/sign-in-failed"


@pytest.fixture
def app(make_settings, openid_provider: OpenIdProvider) -> FastAPI:  # type: ignore[no-untyped-def]
    return create_app(make_settings(), providers=providers_from_environment(openid_provider.environment()))


@pytest.fixture
def provider_browser() -> Iterator[httpx.Client]:
    """The browser's side at the provider: its own cookies, as in a real browser."""
    with httpx.Client(follow_redirects=False) as browser:
        yield browser


async def count(app: FastAPI, model: type) -> int:
    async with async_sessionmaker(auth_of(app).engine)() as db:
        return await db.scalar(select(func.count()).select_from(model))


async def start(client: httpx.AsyncClient, **body: object) -> str:
    response = await client.post(
        "/api/auth/sign-in/social",
        json={"provider": PROVIDER_ID, "callbackURL": CALLBACK, "errorCallbackURL": ERROR_CALLBACK, **body},
    )
    assert response.status_code == 200, response.text
    assert response.json()["redirect"] is True
    return response.json()["url"]


async def test_sign_in_lands_on_callback_url_signed_in(
    client: httpx.AsyncClient, provider_browser: httpx.Client
) -> None:
    login = login_name()
    authorize = await start(client, newUserCallbackURL="/first-time")
    callback = walk_provider(provider_browser, authorize, login)
    assert callback.startswith(f"{BASE}/api/auth/callback/{PROVIDER_ID}?")
    landed = await back_at_app(client, callback)
    assert landed.status_code == 302
    assert landed.headers["location"] == "/first-time"
    assert landed.headers["set-auth-token"]
    session = (await client.get("/api/auth/get-session")).json()
    assert session["user"]["email"] == f"{login}@example.com"
    assert session["user"]["name"] == f"Provider User {login}"
    assert session["user"]["emailVerified"] is True

    client.cookies.delete("better-auth.session_token")
    again = await back_at_app(client, callback_url=walk_provider(provider_browser, await start(client), login))
    assert again.headers["location"] == CALLBACK, "a returning user goes to callbackURL"


async def test_authorization_request_uses_pkce_and_keeps_the_verifier_on_the_server(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    authorize = await start(client)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["nonce"] and query["state"]
    async with async_sessionmaker(auth_of(app).engine)() as db:
        row = await db.scalar(select(OAuthState))
    assert row.code_verifier not in authorize and row.nonce in authorize
    assert row.state_hash != query["state"][0], "the state is stored hashed"
    state_cookie = client.cookies.get("better-auth.oauth_state")
    assert state_cookie and row.code_verifier not in state_cookie


async def test_access_denied_at_consent_lands_on_error_callback(
    app: FastAPI, client: httpx.AsyncClient, provider_browser: httpx.Client
) -> None:
    callback = walk_provider(provider_browser, await start(client), login_name(), consent=False)
    landed = await back_at_app(client, callback)
    assert landed.status_code == 302
    assert landed.headers["location"] == f"{ERROR_CALLBACK}?error=access_denied"
    assert "set-auth-token" not in landed.headers
    assert await count(app, Session) == 0


async def test_tampered_state_is_refused(
    app: FastAPI, client: httpx.AsyncClient, provider_browser: httpx.Client
) -> None:
    callback = walk_provider(provider_browser, await start(client), login_name())

    def tamper(match: re.Match[str]) -> str:
        state = match.group(1)
        return f"state={state[:-1]}{'x' if state[-1] != 'x' else 'y'}"

    tampered = re.sub(r"state=([^&]+)", tamper, callback)
    landed = await back_at_app(client, tampered)
    assert landed.headers["location"] == f"{BASE}/api/auth/error?error=state_mismatch"
    assert await count(app, Session) == 0


async def test_replayed_callback_is_refused_and_creates_no_session(
    app: FastAPI, client: httpx.AsyncClient, provider_browser: httpx.Client
) -> None:
    callback = walk_provider(provider_browser, await start(client), login_name())
    first = await back_at_app(client, callback)
    assert first.headers["location"] == CALLBACK
    sessions = await count(app, Session)
    replayed = await back_at_app(client, callback)
    assert replayed.headers["location"].endswith("error=state_mismatch")
    assert "set-auth-token" not in replayed.headers
    assert await count(app, Session) == sessions


async def test_callback_in_another_browser_is_refused_and_leaves_the_flow(
    app: FastAPI, client: httpx.AsyncClient, provider_browser: httpx.Client
) -> None:
    callback = walk_provider(provider_browser, await start(client), login_name())
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as other_browser:
        refused = await back_at_app(other_browser, callback)
    assert refused.headers["location"].endswith("error=state_mismatch")
    assert (await back_at_app(client, callback)).headers["location"] == CALLBACK


async def test_expired_state_is_refused(
    app: FastAPI, client: httpx.AsyncClient, provider_browser: httpx.Client
) -> None:
    callback = walk_provider(provider_browser, await start(client), login_name())
    async with async_sessionmaker(auth_of(app).engine)() as db:
        await db.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(seconds=1)))
        await db.commit()
    landed = await back_at_app(client, callback)
    assert landed.headers["location"].endswith("error=state_mismatch")
    assert await count(app, Session) == 0


async def test_form_post_answer_from_the_providers_page_signs_in(
    client: httpx.AsyncClient, provider_browser: httpx.Client, openid_provider: OpenIdProvider
) -> None:
    callback = walk_provider(provider_browser, await start(client), login_name())
    answer = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
    posted = await client.post(
        f"/api/auth/callback/{PROVIDER_ID}", data=answer, headers={"origin": openid_provider.issuer}
    )
    assert posted.status_code == 303
    landed = await back_at_app(client, posted.headers["location"])
    assert landed.headers["location"] == CALLBACK and landed.headers["set-auth-token"]


async def test_abandoned_flows_are_swept_when_a_new_one_starts(app: FastAPI, client: httpx.AsyncClient) -> None:
    await start(client)
    async with async_sessionmaker(auth_of(app).engine)() as db:
        await db.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(seconds=1)))
        await db.commit()
    await start(client)
    assert await count(app, OAuthState) == 1


async def test_starts_are_rate_limited_per_address(make_settings, openid_provider: OpenIdProvider) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(rate_limit_auth_max=3)
    app = create_app(settings, providers=providers_from_environment(openid_provider.environment()))
    async for client in started_client(app):
        for _ in range(3):
            await start(client)
        refused = await client.post("/api/auth/sign-in/social", json={"provider": PROVIDER_ID})
        assert refused.status_code == 429 and refused.json()["code"] == "TOO_MANY_REQUESTS"
        assert await count(app, OAuthState) == 3


async def test_callback_without_state_is_refused(client: httpx.AsyncClient) -> None:
    landed = await client.get(f"/api/auth/callback/{PROVIDER_ID}", params={"code": "anything"})
    assert landed.headers["location"].endswith("error=state_mismatch")


@pytest.mark.parametrize(
    "field,value",
    [
        ("callbackURL", "https://evil.example/steal"),
        ("callbackURL", "//evil.example/steal"),
        ("callbackURL", "/\\evil.example"),
        # Browsers drop tabs and newlines from URLs, which would make this //evil.example.
        ("callbackURL", "/\t/evil.example"),
        ("callbackURL", "javascript:alert(1)"),
        ("errorCallbackURL", "http://127.0.0.1:9/other-port"),
        ("newUserCallbackURL", "https://user@127.0.0.1:8000/"),
    ],
)
async def test_untrusted_redirect_targets_are_refused_before_any_redirect(
    app: FastAPI, client: httpx.AsyncClient, field: str, value: str
) -> None:
    response = await client.post("/api/auth/sign-in/social", json={"provider": PROVIDER_ID, field: value})
    assert response.status_code == 400 and response.json()["code"] == "INVALID_CALLBACK_URL"
    assert "set-cookie" not in response.headers
    assert await count(app, OAuthState) == 0


async def test_trusted_origin_callback_is_accepted(make_settings, openid_provider: OpenIdProvider) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(trusted_origins=["http://localhost:5173"])
    app = create_app(settings, providers=providers_from_environment(openid_provider.environment()))
    async for client in started_client(app):
        url = await start(client, callbackURL="http://localhost:5173/done")
        assert url.startswith(openid_provider.issuer)


async def test_unknown_and_unconfigured_providers(client: httpx.AsyncClient) -> None:
    unknown = await client.post("/api/auth/sign-in/social", json={"provider": "myspace"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "PROVIDER_NOT_FOUND"
    github = await client.post("/api/auth/sign-in/social", json={"provider": "github"})
    assert github.status_code == 400 and github.json()["code"] == "PROVIDER_NOT_CONFIGURED"
    assert "KERNIA_GITHUB_CLIENT_ID" in github.json()["message"]
    providers = {item["id"]: item for item in (await client.get("/api/auth/providers")).json()}
    assert providers[PROVIDER_ID]["available"] is True and providers[PROVIDER_ID]["name"] == "Test IdP"
    assert providers["github"]["available"] is False and "KERNIA_GITHUB_CLIENT_SECRET" in providers["github"]["reason"]
    assert providers["google"]["available"] is False


async def test_verified_email_links_to_the_existing_user(
    app: FastAPI, client: httpx.AsyncClient, provider_browser: httpx.Client
) -> None:
    login = login_name()
    existing = (await sign_up(client, f"{login}@example.com")).json()["user"]
    client.cookies.clear()
    await back_at_app(client, walk_provider(provider_browser, await start(client), login))
    assert (await client.get("/api/auth/get-session")).json()["user"]["id"] == existing["id"]
    async with async_sessionmaker(auth_of(app).engine)() as db:
        providers = set(await db.scalars(select(Account.provider_id).where(Account.user_id == existing["id"])))
    assert providers == {"credential", PROVIDER_ID}


async def test_unverified_email_never_links(
    app: FastAPI, client: httpx.AsyncClient, provider_browser: httpx.Client
) -> None:
    login = f"unverified{login_name()}"
    await sign_up(client, f"{login}@example.com")
    client.cookies.clear()
    users = await count(app, User)
    landed = await back_at_app(client, walk_provider(provider_browser, await start(client), login))
    assert landed.headers["location"] == f"{ERROR_CALLBACK}?error=unable_to_link_account"
    assert await count(app, User) == users
    async with async_sessionmaker(auth_of(app).engine)() as db:
        assert await db.scalar(select(func.count()).where(Account.provider_id == PROVIDER_ID)) == 0


@pytest.fixture
async def oidc_live_server(tmp_path, openid_provider: OpenIdProvider) -> AsyncIterator[LiveServer]:  # type: ignore[no-untyped-def]
    server = LiveServer(tmp_path / "live", f"sqlite+aiosqlite:///{tmp_path / 'live.db'}", openid_provider.environment())
    server.start()
    yield server
    server.stop()


def test_full_sign_in_over_http_on_a_live_server(oidc_live_server: LiveServer, provider_browser: httpx.Client) -> None:
    login = login_name()
    with httpx.Client(base_url=oidc_live_server.url) as browser:
        started = browser.post(
            "/api/auth/sign-in/social", json={"provider": PROVIDER_ID, "callbackURL": CALLBACK}
        ).json()
        callback = walk_provider(provider_browser, started["url"], login)
        assert callback.startswith(f"{oidc_live_server.url}/api/auth/callback/{PROVIDER_ID}?")
        landed = browser.get(callback)
        assert landed.status_code == 302 and landed.headers["location"] == CALLBACK
        assert browser.get("/api/auth/get-session").json()["user"]["email"] == f"{login}@example.com"


@pytest.fixture
def chromium() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield new_page(browser)
        browser.close()


def start_in_page(page: Page, server: LiveServer) -> str:
    """What the app's page does: asks the backend, from its own origin, where to send the browser."""
    page.goto(f"{server.url}/api/auth/ok")
    started = page.evaluate(
        """async (body) => {
            const response = await fetch("/api/auth/sign-in/social", {
                method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body),
            });
            return await response.json();
        }""",
        {"provider": PROVIDER_ID, "callbackURL": CALLBACK, "errorCallbackURL": ERROR_CALLBACK},
    )
    return started["url"]


def test_sign_in_in_a_real_browser(oidc_live_server: LiveServer, chromium: Page) -> None:
    login = login_name()
    chromium.goto(start_in_page(chromium, oidc_live_server))
    sign_in_at_provider(chromium, login)
    chromium.wait_for_url(f"{oidc_live_server.url}{CALLBACK}")
    session = chromium.evaluate("fetch('/api/auth/get-session').then((response) => response.json())")
    assert session["user"]["email"] == f"{login}@example.com"
    cookies = {cookie["name"]: cookie for cookie in chromium.context.cookies()}
    assert "better-auth.oauth_state" not in cookies, "the state cookie is cleared once used"
    assert cookies["better-auth.session_token"]["httpOnly"]


def test_access_denied_in_a_real_browser(oidc_live_server: LiveServer, chromium: Page) -> None:
    chromium.goto(start_in_page(chromium, oidc_live_server))
    sign_in_at_provider(chromium, login_name(), deny=True)
    chromium.wait_for_url(f"{oidc_live_server.url}{ERROR_CALLBACK}?error=access_denied")
    assert chromium.evaluate("fetch('/api/auth/get-session').then((response) => response.json())") is None
