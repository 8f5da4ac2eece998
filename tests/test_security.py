import httpx

from examples.notes.server import create_app
from tests.support.server import PASSWORD, bearer_user, sign_up, started_client, unique_email

EVIL = "https://evil.example"


async def test_cookie_request_from_untrusted_origin_is_refused(client: httpx.AsyncClient) -> None:
    await sign_up(client)
    forged = await client.post("/api/notes", json={"title": "forged"}, headers={"Origin": EVIL})
    assert forged.status_code == 403 and forged.json()["code"] == "INVALID_ORIGIN"
    by_referer = await client.post("/api/notes", json={"title": "forged"}, headers={"Referer": f"{EVIL}/page"})
    assert by_referer.status_code == 403
    sign_out = await client.post("/api/auth/sign-out", headers={"Origin": EVIL})
    assert sign_out.status_code == 403
    assert (await client.get("/api/notes")).json() == []
    assert (await client.get("/api/auth/get-session")).json() is not None


async def test_trusted_and_absent_origins_pass(make_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(trusted_origins=["http://localhost:5173"]))
    async for client in started_client(app):
        await sign_up(client)
        for headers in ({"Origin": "http://127.0.0.1:8000"}, {"Origin": "http://localhost:5173"}, {}):
            response = await client.post("/api/notes", json={"title": "ok"}, headers=headers)
            assert response.status_code == 201, headers
        preflight = await client.options(
            "/api/notes",
            headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert preflight.headers["access-control-allow-credentials"] == "true"


async def test_bearer_request_with_foreign_origin_is_not_a_cookie_request(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    response = await client.post("/api/notes", json={"title": "t"}, headers={**headers, "Origin": EVIL})
    assert response.status_code == 201


async def test_sign_in_from_untrusted_origin_is_refused(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await sign_up(client, email)
    client.cookies.clear()
    response = await client.post(
        "/api/auth/sign-in/email", json={"email": email, "password": PASSWORD}, headers={"Origin": EVIL}
    )
    assert response.status_code == 403 and "set-cookie" not in response.headers


async def test_sign_in_is_rate_limited_per_address(make_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(rate_limit_auth_max=3))
    async for client in started_client(app):
        statuses = []
        for _ in range(4):
            body = {"email": unique_email(), "password": "wrong password"}
            statuses.append((await client.post("/api/auth/sign-in/email", json=body)).status_code)
        assert statuses == [401, 401, 401, 429]
        limited = await client.post("/api/auth/sign-in/email", json={"email": unique_email(), "password": "x" * 9})
        assert limited.status_code == 429
        assert limited.json()["code"] == "TOO_MANY_REQUESTS"
        assert 1 <= int(limited.headers["retry-after"]) <= 60


async def test_sign_in_is_rate_limited_per_account_across_addresses(make_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(rate_limit_auth_max=2, trusted_proxies=["127.0.0.1"]))
    async for client in started_client(app):
        email = unique_email()
        statuses = []
        for index in range(3):
            response = await client.post(
                "/api/auth/sign-in/email",
                json={"email": email, "password": "wrong password"},
                headers={"X-Forwarded-For": f"198.51.100.{index}"},
            )
            statuses.append(response.status_code)
        assert statuses == [401, 401, 429]
        other = await client.post(
            "/api/auth/sign-in/email",
            json={"email": unique_email(), "password": "wrong password"},
            headers={"X-Forwarded-For": "198.51.100.9"},
        )
        assert other.status_code == 401


async def test_forwarded_for_is_ignored_without_trusted_proxies(make_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(rate_limit_auth_max=2))
    async for client in started_client(app):
        statuses = []
        for index in range(3):
            response = await client.post(
                "/api/auth/sign-up/email",
                json={"name": "n", "email": unique_email(), "password": "short"},
                headers={"X-Forwarded-For": f"198.51.100.{index}"},
            )
            statuses.append(response.status_code)
        assert statuses == [400, 400, 429]


async def test_api_key_use_is_rate_limited(make_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(rate_limit_api_key_max=3))
    async for client in started_client(app):
        headers = await bearer_user(client)
        key = (await client.post("/api/auth/api-key/create", headers=headers, json={})).json()["key"]
        statuses = [(await client.get("/api/notes", headers={"x-api-key": key})).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert (await client.get("/api/notes", headers=headers)).status_code == 200


async def test_malformed_bodies_get_clear_400s(client: httpx.AsyncClient) -> None:
    cases = [
        (b"{not json", "INVALID_JSON"),
        (b'{"email": 5, "password": "x"}', "VALIDATION_ERROR"),
        (b'{"email": "a@example.com"}', "VALIDATION_ERROR"),
        (b"[]", "VALIDATION_ERROR"),
    ]
    for content, code in cases:
        response = await client.post(
            "/api/auth/sign-in/email", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, content
        assert response.json()["code"] == code and response.json()["message"]


async def test_oversized_body_is_refused(client: httpx.AsyncClient) -> None:
    headers = await bearer_user(client)
    big = {"title": "big", "body": "x" * (1024 * 1024 + 1)}
    response = await client.post("/api/notes", headers=headers, json=big)
    assert response.status_code == 413 and response.json()["code"] == "PAYLOAD_TOO_LARGE"

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 65536

    streamed = await client.post(
        "/api/notes", headers={**headers, "content-type": "application/json"}, content=chunks()
    )
    assert streamed.status_code == 413
    assert (await client.get("/api/notes", headers=headers)).json() == []


async def test_foreign_host_header_is_refused_on_loopback(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/ok", headers={"Host": "rebind.attacker.example"})
    assert response.status_code == 400 and response.json()["code"] == "INVALID_HOST"
    for host in ("127.0.0.1:8000", "localhost:1234", "[::1]:8000"):
        assert (await client.get("/api/auth/ok", headers={"Host": host})).status_code == 200


async def test_unknown_routes_and_methods_answer_in_the_error_form(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/auth/no-such-route")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    wrong_method = await client.get("/api/auth/sign-in/email")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "METHOD_NOT_ALLOWED"


async def test_error_page_shows_the_code_readably_and_escaped(client: httpx.AsyncClient) -> None:
    page = await client.get("/api/auth/error", params={"error": "access_denied"})
    assert page.headers["content-type"].startswith("text/html")
    assert "Access denied" in page.text and "access_denied" in page.text
    hostile = await client.get("/api/auth/error", params={"error": "<script>alert(1)</script>"})
    assert "<script>" not in hostile.text and "&lt;script&gt;" in hostile.text
