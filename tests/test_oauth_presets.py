"""The presets and the generic OAuth 2.0 provider, request by request, against answers in each provider's
documented format served by httpx.MockTransport (the providers are out of reach here): the authorization URL,
the token request with its client authentication, Apple's signed client secret and form_post answer, and how each
profile becomes an identity."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from examples.notes.server import create_app
from kernia_desktop_server import ProfileMapping, apple_provider, oauth2_provider
from kernia_desktop_server.auth.plugins.oauth.config import ProviderConfig
from kernia_desktop_server.auth.plugins.oauth.plugin import OAuth
from kernia_desktop_server.auth.plugins.oauth.protocol import Identity, OAuthFailure, ProviderClient
from kernia_desktop_server.auth.plugins.oauth.providers import (
    apple,
    discord,
    gitlab,
    microsoft,
    providers_from_environment,
)
from kernia_desktop_server.auth.tokens import random_token
from kernia_desktop_server.settings import ConfigurationError, Settings
from tests.support.server import BASE, auth_of

CALLBACK = "/welcome"
ERROR_CALLBACK = "/sign-in-failed"
MICROSOFT_TENANT = "9122040d-6c67-4c5b-b112-36a304b66dad"
APPLE_TEAM_ID = "ABCDE12345"
APPLE_KEY_ID = "XYZ9876543"
APPLE_SERVICES_ID = "com.example.notes.web"

Handler = Callable[[httpx.Request], httpx.Response]


def redirect_uri(provider_id: str) -> str:
    return f"{BASE}/api/auth/callback/{provider_id}"


def basic(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def form_of(request: httpx.Request) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(request.content.decode()).items()}


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


class FakeProvider:
    """A provider's endpoints: recorded answers by method and URL, and ID tokens signed with a key of the test's
    own (made with joserfc, not with the authlib code under test)."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "provider-key"})
        self.routes: dict[str, Handler] = {}
        self.requests: list[httpx.Request] = []

    def answer(self, method: str, url: str, handler: Handler) -> None:
        self.routes[f"{method} {url}"] = handler

    def answer_json(self, method: str, url: str, body: Any) -> None:
        self.answer(method, url, lambda request: httpx.Response(200, json=body))

    def serve_keys(self, url: str) -> None:
        self.answer_json("GET", url, {"keys": [self.key.as_dict(private=False)]})

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.routes[f"{request.method} {request.url.copy_with(query=None)}"](request)

    def id_token(self, **claims: Any) -> str:
        now = int(time.time())
        values = {"iat": now, "exp": now + 600, **claims}
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, values, self.key)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))


@pytest.fixture
def fake() -> FakeProvider:
    return FakeProvider()


async def sign_in_steps(client: ProviderClient) -> tuple[dict[str, str], dict[str, Any]]:
    """The authorization URL's parameters, and the tokens from exchanging a code."""
    verifier = random_token(64)
    query = query_of(await client.authorization_url("the-state", verifier, "the-nonce", []))
    return query, await client.exchange("the-code", verifier)


# Discord: the API reference's OAuth2 and User resource pages.
DISCORD_USER = {
    "id": "80351110224678912",
    "username": "nelly",
    "discriminator": "0",
    "global_name": "Nelly",
    "avatar": "8342729096ea3675442027381ff50dfe",
    "verified": True,
    "email": "nelly@discord.com",
    "flags": 64,
    "banner": "06c16474723fe537c283b8efa61a30c8",
    "accent_color": 16711680,
    "premium_type": 1,
    "public_flags": 64,
}
DISCORD_TOKENS = {
    "access_token": "6qrZcUqja7812RVdnEKjpzOL4CvHBFG",
    "token_type": "Bearer",
    "expires_in": 604800,
    "refresh_token": "D43f5y0ahjqew82jZ4NViEr2YafMKhue",
    "scope": "identify email",
}


