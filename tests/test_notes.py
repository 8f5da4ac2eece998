import httpx

from tests.support.server import bearer_user, sign_up


async def test_notes_crud_by_bearer(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    created = await client.post("/api/notes", headers=headers, json={"title": "First", "body": "hello"})
    assert created.status_code == 201
    note = created.json()
    assert note["title"] == "First" and note["body"] == "hello" and note["createdAt"].endswith("Z")
    assert [n["id"] for n in (await client.get("/api/notes", headers=headers)).json()] == [note["id"]]
    patched = await client.patch(f"/api/notes/{note['id']}", headers=headers, json={"body": "changed"})
    assert patched.json()["body"] == "changed" and patched.json()["title"] == "First"
    assert (await client.get(f"/api/notes/{note['id']}", headers=headers)).json()["body"] == "changed"
    assert (await client.delete(f"/api/notes/{note['id']}", headers=headers)).status_code == 204
    assert (await client.get(f"/api/notes/{note['id']}", headers=headers)).status_code == 404


async def test_notes_by_cookie(client: httpx.AsyncClient) -> None:
    await sign_up(client)
    assert (await client.post("/api/notes", json={"title": "cookie note"})).status_code == 201
    assert len((await client.get("/api/notes")).json()) == 1


async def test_no_or_bad_credentials_get_401(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    bad_headers = [
        {},
        {"Authorization": headers["Authorization"][:-3] + "AA="},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"x-api-key": ""},
    ]
    for bad in bad_headers:
        response = await client.get("/api/notes", headers=bad)
        assert response.status_code == 401
        assert response.json()["code"] == "UNAUTHORIZED" and response.json()["message"]


async def test_another_users_note_is_not_found(client: httpx.AsyncClient) -> None:
    owner = await bearer_user(client)
    other = await bearer_user(client)
    note = (await client.post("/api/notes", headers=owner, json={"title": "private"})).json()
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(method, f"/api/notes/{note['id']}", headers=other, json={"title": "x"})
        assert response.status_code == 404 and response.json()["code"] == "NOTE_NOT_FOUND"
    assert (await client.get("/api/notes", headers=other)).json() == []
    assert (await client.get(f"/api/notes/{note['id']}", headers=owner)).json()["title"] == "private"


async def test_bad_note_bodies(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    for body in ({}, {"title": ""}, {"title": 5}, {"title": "x" * 201}, {"title": "t", "body": ["no"]}):
        response = await client.post("/api/notes", headers=headers, json=body)
        assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR", body
    note = (await client.post("/api/notes", headers=headers, json={"title": "t"})).json()
    empty = await client.patch(f"/api/notes/{note['id']}", headers=headers, json={})
    assert empty.status_code == 400 and empty.json()["code"] == "NOTHING_TO_UPDATE"
    assert len((await client.get("/api/notes", headers=headers)).json()) == 1
