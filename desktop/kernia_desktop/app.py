"""DesktopApp: what a developer writes to ship an app on the shell, and its command line."""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

from kernia_desktop.bridge import BUILT_IN_CALLS, Exposed
from kernia_desktop.packaged import BuildInfo, packaged_build
from kernia_desktop.settings import DesktopSettings, SettingsError

if TYPE_CHECKING:
    from kernia_desktop.bundled import BackendFactory

F = TypeVar("F", bound=Callable[..., Any])
# The app's name travels into file names, keyring services and window classes.
APP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# What a packaged build does not let its environment or command line change.
_FIXED_IN_PACKAGED_BUILDS = (
    "KERNIA_DESKTOP_SERVER",
    "KERNIA_BASE_URL",
    "KERNIA_DESKTOP_SERVER_URL",
    "KERNIA_DESKTOP_DEBUG_PORT",
    "KERNIA_DESKTOP_CHANNEL",
    "KERNIA_DESKTOP_CALLBACK_URL",
)


class DesktopApp:
    """A desktop app that signs in to a Kernia server: windows in named partitions, email and provider sign-in
    (a modal window, or the system browser), credentials in the OS keyring, restored after a restart.

    name: the app's data dir (the platform's user data dir of that name), keyring service and window class.
    renderer: a folder with index.html, or the http(s) URL of a development server.
    server: the auth mount of a remote server, e.g. https://api.example.com/api/auth. Or
    backend: the factory of the app's own server, run bundled on 127.0.0.1 with SQLite in the data dir: a
        function, or "module:function" (imported only when a bundled app starts), that takes a
        kernia_desktop_server.Settings and returns the ASGI app with its KerniaAuth made from those settings.
    The rest are the shell's settings (README, Desktop settings); each one given here wins over the environment.
    """

    def __init__(
        self,
        name: str,
        *,
        renderer: Path | str,
        title: str | None = None,
        server: str | None = None,
        backend: BackendFactory | str | None = None,
        icon: Path | None = None,
        size: tuple[int, int] = (1024, 720),
        partition: str | None = None,
        channel: str | None = None,
        callback_url: str | None = None,
        flows: Mapping[str, str] | None = None,
        oauth_timeout: float | None = None,
        request_timeout: float | None = None,
        providers: Mapping[str, str] | None = None,
        handoff: str | None = None,
        session_cookie: str | None = None,
    ) -> None:
        if not APP_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not an app name: use letters, digits, '.', '_' or '-' (at most 64)")
        if isinstance(renderer, str) and not renderer.startswith(("http://", "https://")):
            renderer = Path(renderer)
        self.name, self.title, self.renderer, self.icon, self.size = name, title or name, renderer, icon, size
        # Where it signs in: a remote server, or its own server run bundled.
        self.server, self.backend = server, backend
        self.channel, self.callback_url = channel, callback_url
        chosen: dict[str, object] = {
            "server": server,
            "partition": partition,
            "channel": channel,
            "callback_url": callback_url,
            "flows": flows,
            "oauth_timeout": oauth_timeout,
            "request_timeout": request_timeout,
            "providers": providers,
            "handoff": handoff,
            "session_cookie": session_cookie,
        }
        self._chosen = {key: value for key, value in chosen.items() if value is not None}
        self._exposed: dict[str, Exposed] = {}

    @overload
    def expose(self, function: F, /) -> F: ...
    @overload
    def expose(self, function: None = None, /, *, signed_in: bool = True) -> Callable[[F], F]: ...

    def expose(self, function: F | None = None, /, *, signed_in: bool = True) -> F | Callable[[F], F]:
        """Makes `function` callable from the renderer as window.pywebview.api.<its name>(...), returning a promise
        of its JSON-able result, or of {code, message}.

        With signed_in (the default) its first parameter gets the Session of the calling window's partition; a
        call while signed out answers SIGNED_OUT. The renderer's arguments come next: untrusted, they are checked
        against the parameters, and against annotations of JSON types (str, int, float, bool, list, dict, None);
        anything else is the function's to check. Raise BridgeError(code, message) to answer an error.
        """

        def register(chosen: F) -> F:
            name = chosen.__name__
            if name.startswith("_") or name in BUILT_IN_CALLS:
                raise ValueError(f"{name!r} cannot be exposed: the name is private or a built-in call's")
            if name in self._exposed:
                raise ValueError(f"{name!r} is exposed already")
            self._exposed[name] = Exposed(chosen, signed_in)
            return chosen

        return register if function is None else register(function)

    def run(self, argv: Sequence[str] | None = None) -> NoReturn:
        """Runs the app (command line: `--help`) until its last window closes, then exits the process."""
        from kernia_desktop.shell import finalize_exit

        finalize_exit(self._launch(argv))

    def _launch(self, argv: Sequence[str] | None) -> int:
        build = packaged_build()
        arguments = self._parse_arguments(argv, build)
        try:
            settings = DesktopSettings.load(self.name, **self._settings_chosen(arguments, build))
        except SettingsError as error:
            print(f"{self.name}: {error}", file=sys.stderr)
            return 2
        renderer = self.renderer
        if isinstance(renderer, Path) and not (renderer / "index.html").is_file():
            print(f"{self.name}: the renderer {renderer} has no index.html", file=sys.stderr)
            return 2
        screenshot = arguments.screenshot
        display = None
        if arguments.xvfb_if_no_display and not os.environ.get("DISPLAY"):
            from kernia_desktop.xvfb import VirtualDisplay

            display = VirtualDisplay()
            os.environ["DISPLAY"] = display.display
            screenshot = screenshot or settings.data_dir / "screenshots" / "main-window.png"
            print(
                f"No display: running on the virtual display {display.display} (Xvfb). "
                f"A screenshot of the main window will be saved to {screenshot}. Press Ctrl+C to quit.",
                flush=True,
            )
        from kernia_desktop.shell import AppDefinition, run

        definition = AppDefinition(
            self.name, self.title, renderer, self.size, self.icon, self.backend, dict(self._exposed)
        )
        try:
            code = run(definition, settings, screenshot)
        except Exception as error:
            logging.getLogger("kernia_desktop").exception("the app failed")
            print(f"{self.name}: {error} (see {settings.log_dir / 'desktop.log'})", file=sys.stderr)
            code = 1
        finally:
            if display is not None:
                display.stop()
        return code

    def _parse_arguments(self, argv: Sequence[str] | None, build: BuildInfo | None) -> argparse.Namespace:
        epilog = None
        if build is not None:
            epilog = (
                f"This is a packaged build ({build.channel} channel): it signs in to {build.server} only, so "
                "--server, KERNIA_DESKTOP_SERVER and the channel variables are ignored, and it never opens remote "
                "debugging (KERNIA_DESKTOP_DEBUG_PORT is ignored)."
            )
        parser = argparse.ArgumentParser(prog=self.name, description=f"Run {self.title}.", epilog=epilog)
        parser.add_argument(
            "--server",
            help="the auth mount of a remote server, e.g. https://api.example.com/api/auth; no local backend is "
            "started (default: the app's own choice, else $KERNIA_DESKTOP_SERVER or $KERNIA_BASE_URL, else its "
            "bundled backend)",
        )
        parser.add_argument("--screenshot", type=Path, help="save a PNG of the main window here once it shows a view")
        parser.add_argument(
            "--xvfb-if-no-display",
            action="store_true",
            help="without $DISPLAY, run on a virtual display (Xvfb) and save a screenshot of the main window",
        )
        return parser.parse_args(argv)

    def _settings_chosen(self, arguments: argparse.Namespace, build: BuildInfo | None) -> dict[str, object]:
        """The app's own settings, then the command line's over them; a packaged build's baked ones over all."""
        chosen: dict[str, object] = dict(self._chosen)
        if build is None:
            if arguments.server:
                chosen["server"] = arguments.server
            return chosen
        ignored = [name for name in _FIXED_IN_PACKAGED_BUILDS if os.environ.get(name)]
        ignored += ["--server"] if arguments.server else []
        if ignored:
            print(
                f"{self.name}: this packaged build ({build.channel} channel) signs in to {build.server} only and "
                f"has no remote debugging; ignored: {', '.join(ignored)}",
                file=sys.stderr,
            )
        return chosen | build.settings()
