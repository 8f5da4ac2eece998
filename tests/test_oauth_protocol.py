"""The provider client on its own: ID token checks against the real provider's keys, and the GitHub and
Google specifics, which cannot be reached from here, against recorded-shape answers."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from kernia_desktop_server.auth.plugins.oauth.protocol import OAuthFailure, ProviderClient
from kernia_desktop_server.auth.plugins.oauth.providers import (
    ProviderConfig,
    github,
    google,
    providers_from_environment,
)
from kernia_desktop_server.auth.tokens import random_token
from tests.support.openid_provider import PROVIDER_ID, REDIRECT_URI, OpenIdProvider, walk_provider


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def idp_config(openid_provider: OpenIdProvider, **changes: str) -> ProviderConfig:
    config = next(p for p in providers_from_environment(openid_provider.environment()) if p.id == PROVIDER_ID)
    return ProviderConfig(**{**config.__dict__, **changes})


async def real_tokens(client: ProviderClient, nonce: str) -> dict:
    verifier = random_token(64)
    url = await client.authorization_url(random_token(), verifier, nonce, [])
    with httpx.Client() as browser:
        callback = walk_provider(browser, url, "tokens")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    return await client.exchange(code, verifier)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_id_token_is_verified_and_every_check_bites(
    openid_provider: OpenIdProvider, http: httpx.AsyncClient
) -> None:
    client = ProviderClient(idp_config(openid_provider), REDIRECT_URI.replace("127.0.0.1", "127.0.0.1:8000"), http)
    nonce = random_token()
    tokens = await real_tokens(client, nonce)
    claims = await client.verify_id_token(tokens["id_token"], nonce, tokens["access_token"])
    assert claims["sub"] == "tokens" and claims["aud"] == "kernia-desktop-tests"
    identity = await client.identity(tokens, nonce)
    assert identity.email == "tokens@example.com" and identity.email_verified

    header, payload, signature = tokens["id_token"].split(".")
    forged_claims = {**json.loads(base64.urlsafe_b64decode(payload + "==")), "sub": "someone-else"}
    forged = f"{header}.{_b64(json.dumps(forged_claims).encode())}.{signature}"
    bad_signature = f"{header}.{payload}.{signature[:-4]}AAAA"
    for token, token_nonce in [(forged, nonce), (bad_signature, nonce), (tokens["id_token"], "another nonce")]:
        with pytest.raises(OAuthFailure) as failure:
            await client.verify_id_token(token, token_nonce, tokens["access_token"])
        assert failure.value.code == "invalid_id_token"

    other_audience = ProviderClient(idp_config(openid_provider, client_id="someone-else"), client.redirect_uri, http)
    with pytest.raises(OAuthFailure, match="aud"):
        await other_audience.verify_id_token(tokens["id_token"], nonce, tokens["access_token"])


class SigningIssuer:
    """An OpenID issuer of the test's own, served by httpx.MockTransport, whose ID tokens the test shapes at
    will; they are made with joserfc, not with the authlib code under test."""

    issuer = "https://issuer.example"

    def __init__(self) -> None:
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "first"})]
        self.jwks_fetches = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/auth",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                },
            )
        self.jwks_fetches += 1
        return httpx.Response(200, json={"keys": [key.as_dict(private=False) for key in self.keys]})

    def id_token(self, key: RSAKey | None = None, **changes: object) -> str:
        """A token signed by `key` (the published one by default); a change to None leaves that claim out."""
        key = key or self.keys[0]
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "subject", "aud": "client", "iat": now, "exp": now + 300, **changes}
        claims.setdefault("nonce", "the-nonce")
        return jwt.encode({"alg": "RS256", "kid": key.kid}, {k: v for k, v in claims.items() if v is not None}, key)


@pytest.fixture
async def signing_issuer() -> AsyncIterator[tuple[SigningIssuer, ProviderClient]]:
    issuer = SigningIssuer()
    config = ProviderConfig(
        id="signing",
        name="Signing",
        kind="oidc",
        client_id="client",
        client_secret="s",
        scopes=("openid",),
        issuer=issuer.issuer,
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(issuer.handle)) as http:
        yield issuer, ProviderClient(config, "http://127.0.0.1:8000/api/auth/callback/signing", http)


def unsigned(token: str) -> str:
    payload = token.split(".")[1]
    return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{payload}."


@pytest.mark.parametrize(
    "case,reason",
    [
        ("another issuer", "'iss'"),
        ("expired", "expired"),
        ("another audience", "'aud'"),
        ("no nonce", "'nonce'"),
        ("unsigned", "unsupported_algorithm"),
        ("unknown key", "Key not found"),
    ],
)
async def test_id_token_claims_and_keys_are_checked(
    signing_issuer: tuple[SigningIssuer, ProviderClient], case: str, reason: str
) -> None:
    issuer, client = signing_issuer
    assert (await client.verify_id_token(issuer.id_token(), "the-nonce", None))["sub"] == "subject"
    hour_ago = int(time.time()) - 3600
    token = {
        "another issuer": lambda: issuer.id_token(iss="https://elsewhere.example"),
        "expired": lambda: issuer.id_token(iat=hour_ago - 300, exp=hour_ago),
        "another audience": lambda: issuer.id_token(aud="another-client"),
        "no nonce": lambda: issuer.id_token(nonce=None),
        "unsigned": lambda: unsigned(issuer.id_token()),
        "unknown key": lambda: issuer.id_token(RSAKey.generate_key(2048, parameters={"kid": "stranger"})),
    }[case]()
    with pytest.raises(OAuthFailure, match=reason) as failure:
        await client.verify_id_token(token, "the-nonce", None)
    assert failure.value.code == "invalid_id_token"


async def test_keys_are_fetched_again_once_when_the_issuer_rotates_them(
    signing_issuer: tuple[SigningIssuer, ProviderClient],
) -> None:
    issuer, client = signing_issuer
    await client.verify_id_token(issuer.id_token(), "the-nonce", None)
    await client.verify_id_token(issuer.id_token(), "the-nonce", None)
    assert issuer.jwks_fetches == 1, "the key set is cached"
    rotated = RSAKey.generate_key(2048, parameters={"kid": "second"})
    issuer.keys.append(rotated)
    assert (await client.verify_id_token(issuer.id_token(rotated), "the-nonce", None))["sub"] == "subject"
    assert issuer.jwks_fetches == 2


async def test_a_code_is_exchanged_once(openid_provider: OpenIdProvider, http: httpx.AsyncClient) -> None:
    client = ProviderClient(idp_config(openid_provider), REDIRECT_URI.replace("127.0.0.1", "127.0.0.1:8000"), http)
    verifier = random_token(64)
    url = await client.authorization_url(random_token(), verifier, random_token(), [])
    with httpx.Client() as browser:
        code = parse_qs(urlsplit(walk_provider(browser, url, "once")).query)["code"][0]
    with pytest.raises(OAuthFailure) as wrong_verifier:
        await client.exchange(code, random_token(64))
    assert wrong_verifier.value.code == "invalid_code"
    assert "access_token" in await client.exchange(code, verifier)
    with pytest.raises(OAuthFailure) as replayed:
        await client.exchange(code, verifier)
    assert replayed.value.code == "invalid_code"


def github_api(request: httpx.Request) -> httpx.Response:
    assert request.headers["authorization"] == "Bearer gh-token"
    if request.url.path == "/user":
        return httpx.Response(200, json={"id": 4242, "login": "octo", "name": None, "avatar_url": "https://a/x.png"})
    return httpx.Response(
        200,
        json=[
            {"email": "old@example.com", "primary": False, "verified": True},
            {"email": "octo@example.com", "primary": True, "verified": True},
        ],
    )


async def test_github_identity_uses_the_primary_verified_email() -> None:
    config = github({"KERNIA_GITHUB_CLIENT_ID": "id", "KERNIA_GITHUB_CLIENT_SECRET": "secret"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(github_api)) as http:
        client = ProviderClient(config, "http://127.0.0.1:8000/api/auth/callback/github", http)
        identity = await client.identity({"access_token": "gh-token"}, "unused")
        url = await client.authorization_url("the-state", random_token(64), "n", [])
    assert (identity.account_id, identity.email, identity.email_verified, identity.name) == (
        "4242",
        "octo@example.com",
        True,
        "octo",
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://github.com/login/oauth/authorize?")
    assert query["code_challenge_method"] == ["S256"] and "nonce" not in query
    assert query["scope"] == ["read:user user:email"] and query["state"] == ["the-state"]


async def test_google_endpoints_come_from_discovery() -> None:
    def discovery(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "https://accounts.google.com/.well-known/openid-configuration"
        return httpx.Response(
            200,
            json={
                "issuer": "https://accounts.google.com",
                "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
                "token_endpoint": "https://oauth2.googleapis.com/token",
                "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
            },
        )

    config = google({"KERNIA_GOOGLE_CLIENT_ID": "gid", "KERNIA_GOOGLE_CLIENT_SECRET": "gsecret"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(discovery)) as http:
        url = await ProviderClient(config, "http://127.0.0.1:8000/api/auth/callback/google", http).authorization_url(
            "s", random_token(64), "the-nonce", ["https://www.googleapis.com/auth/calendar.readonly"]
        )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    assert query["nonce"] == ["the-nonce"] and query["client_id"] == ["gid"]
    assert query["scope"] == ["openid email profile https://www.googleapis.com/auth/calendar.readonly"]


async def test_discovery_for_another_issuer_is_refused() -> None:
    def lying(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"issuer": "https://evil.example", "authorization_endpoint": "x"})

    config = google({"KERNIA_GOOGLE_CLIENT_ID": "gid", "KERNIA_GOOGLE_CLIENT_SECRET": "gsecret"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(lying)) as http:
        with pytest.raises(OAuthFailure, match="another issuer"):
            await ProviderClient(config, "http://127.0.0.1:8000/cb", http).endpoints()


def test_generic_providers_are_read_from_the_environment() -> None:
    providers = providers_from_environment(
        {
            "KERNIA_OIDC_CORP_SSO_ISSUER": "https://sso.corp.example/",
            "KERNIA_OIDC_CORP_SSO_CLIENT_ID": "cid",
            "KERNIA_OIDC_CORP_SSO_CLIENT_SECRET": "csecret",
            "KERNIA_OIDC_CORP_SSO_SCOPES": "email groups",
            "KERNIA_OIDC_HALF_ISSUER": "https://half.example",
        }
    )
    by_id = {provider.id: provider for provider in providers}
    assert set(by_id) == {"github", "google", "microsoft", "gitlab", "discord", "apple", "corp_sso", "half"}
    corp = by_id["corp_sso"]
    assert corp.issuer == "https://sso.corp.example" and corp.scopes == ("openid", "email", "groups")
    assert corp.problem is None
    assert by_id["half"].problem == "KERNIA_OIDC_HALF_CLIENT_ID and KERNIA_OIDC_HALF_CLIENT_SECRET are not set"
