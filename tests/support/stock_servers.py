"""Stock servers of the wire protocol, not ours, in child processes: kernia 0.1.0 from PyPI
(tests/kernia_stock) and Better Auth 1.7 on Node (tests/better_auth_stock). Each can sign in with the test
OpenID provider: kernia through its GitLab social provider (/sign-in/social), Better Auth through its generic
OAuth plugin (/sign-in/oauth2)."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from tests.support.openid_provider import CLIENT_ID, CLIENT_SECRET, POST_CLIENT_ID, PROVIDER_ID, OpenIdProvider
from tests.support.server import ROOT, LiveServer

BETTER_AUTH_DIR = ROOT / "tests" / "better_auth_stock"


class StockKerniaServer(LiveServer):
    """`python -m tests.kernia_stock.server`: kernia from PyPI on a SQLite file. With a provider's issuer (one
    serving GitLab's paths: OpenIdProvider(routes="gitlab")), its GitLab social provider signs in there, and so
    does its generic OAuth plugin's provider `generic_provider_id`."""

    provider_id = "gitlab"
    generic_provider_id = PROVIDER_ID

    def __init__(self, data_dir: Path, issuer: str | None = None) -> None:
        database = data_dir / "stock.db"
        super().__init__(data_dir, f"sqlite+aiosqlite:///{database}")
        self.env.update(
            {
                "KERNIA_STOCK_PORT": str(self.port),
                "KERNIA_STOCK_DB": str(database),
                "KERNIA_SECRET": secrets.token_urlsafe(32),
            }
        )
        if issuer is not None:
            self.env.update(
                {
                    "KERNIA_STOCK_PROVIDER_ISSUER": issuer,
                    # kernia sends the client's secret in the token request's form.
                    "KERNIA_STOCK_PROVIDER_CLIENT_ID": POST_CLIENT_ID,
                    "KERNIA_STOCK_PROVIDER_CLIENT_SECRET": CLIENT_SECRET,
                }
            )

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tests.kernia_stock.server", *args]


class StockBetterAuthServer(LiveServer):
    """`node tests/better_auth_stock/server.mjs`: Better Auth with its generic OAuth plugin signing in at the
    test OpenID provider, on its memory adapter (the server's data lasts as long as its process)."""

    provider_id = PROVIDER_ID

    def __init__(self, data_dir: Path, provider: OpenIdProvider) -> None:
        super().__init__(data_dir, "")
        self.env.update(
            {
                "BA_PORT": str(self.port),
                "BETTER_AUTH_SECRET": secrets.token_urlsafe(32),
                "OIDC_ISSUER": provider.issuer,
                "OIDC_CLIENT_ID": CLIENT_ID,
                "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            }
        )

    def command(self, *args: str) -> list[str]:
        return ["node", str(BETTER_AUTH_DIR / "server.mjs"), *args]


StockServer = StockKerniaServer | StockBetterAuthServer
