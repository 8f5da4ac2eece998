"""ASGI middleware that guards every route: answers for the errors no handler took, a cap on request bodies, and a
Host allowlist."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping

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
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        await send_error(send, 413, "PAYLOAD_TOO_LARGE", f"The request body is larger than {self.limit} bytes")


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
