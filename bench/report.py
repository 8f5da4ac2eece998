"""The bench's results: ratios, the issue's targets, and the JSON and Markdown files that hold them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.load import CHEAP_READS, CLIENTS, SECONDS, WARM_UP_SECONDS, LoadRun
from bench.server import (
    BETTER_AUTH,
    FLOOR,
    FLOOR_REQUEST,
    GET_SESSION_BEARER,
    KERNIA_POSTGRES,
    KERNIA_SQLITE,
    NOTES_BEARER,
    ServerResult,
)

# The desktop measurements that the targets name: with the bundled backend in the app's process (the default),
# and against a remote server (a packaged build's only mode), where no backend loads at launch.
RESTART = "launch to signed-in view after a restart"
MEMORY = "resident memory of the whole process tree"
REMOTE = ", remote server"


@dataclass(frozen=True)
class DesktopResult:
    measurement: str
    # Medians over the launches, in ms or MB as `unit` says.
    value: float
    unit: str
    floor: float | None = None


@dataclass(frozen=True)
class Target:
    goal: str
    measured: float | None
    limit: float
    # "min": measured must be at least the limit; "max": at most.
    kind: str
    unit: str

    @property
    def met(self) -> bool:
        if self.measured is None:
            return False
        return self.measured >= self.limit if self.kind == "min" else self.measured <= self.limit


def _find(results: list[ServerResult], target: str, request: str) -> ServerResult | None:
    return next((r for r in results if r.target == target and r.request == request), None)


def _ratio(value: float | None, reference: float | None) -> float | None:
    return value / reference if value is not None and reference else None


def server_targets(results: list[ServerResult]) -> list[Target]:
    peer = _find(results, BETTER_AUTH, GET_SESSION_BEARER)
    peer_rate = peer.requests_per_second if peer else None
    targets = []
    for database in (KERNIA_SQLITE, KERNIA_POSTGRES):
        session = _find(results, database, GET_SESSION_BEARER)
        notes = _find(results, database, NOTES_BEARER)
        targets += [
            Target(
                f"{database}: get-session with bearer, req/s vs Better Auth's",
                _ratio(session and session.requests_per_second, peer_rate),
                1.5,
                "min",
                "x",
            ),
            Target(
                f"{database}: get-session with bearer, p99 vs Better Auth's",
                _ratio(session and session.p99_ms, peer and peer.p99_ms),
                1.0,
                "max",
                "x",
            ),
            Target(
                f"{database}: notes read with bearer, req/s vs Better Auth's get-session",
                _ratio(notes and notes.requests_per_second, peer_rate),
                1.0,
                "min",
                "x",
            ),
        ]
    return targets


def load_targets(runs: list[LoadRun]) -> list[Target]:
    targets = []
    for run in runs:
        targets += [
            Target(f"{run.target} under load: errors", run.errors, 0, "max", ""),
            Target(f"{run.target} under load: lost writes", run.lost_writes, 0, "max", ""),
            Target(
                f"{run.target} under load: get-session and notes reads, p99",
                run.p99_ms(CHEAP_READS),
                250,
                "max",
                " ms",
            ),
        ]
    return targets


def desktop_targets(results: list[DesktopResult]) -> list[Target]:
    by_name = {result.measurement: result for result in results}
    targets = []
    for mode, suffix in (("bundled backend", ""), ("remote server", REMOTE)):
        restart = by_name.get(RESTART + suffix)
        memory = by_name.get(MEMORY + suffix)
        targets += [
            Target(
                f"Desktop ({mode}): launch to signed-in after restart vs the bare window",
                _ratio(restart and restart.value, restart and restart.floor),
                1.3,
                "max",
                "x",
            ),
            Target(
                f"Desktop ({mode}): memory above the bare window's",
                memory.value - memory.floor if memory and memory.floor is not None else None,
                80.0,
                "max",
                "MB",
            ),
        ]
    return targets


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def server_table(results: list[ServerResult]) -> list[str]:
    floor = _find(results, FLOOR, FLOOR_REQUEST)
    peer = _find(results, BETTER_AUTH, GET_SESSION_BEARER)
    lines = [
        "| target | request | req/s | p50 ms | p99 ms | x floor | x Better Auth | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        vs_floor = _ratio(r.requests_per_second, floor and floor.requests_per_second)
        vs_peer = _ratio(r.requests_per_second, peer and peer.requests_per_second)
        lines.append(
            f"| {r.target} | {r.request} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
            f"| {_number(vs_floor)} | {_number(vs_peer)} | {r.errors} |"
        )
    return lines


def load_table(runs: list[LoadRun]) -> list[str]:
    lines = [
        "| target | route | req/s | p50 ms | p99 ms | max ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        for r in run.routes:
            lines.append(
                f"| {run.target} | {r.route} | {r.requests_per_second:,.1f} | {r.p50_ms:,.1f} | {r.p99_ms:,.1f} "
                f"| {r.max_ms:,.1f} | {r.errors} |"
            )
        lines.append(f"| {run.target} | lost writes | | | | | {run.lost_writes} |")
    return lines


def desktop_table(results: list[DesktopResult]) -> list[str]:
    lines = ["| measurement | ours | bare-window floor |", "| --- | ---: | ---: |"]
    for r in results:
        floor = "" if r.floor is None else f"{r.floor:,.0f} {r.unit}"
        lines.append(f"| {r.measurement} | {r.value:,.0f} {r.unit} | {floor} |")
    return lines


def targets_table(targets: list[Target]) -> list[str]:
    lines = ["| target | measured | needed | met |", "| --- | ---: | ---: | :---: |"]
    for t in targets:
        needed = f"{'≥' if t.kind == 'min' else '≤'} {t.limit:g}{t.unit}"
        measured = "n/a" if t.measured is None else f"{t.measured:.2f}{t.unit}"
        lines.append(f"| {t.goal} | {measured} | {needed} | {'yes' if t.met else 'NO'} |")
    return lines


def markdown(
    machine: dict[str, Any],
    server: list[ServerResult],
    load: list[LoadRun],
    desktop: list[DesktopResult] | None,
    desktop_note: str | None,
    targets: list[Target],
) -> str:
    lines = [
        f"Measured {machine['date']} on {machine['cpus']} cores ({machine['cpu']}), load average "
        f"{machine['load_before']} before and {machine['load_after']} after; Python {machine['python']}, "
        f"Node {machine['node']}, Better Auth {machine['better_auth']}, better-sqlite3 {machine['better_sqlite3']}.",
        "",
        f"Server: `{machine['load']}`, after a {machine['warm_up']} warm-up; one worker or process per server.",
        "",
        *server_table(server),
        "",
        f"Under load: {CLIENTS} clients, each signed in as its own account, for {SECONDS} s after a "
        f"{WARM_UP_SECONDS} s warm-up, each sending its next request when the last was answered (bench/load.py's "
        "mix); rate limits off.",
        "",
        *load_table(load),
        "",
    ]
    if desktop:
        lines += ["Desktop (under Xvfb, medians of the launches):", "", *desktop_table(desktop), ""]
    if desktop_note:
        lines += [f"Desktop: {desktop_note}", ""]
    lines += ["Targets:", "", *targets_table(targets)]
    return "\n".join(lines) + "\n"


def write(
    directory: Path,
    machine: dict[str, Any],
    server: list[ServerResult],
    load: list[LoadRun],
    desktop: list[DesktopResult] | None,
    desktop_note: str | None,
) -> str:
    """Writes results.json and results.md into `directory`; returns the Markdown."""
    targets = server_targets(server) + load_targets(load) + (desktop_targets(desktop) if desktop else [])
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "machine": machine,
        "server": [asdict(result) for result in server],
        "load": [asdict(run) for run in load],
        "desktop": [asdict(result) for result in desktop] if desktop else None,
        "desktop_note": desktop_note,
        "targets": [{**asdict(target), "met": target.met} for target in targets],
    }
    (directory / "results.json").write_text(json.dumps(document, indent=2) + "\n")
    text = markdown(machine, server, load, desktop, desktop_note, targets)
    (directory / "results.md").write_text(text)
    return text
