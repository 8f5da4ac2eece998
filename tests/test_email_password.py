import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from kernia_desktop_server.auth.models import Account, Session, User
from tests.support.server import PASSWORD, auth_of, sign_up, unique_email


async def count(app, model) -> int:  # type: ignore[no-untyped-def]
    async with async_sessionmaker(auth_of(app).engine)() as db:
        return await db.scalar(select(func.count()).select_from(model))


async def test_sign_up_creates_user_session_and_credentials(client: httpx.AsyncClient) -> None:
    email = unique_email()
    response = await sign_up(client, email.upper(), name="Ann")
    body = response.json()
    assert body["user"]["email"] == email
    assert body["user"]["name"] == "Ann"
    assert body["user"]["emailVerified"] is False
    assert body["user"]["createdAt"].endswith("Z")
    assert body["token"] == response.headers["set-auth-token"]
    assert "set-auth-token" in response.headers["access-control-expose-headers"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("better-auth.session_token=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Max-Age=604800" in cookie and "Secure" not in cookie
    session = (await client.get("/api/auth/get-session")).json()
    assert session["user"]["email"] == email


async def test_password_is_stored_as_argon2id_and_token_only_as_hash(app, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    response = await sign_up(client)
    raw_token = response.headers["set-auth-token"].split(".")[0]
    async with async_sessionmaker(auth_of(app).engine)() as db:
        account = await db.scalar(select(Account).where(Account.provider_id == "credential"))
        session = await db.scalar(select(Session))
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    assert session.token_hash != raw_token and raw_token not in session.token_hash


async def test_duplicate_email_is_refused(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await sign_up(client, email)
    again = await client.post(
        "/api/auth/sign-up/email", json={"name": "X", "email": f"  {email.upper()} ", "password": PASSWORD}
    )
    assert again.status_code == 422
    assert again.json()["code"] == "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"


async def test_password_length_and_email_rules(app, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    users_before = await count(app, User)
    cases = [
        ({"password": "short"}, "PASSWORD_TOO_SHORT"),
        ({"password": "x" * 129}, "PASSWORD_TOO_LONG"),
        ({"email": "not-an-email"}, "INVALID_EMAIL"),
    ]
    for override, code in cases:
        body = {"name": "N", "email": unique_email(), "password": PASSWORD, **override}
        response = await client.post("/api/auth/sign-up/email", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == code
        assert response.json()["message"]
    assert await count(app, User) == users_before


async def test_sign_in_returns_a_new_session(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await sign_up(client, email)
    client.cookies.clear()
    response = await client.post("/api/auth/sign-in/email", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["redirect"] is False and body["url"] is None
    assert body["user"]["email"] == email
    assert body["token"] == response.headers["set-auth-token"]
    listed = (await client.get("/api/auth/list-sessions")).json()
    assert len(listed) == 2


async def test_wrong_password_and_unknown_email_answer_alike_and_store_nothing(app, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    email = unique_email()
    await sign_up(client, email)
    client.cookies.clear()
    sessions_before = await count(app, Session)
    wrong = await client.post("/api/auth/sign-in/email", json={"email": email, "password": "wrong password"})
    unknown = await client.post("/api/auth/sign-in/email", json={"email": unique_email(), "password": PASSWORD})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json() == {"code": "INVALID_EMAIL_OR_PASSWORD", "message": "Invalid email or password"}
        assert "set-cookie" not in response.headers and "set-auth-token" not in response.headers
    assert await count(app, Session) == sessions_before


async def test_remember_me_false_gives_a_browser_session_cookie(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await sign_up(client, email)
    response = await client.post(
        "/api/auth/sign-in/email", json={"email": email, "password": PASSWORD, "rememberMe": False}
    )
    assert response.status_code == 200
    assert "Max-Age" not in response.headers["set-cookie"]
    assert "expires" not in response.headers["set-cookie"].lower()
