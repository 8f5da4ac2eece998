"""The OpenAPI document describes the app as it answers: schemathesis (all its checks, with a signed-in bearer
token) against the live notes server finds no 5xx, no answer the document does not describe, and no status it does
not declare."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.server import PASSWORD, ROOT, LiveServer, unique_email

CONFIG = ROOT / "tests" / "schemathesis" / "schemathesis.toml"
# Operations that end the session the run signs in with; every later request would only get 401.
SESSION_ENDING = ("/api/auth/sign-out", "/api/auth/revoke-sessions")


def test_the_document_is_true_to_the_app(tmp_path: Path) -> None:
    server = LiveServer(
        tmp_path / "server",
        f"sqlite+aiosqlite:///{tmp_path / 'server.db'}",
        # The fuzzer signs in and up far more often than a person: the limits would answer most of it with 429.
        {"KERNIA_RATE_LIMIT_ENABLED": "false"},
    ).start()
    try:
        body = {"name": "Fuzz", "email": unique_email("fuzz"), "password": PASSWORD}
        token = httpx.post(f"{server.url}/api/auth/sign-up/email", json=body).headers["set-auth-token"]
        excluded = [argument for path in SESSION_ENDING for argument in ("--exclude-path", path)]
        run = subprocess.run(
            [
                *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run"),
                f"{server.url}/openapi.json",
                *("--checks", "all", "--max-examples", "30", "--seed", "1", "--no-color"),
                *("--header", f"Authorization: Bearer {token}", *excluded),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert run.returncode == 0, run.stdout[-20000:]
        assert "Traceback" not in server.log.read_text()
    finally:
        server.stop()
