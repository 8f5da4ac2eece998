"""Text no database can store (NUL, lone surrogates) is refused at the edge with 400 INVALID_TEXT, the same on SQLite
and PostgreSQL, and nothing is stored; ids that cannot exist are 404 without a query."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.support.server import PASSWORD, bearer_user, counted_statements, unique_email

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("text", ["a\\u0000b", "a\\ud800b", "\\udfff"])
async def test_unstorable_text_in_a_json_body_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, text: str
) -> None:
    headers = await bearer_user(client)
    note = await client.post("/api/notes", headers=headers | JSON, content=f'{{"title": "{text}"}}'.encode())
    assert note.status_code == 400 and note.json()["code"] == "INVALID_TEXT"
    nested = await client.post(
        "/api/notes", headers=headers | JSON, content=f'{{"title": "t", "more": [{{"{text}": 1}}]}}'.encode()
    )
    assert nested.status_code == 400 and nested.json()["code"] == "INVALID_TEXT"
    sign_up = f'{{"name": "{text}", "email": "{unique_email()}", "password": "{PASSWORD}"}}'.encode()
    refused = await client.post("/api/auth/sign-up/email", headers=JSON, content=sign_up)
    assert refused.status_code == 400 and refused.json()["code"] == "INVALID_TEXT"
    assert (await client.get("/api/notes", headers=headers)).json() == []


async def test_unstorable_text_in_a_query_or_a_form_is_refused(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    query = await client.get("/api/auth/api-key/get", headers=headers, params={"id": "a\x00b"})
    assert query.status_code == 400 and query.json()["code"] == "INVALID_TEXT"
    form = await client.post("/api/auth/callback/testidp", data={"code": "c", "state": "s\x00"})
    assert form.status_code == 400 and form.json()["code"] == "INVALID_TEXT"


async def test_ids_that_cannot_exist_are_404_without_a_query(app: FastAPI, client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    assert (await client.get("/api/notes", headers=headers)).status_code == 200  # the credential, cached
    for path in ("/api/notes/%00", "/api/notes/a%00b"):
        for method in ("GET", "PATCH", "DELETE"):
            response = await client.request(method, path, headers=headers, json={"title": "x"})
            assert response.status_code == 404, (method, path, response.text)
    with counted_statements(app) as statements:
        for note_id in ("x" * 300, "not-an-id", "é" * 32):
            for method in ("PATCH", "DELETE"):
                response = await client.request(method, f"/api/notes/{note_id}", headers=headers, json={"title": "x"})
                assert response.status_code == 404 and response.json()["code"] == "NOTE_NOT_FOUND"
            deleted = await client.post("/api/auth/api-key/delete", headers=headers, json={"keyId": note_id})
            assert deleted.status_code == 404 and deleted.json()["code"] == "KEY_NOT_FOUND"
    assert statements == []
