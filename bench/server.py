"""The server benchmarks: one wrk load, the same for every target, on the floor (a bare FastAPI route), on the
notes example's server (`python -m kernia_desktop_server --app examples.notes.server:create_app`) over SQLite and
over PostgreSQL, and on Better Auth's own Node server.

Every server runs in a child process on 127.0.0.1 with one worker (Node is one process too), started and stopped
by the tests' LiveServer. Each request is first checked to really authenticate: the credential gets an answer and
a wrong one does not. Then wrk warms the server up and measures it.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import httpx

from tests.support.postgres import new_postgres_database
from tests.support.server import ROOT, LiveServer

BETTER_AUTH_DIR = ROOT / "bench" / "better_auth"
THREADS = 2
CONNECTIONS = 16
WARM_UP_SECONDS = 5
DURATION_SECONDS = 10
PASSWORD = "bench password 1234"
SESSION_COOKIE = "better-auth.session_token"

FLOOR = "floor"
FLOOR_REQUEST = "GET /api/auth/ok, no auth"
# The floor's one route is at the path where the harness (tests/support/server.py's LiveServer) asks "are you up?".
FLOOR_PATH = "/api/auth/ok"
BETTER_AUTH = "Better Auth"
KERNIA_SQLITE = "Kernia, SQLite"
KERNIA_POSTGRES = "Kernia, PostgreSQL"
GET_SESSION_BEARER = "GET /api/auth/get-session, bearer"
NOTES_BEARER = "GET /api/notes, bearer"


class BenchError(RuntimeError):
    """A target could not be measured, or answered in a way that makes its numbers meaningless."""


@dataclass(frozen=True)
class ServerResult:
    target: str
    request: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    # Answers other than 2xx, and socket errors: either makes the numbers suspect, so they are shown.
    errors: int


@dataclass(frozen=True)
class Probe:
    """One request to measure: what it sends, and a wrong credential in its place that must not authenticate."""

    request: str
    path: str
    headers: dict[str, str]
    wrong_headers: dict[str, str] | None = None


class FloorServer(LiveServer):
    """bench/floor_app.py on uvicorn, one worker."""

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "bench.floor_app:app", "--port", str(self.port), *args]


class BetterAuthServer(LiveServer):
    """bench/better_auth/server.mjs on Node, with its SQLite database in the data dir."""

    def command(self, *args: str) -> list[str]:
        database = self.log.parent / "better-auth.db"
        return ["node", str(BETTER_AUTH_DIR / "server.mjs"), str(self.port), str(database), *args]


@contextmanager
def serving(server: LiveServer, *args: str) -> Iterator[LiveServer]:
    server.start(*args)
    try:
        yield server
    finally:
        server.stop()


_LATENCY = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, headers: dict[str, str], seconds: int) -> tuple[float, float, float, int]:
    """req/s, p50 and p99 in ms, and the error count of one wrk run."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rate = _RATE.search(output)
    latencies = {percent: float(value) * _TO_MS[unit] for percent, value, unit in _LATENCY.findall(output)}
    if rate is None or set(latencies) != {"50", "99"}:
        raise BenchError(f"unreadable wrk output for {url}:\n{output}")
    errors = sum(int(count) for count in _NON_2XX.findall(output))
    for counts in _SOCKET_ERRORS.findall(output):
        errors += sum(int(count) for count in counts)
    return float(rate.group(1)), latencies["50"], latencies["99"], errors


def _authenticated(response: httpx.Response) -> bool:
    # get-session answers null without a session; a protected route answers 401.
    return response.status_code == 200 and response.json() is not None


def measure(target: str, base_url: str, probes: list[Probe]) -> list[ServerResult]:
    results = []
    for probe in probes:
        url = base_url + probe.path
        if not _authenticated(httpx.get(url, headers=probe.headers)):
            raise BenchError(f"{target}: {probe.request} did not authenticate")
        if probe.wrong_headers is not None and _authenticated(httpx.get(url, headers=probe.wrong_headers)):
            raise BenchError(f"{target}: {probe.request} let a wrong credential in: its numbers would mean nothing")
        wrk(url, probe.headers, WARM_UP_SECONDS)
        rate, p50, p99, errors = wrk(url, probe.headers, DURATION_SECONDS)
        results.append(ServerResult(target, probe.request, rate, p50, p99, errors))
        print(f"  {target:20} {probe.request:36} {rate:9.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms", flush=True)
    return results


