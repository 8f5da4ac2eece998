"""The js_api the renderer calls (window.pywebview.api.*): the built-in calls every app has, and the functions the
app exposes (DesktopApp.expose).

Every call returns JSON-able data, or an error as {code, message}. None returns a credential: the renderer is
untrusted, so session tokens stay in the shell and the keyring, and its arguments are checked before use.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol
from urllib.parse import quote

from kernia_desktop.account import Account, SignedOut
from kernia_desktop.client import NoAnswer, Offline, ServerError, SignedIn
from kernia_desktop.partition import InvalidPartition, Partition
from kernia_desktop.session import Session
from kernia_desktop.settings import Flow, flow

if TYPE_CHECKING:
    from kernia_desktop.sign_in import SignInOutcome

log = logging.getLogger(__name__)
P = ParamSpec("P")


class BridgeHost(Protocol):
    """What the bridge needs of the running app around it."""

    def account(self, partition: Partition) -> Account: ...
    def state(self, partition: Partition) -> dict[str, Any]: ...
    def open_window(self, path: str, partition: str) -> None: ...
    def sign_in_social(self, account: Account, provider: str, flow: Flow | None, parent: Any) -> SignInOutcome: ...
    def cancel_sign_in(self, account: Account) -> bool: ...
    def providers(self) -> list[dict[str, Any]]: ...
    def start_fresh(self) -> str: ...
    def accounts(self) -> list[dict[str, Any]]: ...
    def add_account(self) -> str: ...
    def remove_account(self, partition: Partition) -> str: ...


class BridgeError(Exception):
    """Raised in an exposed function, reaches the renderer as {code, message}."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class InvalidArgument(BridgeError):
    def __init__(self, message: str) -> None:
        super().__init__("INVALID_ARGUMENT", message)


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
        except NoAnswer as failure:
            return error("TIMEOUT", str(failure))
        except Offline as failure:
            return error("OFFLINE", str(failure))
        except SignedOut:
            return error("SIGNED_OUT", "Sign in first.")
        except BridgeError as failure:
            return error(failure.code, failure.message)
        except InvalidPartition as failure:
            return error("INVALID_ARGUMENT", str(failure))
        except Exception:
            log.exception("bridge call %s failed", getattr(method, "__name__", method))
            return error("INTERNAL_ERROR", "Something went wrong in the app. Try again.")

    return call


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


# What a renderer can send: JSON. An argument annotated with one of these types must be of it.
_JSON_TYPES: dict[object, tuple[type, ...]] = {
    str: (str,),
    int: (int,),
    float: (int, float),
    bool: (bool,),
    list: (list,),
    dict: (dict,),
    type(None): (type(None),),
}


