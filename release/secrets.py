"""The secret scan: no configured secret value may appear anywhere in a build.

The values come from the builder's environment and data dir, that is from everything the backend would sign or
log in with: KERNIA_SECRET and any other KERNIA_*SECRET variable (providers' client secrets), the password in
DATABASE_URL, and the signing secret a local backend generated in its data dir. Each is searched for as it is,
as UTF-16-LE (Windows' and Qt's strings) and as base64, in every file of the built folder and every member of
its tarball (what is published is the tarball, so it is read back rather than trusted to match the folder).
"""

from __future__ import annotations

import base64
import mmap
import os
import re
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kernia_desktop_server.local_files import SECRET_FILE
from kernia_desktop_server.settings import Settings

_SECRET_VARIABLE = re.compile(r"^KERNIA_\w*SECRET$")
# Shorter values match by chance in hundreds of megabytes of binaries; they are reported, not searched for.
MIN_SCANNED_LENGTH = 8


@dataclass(frozen=True)
class Secret:
    source: str  # where the value was configured: a variable's name or a file, never the value
    value: str

    def encodings(self) -> Iterator[tuple[str, bytes]]:
        raw = self.value.encode()
        yield "as text", raw
        yield "as UTF-16-LE", self.value.encode("utf-16-le")
        standard, url_safe = base64.b64encode(raw).rstrip(b"="), base64.urlsafe_b64encode(raw).rstrip(b"=")
        yield "as base64", standard
        if url_safe != standard:
            yield "as base64url", url_safe


@dataclass(frozen=True)
class Finding:
    secret: str  # the secret's source
    encoding: str
    file: str  # a path, or "<tarball>: <member>" for a tarball's member

    def __str__(self) -> str:
        return f"{self.secret} ({self.encoding}) in {self.file}"


class SecretsInBuild(RuntimeError):
    def __init__(self, findings: list[Finding]) -> None:
        listed = "\n".join(f"  - {finding}" for finding in findings)
        super().__init__(
            f"the build contains {len(findings)} configured secret value(s) and was not published:\n{listed}\n"
            "A packaged app must never carry the server's secrets: find what put them there (a baked setting, a "
            "file copied into the bundle) and build again."
        )
        self.findings = findings


def configured_secrets(environ: Mapping[str, str] = os.environ) -> list[Secret]:
    """Every secret value the builder's machine has configured."""
    found = [Secret(name, value) for name, value in environ.items() if _SECRET_VARIABLE.match(name) and value]
    password = urlsplit(environ.get("DATABASE_URL", "")).password
    if password:
        found.append(Secret("the password in DATABASE_URL", unquote(password)))
    # The backend's own default, taken without validating the builder's whole environment as a server's.
    default_data_dir = Settings.model_fields["data_dir"].get_default(call_default_factory=True)
    data_dir = Path(environ.get("KERNIA_DATA_DIR") or default_data_dir)
    secret_file = data_dir / SECRET_FILE
    if secret_file.is_file():
        found.append(Secret(str(secret_file), secret_file.read_text().strip()))
    return found


def too_short(secrets: list[Secret]) -> list[Secret]:
    return [secret for secret in secrets if len(secret.value) < MIN_SCANNED_LENGTH]


# (the secret's source, the encoding's name, the bytes searched for)
Needle = tuple[str, str, bytes]


def _needles(secrets: list[Secret]) -> list[Needle]:
    return [
        (secret.source, encoding, needle)
        for secret in secrets
        if len(secret.value) >= MIN_SCANNED_LENGTH
        for encoding, needle in secret.encodings()
    ]


def _findings_in(content: bytes | mmap.mmap, file: str, needles: Iterable[Needle]) -> list[Finding]:
    return [Finding(source, encoding, file) for source, encoding, needle in needles if content.find(needle) != -1]


def scan(root: Path, secrets: list[Secret]) -> list[Finding]:
    """Where under the folder `root` any of `secrets` appears, in any of its encodings."""
    needles = _needles(secrets)
    findings = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.stat().st_size == 0:
            continue
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as content:
            findings.extend(_findings_in(content, str(path), needles))
    return findings


def scan_tarball(tarball: Path, secrets: list[Secret]) -> list[Finding]:
    """Where among the members of `tarball` any of `secrets` appears, in any of its encodings."""
    needles = _needles(secrets)
    findings = []
    with tarfile.open(tarball) as archive:
        for member in archive:
            extracted = archive.extractfile(member) if member.isfile() else None
            if extracted is not None:
                with extracted:
                    findings.extend(_findings_in(extracted.read(), f"{tarball}: {member.name}", needles))
    return findings
