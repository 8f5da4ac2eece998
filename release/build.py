"""python -m release.build (make package): the desktop app as a folder and a tarball, with PyInstaller.

The build signs in to one production server, named at build time, and carries the shell only: the backend's
server side (FastAPI, SQLAlchemy, migrations, the bundled backend) stays out, and with it every server secret.
The scan in release/secrets.py checks that last point on what was produced before anything is published.

Build variables: KERNIA_DESKTOP_SERVER_URL (required, the auth mount, e.g. https://api.example.com/api/auth),
KERNIA_DESKTOP_CHANNEL (default stable), KERNIA_DESKTOP_CALLBACK_URL (default: the server's callback page).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from desktop.packaged import BUILD_INFO, BuildInfo
from desktop.settings import APP_NAME, DesktopSettings, SettingsError
from release.secrets import SecretsInBuild, configured_secrets, scan, scan_tarball, too_short

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINT = Path(__file__).with_name("entry_point.py")

# The server side, which a packaged build (remote mode only) never runs.
SERVER_MODULES = [
    "backend.__main__",
    "backend.app",
    "backend.api",
    "backend.auth",
    "backend.db",
    "backend.middleware",
    "desktop.bundled",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "mako",
    "aiosqlite",
    "asyncpg",
    "argon2",
    "email_validator",
    "kernia",
]
# Qt modules that qtpy names but the shell never loads; QtWebEngine and what it links stay. The QML ones matter
# most: QtWebEngineCore links QtQml and QtQuick (those libraries stay), and PyInstaller would add the QML
# bindings and then every QML plugin with the Quick Controls, 3D and chart libraries they load (over 100 MB),
# none of which a widgets window uses.
UNUSED_QT_MODULES = [
    f"PySide6.{name}"
    for name in (
        "Qt3DAnimation",
        "Qt3DCore",
        "Qt3DExtras",
        "Qt3DInput",
        "Qt3DLogic",
        "Qt3DRender",
        "QtBluetooth",
        "QtCharts",
        "QtDataVisualization",
        "QtDesigner",
        "QtGraphs",
        "QtHelp",
        "QtMultimedia",
        "QtMultimediaWidgets",
        "QtNfc",
        "QtPdf",
        "QtPdfWidgets",
        "QtQml",
        "QtQuick",
        "QtQuick3D",
        "QtQuickControls2",
        "QtQuickTest",
        "QtQuickWidgets",
        "QtWebEngineQuick",
        "QtRemoteObjects",
        "QtScxml",
        "QtSensors",
        "QtSerialBus",
        "QtSerialPort",
        "QtSpatialAudio",
        "QtSql",
        "QtStateMachine",
        "QtSvgWidgets",
        "QtTest",
        "QtTextToSpeech",
        "QtUiTools",
        "QtWebSockets",
        "QtHttpServer",
    )
] + ["tkinter"]


@dataclass(frozen=True)
class Package:
    folder: Path
    tarball: Path
    executable: Path
    seconds: float


class BuildError(RuntimeError):
    """The build cannot go on; the message says what to set or fix."""


def build_info(environ: dict[str, str]) -> BuildInfo:
    server = environ.get("KERNIA_DESKTOP_SERVER_URL")
    if not server:
        raise BuildError(
            "KERNIA_DESKTOP_SERVER_URL is not set: a packaged build signs in to one production server, named at "
            "build time, e.g. KERNIA_DESKTOP_SERVER_URL=https://api.example.com/api/auth make package"
        )
    try:
        channel_variables = ("KERNIA_DESKTOP_CHANNEL", "KERNIA_DESKTOP_CALLBACK_URL")
        checked = DesktopSettings.load(
            {name: environ[name] for name in channel_variables if name in environ}, server=server
        )
    except SettingsError as error:
        raise BuildError(f"the build variables are not valid: {error}") from error
    assert checked.server is not None
    return BuildInfo(metadata.version("kernia-desktop"), checked.server, checked.channel, checked.callback_url)


def pyinstaller_arguments(info_file: Path, dist: Path, work: Path) -> list[str]:
    renderer = ROOT / "backend" / "renderer"
    arguments = [
        str(ENTRY_POINT),
        "--name",
        APP_NAME,
        "--onedir",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work / "build"),
        "--specpath",
        str(work),
        "--paths",
        str(ROOT),
        "--add-data",
        f"{info_file}{os.pathsep}desktop",
        "--add-data",
        f"{renderer}{os.pathsep}backend/renderer",
    ]
    for module in SERVER_MODULES + UNUSED_QT_MODULES:
        arguments += ["--exclude-module", module]
    return arguments


def tarball_name(info: BuildInfo) -> str:
    system = platform.system().lower()
    return f"{APP_NAME}-{info.version}-{info.channel}-{system}-{platform.machine().lower()}.tar.gz"


def build(dist: Path, environ: dict[str, str]) -> Package:
    """Builds dist/kernia-desktop/ and its tarball; raises BuildError or SecretsInBuild, leaving no tarball."""
    import PyInstaller.__main__  # only the build needs it

    started = time.monotonic()
    info = build_info(environ)
    secrets = configured_secrets(environ)
    for secret in too_short(secrets):
        print(f"release: {secret.source} is too short to scan for; use a longer secret", file=sys.stderr)
    folder = dist / APP_NAME
    tarball = dist / tarball_name(info)
    tarball.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="kernia-build-") as work_dir:
        work = Path(work_dir)
        info_file = work / BUILD_INFO.name
        info_file.write_text(info.to_json())
        PyInstaller.__main__.run(pyinstaller_arguments(info_file, dist, work))
    findings = scan(folder, secrets)
    if findings:
        raise SecretsInBuild(findings)
    with tarfile.open(tarball, "w:gz", compresslevel=6) as archive:
        archive.add(folder, arcname=APP_NAME)
    findings = scan_tarball(tarball, secrets)
    if findings:
        tarball.unlink()
        raise SecretsInBuild(findings)
    return Package(folder, tarball, folder / APP_NAME, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the folder and tarball go")
    arguments = parser.parse_args(argv)
    try:
        package = build(arguments.dist.resolve(), dict(os.environ))
    except (BuildError, SecretsInBuild) as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    size = sum(path.stat().st_size for path in package.folder.rglob("*") if path.is_file() and not path.is_symlink())
    print(
        f"Built {package.folder} ({size / 2**20:.0f} MB) and {package.tarball} "
        f"({package.tarball.stat().st_size / 2**20:.0f} MB) in {package.seconds:.0f} s; no configured secret in it."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