@pytest.mark.parametrize(
    "user,identity",
    [
        (
            DISCORD_USER,
            Identity(
                "80351110224678912",
                "nelly@discord.com",
                True,
                "Nelly",
                "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png",
            ),
        ),
        (
            {**DISCORD_USER, "global_name": None, "avatar": None, "verified": False},
            Identity("80351110224678912", "nelly@discord.com", False, "nelly", None),
        ),
    ],
)
async def test_discord(fake: FakeProvider, user: dict[str, Any], identity: Identity) -> None:
    def token(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == basic("discord-id", "discord-secret")
        form = form_of(request)
        assert (form["grant_type"], form["code"], form["redirect_uri"]) == (
            "authorization_code",
            "the-code",
            redirect_uri("discord"),
        )
        return httpx.Response(200, json=DISCORD_TOKENS)

    def me(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {DISCORD_TOKENS['access_token']}"
        return httpx.Response(200, json=user)

    fake.answer("POST", "https://discord.com/api/oauth2/token", token)
    fake.answer("GET", "https://discord.com/api/users/@me", me)
    config = discord({"KERNIA_DISCORD_CLIENT_ID": "discord-id", "KERNIA_DISCORD_CLIENT_SECRET": "discord-secret"})
    assert config.problem is None
    async with fake.http() as http:
        client = ProviderClient(config, redirect_uri("discord"), http)
        query, tokens = await sign_in_steps(client)
        assert await client.identity(tokens, "unused") == identity
    assert (query["client_id"], query["scope"], query["response_type"]) == ("discord-id", "identify email", "code")
    assert query["code_challenge_method"] == "S256" and "nonce" not in query and "response_mode" not in query


def gitlab_discovery(issuer: str) -> dict[str, Any]:
    """GitLab's /.well-known/openid-configuration, as a GitLab instance publishes it."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "userinfo_endpoint": f"{issuer}/oauth/userinfo",
        "jwks_uri": f"{issuer}/oauth/discovery/keys",
        "scopes_supported": ["api", "read_user", "openid", "profile", "email"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claim_types_supported": ["normal"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "sub_legacy", "name", "nickname", "email"],
        "code_challenge_methods_supported": ["plain", "S256"],
    }


async def test_gitlab_on_a_self_managed_instance(fake: FakeProvider) -> None:
    issuer = "https://gitlab.example.com"
    fake.answer_json("GET", f"{issuer}/.well-known/openid-configuration", gitlab_discovery(issuer))
    fake.serve_keys(f"{issuer}/oauth/discovery/keys")
    claims = {
        "iss": issuer,
        "sub": "1",
        "aud": "gitlab-id",
        "nonce": "the-nonce",
        "auth_time": int(time.time()),
        "sub_legacy": "2f8fe1f9c4cb5b4c8d2b7e5b4c8e5c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d",
        "name": "Administrator",
        "nickname": "root",
        "preferred_username": "root",
        "email": "admin@example.com",
        "email_verified": True,
        "website": "",
        "profile": f"{issuer}/root",
        "picture": "https://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=80&d=identicon",
        "groups_direct": [],
    }

    def token(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == basic("gitlab-id", "gitlab-secret")
        body = {"access_token": "gl-token", "token_type": "Bearer", "expires_in": 7200, "refresh_token": "r"}
        return httpx.Response(200, json={**body, "scope": "openid email profile", "id_token": fake.id_token(**claims)})

    fake.answer("POST", f"{issuer}/oauth/token", token)
    environment = {"KERNIA_GITLAB_CLIENT_ID": "gitlab-id", "KERNIA_GITLAB_CLIENT_SECRET": "gitlab-secret"}
    assert gitlab(environment).issuer == "https://gitlab.com"
    config = gitlab({**environment, "KERNIA_GITLAB_ISSUER": f"{issuer}/"})
    assert config.issuer == issuer
    async with fake.http() as http:
        client = ProviderClient(config, redirect_uri("gitlab"), http)
        query, tokens = await sign_in_steps(client)
        identity = await client.identity(tokens, "the-nonce")
    assert identity == Identity("1", "admin@example.com", True, "Administrator", claims["picture"])
    assert (query["scope"], query["nonce"], query["client_id"]) == ("openid email profile", "the-nonce", "gitlab-id")


def microsoft_discovery(tenant: str) -> dict[str, Any]:
    """Entra ID's v2.0 discovery document; `common` and `organizations` publish the {tenantid} placeholder."""
    base = f"https://login.microsoftonline.com/{tenant}"
    issuer_tenant = "{tenantid}" if tenant in ("common", "organizations") else tenant
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"https://login.microsoftonline.com/{issuer_tenant}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "tid", "ver", "oid", "email"],
        "tenant_region_scope": None,
        "cloud_instance_name": "microsoftonline.com",
        "kerberos_endpoint": f"{base}/kerberos",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


def microsoft_claims(**changes: Any) -> dict[str, Any]:
    """A v2.0 ID token's claims, as Entra ID documents them; a change to None leaves that claim out."""
    claims = {
        "ver": "2.0",
        "iss": f"https://login.microsoftonline.com/{MICROSOFT_TENANT}/v2.0",
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "aud": "ms-id",
        "nbf": int(time.time()),
        "nonce": "the-nonce",
        "name": "Abe Lincoln",
        "preferred_username": "AbeLi@microsoft.com",
        "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "email": "AbeLi@microsoft.com",
        "tid": MICROSOFT_TENANT,
        "xms_edov": True,
        **changes,
    }
    return {key: value for key, value in claims.items() if value is not None}


def serve_microsoft(fake: FakeProvider, tenant: str, claims: dict[str, Any]) -> None:
    base = f"https://login.microsoftonline.com/{tenant}"

    def token(request: httpx.Request) -> httpx.Response:
        # The preset sends its credentials in the form (client_secret_post).
        assert "authorization" not in request.headers
        form = form_of(request)
        assert (form["client_id"], form["client_secret"], form["code"]) == ("ms-id", "ms-secret", "the-code")
        id_token = fake.id_token(**claims)
        return httpx.Response(200, json={"token_type": "Bearer", "access_token": "ms-token", "id_token": id_token})

    fake.answer_json("GET", f"{base}/v2.0/.well-known/openid-configuration", microsoft_discovery(tenant))
    fake.serve_keys(f"{base}/discovery/v2.0/keys")
    fake.answer("POST", f"{base}/oauth2/v2.0/token", token)


MICROSOFT_ENVIRONMENT = {"KERNIA_MICROSOFT_CLIENT_ID": "ms-id", "KERNIA_MICROSOFT_CLIENT_SECRET": "ms-secret"}


@pytest.mark.parametrize(
    "changes,email_verified",
    [({}, True), ({"xms_edov": None}, False), ({"email_verified": True, "xms_edov": None}, True)],
)
async def test_microsoft_common_accepts_each_tenants_issuer(
    fake: FakeProvider, changes: dict[str, Any], email_verified: bool
) -> None:
    serve_microsoft(fake, "common", microsoft_claims(**changes))
    config = microsoft(MICROSOFT_ENVIRONMENT)
    assert config.issuer == "https://login.microsoftonline.com/common/v2.0"
    async with fake.http() as http:
        client = ProviderClient(config, redirect_uri("microsoft"), http)
        query, tokens = await sign_in_steps(client)
        identity = await client.identity(tokens, "the-nonce")
    assert identity == Identity(
        "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "AbeLi@microsoft.com", email_verified, "Abe Lincoln", None
    )
    assert (query["scope"], query["client_id"], query["nonce"]) == ("openid email profile", "ms-id", "the-nonce")
    assert (query["redirect_uri"], query["code_challenge_method"]) == (redirect_uri("microsoft"), "S256")


@pytest.mark.parametrize(
    "changes",
    [
        {"tid": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
        {"tid": None},
        {"iss": "https://login.microsoftonline.com/{tenantid}/v2.0"},
        {"iss": f"https://evil.example/{MICROSOFT_TENANT}/v2.0"},
    ],
)
async def test_microsoft_refuses_an_issuer_that_is_not_the_tokens_tenant(
    fake: FakeProvider, changes: dict[str, Any]
) -> None:
    serve_microsoft(fake, "common", microsoft_claims(**changes))
    async with fake.http() as http:
        client = ProviderClient(microsoft(MICROSOFT_ENVIRONMENT), redirect_uri("microsoft"), http)
        _, tokens = await sign_in_steps(client)
        with pytest.raises(OAuthFailure, match="'iss'") as failure:
            await client.identity(tokens, "the-nonce")
    assert failure.value.code == "invalid_id_token"


async def test_microsoft_single_tenant(fake: FakeProvider) -> None:
    serve_microsoft(fake, MICROSOFT_TENANT, microsoft_claims())
    config = microsoft({**MICROSOFT_ENVIRONMENT, "KERNIA_MICROSOFT_TENANT": MICROSOFT_TENANT})
    assert config.issuer == f"https://login.microsoftonline.com/{MICROSOFT_TENANT}/v2.0"
    async with fake.http() as http:
        client = ProviderClient(config, redirect_uri("microsoft"), http)
        _, tokens = await sign_in_steps(client)
        assert (await client.identity(tokens, "the-nonce")).email == "AbeLi@microsoft.com"


async def test_microsoft_discovery_naming_another_issuer_is_refused(fake: FakeProvider) -> None:
    document = {**microsoft_discovery("common"), "issuer": "https://evil.example/{tenantid}/v2.0"}
    fake.answer_json("GET", "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration", document)
    async with fake.http() as http:
        with pytest.raises(OAuthFailure, match="another issuer"):
            await ProviderClient(microsoft(MICROSOFT_ENVIRONMENT), redirect_uri("microsoft"), http).endpoints()


# Sign in with Apple: its discovery document, and the token response and ID token its REST API documents.
APPLE_DISCOVERY = {
    "issuer": "https://appleid.apple.com",
    "authorization_endpoint": "https://appleid.apple.com/auth/authorize",
    "token_endpoint": "https://appleid.apple.com/auth/token",
    "revocation_endpoint": "https://appleid.apple.com/auth/revoke",
    "jwks_uri": "https://appleid.apple.com/auth/keys",
    "response_types_supported": ["code"],
    "response_modes_supported": ["query", "fragment", "form_post"],
    "subject_types_supported": ["pairwise"],
    "id_token_signing_alg_values_supported": ["RS256"],
    "scopes_supported": ["openid", "email", "name"],
    "token_endpoint_auth_methods_supported": ["client_secret_post"],
    "claims_supported": ["aud", "email", "email_verified", "exp", "iat", "is_private_email", "iss", "nonce", "sub"],
}


class FakeApple(FakeProvider):
    """appleid.apple.com: grants a code per authorization URL, and checks each token request's client secret
    against the developer's public key."""

    def __init__(self, developer_key: ECKey) -> None:
        super().__init__()
        self.developer_key = ECKey.import_key(developer_key.as_dict(private=False))
        self.grants: dict[str, dict[str, str]] = {}
        self.client_secrets: list[str] = []
        self.answer_json("GET", "https://appleid.apple.com/.well-known/openid-configuration", APPLE_DISCOVERY)
        self.serve_keys("https://appleid.apple.com/auth/keys")
        self.answer("POST", "https://appleid.apple.com/auth/token", self.token)

    def grant(self, authorization_url: str) -> tuple[str, str]:
        """The person approves at Apple: the code and state Apple posts back."""
        query = query_of(authorization_url)
        code = secrets.token_hex(16)
        self.grants[code] = query
        return code, query["state"]

    def token(self, request: httpx.Request) -> httpx.Response:
        assert "authorization" not in request.headers
        form = form_of(request)
        assert form["client_id"] == APPLE_SERVICES_ID
        secret = jwt.decode(form["client_secret"], self.developer_key, algorithms=["ES256"])
        assert (secret.claims["sub"], secret.header["kid"]) == (APPLE_SERVICES_ID, APPLE_KEY_ID)
        self.client_secrets.append(form["client_secret"])
        query = self.grants.pop(form["code"], None) or {"nonce": "the-nonce"}
        claims = {
            "iss": "https://appleid.apple.com",
            "aud": APPLE_SERVICES_ID,
            "sub": "001234.4d1b5e0f2b8a4d51a6b1b7e8c0f3a9d2.1234",
            "nonce": query["nonce"],
            "c_hash": "x4xjHAVr8bVoQE0q9cU3Gg",
            "email": "qd5rmxz4sp@privaterelay.appleid.com",
            "email_verified": "true",
            "is_private_email": "true",
            "auth_time": int(time.time()),
            "nonce_supported": True,
        }
        body = {"access_token": "apple-token", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "r"}
        return httpx.Response(200, json={**body, "id_token": self.id_token(**claims)})


@pytest.fixture
def apple_key() -> ECKey:
    return ECKey.generate_key("P-256")


@pytest.fixture
def fake_apple(apple_key: ECKey) -> FakeApple:
    return FakeApple(apple_key)


def apple_config(apple_key: ECKey) -> ProviderConfig:
    return apple_provider(
        APPLE_SERVICES_ID,
        team_id=APPLE_TEAM_ID,
        key_id=APPLE_KEY_ID,
        private_key=apple_key.as_pem(private=True).decode(),
    )


async def test_apple_client_secret_is_a_jwt_signed_with_the_developers_key(
    fake_apple: FakeApple, apple_key: ECKey
) -> None:
    environment = {
        "KERNIA_APPLE_CLIENT_ID": APPLE_SERVICES_ID,
        "KERNIA_APPLE_TEAM_ID": APPLE_TEAM_ID,
        "KERNIA_APPLE_KEY_ID": APPLE_KEY_ID,
        # On one line, as a deployment tool may keep it.
        "KERNIA_APPLE_PRIVATE_KEY": apple_key.as_pem(private=True).decode().replace("\n", "\\n"),
    }
    config = apple(environment)
    assert config.problem is None
    async with fake_apple.http() as http:
        client = ProviderClient(config, redirect_uri("apple"), http)
        query, tokens = await sign_in_steps(client)
        await client.exchange("another-code", random_token(64))
        identity = await client.identity(tokens, "the-nonce")
    assert (query["response_mode"], query["scope"], query["client_id"]) == (
        "form_post",
        "openid name email",
        APPLE_SERVICES_ID,
    )
    assert query["nonce"] == "the-nonce" and query["code_challenge_method"] == "S256"
    assert identity.email == "qd5rmxz4sp@privaterelay.appleid.com" and identity.email_verified is True
    assert identity.account_id == "001234.4d1b5e0f2b8a4d51a6b1b7e8c0f3a9d2.1234" and identity.name is None

    first, second = fake_apple.client_secrets
    assert first == second, "a client secret is made once and used until it nears its expiry"
    token = jwt.decode(first, fake_apple.developer_key, algorithms=["ES256"])
    assert token.header == {"alg": "ES256", "kid": APPLE_KEY_ID, "typ": "JWT"}
    claims = token.claims
    assert (claims["iss"], claims["sub"], claims["aud"]) == (
        APPLE_TEAM_ID,
        APPLE_SERVICES_ID,
        "https://appleid.apple.com",
    )
    assert claims["exp"] - claims["iat"] == 3600 and abs(claims["iat"] - time.time()) < 60


def test_apple_makes_a_new_client_secret_near_the_old_ones_expiry(
    apple_key: ECKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = apple_config(apple_key)
    first = config._quirks.client_secret(config)
    assert config._quirks.client_secret(config) == first
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 3600 - 60)
    renewed = config._quirks.client_secret(config)
    assert renewed != first
    public_key = ECKey.import_key(apple_key.as_dict(private=False))
    assert jwt.decode(renewed, public_key, algorithms=["ES256"]).claims["exp"] > now + 3600


def test_apple_names_each_missing_setting() -> None:
    assert apple({"KERNIA_APPLE_KEY_ID": APPLE_KEY_ID}).problem == (
        "KERNIA_APPLE_CLIENT_ID, KERNIA_APPLE_TEAM_ID and KERNIA_APPLE_PRIVATE_KEY are not set"
    )
    in_code = apple_provider(APPLE_SERVICES_ID, team_id=None, key_id=APPLE_KEY_ID, private_key=None)
    assert in_code.problem == "team_id and private_key are not set"


@pytest.fixture
def app(make_settings: Callable[..., Settings], fake_apple: FakeApple, apple_key: ECKey) -> FastAPI:
    """The notes server with Apple as its provider, for the tests that sign in through the routes."""
    app = create_app(make_settings(), providers=[apple_config(apple_key)])
    [oauth] = [plugin for plugin in auth_of(app).plugins if isinstance(plugin, OAuth)]
    oauth.sign_ins.providers.http = fake_apple.http()
    return app


async def test_apple_answers_with_a_form_post_that_signs_in(client: httpx.AsyncClient, fake_apple: FakeApple) -> None:
    started = await client.post(
        "/api/auth/sign-in/social",
        json={"provider": "apple", "callbackURL": CALLBACK, "errorCallbackURL": ERROR_CALLBACK},
    )
    code, state = fake_apple.grant(started.json()["url"])
    # Apple's first answer for a person also carries their name, as JSON in the `user` field.
    user_field = {"name": {"firstName": "Jane", "lastName": "Doe"}, "email": "qd5rmxz4sp@privaterelay.appleid.com"}
    posted = await client.post(
        "/api/auth/callback/apple",
        data={"code": code, "state": state, "user": json.dumps(user_field)},
        headers={"origin": "https://appleid.apple.com"},
    )
    assert posted.status_code == 303
    landed = await client.get(posted.headers["location"])
    assert landed.status_code == 302 and landed.headers["location"] == CALLBACK, landed.headers["location"]
    user = (await client.get("/api/auth/get-session")).json()["user"]
    assert (user["email"], user["emailVerified"]) == ("qd5rmxz4sp@privaterelay.appleid.com", True)


async def test_generic_oauth2_provider_from_the_environment(fake: FakeProvider) -> None:
    prefix = "KERNIA_OAUTH2_ACME"
    environment = {
        f"{prefix}_AUTHORIZATION_URL": "https://id.acme.example/authorize",
        f"{prefix}_TOKEN_URL": "https://id.acme.example/token",
        f"{prefix}_USERINFO_URL": "https://api.acme.example/v1/me",
        f"{prefix}_CLIENT_ID": "acme-id",
        f"{prefix}_CLIENT_SECRET": "acme-secret",
        f"{prefix}_SCOPES": "read:user,email",
        f"{prefix}_NAME": "Acme",
        f"{prefix}_TOKEN_AUTH_METHOD": "client_secret_post",
        f"{prefix}_ID_FIELD": "user_id",
        f"{prefix}_EMAIL_FIELD": "mail",
        f"{prefix}_EMAIL_VERIFIED_FIELD": "mail_confirmed",
        f"{prefix}_NAME_FIELD": "display_name, login",
        f"{prefix}_IMAGE_FIELD": "avatar",
    }

    def token(request: httpx.Request) -> httpx.Response:
        assert "authorization" not in request.headers
        assert form_of(request)["client_secret"] == "acme-secret"
        return httpx.Response(200, json={"access_token": "acme-token", "token_type": "bearer"})

    fake.answer("POST", "https://id.acme.example/token", token)
    profile = {"user_id": 7, "mail": "ann@acme.example", "mail_confirmed": "true", "login": "ann", "avatar": "a.png"}
    fake.answer_json("GET", "https://api.acme.example/v1/me", profile)
    [config] = [provider for provider in providers_from_environment(environment) if provider.id == "acme"]
    assert (config.name, config.kind, config.scopes, config.problem) == ("Acme", "oauth2", ("read:user", "email"), None)
    async with fake.http() as http:
        client = ProviderClient(config, redirect_uri("acme"), http)
        query, tokens = await sign_in_steps(client)
        identity = await client.identity(tokens, "unused")
    assert identity == Identity("7", "ann@acme.example", True, "ann", "a.png")
    assert query["scope"] == "read:user email" and "nonce" not in query


def test_generic_oauth2_provider_names_what_is_missing() -> None:
    environment = {
        "KERNIA_OAUTH2_HALF_AUTHORIZATION_URL": "https://half.example/auth",
        "KERNIA_OAUTH2_HALF_CLIENT_ID": "x",
    }
    [half] = [provider for provider in providers_from_environment(environment) if provider.id == "half"]
    assert half.problem == (
        "KERNIA_OAUTH2_HALF_TOKEN_URL, KERNIA_OAUTH2_HALF_USERINFO_URL and KERNIA_OAUTH2_HALF_CLIENT_SECRET are not set"
    )
    in_code = oauth2_provider(
        "half", authorization_url="a", token_url="t", userinfo_url="u", client_id=None, client_secret=None
    )
    assert in_code.problem == "client_id and client_secret are not set"
    with pytest.raises(ConfigurationError, match="KERNIA_OAUTH2_HALF_TOKEN_AUTH_METHOD"):
        providers_from_environment({**environment, "KERNIA_OAUTH2_HALF_TOKEN_AUTH_METHOD": "private_key_jwt"})
    with pytest.raises(TypeError, match="tuple of field names"):
        ProfileMapping(email="mail")  # type: ignore[arg-type]


@pytest.mark.parametrize("answer", [{"login": "no id"}, ["not", "an", "object"]])
async def test_a_profile_without_an_account_id_is_refused(fake: FakeProvider, answer: Any) -> None:
    fake.answer_json("GET", "https://api.acme.example/me", answer)
    config = oauth2_provider(
        "acme",
        authorization_url="https://id.acme.example/authorize",
        token_url="https://id.acme.example/token",
        userinfo_url="https://api.acme.example/me",
        client_id="id",
        client_secret="secret",
    )
    async with fake.http() as http:
        with pytest.raises(OAuthFailure) as failure:
            await ProviderClient(config, redirect_uri("acme"), http).identity({"access_token": "t"}, "unused")
    assert failure.value.code == "unable_to_get_user_info"
