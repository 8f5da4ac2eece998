"""A generic OAuth 2.0 provider, configured in the environment (KERNIA_OAUTH2_<ID>_*), signing in through the
server's routes against the real test provider (npm oidc-provider) used as a plain OAuth 2.0 server: no openid
scope, so no ID token, and the profile from an API read with the access token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from examples.notes.server import create_app
from kernia_desktop_server.auth.models import Account, User
from kernia_desktop_server.auth.plugins.oauth.providers import providers_from_environment
from kernia_desktop_server.settings import Settings
from tests.support.oauth_flows import back_at_app, login_name
from tests.support.openid_provider import CLIENT_ID, CLIENT_SECRET, PROVIDER_ID, OpenIdProvider, walk_provider
from tests.support.server import auth_of, sign_up

CALLBACK = "/welcome"
ERROR_CALLBACK = "/sign-in-failed"


def oauth2_environment(provider: OpenIdProvider) -> dict[str, str]:
    prefix = f"KERNIA_OAUTH2_{PROVIDER_ID.upper()}"
    return {
        f"{prefix}_AUTHORIZATION_URL": f"{provider.issuer}/auth",
        f"{prefix}_TOKEN_URL": f"{provider.issuer}/token",
        # The provider's userinfo endpoint insists on the openid scope; /profile is its plain OAuth 2.0 API.
        f"{prefix}_USERINFO_URL": f"{provider.issuer}/profile",
        f"{prefix}_CLIENT_ID": CLIENT_ID,
        f"{prefix}_CLIENT_SECRET": CLIENT_SECRET,
        f"{prefix}_SCOPES": "email profile",
        f"{prefix}_NAME": "Test OAuth",
    }


@pytest.fixture
def app(make_settings: Callable[..., Settings], openid_provider: OpenIdProvider) -> FastAPI:
    return create_app(make_settings(), providers=providers_from_environment(oauth2_environment(openid_provider)))


@pytest.fixture
def provider_browser() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False) as browser:
        yield browser


async def start(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/api/auth/sign-in/social",
        json={"provider": PROVIDER_ID, "callbackURL": CALLBACK, "errorCallbackURL": ERROR_CALLBACK},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["url"])


async def accounts_of(app: FastAPI, provider_id: str) -> list[Account]:
    async with async_sessionmaker(auth_of(app).engine)() as db:
        return list(await db.scalars(select(Account).where(Account.provider_id == provider_id)))


async def count_users(app: FastAPI) -> int:
    async with async_sessionmaker(auth_of(app).engine)() as db:
        return int(await db.scalar(select(func.count()).select_from(User)) or 0)


async def test_sign_in_reads_the_profile_from_the_user_info_endpoint(
    app: FastAPI, client: httpx.AsyncClient, provider_browser: httpx.Client, openid_provider: OpenIdProvider
) -> None:
    login = login_name()
    authorize = await start(client)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{openid_provider.issuer}/auth?")
    assert query["scope"] == ["email profile"] and "nonce" not in query
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]

    landed = await back_at_app(client, walk_provider(provider_browser, authorize, login))
    assert landed.status_code == 302 and landed.headers["location"] == CALLBACK
    user = (await client.get("/api/auth/get-session")).json()["user"]
    assert (user["email"], user["emailVerified"], user["name"]) == (
        f"{login}@example.com",
        True,
        f"Provider User {login}",
    )
    [account] = await accounts_of(app, PROVIDER_ID)
    assert (account.account_id, account.user_id) == (login, user["id"])

    client.cookies.clear()
    again = await back_at_app(client, walk_provider(provider_browser, await start(client), login))
    assert again.headers["location"] == CALLBACK
    assert (await client.get("/api/auth/get-session")).json()["user"]["id"] == user["id"]


async def test_a_verified_email_links_to_the_existing_user(
    app: FastAPI, client: httpx.AsyncClient, provider_browser: httpx.Client
) -> None:
    login = login_name()
    existing = (await sign_up(client, f"{login}@example.com")).json()["user"]
    client.cookies.clear()
    landed = await back_at_app(client, walk_provider(provider_browser, await start(client), login))
    assert landed.headers["location"] == CALLBACK
    assert [account.user_id for account in await accounts_of(app, PROVIDER_ID)] == [existing["id"]]


async def test_an_unverified_email_never_links_to_an_existing_user(
    app: FastAPI, client: httpx.AsyncClient, provider_browser: httpx.Client
) -> None:
    login = f"unverified{login_name()}"
    await sign_up(client, f"{login}@example.com")
    client.cookies.clear()
    users = await count_users(app)
    landed = await back_at_app(client, walk_provider(provider_browser, await start(client), login))
    assert landed.headers["location"] == f"{ERROR_CALLBACK}?error=unable_to_link_account"
    assert "set-auth-token" not in landed.headers
    assert await accounts_of(app, PROVIDER_ID) == []
    assert await count_users(app) == users


async def test_an_unverified_email_makes_a_new_account_marked_unverified(
    client: httpx.AsyncClient, provider_browser: httpx.Client
) -> None:
    login = f"unverified{login_name()}"
    landed = await back_at_app(client, walk_provider(provider_browser, await start(client), login))
    assert landed.headers["location"] == CALLBACK
    user = (await client.get("/api/auth/get-session")).json()["user"]
    assert (user["email"], user["emailVerified"]) == (f"{login}@example.com", False)


async def test_presets_that_are_not_set_up_are_listed_with_what_is_missing(client: httpx.AsyncClient) -> None:
    listed = {item["id"]: item for item in (await client.get("/api/auth/providers")).json()}
    assert listed[PROVIDER_ID] == {
        "id": PROVIDER_ID,
        "name": "Test OAuth",
        "type": "oauth2",
        "available": True,
        "reason": None,
    }
    assert {key: item["available"] for key, item in listed.items() if key != PROVIDER_ID} == {
        "github": False,
        "google": False,
        "microsoft": False,
        "gitlab": False,
        "discord": False,
        "apple": False,
    }
    assert listed["microsoft"]["reason"] == "KERNIA_MICROSOFT_CLIENT_ID and KERNIA_MICROSOFT_CLIENT_SECRET are not set"
    assert listed["apple"]["reason"] == (
        "KERNIA_APPLE_CLIENT_ID, KERNIA_APPLE_TEAM_ID, KERNIA_APPLE_KEY_ID and KERNIA_APPLE_PRIVATE_KEY are not set"
    )
    refused = await client.post("/api/auth/sign-in/social", json={"provider": "discord"})
    assert refused.status_code == 400 and refused.json()["code"] == "PROVIDER_NOT_CONFIGURED"
