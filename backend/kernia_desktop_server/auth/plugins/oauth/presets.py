"""Providers known by name: GitHub, Google, Microsoft Entra ID, GitLab, Discord and Apple, each an OAuth 2.0 or
OpenID Connect provider with its endpoints, scopes and profile fields filled in, and, where the provider departs
from the standards, its quirks in code."""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kernia_desktop_server.auth.plugins.oauth.config import (
    FetchJson,
    ProfileMapping,
    ProviderConfig,
    ProviderQuirks,
    oauth2_provider,
    oidc_provider,
)

APPLE_ISSUER = "https://appleid.apple.com"
# Apple accepts client secrets that live up to six months; a short one limits what a leaked secret is worth.
APPLE_SECRET_LIFETIME = 3600
APPLE_SECRET_RENEWAL = 300
# Entra ID's issuers: the {tenantid} placeholder of the multi-tenant endpoints (common, organizations), or a tenant.
_MICROSOFT_ISSUER = re.compile(r"https://login\.microsoftonline\.com/(\{tenantid\}|[0-9a-f-]{36})/v2\.0")
_TENANT_ID = re.compile(r"[0-9a-f-]{36}")


class _GitHubQuirks(ProviderQuirks):
    """GitHub's /user has only the public email, if any, and says nothing of its verification: the primary
    address and whether it is verified come from /user/emails."""

    async def complete_profile(self, profile: dict[str, Any], fetch_json: FetchJson) -> dict[str, Any]:
        emails = await fetch_json("https://api.github.com/user/emails")
        entries = emails if isinstance(emails, list) else []
        primary = next((entry for entry in entries if isinstance(entry, dict) and entry.get("primary")), {})
        return {
            **profile,
            "email": primary.get("email") or profile.get("email"),
            "email_verified": primary.get("verified") is True,
        }


class _DiscordQuirks(ProviderQuirks):
    """Discord names the avatar by a hash; its image lives on Discord's CDN under the user's id."""

    async def complete_profile(self, profile: dict[str, Any], fetch_json: FetchJson) -> dict[str, Any]:
        if not profile.get("id") or not profile.get("avatar"):
            return profile
        return {**profile, "avatar_url": f"https://cdn.discordapp.com/avatars/{profile['id']}/{profile['avatar']}.png"}


class _MicrosoftQuirks(ProviderQuirks):
    """The multi-tenant endpoints publish the issuer `https://login.microsoftonline.com/{tenantid}/v2.0`, and a
    tenant named by its domain publishes its id's issuer: each ID token carries its own tenant's issuer, with that
    tenant's id in `tid`."""

    def accepts_discovered_issuer(self, config: ProviderConfig, discovered: object) -> bool:
        return discovered == config.issuer or (
            isinstance(discovered, str) and bool(_MICROSOFT_ISSUER.fullmatch(discovered))
        )

    def expected_issuer(self, discovered: str, claims: Mapping[str, Any]) -> str:
        tenant = claims.get("tid")
        if isinstance(tenant, str) and _TENANT_ID.fullmatch(tenant):
            return discovered.replace("{tenantid}", tenant)
        return discovered


@dataclass(frozen=True)
class _AppleQuirks(ProviderQuirks):
    """Apple's client secret is a JWT signed (ES256) with the developer's key, made here and renewed before it
    expires."""

    team_id: str | None
    key_id: str | None
    private_key: str | None = field(repr=False)
    # By client id: the secret made last, with when it expires.
    _made: dict[str, tuple[float, str]] = field(default_factory=dict, repr=False, compare=False)

    def secret_settings(self, config: ProviderConfig) -> dict[str, str | None]:
        return {"TEAM_ID": self.team_id, "KEY_ID": self.key_id, "PRIVATE_KEY": self.private_key}

    def client_secret(self, config: ProviderConfig) -> str:
        client_id = config.client_id or ""
        expires, secret = self._made.get(client_id, (0.0, ""))
        now = time.time()
        if expires - now > APPLE_SECRET_RENEWAL:
            return secret
        # authlib.jose loads with the first Apple sign-in, as it does for ID tokens (see id_tokens).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from authlib.jose import JsonWebToken

        issued = int(now)
        claims = {
            "iss": self.team_id,
            "iat": issued,
            "exp": issued + APPLE_SECRET_LIFETIME,
            "aud": APPLE_ISSUER,
            "sub": client_id,
        }
        token: bytes = JsonWebToken(["ES256"]).encode({"alg": "ES256", "kid": self.key_id}, claims, self.private_key)
        self._made[client_id] = (issued + APPLE_SECRET_LIFETIME, token.decode())
        return token.decode()


