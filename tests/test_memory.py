"""What the server keeps out of memory: the memory freed while starting (kernia_desktop_server.memory) and the
modules the bundled backend has no use for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.stack_floor import resident_mb
from kernia_desktop_server.memory import return_freed_memory
from tests.support.server import ROOT


def test_freed_memory_leaves_the_process() -> None:
    # 60 MB in objects that Python takes from malloc (over 512 bytes each), as imports and schema building do;
    # one in 64 stays alive, so the freed memory lies between live blocks, where freeing alone does not give it
    # back.
    count = 60_000
    blocks = [bytes(1000) for _ in range(count)]
    kept = blocks[63::64]
    del blocks
    before = resident_mb()

    return_freed_memory()

    assert before - resident_mb() > 30
    assert len(kept) == count // 64


def test_the_bundled_backend_serves_without_what_it_does_not_use(tmp_path: Path) -> None:
    """uvloop, httptools and websockets (the bundled backend serves one person, over h11) and authlib's JOSE with
    cryptography (only an OpenID sign-in needs them) stay out of a process that serves the bundled backend."""
    script = """
import sys, urllib.request
from pathlib import Path
from kernia_desktop.bundled import BundledBackend

backend = BundledBackend(Path(sys.argv[1]), "examples.notes.server:create_app", "stable")
backend.start()
backend.wait_started()
print(urllib.request.urlopen(backend.auth_url + "/get-session").status)
backend.stop()
print(*(name for name in sys.argv[2:] if name in sys.modules))
"""
    unused = ["uvloop", "httptools", "websockets", "authlib.jose", "authlib.oidc", "cryptography"]
    run = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), *unused], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["200", ""]
