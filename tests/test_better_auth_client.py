"""The official Better Auth JS client (npm better-auth, pinned in tests/interop) against a live backend."""

import subprocess

from tests.support.server import ROOT, LiveServer

INTEROP = ROOT / "tests" / "interop"


def test_better_auth_js_client_works_without_a_shim(live_server: LiveServer) -> None:
    result = subprocess.run(
        ["node", str(INTEROP / "client_check.mjs"), live_server.url],
        cwd=INTEROP,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n{live_server.log.read_text()}"
    assert "8 passed, 0 failed" in result.stdout
