"""The provider side of a sign-in: authorization URLs, the code exchange (RFC 6749 with RFC 7636 PKCE),
OpenID Connect discovery and ID token verification, and the user's identity at the provider.

authlib builds the authorization request and validates the ID token's claims; httpx carries the requests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from kernia_desktop_server.auth.plugins.oauth.providers import ProviderConfig

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
            return Endpoints(config.authorization_endpoint, config.token_endpoint)
        if self._endpoints and time.monotonic() - self._endpoints[0] < METADATA_TTL:
            return self._endpoints[1]
        metadata = await self._get_json(f"{config.issuer}/.well-known/openid-configuration")
        if metadata.get("issuer") != config.issuer:
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
        try:
            response = await self.http.post(
                endpoints.token,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.redirect_uri,
                    "code_verifier": code_verifier,
                },
                auth=(self.config.client_id or "", self.config.client_secret or ""),
                headers={"accept": "application/json"},
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
        return await self._github_identity(tokens["access_token"])

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

        endpoints = await self.endpoints()
        options = {
            "iss": {"essential": True, "value": endpoints.issuer},
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

    async def _oidc_identity(self, tokens: dict[str, Any], nonce: str) -> Identity:
        if "id_token" not in tokens:
            raise OAuthFailure("invalid_id_token", "the token response carries no id_token")
        claims = await self.verify_id_token(tokens["id_token"], nonce, tokens.get("access_token"))
        endpoints = await self.endpoints()
        if "email" not in claims and endpoints.userinfo:
            info = await self._get_json(endpoints.userinfo, {"authorization": f"Bearer {tokens['access_token']}"})
            # OIDC Core 5.3.2: userinfo is only about the ID token's subject.
            if info.get("sub") != claims["sub"]:
                raise OAuthFailure("invalid_id_token", "userinfo describes another subject")
            claims = {**info, **claims}
        return Identity(
            account_id=str(claims["sub"]),
            email=claims.get("email"),
            email_verified=claims.get("email_verified") is True,
            name=claims.get("name") or claims.get("preferred_username"),
            image=claims.get("picture"),
        )

    async def _github_identity(self, access_token: str) -> Identity:
        headers = {"authorization": f"Bearer {access_token}", "accept": "application/vnd.github+json"}
        user = await self._get_json("https://api.github.com/user", headers)
        emails = await self._get_json("https://api.github.com/user/emails", headers)
        primary = next((entry for entry in emails if entry.get("primary")), None) or {}
        return Identity(
            account_id=str(user["id"]),
            email=primary.get("email") or user.get("email"),
            email_verified=primary.get("verified") is True,
            name=user.get("name") or user.get("login"),
            image=user.get("avatar_url"),
        )
