"""The server under a realistic mixed load (make bench, never make test): 50 clients for 60 s after a 5 s warm-up,
each signed in as an account of its own, signing up and in, reading its session and its notes, writing and deleting
notes, on SQLite (one process) and on PostgreSQL (several workers). It reports each route's requests/s and
p50/p99/max latency, the errors (a failed request, or a status the route should not answer), and the lost writes:
notes whose creation was acknowledged, never deleted, and missing at the end.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.server import PASSWORD, serving
from tests.support.postgres import new_postgres_database
from tests.support.server import LiveServer, unique_email

CLIENTS = 50
SECONDS = 60
WARM_UP_SECONDS = 5
POSTGRES_WORKERS = 4
LOAD_SQLITE = "SQLite, 1 process"
LOAD_POSTGRES = f"PostgreSQL, {POSTGRES_WORKERS} workers"
# What each client does next, by weight: mostly reads, with writes and the slow password checks alongside.
MIX = {
    "GET /api/auth/get-session": 30,
    "GET /api/notes": 25,
    "GET /api/notes/{id}": 10,
    "POST /api/notes": 15,
    "DELETE /api/notes/{id}": 5,
    "POST /api/auth/sign-in/email": 10,
    "POST /api/auth/sign-up/email": 5,
}
# The reads whose latency must not suffer from the hashing beside them.
CHEAP_READS = ("GET /api/auth/get-session", "GET /api/notes", "GET /api/notes/{id}")


@dataclass(frozen=True)
class RouteLoad:
    target: str
    route: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int


@dataclass(frozen=True)
class LoadRun:
    target: str
    routes: list[RouteLoad]
    lost_writes: int

    @property
    def errors(self) -> int:
        return sum(route.errors for route in self.routes)

    def p99_ms(self, routes: tuple[str, ...]) -> float:
        return max(route.p99_ms for route in self.routes if route.route in routes)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    # The set-auth-token header: the bearer credential a sign-up hands out.
    token: str | None


@dataclass
class Recorder:
    http: aiohttp.ClientSession
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    async def send(
        self, route: str, method: str, path: str, expected: int, headers: dict[str, str], body: Any = None
    ) -> Answer | None:
        """The answer, when it has the `expected` status; else None, and the route counts an error."""
        started = time.perf_counter()
        try:
            async with self.http.request(method, path, headers=headers, json=body) as response:
                body = await response.json() if response.content_length else None
                answer: Answer | None = Answer(response.status, body, response.headers.get("set-auth-token"))
        except (aiohttp.ClientError, TimeoutError, ValueError):
            answer = None
        self.latencies[route].append((time.perf_counter() - started) * 1000)
        if answer is None or answer.status != expected:
            self.errors[route] += 1
            return None
        return answer


@dataclass
class Client:
    """One user's session of the load: an account of its own, and the notes it has written and not deleted."""

    recorder: Recorder
    email: str = field(default_factory=lambda: unique_email("load"))
    bearer: dict[str, str] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)

    async def sign_up(self, email: str) -> Answer | None:
        body = {"name": "Load", "email": email, "password": PASSWORD}
        return await self.recorder.send(
            "POST /api/auth/sign-up/email", "POST", "/api/auth/sign-up/email", 200, {}, body
        )

    async def start(self) -> bool:
        signed_up = await self.sign_up(self.email)
        if signed_up is not None:
            self.bearer = {"Authorization": f"Bearer {signed_up.token}"}
        return signed_up is not None

    async def act(self, route: str, rng: random.Random) -> None:
        send, bearer = self.recorder.send, self.bearer
        if route == "GET /api/auth/get-session":
            await send(route, "GET", "/api/auth/get-session", 200, bearer)
        elif route == "GET /api/notes":
            await send(route, "GET", "/api/notes", 200, bearer)
        elif route == "GET /api/notes/{id}" and self.kept:
            await send(route, "GET", f"/api/notes/{rng.choice(self.kept)}", 200, bearer)
        elif route == "POST /api/notes":
            created = await send(route, "POST", "/api/notes", 201, bearer, {"title": "load"})
            if created is not None:
                self.kept.append(created.body["id"])
        elif route == "DELETE /api/notes/{id}" and self.kept:
            note = self.kept.pop(rng.randrange(len(self.kept)))
            if await send(route, "DELETE", f"/api/notes/{note}", 204, bearer) is None:
                self.kept.append(note)  # not acknowledged: it may still be there
        elif route == "POST /api/auth/sign-in/email":
            await send(route, "POST", "/api/auth/sign-in/email", 200, {}, {"email": self.email, "password": PASSWORD})
        elif route == "POST /api/auth/sign-up/email":
            await self.sign_up(unique_email("load"))

    async def lost(self) -> int:
        """The notes acknowledged and not deleted that the server no longer has (all of them, when it cannot say)."""
        async with self.recorder.http.get("/api/notes", headers=self.bearer) as response:
            if response.status != 200:
                return len(self.kept)
            listed = await response.json()
        return len(set(self.kept) - {note["id"] for note in listed})


