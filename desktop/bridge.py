"""The js_api the renderer calls (window.pywebview.api.*): the contract renderer authors code against.

Every method returns JSON-able data, or an error as {code, message}. None returns a credential: the renderer
is untrusted, so session tokens stay in the shell and the keyring.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol
from urllib.parse import quote

from desktop.account import Account, SignedOut
from desktop.client import Offline, ServerError, SignedIn
from desktop.partition import InvalidPartition, Partition

if TYPE_CHECKING:
    from desktop.oauth import SignInOutcome

log = logging.getLogger(__name__)
P = ParamSpec("P")


class Shell(Protocol):
    """What the bridge needs of the app around it."""

    state_answered: threading.Event

    def account(self, partition: Partition) -> Account: ...
    def open_window(self, path: str, partition: str) -> None: ...
    def sign_in_social(self, account: Account, provider: str, flow: str | None, parent: Any) -> SignInOutcome: ...
    def cancel_sign_in(self, account: Account) -> bool: ...
    def providers(self) -> list[dict[str, Any]]: ...


def error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def bridged(method: Callable[P, Any]) -> Callable[P, Any]:
    """Turns every failure into a {code, message} the renderer can show."""

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return method(*args, **kwargs)
        except ServerError as failure:
            return error(failure.code, failure.message)
        except Offline as failure:
            return error("OFFLINE", str(failure))
        except SignedOut:
            return error("SIGNED_OUT", "Sign in first.")
        except (InvalidArgument, InvalidPartition) as failure:
            return error("INVALID_ARGUMENT", str(failure))
        except Exception:
            log.exception("bridge call %s failed", method.__name__)
            return error("INTERNAL_ERROR", "Something went wrong in the app. Try again.")

    return call


class InvalidArgument(ValueError):
    pass


def text(value: Any, name: str, *, max_length: int = 1000, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be text")
    if required and not value.strip():
        raise InvalidArgument(f"{name} is required")
    if len(value) > max_length:
        raise InvalidArgument(f"{name} is longer than {max_length} characters")
    return value


def public_session(session: dict[str, Any], current_id: str | None) -> dict[str, Any]:
    """A session as the renderer may see it: without its token (a credential on some servers)."""
    visible = {key: value for key, value in session.items() if key != "token"}
    return {**visible, "current": session.get("id") == current_id}


class Bridge:
    def __init__(self, shell: Shell, partition: Partition) -> None:
        self._shell = shell
        self._partition = partition
        # The native window this bridge serves, set once it exists: the parent of its sign-in window.
        self._window: Any = None

    @property
    def _account(self) -> Account:
        """The partition's account; the first call waits for its keyring restore, which runs as the app starts."""
        return self._shell.account(self._partition)

    def _bind(self, window: Any) -> None:
        self._window = window

    def _sign_in_with(self, sign_in: Callable[[], SignedIn]) -> dict[str, Any]:
        self._account.adopt(sign_in())
        return self._account.state()

    @bridged
    def get_session(self) -> dict[str, Any]:
        state = self._account.state()
        self._shell.state_answered.set()
        return state

    @bridged
    def sign_up_email(self, name: Any, email: Any, password: Any) -> dict[str, Any]:
        name, email, password = text(name, "name"), text(email, "email"), text(password, "password")
        return self._sign_in_with(lambda: self._account.client.sign_up_email(name, email, password))

    @bridged
    def sign_in_email(self, email: Any, password: Any) -> dict[str, Any]:
        email, password = text(email, "email"), text(password, "password")
        return self._sign_in_with(lambda: self._account.client.sign_in_email(email, password))

    @bridged
    def list_providers(self) -> dict[str, Any]:
        return {"providers": self._shell.providers()}

    @bridged
    def sign_in_social(self, provider: Any, flow: Any = None) -> dict[str, Any]:
        provider = text(provider, "provider", max_length=64)
        if flow not in (None, "embedded", "system"):
            raise InvalidArgument("flow must be 'embedded' or 'system'")
        outcome = self._shell.sign_in_social(self._account, provider, flow, self._window)
        if outcome.error is not None:
            return error(outcome.error, outcome.message or outcome.error)
        return self._account.state()

    @bridged
    def cancel_sign_in(self) -> dict[str, bool]:
        return {"cancelled": self._shell.cancel_sign_in(self._account)}

    @bridged
    def sign_out(self) -> dict[str, Any]:
        self._account.sign_out()
        return self._account.state()

    @bridged
    def sign_out_everywhere(self) -> dict[str, Any]:
        self._account.sign_out(everywhere=True)
        return self._account.state()

    @bridged
    def open_window(self, path: Any = "/", partition: Any = None) -> dict[str, bool]:
        path = text(path, "path", max_length=500)
        if not path.startswith("/") or path.startswith("//") or "\\" in path:
            raise InvalidArgument("path must be a path inside the app, such as /")
        self._shell.open_window(
            quote(path, safe="/?=&#%"), text(partition or self._account.partition.name, "partition")
        )
        return {"opened": True}

    @bridged
    def list_sessions(self) -> dict[str, Any]:
        client = self._account.client
        current = self._account.authorized(client.get_session)
        sessions = self._account.authorized(client.list_sessions)
        current_id = current.session.get("id") if current else None
        return {"sessions": [public_session(session, current_id) for session in sessions]}

    @bridged
    def revoke_session(self, session_id: Any) -> dict[str, bool]:
        session_id = text(session_id, "session id", max_length=128)
        sessions = self._account.authorized(self._account.client.list_sessions)
        handle = next((session["token"] for session in sessions if session.get("id") == session_id), None)
        if handle is None:
            raise ServerError(404, "SESSION_NOT_FOUND", "That session no longer exists.")
        self._account.authorized(lambda token: self._account.client.revoke_session(token, handle))
        return {"revoked": True}

    @bridged
    def list_notes(self) -> dict[str, Any]:
        return {"notes": self._account.authorized(self._account.client.list_notes)}

    @bridged
    def create_note(self, title: Any, body: Any = "") -> dict[str, Any]:
        title, body = text(title, "title", max_length=200), text(body or "", "body", max_length=20000, required=False)
        return self._account.authorized(lambda token: self._account.client.create_note(token, title, body))

    @bridged
    def delete_note(self, note_id: Any) -> dict[str, bool]:
        note_id = text(note_id, "note id", max_length=64)
        self._account.authorized(lambda token: self._account.client.delete_note(token, quote(note_id, safe="")))
        return {"deleted": True}

    @bridged
    def list_api_keys(self) -> dict[str, Any]:
        return {"keys": self._account.authorized(self._account.client.list_api_keys)}

    @bridged
    def create_api_key(self, name: Any) -> dict[str, Any]:
        name = text(name, "name", max_length=32)
        # The one place a secret reaches the page: the user asked for the key and must see it once.
        return self._account.authorized(lambda token: self._account.client.create_api_key(token, name))

    @bridged
    def delete_api_key(self, key_id: Any) -> dict[str, bool]:
        key_id = text(key_id, "key id", max_length=64)
        self._account.authorized(lambda token: self._account.client.delete_api_key(token, key_id))
        return {"deleted": True}
