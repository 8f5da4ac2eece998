"""The platform-independent parts of the running app (kernia_desktop.shell), with the GUI and the server stood in
for."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx
import pytest

from kernia_desktop.account import SIGNED_OUT_LATER
from kernia_desktop.bridge import BridgeError
from kernia_desktop.client import AuthClient, ServerError
from kernia_desktop.partition import DEFAULT_PARTITION, Partition
from kernia_desktop.settings import DesktopSettings
from kernia_desktop.shell import UNAVAILABLE_PROVIDER, AppDefinition, Server, Shell, renderer_url
from kernia_desktop.vault import Vault, VaultHealth
from tests.support.fakes import MemoryStore

AUTH_URL = "https://api.example.com/api/auth"
USER = {"id": "u1", "name": "Ada", "email": "ada@example.com"}


class CookieRecordingGui:
    """Only what these tests reach of a GUI platform: cookie clearing, recorded."""

    def __init__(self) -> None:
        self.cleared: list[tuple[str, str]] = []

    def bring_to_front(self, window: Any = None) -> None:
        raise AssertionError("not expected here")

    def clear_cookies(self, partition: Partition, host: str) -> int:
        self.cleared.append((partition.name, host))
        return 0


def server_answering(routes: dict[str, httpx.Response]) -> AuthClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return routes.get(f"{request.method} {request.url.path}", httpx.Response(404, json={"code": "NOT_FOUND"}))

    return AuthClient(AUTH_URL, transport=httpx.MockTransport(answer))


def make_app(client: AuthClient, store: MemoryStore, gui: CookieRecordingGui, tmp_path: Path, **chosen: Any) -> Shell:
    vault = Vault("acme:https://api.example.com", store, VaultHealth(True, "test"))
    settings = DesktopSettings(data_dir=tmp_path, **chosen)
    definition = AppDefinition("acme", "Acme", tmp_path, (800, 600), None, None, {})
    return Shell(gui, Server.remote(AUTH_URL, "acme"), lambda: client, lambda: vault, settings, definition)  # type: ignore[arg-type]


def test_a_remote_server_has_a_keyring_service_of_its_own() -> None:
    server = Server.remote(AUTH_URL, "acme")
    assert server.keyring_service == "acme:https://api.example.com"
    assert server.host == "api.example.com"


def test_a_renderer_folder_is_its_index_page_whatever_the_path(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    page = renderer_url(tmp_path, "/?view=notes#top")
    assert page.startswith("file://") and page.endswith("/index.html?view=notes#top")
    assert Path(url2pathname(urlsplit(page).path)) == tmp_path / "index.html"


def test_a_development_servers_renderer_takes_the_path() -> None:
    assert renderer_url("http://localhost:5173/", "/settings?tab=keys") == "http://localhost:5173/settings?tab=keys"


def test_providers_carry_their_flow_and_say_in_plain_words_why_one_is_unavailable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "kernia_desktop")
    listed = [
        {"id": "github", "name": "GitHub", "available": True, "reason": None},
        {"id": "google", "name": "Google", "available": False, "reason": "not configured"},
    ]
    client = server_answering({"GET /api/auth/providers": httpx.Response(200, json=listed)})
    providers = make_app(client, MemoryStore(), CookieRecordingGui(), tmp_path).providers()
    assert [(provider["id"], provider["flow"]) for provider in providers] == [
        ("github", "embedded"),
        ("google", "system"),
    ]
    assert providers[1]["reason"] == UNAVAILABLE_PROVIDER
    assert "the provider google is not available: not configured" in caplog.text


def test_a_server_without_social_sign_in_offers_no_providers(tmp_path: Path) -> None:
    assert make_app(server_answering({}), MemoryStore(), CookieRecordingGui(), tmp_path).providers() == []


def test_other_provider_list_failures_reach_the_bridge(tmp_path: Path) -> None:
    client = server_answering({"GET /api/auth/providers": httpx.Response(500, json={"code": "X", "message": "x"})})
    with pytest.raises(ServerError):
        make_app(client, MemoryStore(), CookieRecordingGui(), tmp_path).providers()


def test_one_account_per_partition_restored_from_the_keyring_and_signing_out_clears_its_cookies(
    tmp_path: Path,
) -> None:
    session = {"user": USER, "session": {"id": "s1"}}
    client = server_answering(
        {"GET /api/auth/get-session": httpx.Response(200, json=session), "POST /api/auth/sign-out": httpx.Response(200)}
    )
    store = MemoryStore()
    store.set_password("acme:https://api.example.com", DEFAULT_PARTITION, "stored-token")
    gui = CookieRecordingGui()
    app = make_app(client, store, gui, tmp_path)

    account = app.account(Partition(DEFAULT_PARTITION))
    assert account.user == USER
    assert app.account(Partition(DEFAULT_PARTITION)) is account
    assert not app.account(Partition("scratch")).signed_in

    account.sign_out()
    assert gui.cleared == [(DEFAULT_PARTITION, "api.example.com")]
    assert store.entries == {}


def test_a_server_without_a_provider_list_offers_the_apps_own(tmp_path: Path) -> None:
    shell = make_app(
        server_answering({}), MemoryStore(), CookieRecordingGui(), tmp_path, providers={"gitlab": "GitLab"}
    )
    assert shell.providers() == [
        {"id": "gitlab", "name": "GitLab", "available": True, "reason": None, "flow": "embedded"}
    ]


def unreachable_server() -> AuthClient:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    return AuthClient(AUTH_URL, transport=httpx.MockTransport(refuse))


def test_accounts_are_listed_offline_from_the_keyring_and_another_one_removed(tmp_path: Path) -> None:
    service = "acme:https://api.example.com"
    store = MemoryStore()
    kept = {DEFAULT_PARTITION: ("t-main", "Ada"), "persist:work": ("t-work", "Grace")}
    for partition, (token, name) in kept.items():
        store.set_password(service, partition, token)
        store.set_password(service, f"{partition}#profile", json.dumps({"id": name, "name": name, "email": "e"}))
    store.set_password(service, "#accounts", json.dumps(list(kept)))
    shell = make_app(unreachable_server(), store, CookieRecordingGui(), tmp_path)

    listed = shell.accounts()
    assert [(account["partition"], account["user"]["name"]) for account in listed] == [
        (DEFAULT_PARTITION, "Ada"),
        ("persist:work", "Grace"),
    ]
    assert listed[0]["offline"] is True

    with pytest.raises(BridgeError):
        shell.remove_account(Partition(DEFAULT_PARTITION))
    assert shell.remove_account(Partition("persist:work")) == SIGNED_OUT_LATER
    assert [account["partition"] for account in shell.accounts()] == [DEFAULT_PARTITION]
    assert store.get_password(service, "persist:work") is None
    assert "t-work" in (store.get_password(service, "persist:work#revoke") or "")
    shell.close()
