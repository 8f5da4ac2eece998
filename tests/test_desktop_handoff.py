"""The desktop plugin's hand-off: a provider sign-in ends in a single-use code bound to the shell's PKCE
challenge, traded once for a session. Runs against the real OpenID provider."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from examples.notes.server import create_app
from kernia_desktop.oauth import PkcePair
from kernia_desktop_server.auth.models import Session
from kernia_desktop_server.auth.plugins.desktop.models import DesktopGrant
from kernia_desktop_server.auth.plugins.oauth.providers import providers_from_environment
from kernia_desktop_server.db import utcnow
from tests.support.oauth_flows import SHELL_CALLBACK, SHELL_STATE, authorize_path, code_of, exchange, run_flow
from tests.support.openid_provider import OpenIdProvider
from tests.support.server import auth_of


@pytest.fixture
def app(make_settings, openid_provider: OpenIdProvider) -> FastAPI:  # type: ignore[no-untyped-def]
    return create_app(make_settings(), providers=providers_from_environment(openid_provider.environment()))


async def test_hand_off_gives_the_shell_a_session_once(app: FastAPI, client: httpx.AsyncClient) -> None:
    pkce = PkcePair.make()
    location = await run_flow(client, pkce)
    assert location.startswith(f"{SHELL_CALLBACK}?")
    code = code_of(location)
    async with async_sessionmaker(auth_of(app).engine)() as db:
        assert await db.scalar(select(func.count()).select_from(Session)) == 0, "no session before the exchange"
    exchanged = await exchange(client, code, pkce.verifier)
    assert exchanged.status_code == 200
    token = exchanged.json()["token"]
    assert token == exchanged.headers["set-auth-token"] and token not in location
    session = (await client.get("/api/auth/get-session", headers={"Authorization": f"Bearer {token}"})).json()
    assert session["user"]["email"].endswith("@example.com")
    again = await exchange(client, code, pkce.verifier)
    assert again.status_code == 400 and again.json()["code"] == "INVALID_GRANT"


async def test_wrong_verifier_fails_and_burns_the_code(client: httpx.AsyncClient) -> None:
    pkce = PkcePair.make()
    code = code_of(await run_flow(client, pkce))
    assert (await exchange(client, code, PkcePair.make().verifier)).json()["code"] == "INVALID_GRANT"
    assert (await exchange(client, code, pkce.verifier)).json()["code"] == "INVALID_GRANT"


async def test_of_two_concurrent_exchanges_one_wins(app: FastAPI, client: httpx.AsyncClient) -> None:
    pkce = PkcePair.make()
    code = code_of(await run_flow(client, pkce))
    results = await asyncio.gather(*(exchange(client, code, pkce.verifier) for _ in range(2)))
    assert sorted(response.status_code for response in results) == [200, 400]
    async with async_sessionmaker(auth_of(app).engine)() as db:
        assert await db.scalar(select(func.count()).select_from(Session)) == 1


async def test_expired_code_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    pkce = PkcePair.make()
    code = code_of(await run_flow(client, pkce))
    async with async_sessionmaker(auth_of(app).engine)() as db:
        await db.execute(update(DesktopGrant).values(expires_at=utcnow() - timedelta(seconds=1)))
        await db.commit()
    assert (await exchange(client, code, pkce.verifier)).json()["code"] == "INVALID_GRANT"


async def test_provider_error_goes_back_to_the_shell(client: httpx.AsyncClient) -> None:
    location = await run_flow(client, PkcePair.make(), consent=False)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{SHELL_CALLBACK}?")
    assert query["error"] == ["access_denied"] and query["state"] == [SHELL_STATE] and "code" not in query


async def test_loopback_redirect_uri_on_any_port(client: httpx.AsyncClient) -> None:
    location = await run_flow(client, PkcePair.make(), redirect_uri="http://127.0.0.1:54321/callback")
    assert location.startswith("http://127.0.0.1:54321/callback?code=")


@pytest.mark.parametrize(
    "overrides,code",
    [
        ({"redirect_uri": "http://localhost:54321/callback"}, "INVALID_REDIRECT_URI"),
        ({"redirect_uri": "http://127.0.0.1/callback"}, "INVALID_REDIRECT_URI"),
        ({"redirect_uri": "https://127.0.0.1:443/callback"}, "INVALID_REDIRECT_URI"),
        ({"redirect_uri": "http://evil.example:80/callback"}, "INVALID_REDIRECT_URI"),
        ({"redirect_uri": "http://127.0.0.1:54321@evil.example/callback"}, "INVALID_REDIRECT_URI"),
        ({"code_challenge_method": "plain"}, "INVALID_CODE_CHALLENGE_METHOD"),
        ({"code_challenge": "too-short"}, "INVALID_CODE_CHALLENGE"),
        ({"provider": "myspace"}, "PROVIDER_NOT_FOUND"),
    ],
)
async def test_bad_authorize_requests_are_refused(
    client: httpx.AsyncClient, overrides: dict[str, str], code: str
) -> None:
    response = await client.get(authorize_path(PkcePair.make(), **overrides))
    assert response.status_code == 400 and response.json()["code"] == code
    assert "set-cookie" not in response.headers


async def test_malformed_token_requests(client: httpx.AsyncClient) -> None:
    for body in ({"code": "x", "codeVerifier": "short"}, {"code": "x"}, {"code": 5, "codeVerifier": "v" * 43}):
        response = await client.post("/api/auth/desktop/token", json=body)
        assert response.status_code == 400 and response.json()["code"] in ("INVALID_CODE_VERIFIER", "VALIDATION_ERROR")
    unknown = await exchange(client, "no-such-code", "v" * 43)
    assert unknown.status_code == 400 and unknown.json()["code"] == "INVALID_GRANT"


def test_a_public_server_accepts_only_the_channels_callback_and_loopback() -> None:
    from kernia_desktop_server.auth.errors import ApiError
    from kernia_desktop_server.auth.plugins.desktop.grants import check_redirect_uri

    callback = "https://auth.example.com/api/auth/desktop/callback/stable"
    callbacks = {"stable": callback, "beta": "https://auth.example.com/api/auth/desktop/callback/beta"}
    assert check_redirect_uri(callback, "stable", callbacks) == callback
    assert check_redirect_uri("http://127.0.0.1:61000/cb", "stable", callbacks) == "http://127.0.0.1:61000/cb"
    for target in (
        f"{callback}/../x",
        f"{callback}?x=1",
        f"{callback}-next",
        "https://auth.example.com/api/auth/desktop/callback/beta",
        "https://auth.example.com/other",
    ):
        with pytest.raises(ApiError) as refused:
            check_redirect_uri(target, "stable", callbacks)
        assert refused.value.code == "INVALID_REDIRECT_URI"
