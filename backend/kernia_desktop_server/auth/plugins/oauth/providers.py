"""The providers a server offers, read from the environment: the presets (KERNIA_GITHUB_*, KERNIA_GOOGLE_*,
KERNIA_MICROSOFT_*, KERNIA_GITLAB_*, KERNIA_DISCORD_*, KERNIA_APPLE_*), each listed whether or not it is set up, and
any number of OpenID Connect providers (KERNIA_OIDC_<ID>_*) and OAuth 2.0 providers (KERNIA_OAUTH2_<ID>_*)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import cast, get_args

from kernia_desktop_server.auth.plugins.oauth.config import (
    ProfileMapping,
    ProviderConfig,
    TokenEndpointAuthMethod,
    oauth2_provider,
    oidc_provider,
)
from kernia_desktop_server.auth.plugins.oauth.presets import (
    apple_provider,
    discord_provider,
    github_provider,
    gitlab_provider,
    google_provider,
    microsoft_provider,
)
from kernia_desktop_server.settings import ConfigurationError

_CLIENT_SETTINGS = ("CLIENT_ID", "CLIENT_SECRET", "SCOPES", "NAME", "TOKEN_AUTH_METHOD")
# The variables of a generic OAuth 2.0 provider's profile mapping, by the mapping's field.
_PROFILE_SETTINGS = {
    "id": "ID_FIELD",
    "email": "EMAIL_FIELD",
    "email_verified": "EMAIL_VERIFIED_FIELD",
    "name": "NAME_FIELD",
    "image": "IMAGE_FIELD",
}
_OIDC_SETTINGS = ("ISSUER", *_CLIENT_SETTINGS)
_OAUTH2_SETTINGS = ("AUTHORIZATION_URL", "TOKEN_URL", "USERINFO_URL", *_CLIENT_SETTINGS, *_PROFILE_SETTINGS.values())


def _words(value: str) -> tuple[str, ...]:
    return tuple(value.replace(",", " ").split())


def _configured_by(config: ProviderConfig, prefix: str) -> ProviderConfig:
    """`config`, whose `problem` names the variables under `prefix`."""
    return replace(config, settings_prefix=prefix)


def github(environ: Mapping[str, str]) -> ProviderConfig:
    config = github_provider(environ.get("KERNIA_GITHUB_CLIENT_ID"), environ.get("KERNIA_GITHUB_CLIENT_SECRET"))
    return _configured_by(config, "KERNIA_GITHUB")


def google(environ: Mapping[str, str]) -> ProviderConfig:
    config = google_provider(environ.get("KERNIA_GOOGLE_CLIENT_ID"), environ.get("KERNIA_GOOGLE_CLIENT_SECRET"))
    return _configured_by(config, "KERNIA_GOOGLE")


def microsoft(environ: Mapping[str, str]) -> ProviderConfig:
    config = microsoft_provider(
        environ.get("KERNIA_MICROSOFT_CLIENT_ID"),
        environ.get("KERNIA_MICROSOFT_CLIENT_SECRET"),
        tenant=environ.get("KERNIA_MICROSOFT_TENANT") or "common",
    )
    return _configured_by(config, "KERNIA_MICROSOFT")


def gitlab(environ: Mapping[str, str]) -> ProviderConfig:
    config = gitlab_provider(
        environ.get("KERNIA_GITLAB_CLIENT_ID"),
        environ.get("KERNIA_GITLAB_CLIENT_SECRET"),
        issuer=environ.get("KERNIA_GITLAB_ISSUER") or "https://gitlab.com",
    )
    return _configured_by(config, "KERNIA_GITLAB")


def discord(environ: Mapping[str, str]) -> ProviderConfig:
    config = discord_provider(environ.get("KERNIA_DISCORD_CLIENT_ID"), environ.get("KERNIA_DISCORD_CLIENT_SECRET"))
    return _configured_by(config, "KERNIA_DISCORD")


def apple(environ: Mapping[str, str]) -> ProviderConfig:
    # A PEM key kept on one line, as some deployment tools need, has its line breaks written as \n.
    private_key = (environ.get("KERNIA_APPLE_PRIVATE_KEY") or "").replace("\\n", "\n") or None
    config = apple_provider(
        environ.get("KERNIA_APPLE_CLIENT_ID"),
        team_id=environ.get("KERNIA_APPLE_TEAM_ID"),
        key_id=environ.get("KERNIA_APPLE_KEY_ID"),
        private_key=private_key,
    )
    return _configured_by(config, "KERNIA_APPLE")


def _generic(environ: Mapping[str, str], kind: str, settings: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The settings of each KERNIA_<kind>_<ID>_* provider, by its ID."""
    pattern = re.compile(rf"^KERNIA_{kind}_([A-Z0-9_]+?)_({'|'.join(settings)})$")
    found: dict[str, dict[str, str]] = {}
    for variable, value in environ.items():
        match = pattern.match(variable)
        if match:
            found.setdefault(match.group(1), {})[match.group(2)] = value
    return dict(sorted(found.items()))


def _token_endpoint_auth_method(values: Mapping[str, str], prefix: str) -> TokenEndpointAuthMethod:
    method = values.get("TOKEN_AUTH_METHOD") or "client_secret_basic"
    if method not in get_args(TokenEndpointAuthMethod):
        raise ConfigurationError(f"{prefix}_TOKEN_AUTH_METHOD must be client_secret_basic or client_secret_post")
    return cast(TokenEndpointAuthMethod, method)


def generic_oidc(environ: Mapping[str, str]) -> list[ProviderConfig]:
    providers = []
    for key, values in _generic(environ, "OIDC", _OIDC_SETTINGS).items():
        prefix = f"KERNIA_OIDC_{key}"
        config = oidc_provider(
            key.lower(),
            issuer=values.get("ISSUER", ""),
            client_id=values.get("CLIENT_ID"),
            client_secret=values.get("CLIENT_SECRET"),
            scopes=_words(values.get("SCOPES", "openid email profile")),
            name=values.get("NAME"),
            token_endpoint_auth_method=_token_endpoint_auth_method(values, prefix),
        )
        providers.append(_configured_by(config, prefix))
    return providers


def generic_oauth2(environ: Mapping[str, str]) -> list[ProviderConfig]:
    providers = []
    for key, values in _generic(environ, "OAUTH2", _OAUTH2_SETTINGS).items():
        prefix = f"KERNIA_OAUTH2_{key}"
        mapped = {field: _words(values[setting]) for field, setting in _PROFILE_SETTINGS.items() if values.get(setting)}
        config = oauth2_provider(
            key.lower(),
            authorization_url=values.get("AUTHORIZATION_URL", ""),
            token_url=values.get("TOKEN_URL", ""),
            userinfo_url=values.get("USERINFO_URL", ""),
            client_id=values.get("CLIENT_ID"),
            client_secret=values.get("CLIENT_SECRET"),
            scopes=_words(values.get("SCOPES", "")),
            name=values.get("NAME"),
            profile=ProfileMapping(**mapped),
            token_endpoint_auth_method=_token_endpoint_auth_method(values, prefix),
        )
        providers.append(_configured_by(config, prefix))
    return providers


def providers_from_environment(environ: Mapping[str, str]) -> list[ProviderConfig]:
    presets = [reader(environ) for reader in (github, google, microsoft, gitlab, discord, apple)]
    return [*presets, *generic_oidc(environ), *generic_oauth2(environ)]
