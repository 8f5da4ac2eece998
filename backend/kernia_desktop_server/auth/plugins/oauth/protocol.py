"""The provider side of a sign-in: authorization URLs, the code exchange (RFC 6749 with RFC 7636 PKCE),
OpenID Connect discovery and ID token verification, and the user's identity at the provider: from the ID token
(OpenID Connect) or the user-info endpoint (OAuth 2.0), read through the provider's profile mapping.

authlib builds the authorization request and validates the ID token's claims; httpx carries the requests.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from kernia_desktop_server.auth.plugins.oauth.config import FetchJson, ProfileMapping, ProviderConfig

METADATA_TTL = 3600.0


class OAuthFailure(Exception):
    """A sign-in failed at or after the provider; `code` goes to the error callback as ?error=."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True)
class Identity:
    account_id: str
    email: str | None
    email_verified: bool
    name: str | None
    image: str | None


def profile_identity(profile: Mapping[str, Any], mapping: ProfileMapping) -> Identity:
    """The identity a provider's profile describes, read where `mapping` says."""

    def first(names: tuple[str, ...]) -> Any:
        return next((profile[name] for name in names if profile.get(name) not in (None, "")), None)

    def text(names: tuple[str, ...]) -> str | None:
        value = first(names)
        return value if isinstance(value, str) else None

    account_id = first(mapping.id)
    if not isinstance(account_id, str | int):
        raise OAuthFailure("unable_to_get_user_info", "the provider's profile has no account id")
    verified = first(mapping.email_verified)
    return Identity(
        account_id=str(account_id),
        email=text(mapping.email),
        email_verified=verified is True or verified == "true",
        name=text(mapping.name),
        image=text(mapping.image),
    )


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    userinfo: str | None = None
    jwks_uri: str | None = None
    issuer: str | None = None