def _tampered(credential: str) -> str:
    """The same credential with its first character changed: well-formed, but no longer what was signed."""
    return ("A" if credential[0] != "A" else "B") + credential[1:]


def bearer_headers(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


@dataclass(frozen=True)
class Account:
    bearer: str
    cookie: str


def sign_up(client: httpx.Client) -> Account:
    """A new user, through the wire protocol that the Kernia backend and Better Auth both speak."""
    response = client.post(
        "/api/auth/sign-up/email",
        json={"name": "Bench", "email": f"bench-{secrets.token_hex(4)}@example.com", "password": PASSWORD},
    )
    response.raise_for_status()
    return Account(response.headers["set-auth-token"], unquote(response.cookies[SESSION_COOKIE]))


def bench_floor(work: Path) -> list[ServerResult]:
    with serving(FloorServer(work / "floor", ""), "--log-level", "warning") as server:
        return measure(FLOOR, server.url, [Probe(FLOOR_REQUEST, FLOOR_PATH, {})])


def bench_kernia(target: str, database_url: str, work: Path) -> list[ServerResult]:
    # The API-key limit (600 a minute) would turn the API-key run into a 429 benchmark.
    kernia = LiveServer(work / target.replace(", ", "-").lower(), database_url, {"KERNIA_RATE_LIMIT_ENABLED": "false"})
    with serving(kernia) as server:
        with httpx.Client(base_url=server.url) as client:
            account = sign_up(client)
            client.cookies.clear()
            bearer = bearer_headers(account.bearer)
            for number in range(3):
                client.post("/api/notes", headers=bearer, json={"title": f"note {number}"}).raise_for_status()
            api_key = client.post("/api/auth/api-key/create", headers=bearer, json={}).json()["key"]
        cookie = {"Cookie": f"{SESSION_COOKIE}={account.cookie}"}
        wrong_bearer = bearer_headers(_tampered(account.bearer))
        return measure(
            target,
            server.url,
            [
                Probe(GET_SESSION_BEARER, "/api/auth/get-session", bearer, wrong_bearer),
                Probe(NOTES_BEARER, "/api/notes", bearer, wrong_bearer),
                Probe(
                    "GET /api/notes, cookie",
                    "/api/notes",
                    cookie,
                    {"Cookie": f"{SESSION_COOKIE}={_tampered(account.cookie)}"},
                ),
                Probe(
                    "GET /api/notes, API key", "/api/notes", {"x-api-key": api_key}, {"x-api-key": _tampered(api_key)}
                ),
            ],
        )


def bench_better_auth(work: Path) -> list[ServerResult]:
    peer = BetterAuthServer(work / "better-auth", "", {"BETTER_AUTH_SECRET": secrets.token_urlsafe(48)})
    with serving(peer) as server:
        with httpx.Client(base_url=server.url) as client:
            account = sign_up(client)
        probe = Probe(
            GET_SESSION_BEARER,
            "/api/auth/get-session",
            bearer_headers(account.bearer),
            bearer_headers(_tampered(account.bearer)),
        )
        return measure(BETTER_AUTH, server.url, [probe])


def run(work: Path, postgres_admin_url: str) -> list[ServerResult]:
    """Every server target, one after the other, so that none competes with another for the two cores."""
    results = bench_floor(work) + bench_better_auth(work)
    results += bench_kernia(KERNIA_SQLITE, f"sqlite+aiosqlite:///{work / 'kernia.db'}", work)
    with new_postgres_database(postgres_admin_url, "bench") as database_url:
        results += bench_kernia(KERNIA_POSTGRES, database_url, work)
    return results
