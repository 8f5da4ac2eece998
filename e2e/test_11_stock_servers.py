"""Case 11: provider sign-in in the real app against stock servers, which have no desktop hand-off: kernia 0.1.0
from PyPI and Better Auth 1.7 on Node, each signing in at the real OpenID provider. The modal sign-in window
comes back with the server's session cookie; the shell moves it to the keyring, the restart restores it, and
signing out revokes it on the server."""

from __future__ import annotations

from pathlib import Path

import httpx

from e2e.harness import Harness
from e2e.ui import SIGNED_IN, SIGNED_OUT, error_code, finish_at_provider, open_provider_window, sign_out
from tests.support.desktop import files_containing
from tests.support.keyring import keyring_secrets
from tests.support.server import free_port, unique_email
from tests.support.stock_servers import StockKerniaServer, StockServer


def session_of(server: StockServer, token: str) -> object:
    """What the server's get-session says of the bearer token (Better Auth: null; kernia: an empty body)."""
    response = httpx.get(f"{server.url}/api/auth/get-session", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json() if response.content.strip() else None


def remote_settings(server: StockServer) -> dict[str, str]:
    """The app signs in to `server` and offers its provider (a stock server has no list of them)."""
    return {
        "KERNIA_DESKTOP_SERVER": f"{server.url}/api/auth",
        "KERNIA_DESKTOP_PROVIDERS": f"{server.provider_id}=Stock Provider",
    }


def test_signs_in_at_a_stock_server_restores_after_a_restart_and_signs_out(
    harness: Harness, stock_server: StockServer
) -> None:
    settings = remote_settings(stock_server)
    service = f"kernia-desktop:{stock_server.url}"
    launch = harness.launch(**settings)
    main = harness.main_page(launch)
    main.wait_for_selector(SIGNED_OUT)
    login = unique_email("stock").split("@")[0]

    popup = open_provider_window(main, stock_server.provider_id)
    finish_at_provider(popup, login)
    main.wait_for_selector(SIGNED_IN, timeout=30_000)
    assert login in main.inner_text("#whoami-name")
    [token] = keyring_secrets(harness.keyring, service)
    session = session_of(stock_server, token)
    assert isinstance(session, dict) and session["user"]["email"] == f"{login}@example.com"
    # The server's cookies left the web profile with the sign-in; the renderer never had the credential.
    cookies = main.context.new_cdp_session(main).send("Network.getCookies", {"urls": [stock_server.url]})
    assert cookies["cookies"] == []
    assert token not in main.content()
    assert files_containing(token, launch.app.data_dir) == []

    again = harness.main_page(harness.restart(launch, **settings))
    again.wait_for_selector(SIGNED_IN, timeout=30_000)
    assert login in again.inner_text("#whoami-name")

    sign_out(again)
    assert keyring_secrets(harness.keyring, service) == []
    assert session_of(stock_server, token) is None


def test_a_denial_at_the_provider_is_reported_and_stores_nothing(harness: Harness, stock_server: StockServer) -> None:
    launch = harness.launch(**remote_settings(stock_server))
    main = harness.main_page(launch)
    main.wait_for_selector(SIGNED_OUT)

    finish_at_provider(open_provider_window(main, stock_server.provider_id), "denier", deny=True)
    assert error_code(main) == "access_denied"
    assert main.get_attribute("body", "data-view") == "signed-out"
    assert keyring_secrets(harness.keyring, f"kernia-desktop:{stock_server.url}") == []


def test_a_provider_that_cannot_be_reached_is_reported_as_such(harness: Harness, tmp_path: Path) -> None:
    dead_issuer = f"http://127.0.0.1:{free_port()}"
    server = StockKerniaServer(tmp_path / "stock", dead_issuer).start()
    try:
        main = harness.main_page(harness.launch(**remote_settings(server)))
        main.wait_for_selector(f"#providers button[data-provider={server.provider_id}]:not([disabled])")
        with main.context.expect_page() as opened:
            main.click(f"#providers button[data-provider={server.provider_id}]")
        # The window closes itself rather than show the web engine's error page, and the app says why.
        opened.value.wait_for_event("close", timeout=30_000)
        assert error_code(main) == "UNREACHABLE"
        assert dead_issuer.removeprefix("http://") in main.inner_text("#error")
        assert main.get_attribute("body", "data-view") == "signed-out"
    finally:
        server.stop()
