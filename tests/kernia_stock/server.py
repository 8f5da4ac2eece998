"""A stock `kernia` server from PyPI, configured only through its public options, for protocol tests.

Run it as `python -m tests.kernia_stock.server` with
  KERNIA_STOCK_PORT   the 127.0.0.1 port to listen on
  KERNIA_STOCK_DB     the SQLite file to keep users and sessions in
  KERNIA_BASE_URL     the auth base URL, e.g. http://127.0.0.1:<port>/api/auth
  KERNIA_SECRET       the signing secret
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
from kernia.types.init_options import EmailPasswordOptions, KerniaOptions
from kernia_fastapi import mount_kernia
from kernia_sqlalchemy import sqlalchemy_adapter
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool


def create_app() -> FastAPI:
    """Builds the app; call it outside a running event loop, as kernia's `init` runs its own."""
    base_url = os.environ["KERNIA_BASE_URL"].rstrip("/")
    # NullPool: the schema is created in a short-lived loop here, and no connection may outlive it.
    engine = create_async_engine(f"sqlite+aiosqlite:///{os.environ['KERNIA_STOCK_DB']}", poolclass=NullPool)
    auth = init(
        KerniaOptions(
            database=asyncio.run(sqlalchemy_adapter(engine=engine)),
            secret=os.environ["KERNIA_SECRET"],
            base_url=base_url,
            base_path=urlsplit(base_url).path,
            email_and_password=EmailPasswordOptions(enabled=True),
            # bearer: the `Authorization: Bearer` credential and the `set-auth-token` header are a plugin here.
            plugins=[email_and_password(), bearer()],
        )
    )
    app = FastAPI()
    mount_kernia(app, auth)
    return app


def main() -> None:
    uvicorn.run(create_app(), host="127.0.0.1", port=int(os.environ["KERNIA_STOCK_PORT"]), log_level="warning")


if __name__ == "__main__":
    main()
