import asyncio

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernia_desktop_server.auth.plugins.api_keys.models import ApiKey
from tests.support.server import auth_of, bearer_user


async def create_key(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict:
    response = await client.post("/api/auth/api-key/create", headers=headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_key_is_shown_once_stored_hashed_and_works(app, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    headers = await bearer_user(client)
    created = await create_key(client, headers, name="ci")
    key = created["key"]
    assert key.startswith("kernia_") and len(key) == len("kernia_") + 64
    assert created["name"] == "ci" and created["prefix"] == "kernia_"
    assert key.startswith(created["start"]) and len(created["start"]) == len("kernia_") + 6
    assert created["enabled"] is True and created["expiresAt"] is None
    listed = (await client.get("/api/auth/api-key/list", headers=headers)).json()
    assert listed["total"] == 1
    assert [item["id"] for item in listed["apiKeys"]] == [created["id"]]
    assert listed["apiKeys"][0]["referenceId"] == created["userId"]
    assert "key" not in listed["apiKeys"][0] and key not in str(listed)
    fetched = await client.get("/api/auth/api-key/get", headers=headers, params={"id": created["id"]})
    assert fetched.json()["id"] == created["id"] and "key" not in fetched.json()
    async with async_sessionmaker(auth_of(app).engine)() as db:
        stored = await db.scalar(select(ApiKey))
    assert stored.key_hash != key and key not in stored.key_hash
    notes = await client.get("/api/notes", headers={"x-api-key": key})
    assert notes.status_code == 200


async def test_deleted_key_fails_on_the_next_request(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    created = await create_key(client, headers)
    api = {"x-api-key": created["key"]}
    assert (await client.get("/api/notes", headers=api)).status_code == 200
    deleted = await client.post("/api/auth/api-key/delete", headers=headers, json={"keyId": created["id"]})
    assert deleted.json() == {"success": True}
    refused = await client.get("/api/notes", headers=api)
    assert refused.status_code == 401 and refused.json()["code"] == "UNAUTHORIZED"


async def test_expired_key_is_refused(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    created = await create_key(client, headers, expiresIn=1)
    assert created["expiresAt"] is not None
    assert (await client.get("/api/notes", headers={"x-api-key": created["key"]})).status_code == 200
    await asyncio.sleep(1.2)
    assert (await client.get("/api/notes", headers={"x-api-key": created["key"]})).status_code == 401


async def test_update_disables_and_renames(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    created = await create_key(client, headers, name="old")
    updated = await client.post(
        "/api/auth/api-key/update", headers=headers, json={"keyId": created["id"], "name": "new", "enabled": False}
    )
    assert updated.json()["name"] == "new" and updated.json()["enabled"] is False
    assert (await client.get("/api/notes", headers={"x-api-key": created["key"]})).status_code == 401
    await client.post("/api/auth/api-key/update", headers=headers, json={"keyId": created["id"], "enabled": True})
    assert (await client.get("/api/notes", headers={"x-api-key": created["key"]})).status_code == 200


async def test_keys_of_another_user_are_out_of_reach(client: httpx.AsyncClient) -> None:
    owner = await bearer_user(client)
    other = await bearer_user(client)
    created = await create_key(client, owner)
    for path, body in [
        ("/api/auth/api-key/delete", {"keyId": created["id"]}),
        ("/api/auth/api-key/update", {"keyId": created["id"], "enabled": False}),
    ]:
        response = await client.post(path, headers=other, json=body)
        assert response.status_code == 404 and response.json()["code"] == "KEY_NOT_FOUND"
    assert (await client.get("/api/auth/api-key/list", headers=other)).json() == {"apiKeys": [], "total": 0}
    assert (await client.get("/api/notes", headers={"x-api-key": created["key"]})).status_code == 200


async def test_bad_key_requests(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    assert (await client.post("/api/auth/api-key/create", json={})).status_code == 401
    for body in ({"expiresIn": 0}, {"expiresIn": "soon"}, {"expiresIn": 10**9}, {"name": "x" * 300}):
        response = await client.post("/api/auth/api-key/create", headers=headers, json=body)
        assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR"
    assert (await client.get("/api/auth/api-key/list", headers=headers)).json()["total"] == 0
    assert (await client.get("/api/notes", headers={"x-api-key": "kernia_nonsense"})).status_code == 401
