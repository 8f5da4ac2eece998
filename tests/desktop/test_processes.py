"""kernia_desktop.processes.stop_process: asked to end (SIGTERM), then made to (SIGKILL)."""

from __future__ import annotations

import signal
import subprocess
import sys

from kernia_desktop.processes import stop_process


def started(code: str) -> subprocess.Popen[str]:
    """A Python child running `code` after it has said it is ready (so its signal handlers are in place)."""
    process = subprocess.Popen(
        [sys.executable, "-c", f"import signal, time\n{code}\nprint('ready', flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    return process


def test_a_process_that_stops_when_asked_ends_on_sigterm() -> None:
    process = started("")

    stop_process(process, grace_seconds=10)

    assert process.returncode == -signal.SIGTERM


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_time() -> None:
    process = started("signal.signal(signal.SIGTERM, signal.SIG_IGN)")

    stop_process(process, grace_seconds=0.5)

    assert process.returncode == -signal.SIGKILL


def test_a_process_that_has_exited_keeps_its_exit_status() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()

    stop_process(process, grace_seconds=10)

    assert process.returncode == 3
