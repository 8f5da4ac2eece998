"""GitHub sign-in through the routes, with github.com and api.github.com (out of reach here) stood in for by
httpx.MockTransport: the code exchange with PKCE, the profile mapping, and the failures on the way."""

from __future__ import annotations

import secrets
from base64 import b64encode
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from examples.notes.server import create_app
from kernia_desktop_server.auth.models import Account
from kernia_desktop_server.auth.plugins.oauth.plugin import OAuth
from kernia_desktop_server.auth.plugins.oauth.providers import github
from kernia_desktop_server.settings import Settings
from tests.support.server import auth_of

CLIENT_ID = "gh-client"
CLIENT_SECRET = "gh-secret"
CALLBACK = "/welcome"
ERROR_CALLBACK = "/sign-in-failed"


class FakeGitHub:
    """github.com's token endpoint and the two API routes the sign-in reads, each code good for one exchange."""

    def __init__(self) -> None:
        self.user: dict[str, Any] = {"id": 4242, "login": "octo", "name": None, "avatar_url": "https://a/octo.png"}
        self.emails: list[dict[str, Any]] = [
            {"email": "old@example.com", "primary": False, "verified": True},
            {"email": "octo@example.com", "primary": True, "verified": True},
        ]
        self.token_response: Callable[[], httpx.Response] | None = None
        self.grants: dict[str, tuple[str, str]] = {}
        self.access_tokens: set[str] = set()

    def grant(self, authorization_url: str) -> tuple[str, str]:
        """The user approves at GitHub: the code and state GitHub sends back to the app."""
        query = {key: values[0] for key, values in parse_qs(urlsplit(authorization_url).query).items()}
        assert query["client_id"] == CLIENT_ID and query["code_challenge_method"] == "S256"
        code = secrets.token_hex(10)
        self.grants[code] = (query["code_challenge"], query["redirect_uri"])
        return code, query["state"]

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "github.com":
            return self.token_response() if self.token_response else self.exchange(request)
        if request.headers["authorization"].removeprefix("Bearer ") not in self.access_tokens:
            return httpx.Response(401, json={"message": "Bad credentials"})
        return httpx.Response(200, json=self.user if request.url.path == "/user" else self.emails)

    def exchange(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/login/oauth/access_token"
        assert (
            request.headers["authorization"] == f"Basic {b64encode(f'{CLIENT_ID}:{CLIENT_SECRET}'.encode()).decode()}"
        )
        form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        challenge, redirect_uri = self.grants.pop(form["code"], (None, None))
        if challenge != create_s256_code_challenge(form["code_verifier"]) or redirect_uri != form["redirect_uri"]:
            # GitHub answers a bad code with 200 and an error field.
            return httpx.Response(200, json={"error": "bad_verification_code"})
        access_token = secrets.token_hex(10)
        self.access_tokens.add(access_token)
        return httpx.Response(200, json={"access_token": access_token, "token_type": "bearer", "scope": "user:email"})


@pytest.fixture
def fake_github() -> FakeGitHub:
    return FakeGitHub()


@pytest.fixture
async def app(make_settings: Callable[..., Settings], fake_github: FakeGitHub) -> AsyncIterator[FastAPI]:
    environment = {"KERNIA_GITHUB_CLIENT_ID": CLIENT_ID, "KERNIA_GITHUB_CLIENT_SECRET": CLIENT_SECRET}
    app = create_app(make_settings(), providers=[github(environment)])
    [oauth] = [plugin for plugin in auth_of(app).plugins if isinstance(plugin, OAuth)]
    oauth.sign_ins.providers.http = httpx.AsyncClient(transport=httpx.MockTransport(fake_github.handle))
    yield app


async def sign_in(client: httpx.AsyncClient, fake_github: FakeGitHub) -> httpx.Response:
    started = await client.post(
        "/api/auth/sign-in/social",
        json={"provider": "github", "callbackURL": CALLBACK, "errorCallbackURL": ERROR_CALLBACK},
    )
    assert started.status_code == 200, started.text
    code, state = fake_github.grant(started.json()["url"])
    return await client.get("/api/auth/callback/github", params={"code": code, "state": state})


async def test_github_sign_in_uses_the_primary_verified_email(
    app: FastAPI, client: httpx.AsyncClient, fake_github: FakeGitHub
) -> None:
    landed = await sign_in(client, fake_github)
    assert landed.status_code == 302 and landed.headers["location"] == CALLBACK
    user = (await client.get("/api/auth/get-session")).json()["user"]
    assert (user["email"], user["emailVerified"], user["name"], user["image"]) == (
        "octo@example.com",
        True,
        "octo",
        "https://a/octo.png",
    )
    async with async_sessionmaker(auth_of(app).engine)() as db:
        account = await db.scalar(select(Account).where(Account.provider_id == "github"))
    assert account.account_id == "4242" and account.user_id == user["id"]


async def test_github_without_an_email_lands_on_the_error_callback(
    client: httpx.AsyncClient, fake_github: FakeGitHub
) -> None:
    fake_github.emails = []
    landed = await sign_in(client, fake_github)
    assert landed.headers["location"] == f"{ERROR_CALLBACK}?error=email_not_found"
    assert "set-auth-token" not in landed.headers


@pytest.mark.parametrize(
    "answer",
    [
        lambda: httpx.Response(200, json={"error": "bad_verification_code"}),
        lambda: httpx.Response(200, text="<html>GitHub is down</html>", headers={"content-type": "text/html"}),
        lambda: httpx.Response(502, text="Bad gateway"),
    ],
)
async def test_a_failed_code_exchange_lands_on_the_error_callback(
    client: httpx.AsyncClient, fake_github: FakeGitHub, answer: Callable[[], httpx.Response]
) -> None:
    fake_github.token_response = answer
    landed = await sign_in(client, fake_github)
    assert landed.headers["location"] == f"{ERROR_CALLBACK}?error=invalid_code"


async def test_a_malformed_profile_lands_on_the_error_callback(
    client: httpx.AsyncClient, fake_github: FakeGitHub
) -> None:
    fake_github.user = {"login": "octo"}
    landed = await sign_in(client, fake_github)
    assert landed.headers["location"] == f"{ERROR_CALLBACK}?error=unable_to_get_user_info"
