"""The backend as `python -m backend` serves it: a real uvicorn on 127.0.0.1."""

from pathlib import Path

import httpx

from tests.support.server import PASSWORD, LiveServer, unique_email


def test_sign_up_cookie_bearer_and_notes_over_http(live_server: LiveServer) -> None:
    email = unique_email()
    with httpx.Client(base_url=live_server.url) as browser:
        signed_up = browser.post("/api/auth/sign-up/email", json={"name": "Live", "email": email, "password": PASSWORD})
        assert signed_up.status_code == 200
        assert browser.cookies.get("better-auth.session_token")
        assert browser.get("/api/auth/get-session").json()["user"]["email"] == email
        assert browser.post("/api/notes", json={"title": "over http"}).status_code == 201
    bearer = {"Authorization": f"Bearer {signed_up.headers['set-auth-token']}"}
    notes = httpx.get(f"{live_server.url}/api/notes", headers=bearer)
    assert [note["title"] for note in notes.json()] == ["over http"]


def test_sessions_survive_a_restart(tmp_path: Path, database_url: str) -> None:
    server = LiveServer(tmp_path / "restart", database_url).start()
    try:
        response = httpx.post(
            f"{server.url}/api/auth/sign-up/email",
            json={"name": "R", "email": unique_email(), "password": PASSWORD},
        )
        bearer = {"Authorization": f"Bearer {response.headers['set-auth-token']}"}
    finally:
        server.stop()
    server.start()
    try:
        assert httpx.get(f"{server.url}/api/auth/get-session", headers=bearer).json()["user"]["name"] == "R"
    finally:
        server.stop()


def test_secret_and_database_stay_in_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "own"
    server = LiveServer(data, f"sqlite+aiosqlite:///{data / 'kernia.db'}").start()
    try:
        response = httpx.post(
            f"{server.url}/api/auth/sign-up/email",
            json={"name": "D", "email": unique_email(), "password": PASSWORD},
        )
        credential = response.headers["set-auth-token"]
    finally:
        server.stop()
    assert (data / "secret").exists() and (data / "kernia.db").exists()
    token = credential.split(".")[0]
    for path in data.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert token.encode() not in content and credential.encode() not in content, path
