"""The packaged build's secret scan (release/secrets.py) on trees made here."""

from __future__ import annotations

import base64
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from release.secrets import (
    MIN_SCANNED_LENGTH,
    Finding,
    Secret,
    SecretsInBuild,
    configured_secrets,
    scan,
    scan_tarball,
    too_short,
)

# Its base64 has a "+" and a "/", so that the base64url form differs.
SECRET = "s3cr3t-value-for-the-scan-0123456789~~~"


def tree(root: Path, content: bytes) -> Path:
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "empty").write_bytes(b"")
    (root / "lib" / "clean.bin").write_bytes(b"\0" * 4096 + b"nothing to see")
    (root / "lib" / "planted.bin").write_bytes(b"\x7fELF" + content + b"\0\1\2")
    return root


def scan_folder(root: Path, secrets: list[Secret]) -> list[Finding]:
    return scan(root, secrets)


def scan_its_tarball(root: Path, secrets: list[Secret]) -> list[Finding]:
    """The folder as the build publishes it: a gzipped tarball, read back member by member."""
    tarball = root.parent / f"{root.name}.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(root, arcname="kernia-desktop")
    return scan_tarball(tarball, secrets)


SCANNERS = pytest.mark.parametrize("scanner", [scan_folder, scan_its_tarball])
Scanner = Callable[[Path, list[Secret]], list[Finding]]


@SCANNERS
@pytest.mark.parametrize(
    ("encoding", "content"),
    [
        ("as text", SECRET.encode()),
        ("as UTF-16-LE", SECRET.encode("utf-16-le")),
        ("as base64", base64.b64encode(SECRET.encode())),
        ("as base64url", base64.urlsafe_b64encode(SECRET.encode())),
    ],
    ids=["text", "utf-16-le", "base64", "base64url"],
)
def test_a_planted_secret_is_found_in_each_encoding(
    tmp_path: Path, scanner: Scanner, encoding: str, content: bytes
) -> None:
    findings = scanner(tree(tmp_path / "build", content), [Secret("KERNIA_SECRET", SECRET)])
    assert [(f.secret, f.encoding, f.file.endswith("lib/planted.bin")) for f in findings] == [
        ("KERNIA_SECRET", encoding, True)
    ]
    message = str(SecretsInBuild(findings))
    assert "KERNIA_SECRET" in message and "planted.bin" in message and SECRET not in message


@SCANNERS
def test_a_clean_tree_passes(tmp_path: Path, scanner: Scanner) -> None:
    assert scanner(tree(tmp_path / "build", b"other bytes"), [Secret("KERNIA_SECRET", SECRET)]) == []


def test_the_configured_secrets_come_from_the_environment_and_the_data_dir(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("generated-signing-secret-abcdefgh\n")
    environ = {
        "KERNIA_SECRET": SECRET,
        "KERNIA_GOOGLE_CLIENT_SECRET": "google-secret-123456",
        "KERNIA_OIDC_ACME_CLIENT_SECRET": "acme-secret-123456",
        "KERNIA_GOOGLE_CLIENT_ID": "not-a-secret",
        "DATABASE_URL": "postgresql+asyncpg://kernia:p%40ssw0rd-long@db.example.com/kernia",
        "KERNIA_DATA_DIR": str(tmp_path),
    }
    found = {secret.source: secret.value for secret in configured_secrets(environ)}
    assert found == {
        "KERNIA_SECRET": SECRET,
        "KERNIA_GOOGLE_CLIENT_SECRET": "google-secret-123456",
        "KERNIA_OIDC_ACME_CLIENT_SECRET": "acme-secret-123456",
        "the password in DATABASE_URL": "p@ssw0rd-long",
        str(tmp_path / "secret"): "generated-signing-secret-abcdefgh",
    }


def test_a_secret_too_short_to_scan_for_is_reported(tmp_path: Path) -> None:
    short = Secret("KERNIA_GITHUB_CLIENT_SECRET", "x" * (MIN_SCANNED_LENGTH - 1))
    assert too_short([short, Secret("KERNIA_SECRET", SECRET)]) == [short]
    assert scan(tree(tmp_path, short.value.encode()), [short]) == []