class ProviderClient:
    def __init__(self, config: ProviderConfig, redirect_uri: str, http: httpx.AsyncClient) -> None:
        self.config = config
        self.redirect_uri = redirect_uri
        self.http = http
        self._endpoints: tuple[float, Endpoints] | None = None
        self._jwks: dict[str, Any] | None = None

    async def endpoints(self) -> Endpoints:
        config = self.config
        if config.kind == "oauth2":
            assert config.authorization_endpoint and config.token_endpoint
            return Endpoints(config.authorization_endpoint, config.token_endpoint, config.userinfo_endpoint)
        if self._endpoints and time.monotonic() - self._endpoints[0] < METADATA_TTL:
            return self._endpoints[1]
        metadata = await self._get_json(f"{config.issuer}/.well-known/openid-configuration")
        if not config._quirks.accepts_discovered_issuer(config, metadata.get("issuer")):
            raise OAuthFailure("provider_unavailable", "the discovery document names another issuer")
        endpoints = Endpoints(
            authorization=metadata["authorization_endpoint"],
            token=metadata["token_endpoint"],
            userinfo=metadata.get("userinfo_endpoint"),
            jwks_uri=metadata["jwks_uri"],
            issuer=metadata["issuer"],
        )
        self._endpoints = (time.monotonic(), endpoints)
        return endpoints

    async def _get_json(self, url: str, headers: dict[str, str] | None = None) -> Any:
        try:
            response = await self.http.get(url, headers={"accept": "application/json", **(headers or {})})
        except httpx.HTTPError as error:
            raise OAuthFailure("provider_unavailable", f"{url}: {type(error).__name__}") from error
        if response.status_code != 200:
            raise OAuthFailure("provider_unavailable", f"{url} answered {response.status_code}")
        try:
            return response.json()
        except ValueError as error:
            raise OAuthFailure("provider_unavailable", f"{url} did not answer with JSON") from error

    async def authorization_url(self, state: str, code_verifier: str, nonce: str, scopes: list[str]) -> str:
        endpoints = await self.endpoints()
        extra = {"nonce": nonce} if self.config.kind == "oidc" else {}
        if self.config.response_mode:
            extra["response_mode"] = self.config.response_mode
        url: str = prepare_grant_uri(
            endpoints.authorization,
            client_id=self.config.client_id,
            response_type="code",
            redirect_uri=self.redirect_uri,
            scope=" ".join(dict.fromkeys([*self.config.scopes, *scopes])),
            state=state,
            code_challenge=create_s256_code_challenge(code_verifier),
            code_challenge_method="S256",
            **extra,
        )
        return url

    async def exchange(self, code: str, code_verifier: str) -> dict[str, Any]:
        endpoints = await self.endpoints()
        config = self.config
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": code_verifier,
        }
        client_id, client_secret = config.client_id or "", config._quirks.client_secret(config)
        auth: httpx.Auth
        if config.token_endpoint_auth_method == "client_secret_post":
            form.update(client_id=client_id, client_secret=client_secret)
            auth = httpx.Auth()  # httpx's "no authentication"
        else:
            auth = httpx.BasicAuth(client_id, client_secret)
        try:
            response = await self.http.post(
                endpoints.token, data=form, auth=auth, headers={"accept": "application/json"}
            )
        except httpx.HTTPError as error:
            raise OAuthFailure("provider_unavailable", f"token endpoint: {type(error).__name__}") from error
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise OAuthFailure("invalid_code", f"the token endpoint answered {response.status_code} without JSON")
        if response.status_code != 200 or "access_token" not in body:
            raise OAuthFailure("invalid_code", str(body.get("error") or response.status_code))
        return body

    async def identity(self, tokens: dict[str, Any], nonce: str) -> Identity:
        if self.config.kind == "oidc":
            return await self._oidc_identity(tokens, nonce)
        return await self._oauth2_identity(tokens["access_token"])

    async def _jwk_set(self, refresh: bool) -> dict[str, Any]:
        if self._jwks is None or refresh:
            endpoints = await self.endpoints()
            assert endpoints.jwks_uri
            self._jwks = await self._get_json(endpoints.jwks_uri)
        return self._jwks

    async def verify_id_token(self, id_token: str, nonce: str, access_token: str | None) -> dict[str, Any]:
        """The ID token's claims, checked (see id_tokens); its key set is fetched again once for an unknown key."""
        # Loaded here, with the first OpenID sign-in (see id_tokens).
        from kernia_desktop_server.auth.plugins.oauth import id_tokens

        discovered_issuer = (await self.endpoints()).issuer or ""
        quirks = self.config._quirks
        options = {
            "iss": {
                "essential": True,
                "validate": lambda claims, issuer: issuer == quirks.expected_issuer(discovered_issuer, claims),
            },
            "aud": {"essential": True, "value": self.config.client_id},
            "nonce": {"essential": True},
        }
        params = {"nonce": nonce, "client_id": self.config.client_id, "access_token": access_token}
        for refresh in (False, True):
            try:
                return id_tokens.verified_claims(id_token, await self._jwk_set(refresh), options, params)
            except id_tokens.UnknownSigningKey as error:
                if refresh:
                    raise OAuthFailure("invalid_id_token", str(error)) from error
            except id_tokens.InvalidIdToken as error:
                raise OAuthFailure("invalid_id_token", str(error)) from error
        raise AssertionError("unreachable")

    def _fetch_with(self, access_token: str) -> FetchJson:
        headers = {"authorization": f"Bearer {access_token}"}
        return lambda url: self._get_json(url, headers)

    async def _oidc_identity(self, tokens: dict[str, Any], nonce: str) -> Identity:
        if "id_token" not in tokens:
            raise OAuthFailure("invalid_id_token", "the token response carries no id_token")
        claims = await self.verify_id_token(tokens["id_token"], nonce, tokens.get("access_token"))
        endpoints = await self.endpoints()
        mapping = self.config.profile
        fetch_json = self._fetch_with(tokens["access_token"])
        if not any(name in claims for name in mapping.email) and endpoints.userinfo:
            info = await fetch_json(endpoints.userinfo)
            # OIDC Core 5.3.2: userinfo is only about the ID token's subject.
            if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
                raise OAuthFailure("invalid_id_token", "userinfo describes another subject")
            claims = {**info, **claims}
        profile = await self.config._quirks.complete_profile(claims, fetch_json)
        # OIDC Core 5.7: sub is the one claim that identifies the account for good.
        return profile_identity(profile, replace(mapping, id=("sub",)))

    async def _oauth2_identity(self, access_token: str) -> Identity:
        endpoints = await self.endpoints()
        assert endpoints.userinfo
        fetch_json = self._fetch_with(access_token)
        profile = await fetch_json(endpoints.userinfo)
        if not isinstance(profile, dict):
            raise OAuthFailure("unable_to_get_user_info", "the user-info endpoint answered no JSON object")
        return profile_identity(await self.config._quirks.complete_profile(profile, fetch_json), self.config.profile)