async def _load(base_url: str, seed: int) -> tuple[Recorder, int, float]:
    routes, weights = list(MIX), list(MIX.values())
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as http:
        recorder = Recorder(http)
        clients = [Client(recorder) for _ in range(CLIENTS)]
        started_up = await asyncio.gather(*(client.start() for client in clients))
        # Seeded: the same mix of actions each run. Nothing secret is drawn from it.
        rngs = [random.Random(seed + n) for n in range(CLIENTS)]  # noqa: S311

        async def run(client: Client, rng: random.Random, seconds: float) -> None:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                await client.act(rng.choices(routes, weights)[0], rng)

        # The warm-up's latencies are left out (each worker opens its connections then), its errors are not.
        await asyncio.gather(*(run(client, rng, WARM_UP_SECONDS) for client, rng in zip(clients, rngs, strict=True)))
        recorder.latencies.clear()
        started = time.monotonic()
        await asyncio.gather(*(run(client, rng, SECONDS) for client, rng in zip(clients, rngs, strict=True)))
        seconds = time.monotonic() - started
        kept = [client for client, ok in zip(clients, started_up, strict=True) if ok]
        lost = sum(await asyncio.gather(*(client.lost() for client in kept)))
    return recorder, lost, seconds


def _percentile(values: list[float], fraction: float) -> float:
    return (
        statistics.quantiles(values, n=1000, method="inclusive")[round(fraction * 1000) - 1]
        if len(values) > 1
        else values[0]
    )


def load(target: str, server: LiveServer, *args: str) -> LoadRun:
    with serving(server, *args):
        recorder, lost, seconds = asyncio.run(_load(server.url, seed=7))
    routes = [
        RouteLoad(
            target,
            route,
            len(recorder.latencies[route]) / seconds,
            _percentile(recorder.latencies[route], 0.50),
            _percentile(recorder.latencies[route], 0.99),
            max(recorder.latencies[route]),
            recorder.errors[route],
        )
        for route in MIX
        if recorder.latencies[route]
    ]
    for r in routes:
        print(
            f"  {target:22} {r.route:30} {r.requests_per_second:6.1f} req/s  p50 {r.p50_ms:7.1f} ms  "
            f"p99 {r.p99_ms:7.1f} ms  max {r.max_ms:7.1f} ms  errors {r.errors}",
            flush=True,
        )
    print(f"  {target:22} lost writes: {lost}", flush=True)
    return LoadRun(target, routes, lost)


def run(work: Path, postgres_admin_url: str) -> list[LoadRun]:
    # Rate limits off: fifty clients share one address, and would be measured as 429s.
    env = {"KERNIA_RATE_LIMIT_ENABLED": "false"}
    runs = [load(LOAD_SQLITE, LiveServer(work / "load-sqlite", f"sqlite+aiosqlite:///{work / 'load.db'}", env))]
    with new_postgres_database(postgres_admin_url, "load") as database_url:
        server = LiveServer(work / "load-postgres", database_url, env)
        runs.append(load(LOAD_POSTGRES, server, "--workers", str(POSTGRES_WORKERS)))
    return runs