def _accepts(annotation: object, value: object) -> bool:
    """Whether `value` fits `annotation`; annotations other than JSON types (and unions of them) accept anything."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_accepts(member, value) for member in typing.get_args(annotation))
    expected = _JSON_TYPES.get(origin or annotation)
    if expected is None:
        return True
    # bool is an int to Python, never to JSON.
    return isinstance(value, expected) and not (isinstance(value, bool) and bool not in expected)


@dataclass(frozen=True)
class Exposed:
    """A function the app exposes to its renderer."""

    function: Callable[..., Any]
    # Called with the calling window's Session first; a call while signed out gets SIGNED_OUT.
    signed_in: bool

    @property
    def name(self) -> str:
        return self.function.__name__

    @functools.cached_property
    def _parameters(self) -> tuple[inspect.Signature, dict[str, object]]:
        """The renderer's parameters (after the session's), and the annotations of theirs that can be read: one
        that names what only a type checker imports (TYPE_CHECKING) is not checked."""
        signature = inspect.signature(self.function)
        parameters = list(signature.parameters.values())[1 if self.signed_in else 0 :]
        namespace = getattr(self.function, "__globals__", {})
        annotations: dict[str, object] = {}
        for parameter in parameters:
            annotation = parameter.annotation
            try:
                annotations[parameter.name] = eval(annotation, namespace) if isinstance(annotation, str) else annotation  # noqa: S307 - the app's own annotation, as typing.get_type_hints reads it
            except Exception:  # noqa: S112 - an annotation no one can read here checks nothing
                continue
        return inspect.Signature(parameters), annotations

    def checked_arguments(self, arguments: tuple[Any, ...]) -> tuple[Any, ...]:
        """The renderer's arguments, once they fit the function's parameters and their annotations."""
        signature, annotations = self._parameters
        try:
            bound = signature.bind(*arguments)
        except TypeError as problem:
            raise InvalidArgument(f"{self.name}: {problem}") from None
        for name, value in bound.arguments.items():
            if name in annotations and not _accepts(annotations[name], value):
                raise InvalidArgument(f"{self.name}: {name} has the wrong type")
        return arguments

    def call(self, account: Callable[[], Account], arguments: tuple[Any, ...]) -> Any:
        checked = self.checked_arguments(arguments)
        if self.signed_in:
            signed_in = account()
            if not signed_in.signed_in:
                raise SignedOut
            result = self.function(Session(signed_in), *checked)
        else:
            result = self.function(*checked)
        try:
            json.dumps(result)
        except (TypeError, ValueError):
            log.error("%s returned what JSON cannot carry: %r", self.name, type(result))
            raise BridgeError("INTERNAL_ERROR", "Something went wrong in the app. Try again.") from None
        return result


class Bridge:
    def __init__(self, host: BridgeHost, partition: Partition, exposed: Mapping[str, Exposed]) -> None:
        self._host = host
        self._partition = partition
        # The native window this bridge serves, set once it exists: the parent of its sign-in window.
        self._window: Any = None
        for name, function in exposed.items():
            # A bound method, so that pywebview lists it among the api's functions.
            setattr(self, name, types.MethodType(self._exposed_call(function), self))

    def _exposed_call(self, exposed: Exposed) -> Callable[..., Any]:
        @bridged
        def call(_bridge: Bridge, *arguments: Any) -> Any:
            return exposed.call(lambda: self._account, arguments)

        call.__name__ = exposed.name
        return call

    @property
    def _account(self) -> Account:
        """The partition's account; the first call waits for its keyring restore, which runs as the app starts."""
        return self._host.account(self._partition)

    def _bind(self, window: Any) -> None:
        self._window = window

    def _sign_in_with(self, sign_in: Callable[[], SignedIn]) -> dict[str, Any]:
        self._account.adopt(sign_in())
        return self._account.state()

    @bridged
    def get_session(self) -> dict[str, Any]:
        return self._host.state(self._partition)

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
        return {"providers": self._host.providers()}

    @bridged
    def sign_in_social(self, provider: Any, flow_name: Any = None) -> dict[str, Any]:
        provider = text(provider, "provider", max_length=64)
        try:
            chosen = None if flow_name is None else flow(flow_name)
        except ValueError:
            raise InvalidArgument("flow must be 'embedded' or 'system'") from None
        outcome = self._host.sign_in_social(self._account, provider, chosen, self._window)
        if outcome.error is not None:
            return error(outcome.error, outcome.message or outcome.error)
        state = self._account.state()
        return state if outcome.message is None else {**state, "notice": outcome.message}

    @bridged
    def cancel_sign_in(self) -> dict[str, bool]:
        return {"cancelled": self._host.cancel_sign_in(self._account)}

    def _signed_out(self, said: str) -> dict[str, Any]:
        state = self._account.state()
        return {**state, "notice": " ".join(filter(None, (said, state["notice"])))}

    @bridged
    def sign_out(self) -> dict[str, Any]:
        return self._signed_out(self._account.sign_out())

    @bridged
    def sign_out_everywhere(self) -> dict[str, Any]:
        return self._signed_out(self._account.sign_out(everywhere=True))

    @bridged
    def reconnect(self) -> dict[str, Any]:
        """Tries the server now rather than after the backoff; the answer comes as a state event."""
        self._account.reconnect()
        return self._account.state()

    @bridged
    def open_window(self, path: Any = "/", partition: Any = None) -> dict[str, bool]:
        path = text(path, "path", max_length=500)
        if not path.startswith("/") or path.startswith("//") or "\\" in path:
            raise InvalidArgument("path must be a path inside the app, such as /")
        self._host.open_window(quote(path, safe="/?=&#%"), text(partition or self._account.partition.name, "partition"))
        return {"opened": True}

    @bridged
    def list_accounts(self) -> dict[str, Any]:
        """The accounts the app keeps (one per partition), marking this window's."""
        current = self._partition.name
        return {"accounts": [{**kept, "current": kept["partition"] == current} for kept in self._host.accounts()]}

    @bridged
    def add_account(self) -> dict[str, str]:
        """Opens a window in a new partition, where another account signs in."""
        return {"partition": self._host.add_account()}

    @bridged
    def remove_account(self, partition: Any) -> dict[str, str]:
        """Signs another partition's account out and forgets it."""
        return {"notice": self._host.remove_account(Partition(text(partition, "partition", max_length=80)))}

    @bridged
    def start_fresh(self) -> dict[str, str]:
        """Only when the bundled backend cannot start for a damaged database: moves it aside and starts again."""
        return {"moved_to": self._host.start_fresh()}

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


# The names the built-in calls take; an exposed function may not take one.
BUILT_IN_CALLS = frozenset(name for name in vars(Bridge) if not name.startswith("_"))
