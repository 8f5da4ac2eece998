"""A stock `kernia` server from PyPI, configured only through its public options, for protocol tests.

Run it as `python -m tests.kernia_stock.server` with
  KERNIA_STOCK_PORT   the 127.0.0.1 port to listen on
  KERNIA_STOCK_DB     the SQLite file to keep users and sessions in
  KERNIA_BASE_URL     the auth base URL, e.g. http://127.0.0.1:<port>/api/auth
  KERNIA_SECRET       the signing secret
and, for provider sign-in at another issuer (the test OpenID provider, serving GitLab's paths), kernia's GitLab
social provider ("gitlab") and its generic OAuth plugin with the issuer's discovery ("testidp"):
  KERNIA_STOCK_PROVIDER_ISSUER, KERNIA_STOCK_PROVIDER_CLIENT_ID, KERNIA_STOCK_PROVIDER_CLIENT_SECRET
"""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI
from kernia.auth import init
from kernia.plugins.bearer import bearer
from kernia.plugins.email_password import email_and_password
from kernia.plugins.generic_oauth import GenericOAuthConfig, generic_oauth
from kernia.social_providers import OAuthProvider, gitlab
from kernia.types.init_options import EmailPasswordOptions, KerniaOptions
from kernia.types.plugin import KerniaPlugin
from kernia_fastapi import mount_kernia
from kernia_sqlalchemy import sqlalchemy_adapter
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool


def provider_sign_in() -> tuple[dict[str, OAuthProvider], list[KerniaPlugin]]:
    """The social providers and the generic OAuth plugin, when a provider is configured."""
    issuer = os.environ.get("KERNIA_STOCK_PROVIDER_ISSUER")
    if not issuer:
        return {}, []
    client_id, client_secret = (
        os.environ["KERNIA_STOCK_PROVIDER_CLIENT_ID"],
        os.environ["KERNIA_STOCK_PROVIDER_CLIENT_SECRET"],
    )
    scopes = ("openid", "profile", "email")
    social = {"gitlab": gitlab(client_id=client_id, client_secret=client_secret, issuer=issuer, scopes=scopes)}
    generic = GenericOAuthConfig(
        provider_id="testidp",
        client_id=client_id,
        client_secret=client_secret,
        discovery_url=f"{issuer}/.well-known/openid-configuration",
        scopes=scopes,
        pkce=True,
    )
    return social, [generic_oauth([generic])]


def create_app() -> FastAPI:
    """Builds the app; call it outside a running event loop, as kernia's `init` runs its own."""
    base_url = os.environ["KERNIA_BASE_URL"].rstrip("/")
    # NullPool: the schema is created in a short-lived loop here, and no connection may outlive it.
    social_providers, plugins = provider_sign_in()
    engine = create_async_engine(f"sqlite+aiosqlite:///{os.environ['KERNIA_STOCK_DB']}", poolclass=NullPool)
    auth = init(
        KerniaOptions(
            database=asyncio.run(sqlalchemy_adapter(engine=engine)),
            secret=os.environ["KERNIA_SECRET"],
            base_url=base_url,
            base_path=urlsplit(base_url).path,
            email_and_password=EmailPasswordOptions(enabled=True),
            # bearer: the `Authorization: Bearer` credential and the `set-auth-token` header are a plugin here.
            plugins=[email_and_password(), bearer(), *plugins],
            social_providers=social_providers,
        )
    )
    app = FastAPI()
    mount_kernia(app, auth)
    return app


def main() -> None:
    uvicorn.run(create_app(), host="127.0.0.1", port=int(os.environ["KERNIA_STOCK_PORT"]), log_level="warning")


if __name__ == "__main__":
    main()
