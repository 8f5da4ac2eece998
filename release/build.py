"""python -m release.build (make package): a desktop app as a folder and a tarball, with PyInstaller.

The build packages one DesktopApp, named as module:attribute (--app, by default the notes example) and imported,
never run: its name names the executable, the folder and the tarball; its renderer and icon go in as data. The
build signs in to one production server, named at build time, and carries the shell only: the server side
(FastAPI, SQLAlchemy, migrations, the bundled backend, the app's own server) stays out, and with it every server
secret. The scan in release/secrets.py checks that last point on what was produced before anything is published.

Build variables: KERNIA_DESKTOP_SERVER_URL (the auth mount, e.g. https://api.example.com/api/auth; required
unless the app names its server), KERNIA_DESKTOP_CHANNEL (default stable), KERNIA_DESKTOP_CALLBACK_URL (default:
the server's callback page).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from kernia_desktop import DesktopApp
from kernia_desktop.packaged import BUILD_INFO, BuildInfo
from kernia_desktop.platform import ADAPTERS, DEFAULT_ADAPTER
from kernia_desktop.settings import DesktopSettings, SettingsError
from release.secrets import SecretsInBuild, configured_secrets, scan, scan_tarball, too_short

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_APP = "examples.notes.app:app"
# What the packaged shell imports of this project.
SHELL_PACKAGES = ("kernia_desktop", "kernia_desktop_server")

# The server side, which a packaged build (remote mode only) never runs. Of kernia_desktop_server the shell keeps
# its package (whose names load lazily) and the standard-library modules it imports in remote mode (channels).
SERVER_MODULES = [
    *(
        f"kernia_desktop_server.{name}"
        for name in ("__main__", "app", "kernia", "auth", "db", "middleware", "handlers", "memory", "settings")
    ),
    "kernia_desktop.bundled",
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
    "pydantic",
    "pydantic_settings",
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


def import_root(module: str) -> Path:
    """The folder `module` is imported from: the sys.path entry its top-level package sits in."""
    file = Path(importlib.import_module(module).__file__ or "").resolve()
    levels = module.count(".") + (file.name == "__init__.py")
    return file.parents[levels]


@dataclass(frozen=True)
class AppToPackage:
    """The DesktopApp a build packages, and the module:attribute that names it."""

    module: str
    attribute: str
    app: DesktopApp

    @classmethod
    def load(cls, reference: str) -> AppToPackage:
        """Imports `reference` ("module:attribute") and checks it is a DesktopApp; raises BuildError."""
        module, _, attribute = reference.partition(":")
        if not attribute.isidentifier() or not all(part.isidentifier() for part in module.split(".")):
            raise BuildError(f"--app {reference!r}: name a DesktopApp as module:attribute, e.g. {DEFAULT_APP}")
        try:
            app = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as error:
            raise BuildError(f"--app {reference}: {error}") from error
        if not isinstance(app, DesktopApp):
            raise BuildError(f"--app {reference} is a {type(app).__name__}, not a DesktopApp")
        return cls(module, attribute, app)

    @property
    def root(self) -> Path:
        return import_root(self.module)

    def data(self) -> list[tuple[Path, str]]:
        """The files the app reads at run time, each with the folder it goes to in the bundle: where it sits
        under the app's import root, so that the app finds it next to its frozen module as it does in source."""
        renderer, icon = self.app.renderer, self.app.icon
        if not isinstance(renderer, Path):
            raise BuildError(
                f"{self.app.name}'s renderer is the URL {renderer}: a packaged build carries its renderer, so give "
                "DesktopApp(renderer=) a folder with index.html"
            )
        data = [(renderer.resolve(), self.bundled(renderer))]
        if icon is not None:
            data.append((icon.resolve(), self.bundled(icon.parent)))
        return data

    def bundled(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            raise BuildError(
                f"{path} is outside {self.root}, the folder {self.module} is imported from: a packaged build "
                "carries the app's files where the app's module finds them"
            ) from None

    def server_modules(self) -> list[str]:
        """The app's own server: the module its bundled backend's factory is named in, imported only to serve."""
        backend = self.app.backend
        if backend is None:
            return []
        # A function, or a module that importing the app has loaded, would leave the frozen app without a module
        # it imports.
        server = backend.partition(":")[0] if isinstance(backend, str) else None
        if server is None or server in sys.modules:
            raise BuildError(
                f"{self.app.name}'s backend is imported with the app: a packaged build leaves the server out, so give "
                'DesktopApp(backend=) as "module:function", of a module the app does not import'
            )
        return [server]

    def entry_point(self) -> str:
        """The packaged executable's script."""
        return f"from {self.module} import {self.attribute}\n\n{self.attribute}.run()\n"


def build_info(app: DesktopApp, environ: dict[str, str]) -> BuildInfo:
    server = environ.get("KERNIA_DESKTOP_SERVER_URL") or app.server
    if not server:
        raise BuildError(
            f"KERNIA_DESKTOP_SERVER_URL is not set and {app.name} names no server: a packaged build signs in to one "
            "production server, named at build time, e.g. KERNIA_DESKTOP_SERVER_URL=https://api.example.com/api/auth "
            "make package"
        )
    # The build variables, else the app's own choice, else the defaults.
    given = {"channel": environ.get("KERNIA_DESKTOP_CHANNEL") or app.channel}
    given["callback_url"] = environ.get("KERNIA_DESKTOP_CALLBACK_URL") or app.callback_url
    try:
        checked = DesktopSettings.load(
            app.name, {}, server=server, **{name: value for name, value in given.items() if value}
        )
    except SettingsError as error:
        raise BuildError(f"the build variables are not valid: {error}") from error
    assert checked.server is not None
    return BuildInfo(metadata.version("kernia-desktop"), checked.server, checked.channel, checked.callback_url)


def pyinstaller_arguments(
    packaged: AppToPackage, entry_point: Path, info_file: Path, dist: Path, work: Path
) -> list[str]:
    app = packaged.app
    arguments = [
        str(entry_point),
        "--name",
        app.name,
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
    ]
    # Where the app's module and the shell's packages are imported from: an editable install finds its packages
    # through an import hook, which PyInstaller's analysis does not run.
    for root in sorted({packaged.root, *map(import_root, SHELL_PACKAGES)}):
        arguments += ["--paths", str(root)]
    arguments += [
        # The shell loads its GUI adapter by name.
        "--hidden-import",
        ADAPTERS.get(sys.platform, DEFAULT_ADAPTER),
        "--add-data",
        f"{info_file}{os.pathsep}{BUILD_INFO.parent.name}",
    ]
    for source, folder in packaged.data():
        arguments += ["--add-data", f"{source}{os.pathsep}{folder}"]
    # PyInstaller gives an executable an icon on Windows and macOS only.
    if app.icon is not None and sys.platform in ("win32", "darwin"):
        arguments += ["--icon", str(app.icon.resolve())]
    for module in SERVER_MODULES + packaged.server_modules() + UNUSED_QT_MODULES:
        arguments += ["--exclude-module", module]
    return arguments


def tarball_name(name: str, info: BuildInfo) -> str:
    system = platform.system().lower()
    return f"{name}-{info.version}-{info.channel}-{system}-{platform.machine().lower()}.tar.gz"


def build(packaged: AppToPackage, dist: Path, environ: dict[str, str]) -> Package:
    """Builds dist/<app name>/ and its tarball; raises BuildError or SecretsInBuild, leaving no tarball."""
    import PyInstaller.__main__  # only the build needs it

    started = time.monotonic()
    name = packaged.app.name
    info = build_info(packaged.app, environ)
    secrets = configured_secrets(environ)
    for secret in too_short(secrets):
        print(f"release: {secret.source} is too short to scan for; use a longer secret", file=sys.stderr)
    folder = dist / name
    tarball = dist / tarball_name(name, info)
    tarball.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="kernia-build-") as work_dir:
        work = Path(work_dir)
        info_file = work / BUILD_INFO.name
        info_file.write_text(info.to_json())
        entry_point = work / "entry_point.py"
        entry_point.write_text(packaged.entry_point())
        PyInstaller.__main__.run(pyinstaller_arguments(packaged, entry_point, info_file, dist, work))
    findings = scan(folder, secrets)
    if findings:
        raise SecretsInBuild(findings)
    with tarfile.open(tarball, "w:gz", compresslevel=6) as archive:
        archive.add(folder, arcname=name)
    findings = scan_tarball(tarball, secrets)
    if findings:
        tarball.unlink()
        raise SecretsInBuild(findings)
    return Package(folder, tarball, folder / name, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m release.build", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--app", default=DEFAULT_APP, help=f"the DesktopApp to package, as module:attribute (default {DEFAULT_APP})"
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the folder and tarball go")
    arguments = parser.parse_args(argv)
    try:
        package = build(AppToPackage.load(arguments.app), arguments.dist.resolve(), dict(os.environ))
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
