"""python -m bench: measures the servers (and the desktop app, where it can), prints the table, and writes
bench-results/results.json and results.md. `make bench` runs it with PostgreSQL started."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import load, report, server

RESULTS = server.ROOT / "bench-results"


def _tool_version(command: list[str]) -> str:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    return (completed.stdout or completed.stderr).split("\n", 1)[0].strip()


def _installed_version(package: str) -> str:
    manifest = server.BETTER_AUTH_DIR / "node_modules" / package / "package.json"
    return json.loads(manifest.read_text())["version"]


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    admin_url = os.environ.get("KERNIA_BENCH_POSTGRES_URL")
    problems = []
    if not admin_url:
        problems.append("KERNIA_BENCH_POSTGRES_URL is not set (`make bench` starts PostgreSQL and sets it)")
    if shutil.which("wrk") is None:
        problems.append("wrk is not installed (`make install` installs it)")
    if not (server.BETTER_AUTH_DIR / "node_modules" / "better-auth").is_dir():
        problems.append("bench/better_auth has no node_modules (`make bench` installs them)")
    if problems:
        print("python -m bench: " + "; ".join(problems), file=sys.stderr)
        return 2
    assert admin_url is not None

    work = RESULTS / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    load_before = _load()
    started = time.monotonic()
    print("Server benchmarks:", flush=True)
    server_results = server.run(work, admin_url)
    print("Server under load:", flush=True)
    load_results = load.run(work, admin_url)
    desktop_results, desktop_note = _desktop(work)
    machine = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": os.cpu_count(),
        "cpu": _cpu_model(),
        "load_before": load_before,
        "load_after": _load(),
        "python": platform.python_version(),
        "node": _tool_version(["node", "--version"]),
        "wrk": _tool_version(["wrk", "--version"]),
        "better_auth": _installed_version("better-auth"),
        "better_sqlite3": _installed_version("better-sqlite3"),
        "load": f"wrk -t{server.THREADS} -c{server.CONNECTIONS} -d{server.DURATION_SECONDS}s --latency",
        "warm_up": f"{server.WARM_UP_SECONDS} s",
        "seconds": round(time.monotonic() - started),
    }
    text = report.write(RESULTS, machine, server_results, load_results, desktop_results, desktop_note)
    print()
    print(text)
    print(f"Written to {RESULTS / 'results.json'} and {RESULTS / 'results.md'} in {machine['seconds']} s.")
    return 0


def _desktop(work: Path) -> tuple[list[report.DesktopResult] | None, str | None]:
    """The desktop rows, or why there are none: a failure there must not lose the server's numbers."""
    from bench import desktop

    print("Desktop benchmarks:", flush=True)
    try:
        results = desktop.run(work / "desktop")
    except Exception as error:
        print(f"  the desktop benchmarks failed: {error}", file=sys.stderr, flush=True)
        return None, f"not measured: the run failed ({type(error).__name__}: {str(error)[:300]})"
    for result in results:
        floor = "" if result.floor is None else f"  (floor {result.floor:,.0f} {result.unit})"
        print(f"  {result.measurement:58} {result.value:8,.0f} {result.unit}{floor}", flush=True)
    return results, None


if __name__ == "__main__":
    sys.exit(main())
