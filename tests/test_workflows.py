"""The CI workflow for macOS and Windows (.github/workflows), which cannot run here: its syntax is checked
against the GitHub Actions workflow schema, and its jobs against what the packaged build needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.server import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECKER = Path(sys.executable).with_name("check-jsonschema")


def check(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [str(CHECKER), "--builtin-schema", "vendor.github-workflows", *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_every_workflow_matches_the_github_actions_schema() -> None:
    assert WORKFLOWS
    checked = check(*WORKFLOWS)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_schema_check_catches_a_malformed_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    # "step" for "steps": a job without steps.
    broken.write_text("name: broken\non: push\njobs:\n  build:\n    runs-on: windows-latest\n    step: [{run: x}]\n")
    assert check(broken).returncode != 0


def test_the_package_workflow_builds_and_smoke_tests_on_macos_and_windows() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "desktop-package.yml").read_text())
    job = workflow["jobs"]["package"]
    assert set(job["strategy"]["matrix"]["os"]) == {"macos-latest", "windows-latest"}
    commands = [step.get("run", "") for step in job["steps"]]
    # The project installed with the versions its tests ran with here, then the notes app built and smoke tested.
    assert 'python -m pip install -c constraints.txt -e ".[dev]"' in commands
    assert (ROOT / "constraints.txt").is_file()
    assert "python -m release.build --app examples.notes.app:app" in commands
    assert "python -m release.smoke dist/kernia-desktop" in commands
    assert job["env"]["KERNIA_DESKTOP_SERVER_URL"].startswith("http://127.0.0.1:")
