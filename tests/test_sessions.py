import asyncio
from datetime import datetime

import httpx
from fastapi import FastAPI

from examples.notes.server import create_app
from tests.support.server import bearer_user, sign_up, started_client


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_get_session_without_credentials_is_null(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/get-session")
    assert response.status_code == 200
    assert response.json() is None


async def test_get_session_by_bearer(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    body = (await client.get("/api/auth/get-session", headers=headers)).json()
    assert body["user"]["name"] == "Test User"
    assert set(body["session"]) >= {"id", "token", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress"}
    # The session's token field is a revocation handle, never the credential.
    assert body["session"]["token"] not in headers["Authorization"]


async def test_tampered_or_unsigned_credentials_give_no_session(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    credential = headers["Authorization"].removeprefix("Bearer ")
    token, signature = credential.split(".")
    other_last = "A" if token[-1] != "A" else "B"
    for bad in (token, f"{token}.{signature[::-1]}", f"{token[:-1]}{other_last}.{signature}", "garbage", "a.b.c"):
        response = await client.get("/api/auth/get-session", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 200 and response.json() is None
        client.cookies.set("better-auth.session_token", bad)
        response = await client.get("/api/auth/get-session")
        assert response.status_code == 200 and response.json() is None
        assert 'better-auth.session_token=""' in response.headers["set-cookie"]


async def test_session_slides_after_update_age_and_expires_when_idle(make_settings) -> None:  # type: ignore[no-untyped-def]
    app: FastAPI = create_app(make_settings(session_expires_in=3, session_update_age=1))
    async for client in started_client(app):
        headers = await bearer_user(client)
        first = (await client.get("/api/auth/get-session", headers=headers)).json()
        unchanged = await client.get("/api/auth/get-session", headers=headers)
        assert unchanged.json()["session"]["expiresAt"] == first["session"]["expiresAt"]
        assert "set-cookie" not in unchanged.headers
        await asyncio.sleep(1.2)
        slid = await client.get("/api/auth/get-session", headers=headers)
        assert parse(slid.json()["session"]["expiresAt"]) > parse(first["session"]["expiresAt"])
        assert "Max-Age=3" in slid.headers["set-cookie"]
        assert slid.headers["set-auth-token"] == headers["Authorization"].removeprefix("Bearer ")
        await asyncio.sleep(3.2)
        assert (await client.get("/api/auth/get-session", headers=headers)).json() is None
        assert (await client.get("/api/notes", headers=headers)).status_code == 401


async def test_sign_out_revokes_the_session_at_once(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    assert (await client.get("/api/notes", headers=headers)).status_code == 200
    response = await client.post("/api/auth/sign-out", headers=headers)
    assert response.json() == {"success": True}
    assert (await client.get("/api/notes", headers=headers)).status_code == 401
    assert (await client.get("/api/auth/get-session", headers=headers)).json() is None


async def test_sign_out_by_cookie_clears_it(client: httpx.AsyncClient) -> None:
    await sign_up(client)
    response = await client.post("/api/auth/sign-out")
    assert response.status_code == 200
    assert "better-auth.session_token" in response.headers["set-cookie"]
    assert (await client.get("/api/auth/get-session")).json() is None
    again = await client.post("/api/auth/sign-out")
    assert again.status_code == 200 and again.json() == {"success": True}


async def _second_session(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    email = (await client.get("/api/auth/get-session", headers=headers)).json()["user"]["email"]
    signed_in = await client.post("/api/auth/sign-in/email", json={"email": email, "password": "correct horse battery"})
    client.cookies.clear()
    return {"Authorization": f"Bearer {signed_in.headers['set-auth-token']}"}


async def test_list_and_revoke_one_session(client: httpx.AsyncClient) -> None:
    first = await bearer_user(client)
    second = await _second_session(client, first)
    sessions = (await client.get("/api/auth/list-sessions", headers=first)).json()
    assert len(sessions) == 2
    current = (await client.get("/api/auth/get-session", headers=second)).json()["session"]
    response = await client.post("/api/auth/revoke-session", headers=first, json={"token": current["token"]})
    assert response.json() == {"status": True}
    assert (await client.get("/api/notes", headers=second)).status_code == 401
    assert (await client.get("/api/notes", headers=first)).status_code == 200
    missing = await client.post("/api/auth/revoke-session", headers=first, json={"token": current["token"]})
    assert missing.status_code == 404


async def test_a_user_cannot_revoke_another_users_session(client: httpx.AsyncClient) -> None:
    victim = await bearer_user(client)
    attacker = await bearer_user(client)
    handle = (await client.get("/api/auth/get-session", headers=victim)).json()["session"]["token"]
    response = await client.post("/api/auth/revoke-session", headers=attacker, json={"token": handle})
    assert response.status_code == 404
    assert (await client.get("/api/notes", headers=victim)).status_code == 200


async def test_revoke_other_sessions_keeps_the_current_one(client: httpx.AsyncClient) -> None:
    first = await bearer_user(client)
    second = await _second_session(client, first)
    assert (await client.post("/api/auth/revoke-other-sessions", headers=first)).json() == {"status": True}
    assert (await client.get("/api/notes", headers=first)).status_code == 200
    assert (await client.get("/api/notes", headers=second)).status_code == 401


async def test_revoke_sessions_ends_every_session(client: httpx.AsyncClient) -> None:
    first = await bearer_user(client)
    second = await _second_session(client, first)
    assert (await client.post("/api/auth/revoke-sessions", headers=second)).json() == {"status": True}
    for headers in (first, second):
        assert (await client.get("/api/notes", headers=headers)).status_code == 401


async def test_session_routes_need_a_session(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/api/auth/list-sessions"),
        ("POST", "/api/auth/revoke-sessions"),
        ("POST", "/api/auth/revoke-other-sessions"),
    ]:
        response = await client.request(method, path)
        assert response.status_code == 401
        assert response.json()["code"] == "UNAUTHORIZED"


async def test_https_base_url_uses_secure_prefixed_cookie(make_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(base_url="https://127.0.0.1:8000/api/auth"))
    async for client in started_client(app):
        response = await sign_up(client)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Secure-better-auth.session_token=")
        assert "Secure" in cookie.split(";", 1)[1]