def github_provider(client_id: str | None, client_secret: str | None) -> ProviderConfig:
    config = oauth2_provider(
        "github",
        name="GitHub",
        authorization_url="https://github.com/login/oauth/authorize",
        token_url="https://github.com/login/oauth/access_token",
        userinfo_url="https://api.github.com/user",
        client_id=client_id,
        client_secret=client_secret,
        scopes=("read:user", "user:email"),
        profile=ProfileMapping(id=("id",), name=("name", "login"), image=("avatar_url",)),
    )
    return replace(config, _quirks=_GitHubQuirks())


def google_provider(client_id: str | None, client_secret: str | None) -> ProviderConfig:
    return oidc_provider(
        "google", name="Google", issuer="https://accounts.google.com", client_id=client_id, client_secret=client_secret
    )


def microsoft_provider(client_id: str | None, client_secret: str | None, *, tenant: str = "common") -> ProviderConfig:
    """Microsoft Entra ID. `tenant` is a tenant's id or domain, or `common` (work, school and personal accounts),
    `organizations` (work and school) or `consumers` (personal)."""
    config = oidc_provider(
        "microsoft",
        name="Microsoft",
        issuer=f"https://login.microsoftonline.com/{tenant}/v2.0",
        client_id=client_id,
        client_secret=client_secret,
        token_endpoint_auth_method="client_secret_post",
    )
    # Entra ID sends no email_verified; xms_edov, an optional claim the app may ask for, says the email's domain
    # is verified by its tenant. Without it, a Microsoft sign-in makes new accounts but never links one.
    profile = ProfileMapping(email_verified=("email_verified", "xms_edov"))
    return replace(config, profile=profile, _quirks=_MicrosoftQuirks())


def gitlab_provider(
    client_id: str | None, client_secret: str | None, *, issuer: str = "https://gitlab.com"
) -> ProviderConfig:
    """GitLab.com, or a self-managed GitLab at `issuer`."""
    return oidc_provider("gitlab", name="GitLab", issuer=issuer, client_id=client_id, client_secret=client_secret)


def discord_provider(client_id: str | None, client_secret: str | None) -> ProviderConfig:
    config = oauth2_provider(
        "discord",
        name="Discord",
        authorization_url="https://discord.com/oauth2/authorize",
        token_url="https://discord.com/api/oauth2/token",
        userinfo_url="https://discord.com/api/users/@me",
        client_id=client_id,
        client_secret=client_secret,
        scopes=("identify", "email"),
        profile=ProfileMapping(
            id=("id",), email_verified=("verified",), name=("global_name", "username"), image=("avatar_url",)
        ),
    )
    return replace(config, _quirks=_DiscordQuirks())


def apple_provider(
    client_id: str | None, *, team_id: str | None, key_id: str | None, private_key: str | None
) -> ProviderConfig:
    """Sign in with Apple. `client_id` is the Services ID; `private_key` is the PEM text of the key `key_id`,
    from which the client secret is made. Apple answers with a form post to the callback."""
    config = oidc_provider(
        "apple",
        name="Apple",
        issuer=APPLE_ISSUER,
        client_id=client_id,
        client_secret=None,
        scopes=("name", "email"),
        token_endpoint_auth_method="client_secret_post",
    )
    return replace(config, response_mode="form_post", _quirks=_AppleQuirks(team_id, key_id, private_key))
