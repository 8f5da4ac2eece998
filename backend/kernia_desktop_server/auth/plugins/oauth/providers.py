"""The providers a server offers, read from the environment: GitHub, Google, and any number of generic
OpenID Connect providers (KERNIA_OIDC_<ID>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _SCOPES)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

_OIDC_VARIABLE = re.compile(r"^KERNIA_OIDC_([A-Z0-9_]+?)_(ISSUER|CLIENT_ID|CLIENT_SECRET|SCOPES|NAME)$")


@dataclass(frozen=True)
class ProviderConfig:
    id: str
    name: str
    kind: Literal["oauth2", "oidc"]
    client_id: str | None
    client_secret: str | None
    scopes: tuple[str, ...]
    # OIDC: endpoints come from <issuer>/.well-known/openid-configuration.
    issuer: str | None = None
    # OAuth 2.0 without discovery (GitHub): fixed endpoints.
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    settings_prefix: str = ""

    @property
    def problem(self) -> str | None:
        """Why the provider cannot be used, or None when it can."""
        missing = [
            f"{self.settings_prefix}_{name}"
            for name, value in (("CLIENT_ID", self.client_id), ("CLIENT_SECRET", self.client_secret))
            if not value
        ]
        if self.kind == "oidc" and not self.issuer:
            missing.insert(0, f"{self.settings_prefix}_ISSUER")
        return f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set" if missing else None


def github(environ: Mapping[str, str]) -> ProviderConfig:
    return ProviderConfig(
        id="github",
        name="GitHub",
        kind="oauth2",
        client_id=environ.get("KERNIA_GITHUB_CLIENT_ID"),
        client_secret=environ.get("KERNIA_GITHUB_CLIENT_SECRET"),
        scopes=("read:user", "user:email"),
        authorization_endpoint="https://github.com/login/oauth/authorize",
        token_endpoint="https://github.com/login/oauth/access_token",
        settings_prefix="KERNIA_GITHUB",
    )


def google(environ: Mapping[str, str]) -> ProviderConfig:
    return ProviderConfig(
        id="google",
        name="Google",
        kind="oidc",
        client_id=environ.get("KERNIA_GOOGLE_CLIENT_ID"),
        client_secret=environ.get("KERNIA_GOOGLE_CLIENT_SECRET"),
        scopes=("openid", "email", "profile"),
        issuer="https://accounts.google.com",
        settings_prefix="KERNIA_GOOGLE",
    )


def generic_oidc(environ: Mapping[str, str]) -> list[ProviderConfig]:
    found: dict[str, dict[str, str]] = {}
    for variable, value in environ.items():
        match = _OIDC_VARIABLE.match(variable)
        if match:
            found.setdefault(match.group(1), {})[match.group(2)] = value
    providers = []
    for key, values in sorted(found.items()):
        scopes = tuple(values.get("SCOPES", "openid email profile").replace(",", " ").split())
        providers.append(
            ProviderConfig(
                id=key.lower(),
                name=values.get("NAME") or key.replace("_", " ").title(),
                kind="oidc",
                client_id=values.get("CLIENT_ID"),
                client_secret=values.get("CLIENT_SECRET"),
                scopes=scopes if "openid" in scopes else ("openid", *scopes),
                issuer=(values.get("ISSUER") or "").rstrip("/") or None,
                settings_prefix=f"KERNIA_OIDC_{key}",
            )
        )
    return providers


def providers_from_environment(environ: Mapping[str, str]) -> list[ProviderConfig]:
    return [github(environ), google(environ), *generic_oidc(environ)]
