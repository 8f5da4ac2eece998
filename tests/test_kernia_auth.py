"""KerniaAuth mounted on a developer's own FastAPI app: its routes, its lifespan, and one dependency that accepts a
session cookie, a bearer token or an API key; plugins take their options in code."""

# No `from __future__ import annotations`: the route made in acme_app names a local (`auth`) in its annotation,
# which FastAPI can only read from the annotation itself, not from a string.
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from kernia_desktop_server import KerniaAuth, Settings, User, api_keys, desktop, email_password, oauth
from tests.support.server import BASE, bearer_user, create_key, sign_up, started_client


def acme_app(auth: KerniaAuth, events: list[str]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        events.append("app started")
        yield
        events.append("app stopped")

    app = FastAPI(lifespan=lifespan)
    auth.mount(app)

    @app.get("/api/projects")
    async def projects(user: Annotated[User, Depends(auth.current_user)]) -> list[dict[str, str]]:
        return [{"name": "apollo", "owner": user.email}]

    return app


@pytest.fixture
async def acme(tmp_path: Path, new_database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    events: list[str] = []
    settings = Settings(base_url=f"{BASE}/api/auth", data_dir=tmp_path / "data", database_url=new_database_url)
    auth = KerniaAuth(settings, plugins=[email_password(), api_keys(prefix="acme_")])
    async for client in started_client(acme_app(auth, events)):
        yield client, events
    assert events == ["app started", "app stopped"]


async def test_the_apps_own_route_takes_a_cookie_a_bearer_token_or_an_api_key(
    acme: tuple[httpx.AsyncClient, list[str]],
) -> None:
    client, events = acme
    assert events == ["app started"], "the app's lifespan runs once the auth has migrated its database"
    assert (await client.get("/api/projects")).status_code == 401
    signed_up = await sign_up(client)
    email = signed_up.json()["user"]["email"]
    assert (await client.get("/api/projects")).json() == [{"name": "apollo", "owner": email}]  # the cookie
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {signed_up.headers['set-auth-token']}"}
    assert (await client.get("/api/projects", headers=bearer)).status_code == 200
    key = await create_key(client, bearer, name="ci")
    assert key["key"].startswith("acme_"), "the plugin's option, given in code"
    assert (await client.get("/api/projects", headers={"x-api-key": key["key"]})).status_code == 200


async def test_a_cookie_from_an_untrusted_origin_changes_nothing(acme: tuple[httpx.AsyncClient, list[str]]) -> None:
    client, _ = acme
    await sign_up(client)
    refused = await client.post("/api/auth/sign-out", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and refused.json()["code"] == "INVALID_ORIGIN"
    assert (await client.get("/api/projects")).status_code == 200


async def test_errors_on_the_apps_routes_are_code_and_message(acme: tuple[httpx.AsyncClient, list[str]]) -> None:
    client, _ = acme
    headers = await bearer_user(client)
    missing = await client.get("/api/nothing-here", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


def test_code_wins_over_the_environment(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERNIA_API_KEY_PREFIX", "env_")
    keys = api_keys(prefix="code_")
    KerniaAuth(make_settings(), plugins=[keys])
    assert keys.prefix == "code_"
    from_environment = api_keys()
    KerniaAuth(make_settings(), plugins=[from_environment])
    assert from_environment.prefix == "env_"


def test_an_auth_mounts_once_and_takes_each_plugin_once(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ValueError, match="a plugin is given twice"):
        KerniaAuth(make_settings(), plugins=[email_password(), email_password()])
    auth = KerniaAuth(make_settings(), plugins=[email_password(), oauth([]), desktop()])
    app = FastAPI()
    auth.mount(app)
    with pytest.raises(RuntimeError, match="already has a KerniaAuth"):
        KerniaAuth(make_settings(), plugins=[email_password()]).mount(app)
