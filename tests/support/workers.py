"""A server of several workers, seen from outside: which of its processes answered a client's connections."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.support.desktop import descendants
from tests.support.server import LiveServer

CONNECTIONS = 16
MAX_ROUNDS = 20


def _server_side_sockets(port: int) -> set[str]:
    """The inodes of the established connections whose server end is `port`, from /proc/net."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] == "01":
                inodes.add(f"socket:[{fields[9]}]")
    return inodes


def _answering_processes(server: LiveServer) -> set[int]:
    """The server's processes that hold one of its open client connections."""
    assert server.process is not None
    sockets = _server_side_sockets(server.port)
    holders = set()
    for pid in descendants(server.process.pid) | {server.process.pid}:
        try:
            links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:  # the process has just gone
            continue
        if links & sockets:
            holders.add(pid)
    return holders


def statuses_from_every_worker(server: LiveServer, send: Callable[[httpx.Client], int], workers: int) -> list[int]:
    """Sends a request (`send` sends it on a client and gives its status) on fresh connections, several at once, in
    rounds until every worker has answered some.

    Each round's connections stay open until /proc tells which worker holds each, so the answering workers are
    known, not guessed."""
    statuses: list[int] = []
    answered: set[int] = set()
    for _ in range(MAX_ROUNDS):
        clients = [httpx.Client(base_url=server.url, timeout=10) for _ in range(CONNECTIONS)]
        try:
            with ThreadPoolExecutor(8) as pool:
                statuses += pool.map(send, clients)
            answered |= _answering_processes(server)
        finally:
            for client in clients:
                client.close()
        if len(answered) >= workers:
            return statuses
    raise AssertionError(f"only {len(answered)} of {workers} workers answered in {MAX_ROUNDS} rounds")
