"""ASGI middleware that guards every route: answers for the errors no handler took, a cap on request bodies, no text
a database cannot store, and a Host allowlist."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kernia_desktop_server.db.availability import RETRY_AFTER_SECONDS, OutageLog, is_unavailability

log = logging.getLogger(__name__)


async def send_error(
    send: Send, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> None:
    body = json.dumps({"code": code, "message": message}).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class ErrorBoundary:
    """Answers for an exception that no handler took: 503 DATABASE_UNAVAILABLE when the database cannot be reached,
    else 500. The exception ends here, so the server keeps the client's connection open (an exception that reached
    the server would close it) and logs no traceback for an outage, only a line per outage (OutageLog)."""

    def __init__(self, app: ASGIApp, outages: OutageLog | None = None) -> None:
        self.app = app
        self.outages = outages or OutageLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            if started:
                raise  # half an answer is out: only closing the connection can tell the client
            if is_unavailability(error):
                self.outages.failed(error)
                seconds = str(RETRY_AFTER_SECONDS)
                message = f"The database is unavailable. Try again in {seconds} seconds."
                await send_error(send, 503, "DATABASE_UNAVAILABLE", message, {"Retry-After": seconds})
            else:
                log.exception("%s %s failed", scope.get("method"), scope.get("path"))
                await send_error(send, 500, "INTERNAL_SERVER_ERROR", "Something went wrong on the server")


class BodyTooLarge(Exception):
    pass


async def read_body(receive: Receive, limit: int | None = None) -> bytes:
    """The whole request body; BodyTooLarge once it grows over `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if limit is not None and size > limit:
            raise BodyTooLarge
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app `body`, already read, and then whatever the client sends next."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class BodySizeLimit:
    """Refuses bodies over `limit` bytes with 413, whether or not they declare a Content-Length."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        try:
            if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
                raise BodyTooLarge
            body = await read_body(receive, self.limit)
        except BodyTooLarge:
            await self._refuse(send)
            return
        await self.app(scope, replaying(body, receive), send)

    async def _refuse(self, send: Send) -> None:
        await send_error(send, 413, "PAYLOAD_TOO_LARGE", f"The request body is larger than {self.limit} bytes")


# What no database stores as text: PostgreSQL refuses NUL, and a lone surrogate is not UTF-8 at all.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value: Any) -> bool:
    """Whether a decoded JSON value holds unstorable text, in a string or a key, at any depth."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False


def _unstorable_form(text: str) -> bool:
    return any(_UNSTORABLE.search(key + value) for key, value in parse_qsl(text, keep_blank_values=True))


class StorableText:
    """Refuses text that no database can store, the same on SQLite and PostgreSQL, before any route reads it: a
    path that holds it names nothing (404), and a query, a JSON body or a form that holds it is 400
    INVALID_TEXT."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _UNSTORABLE.search(scope["path"]):
            await send_error(send, 404, "NOT_FOUND", "Not Found")
            return
        refused = _unstorable_form(scope["query_string"].decode("latin-1"))
        content_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        if not refused and content_type in ("application/json", "application/x-www-form-urlencoded"):
            body = await read_body(receive)
            receive = replaying(body, receive)
            if content_type == "application/x-www-form-urlencoded":
                refused = _unstorable_form(body.decode("utf-8", "replace"))
            elif b"\\u" in body:
                # Valid JSON holds NUL or a surrogate only as a \u escape: a body without one is not parsed twice.
                try:
                    refused = _unstorable(json.loads(body.decode("utf-8", "replace")))
                except ValueError:
                    pass  # not JSON: the route says so
        if refused:
            message = "Text may not hold NUL characters or unpaired surrogates"
            await send_error(send, 400, "INVALID_TEXT", message)
            return
        await self.app(scope, receive, send)


class HostAllowlist:
    """Answers only to the host names it serves, so a DNS-rebinding page cannot talk to a loopback server."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(host.lower() for host in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = Headers(scope=scope).get("host", "")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name.lower() not in self.hosts:
                if scope["type"] == "http":
                    await send_error(send, 400, "INVALID_HOST", f"This server does not answer to host {host!r}")
                return
        await self.app(scope, receive, send)
