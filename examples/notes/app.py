"""The notes app: Kernia Desktop's example, written against the public APIs only. `make run` launches it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from kernia_desktop import BridgeError, DesktopApp, Session

HERE = Path(__file__).parent

app = DesktopApp(
    "kernia-desktop",
    title="Kernia Desktop",
    renderer=HERE / "ui",
    # Run in the app's process unless a server is named (--server, KERNIA_DESKTOP_SERVER).
    backend="examples.notes.server:create_app",
    size=(1024, 720),
)


def checked_text(value: str, name: str, max_length: int, *, required: bool = True) -> str:
    if required and not value.strip():
        raise BridgeError("INVALID_ARGUMENT", f"{name} is required")
    if len(value) > max_length:
        raise BridgeError("INVALID_ARGUMENT", f"{name} is longer than {max_length} characters")
    return value


@app.expose
def list_notes(session: Session) -> dict[str, Any]:
    return {"notes": session.get("/api/notes").json()}


@app.expose
def create_note(session: Session, title: str, body: str = "") -> dict[str, Any]:
    note = {"title": checked_text(title, "title", 200), "body": checked_text(body, "body", 20_000, required=False)}
    created: dict[str, Any] = session.post("/api/notes", json=note).json()
    return created


@app.expose
def delete_note(session: Session, note_id: str) -> dict[str, bool]:
    session.delete(f"/api/notes/{quote(checked_text(note_id, 'note id', 64), safe='')}")
    return {"deleted": True}


@app.expose
def list_api_keys(session: Session) -> dict[str, Any]:
    listed = session.get(f"{session.auth_path}/api-key/list").json()
    # Better Auth 1.7 answers {apiKeys, total}; earlier servers answer a bare list.
    return {"keys": listed["apiKeys"] if isinstance(listed, dict) else listed}


@app.expose
def create_api_key(session: Session, name: str) -> dict[str, Any]:
    # The one place a secret reaches the page: the user asked for the key and must see it once.
    body = {"name": checked_text(name, "name", 32)}
    created: dict[str, Any] = session.post(f"{session.auth_path}/api-key/create", json=body).json()
    return created


@app.expose
def delete_api_key(session: Session, key_id: str) -> dict[str, bool]:
    session.post(f"{session.auth_path}/api-key/delete", json={"keyId": checked_text(key_id, "key id", 64)})
    return {"deleted": True}
