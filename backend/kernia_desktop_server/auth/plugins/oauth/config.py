"""What a sign-in provider is: its endpoints (fixed for OAuth 2.0, discovered from the issuer for OpenID Connect),
its client, and where its profile keeps the account's id, email and name; with the constructors for any OAuth 2.0
or OpenID Connect provider. The presets (presets.py) are made with the same constructors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

TokenEndpointAuthMethod = Literal["client_secret_basic", "client_secret_post"]
# GETs a URL of the provider's API with the sign-in's access token and answers its JSON.
FetchJson = Callable[[str], Awaitable[Any]]


@dataclass(frozen=True)
class ProfileMapping:
    """Where an OAuth 2.0 provider's user-info answer (or an OpenID provider's claims) keeps the account's id,
    email, email verification, name and picture: for each, the names of top-level fields, the first one present
    wins. An email counts as verified only when its field is true (or the string "true"). An OpenID provider's
    account id is always its `sub`, the only identifier OpenID Connect promises is stable."""

    id: tuple[str, ...] = ("sub", "id")
    email: tuple[str, ...] = ("email",)
    email_verified: tuple[str, ...] = ("email_verified",)
    name: tuple[str, ...] = ("name", "preferred_username")
    image: tuple[str, ...] = ("picture",)

    def __post_init__(self) -> None:
        for item in fields(self):
            # A bare string would be read as one field name per letter.
            if isinstance(getattr(self, item.name), str):
                raise TypeError(f"ProfileMapping.{item.name} takes a tuple of field names, e.g. ('{item.name}',)")


class ProviderQuirks:
    """What a provider does beyond the standards, in code. This class is the standard behaviour; the presets that
    need more override it (presets.py). Not for apps to set."""

    def secret_settings(self, config: ProviderConfig) -> dict[str, str | None]:
        """The settings the client secret is made from, by the name of their variable's suffix."""
        return {"CLIENT_SECRET": config.client_secret}

    def client_secret(self, config: ProviderConfig) -> str:
        return config.client_secret or ""

    def accepts_discovered_issuer(self, config: ProviderConfig, discovered: object) -> bool:
        """Whether the discovery document's issuer is the one the provider was configured with."""
        return discovered == config.issuer

    def expected_issuer(self, discovered: str, claims: Mapping[str, Any]) -> str:
        """The `iss` an ID token with these claims must carry."""
        return discovered

    async def complete_profile(self, profile: dict[str, Any], fetch_json: FetchJson) -> dict[str, Any]:
        """The profile with what the mapping reads but the provider keeps elsewhere."""
        return profile


_STANDARD_QUIRKS = ProviderQuirks()


@dataclass(frozen=True)
class ProviderConfig:
    """A provider the oauth plugin offers; made by oauth2_provider, oidc_provider or a preset."""

    id: str
    name: str
    kind: Literal["oauth2", "oidc"]
    client_id: str | None
    client_secret: str | None
    scopes: tuple[str, ...]
    # OIDC: endpoints come from <issuer>/.well-known/openid-configuration.
    issuer: str | None = None
    # OAuth 2.0: fixed endpoints, with userinfo_endpoint, where the profile is read with the access token.
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    # The prefix of the environment variables that configured the provider, for `problem`; "" when set in code.
    settings_prefix: str = ""
    userinfo_endpoint: str | None = None
    profile: ProfileMapping = field(default_factory=ProfileMapping)
    token_endpoint_auth_method: TokenEndpointAuthMethod = "client_secret_basic"
    # "form_post": the provider posts its answer to the callback (Apple, when it shares the name or email).
    response_mode: Literal["form_post"] | None = None
    _quirks: ProviderQuirks = field(default=_STANDARD_QUIRKS, repr=False, compare=False, kw_only=True)

    @property
    def problem(self) -> str | None:
        """Why the provider cannot be used, or None when it can."""
        if self.kind == "oidc":
            endpoints = {"ISSUER": self.issuer}
        else:
            endpoints = {
                "AUTHORIZATION_URL": self.authorization_endpoint,
                "TOKEN_URL": self.token_endpoint,
                "USERINFO_URL": self.userinfo_endpoint,
            }
        required = {**endpoints, "CLIENT_ID": self.client_id, **self._quirks.secret_settings(self)}
        missing = [self._setting_name(name) for name, value in required.items() if not value]
        if not missing:
            return None
        listed = f"{', '.join(missing[:-1])} and {missing[-1]}" if len(missing) > 1 else missing[0]
        return f"{listed} {'is' if len(missing) == 1 else 'are'} not set"

    def _setting_name(self, suffix: str) -> str:
        """The environment variable; set in code, the constructors' parameter."""
        return f"{self.settings_prefix}_{suffix}" if self.settings_prefix else suffix.lower()


def _display_name(provider_id: str) -> str:
    return provider_id.replace("_", " ").title()


def oauth2_provider(
    id: str,
    *,
    authorization_url: str,
    token_url: str,
    userinfo_url: str,
    client_id: str | None,
    client_secret: str | None,
    scopes: Sequence[str] = (),
    name: str | None = None,
    profile: ProfileMapping | None = None,
    token_endpoint_auth_method: TokenEndpointAuthMethod = "client_secret_basic",  # noqa: S107 - a method's name
) -> ProviderConfig:
    """An OAuth 2.0 provider: the account comes from `userinfo_url`, read with the access token, through
    `profile`. A provider without a client id or secret is listed but not available."""
    return ProviderConfig(
        id=id,
        name=name or _display_name(id),
        kind="oauth2",
        client_id=client_id,
        client_secret=client_secret,
        scopes=tuple(scopes),
        authorization_endpoint=authorization_url or None,
        token_endpoint=token_url or None,
        userinfo_endpoint=userinfo_url or None,
        profile=profile or ProfileMapping(),
        token_endpoint_auth_method=token_endpoint_auth_method,
    )


def oidc_provider(
    id: str,
    *,
    issuer: str,
    client_id: str | None,
    client_secret: str | None,
    scopes: Sequence[str] = ("openid", "email", "profile"),
    name: str | None = None,
    token_endpoint_auth_method: TokenEndpointAuthMethod = "client_secret_basic",  # noqa: S107 - a method's name
) -> ProviderConfig:
    """An OpenID Connect provider: its endpoints come from `<issuer>/.well-known/openid-configuration`, the
    account from its verified ID token. `openid` is added to `scopes` when missing."""
    return ProviderConfig(
        id=id,
        name=name or _display_name(id),
        kind="oidc",
        client_id=client_id,
        client_secret=client_secret,
        scopes=tuple(scopes) if "openid" in scopes else ("openid", *scopes),
        issuer=issuer.rstrip("/") or None,
        token_endpoint_auth_method=token_endpoint_auth_method,
    )
