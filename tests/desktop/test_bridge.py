"""What the renderer reaches through the bridge: an app's exposed functions, with the calling window's Session,
checked arguments and {code, message} errors; and Session, an exposed function's HTTP client of the server."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kernia_desktop import BridgeError, DesktopApp, Session
from kernia_desktop.account import Account
from kernia_desktop.bridge import Bridge
from kernia_desktop.client import AuthClient, SignedIn
from kernia_desktop.partition import DEFAULT_PARTITION, Partition
from kernia_desktop.vault import Vault, VaultHealth
from tests.support.fakes import MemoryStore

AUTH_URL = "https://api.example.com/api/auth"
USER = {"id": "u1", "name": "Ada", "email": "ada@example.com"}


class OneAccount:
    """A running app (bridge.BridgeHost) with one account, whose server answers with `answer`."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.requests: list[httpx.Request] = []

        def recorded(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return answer(request)

        client = AuthClient(AUTH_URL, transport=httpx.MockTransport(recorded))
        vault = Vault("acme:https://api.example.com", MemoryStore(), VaultHealth(True, "test"))
        self.signed_in = Account(Partition(DEFAULT_PARTITION), client, vault)

    def account(self, partition: Partition) -> Account:
        return self.signed_in

    def sign_in(self) -> None:
        self.signed_in.adopt(SignedIn("the-credential", USER))


def bridge_of(app: DesktopApp, host: OneAccount) -> Bridge:
    return Bridge(host, Partition(DEFAULT_PARTITION), app._exposed)  # type: ignore[arg-type]


def projects_app() -> DesktopApp:
    app = DesktopApp("acme", renderer="http://localhost:5173/")

    @app.expose
    def list_projects(session: Session, owner: str, limit: int = 10) -> dict[str, Any]:
        projects = session.get("/api/projects", params={"owner": owner, "limit": limit}).json()
        return {"projects": projects, "user": session.user["name"], "partition": session.partition}

    @app.expose
    def refuse(session: Session) -> None:
        raise BridgeError("NOT_ALLOWED", "Not for you.")

    @app.expose
    def not_json(session: Session) -> object:
        return object()

    @app.expose(signed_in=False)
    def version() -> str:
        return "1.0"

    return app


def projects_server(request: httpx.Request) -> httpx.Response:
    if request.headers.get("authorization") != "Bearer the-credential":
        return httpx.Response(401, json={"code": "UNAUTHORIZED", "message": "Sign in to continue"})
    return httpx.Response(200, json=[{"name": "apollo", "owner": request.url.params["owner"]}])


def test_an_exposed_function_is_a_method_of_every_windows_api() -> None:
    bridge = bridge_of(projects_app(), OneAccount(projects_server))
    # pywebview lists the api's methods, and names their parameters after the first.
    assert inspect.ismethod(bridge.list_projects)  # type: ignore[attr-defined]
    assert bridge.version() == "1.0"  # type: ignore[attr-defined]


def test_an_exposed_function_gets_the_windows_session_and_its_credential_stays_in_the_shell() -> None:
    host = OneAccount(projects_server)
    host.sign_in()
    answer = bridge_of(projects_app(), host).list_projects("ada", 5)  # type: ignore[attr-defined]
    assert answer == {"projects": [{"name": "apollo", "owner": "ada"}], "user": "Ada", "partition": DEFAULT_PARTITION}
    [sent] = host.requests
    assert (sent.url.path, sent.url.params["limit"]) == ("/api/projects", "5")
    assert "the-credential" not in repr(answer)


def test_a_call_while_signed_out_answers_as_the_built_in_calls_do() -> None:
    host = OneAccount(projects_server)
    bridge = bridge_of(projects_app(), host)
    assert bridge.list_projects("ada") == {"code": "SIGNED_OUT", "message": "Sign in first."}  # type: ignore[attr-defined]
    assert host.requests == []


def test_a_401_signs_the_account_out() -> None:
    host = OneAccount(lambda request: httpx.Response(401, json={"code": "UNAUTHORIZED", "message": "Gone."}))
    host.sign_in()
    answer = bridge_of(projects_app(), host).list_projects("ada")  # type: ignore[attr-defined]
    assert answer == {"code": "UNAUTHORIZED", "message": "Gone."}
    assert not host.signed_in.signed_in and host.signed_in.vault.load(DEFAULT_PARTITION) is None


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ((), "missing a required argument: 'owner'"),
        (("ada", 5, "more"), "too many positional arguments"),
        ((5,), "owner has the wrong type"),
        (("ada", "ten"), "limit has the wrong type"),
        (("ada", True), "limit has the wrong type"),
    ],
)
def test_the_renderers_arguments_are_checked_before_the_function_runs(arguments: tuple[Any, ...], says: str) -> None:
    host = OneAccount(projects_server)
    host.sign_in()
    answer = bridge_of(projects_app(), host).list_projects(*arguments)  # type: ignore[attr-defined]
    assert answer["code"] == "INVALID_ARGUMENT" and says in answer["message"]
    assert host.requests == []


def test_errors_reach_the_renderer_as_code_and_message() -> None:
    host = OneAccount(projects_server)
    host.sign_in()
    bridge = bridge_of(projects_app(), host)
    assert bridge.refuse() == {"code": "NOT_ALLOWED", "message": "Not for you."}  # type: ignore[attr-defined]
    assert bridge.not_json()["code"] == "INTERNAL_ERROR"  # type: ignore[attr-defined]


def test_names_that_cannot_be_exposed() -> None:
    app = DesktopApp("acme", renderer="http://localhost:5173/")

    def sign_out(session: Session) -> None: ...
    def _private(session: Session) -> None: ...
    def twice(session: Session) -> None: ...

    for function in (sign_out, _private):
        with pytest.raises(ValueError, match="cannot be exposed"):
            app.expose(function)
    app.expose(twice)
    with pytest.raises(ValueError, match="exposed already"):
        app.expose(twice)


def test_a_session_stays_on_its_servers_origin() -> None:
    host = OneAccount(projects_server)
    host.sign_in()
    session = Session(host.signed_in)
    assert session.auth_path == "/api/auth"
    for elsewhere in ("https://evil.example/steal", "//evil.example/steal", "api/projects"):
        with pytest.raises(ValueError, match="not a path on the server"):
            session.get(elsewhere)
    assert host.requests == []


def test_an_app_is_named_as_files_and_keyrings_allow() -> None:
    for name in ("", "../acme", "acme app", "a" * 65):
        with pytest.raises(ValueError, match="not an app name"):
            DesktopApp(name, renderer="http://localhost:5173/")


def test_annotations_only_a_type_checker_reads_check_nothing_and_break_nothing() -> None:
    app = DesktopApp("acme", renderer="http://localhost:5173/")

    @app.expose
    def count(session: SessionOnlyImportedForTypeCheckers, times: int, label: LabelType) -> int:  # type: ignore[name-defined]  # noqa: F821
        return times

    host = OneAccount(projects_server)
    host.sign_in()
    bridge = bridge_of(app, host)
    assert bridge.count(3, ["anything"]) == 3  # type: ignore[attr-defined]
    assert bridge.count("3", "x")["code"] == "INVALID_ARGUMENT"  # type: ignore[attr-defined]
