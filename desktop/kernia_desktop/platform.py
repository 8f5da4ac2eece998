"""The contract between the shell and a GUI platform, and the choice of the platform's adapter.

The lifecycle (shell.py) and the sign-in flows (oauth.py) reach windows only through `GuiPlatform`. An adapter is a
module with a `create(options)` function that returns one; `ADAPTERS` names the adapter of each operating system.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kernia_desktop.partition import Partition

if TYPE_CHECKING:
    from webview import Window

# By sys.platform: Qt WebEngine serves every operating system today.
ADAPTERS: dict[str, str] = {"linux": "kernia_desktop.qt", "darwin": "kernia_desktop.qt", "win32": "kernia_desktop.qt"}
DEFAULT_ADAPTER = "kernia_desktop.qt"


@dataclass(frozen=True)
class PlatformOptions:
    """What an adapter is told of the app it runs."""

    data_dir: Path
    # The application's name: the window class the desktop groups its windows by.
    app_name: str
    icon: Path | None
    # Opens the web engine's remote debugging on 127.0.0.1 at this port (the end-to-end tests only).
    debug_port: int | None


# Whether a navigation's URL is the sign-in's return to the app, which the sign-in window stops and hands over.
IsCallback = Callable[[str], bool]


class AuthWindow(Protocol):
    def close(self) -> None: ...


class AuthWindowHost(Protocol):
    """Sign-in windows and the cookies of their partition."""

    def open_auth_window(
        self,
        parent: Any,
        url: str,
        is_callback: IsCallback,
        on_callback: Callable[[str], None],
        on_closed: Callable[[], None],
        on_unreachable: Callable[[str], None],
    ) -> AuthWindow:
        """A window modal to `parent`, in its partition, that loads `url` and watches every navigation; the first
        one for which `is_callback` holds is stopped before it loads and handed to `on_callback`. A page it cannot
        reach (no connection, no such host, a bad certificate) closes it, with its URL to `on_unreachable`, rather
        than show the web engine's error page."""
        ...

    def set_cookies(self, partition: Partition, url: str, set_cookie_headers: Sequence[str]) -> None:
        """Puts the cookies of a server's answer to `url` (its Set-Cookie headers) in the partition's web profile,
        as if a window of the partition had received them."""
        ...

    def take_cookies(
        self, partition: Partition, host: str, wanted: Callable[[str], bool], timeout: float
    ) -> str | None:
        """Waits (at most `timeout`) for a cookie for `host` whose name `wanted` accepts, then deletes all of
        `host`'s cookies from the partition's web profile; returns the wanted cookie's value, or None."""
        ...


class GuiPlatform(AuthWindowHost, Protocol):
    """What the lifecycle needs of a GUI platform. Methods may be called from any thread unless they say
    otherwise, but never from a GUI-thread callback that waits for their result."""

    def create_window(
        self, title: str, url: str, partition: Partition, js_api: object | None, size: tuple[int, int]
    ) -> Window: ...
    def bring_to_front(self, window: Window | None = None) -> None: ...
    def clear_cookies(self, partition: Partition, host: str) -> int: ...
    def dispatch_event(self, window: Window, name: str, detail: object) -> None:
        """Dispatches a CustomEvent `name` with the JSON-able `detail` on the window's page, without waiting."""
        ...

    def screenshot(self, window: Window, path: Path) -> tuple[int, int]: ...
    def run(self, on_started: Callable[[], None]) -> None:
        """Runs the event loop on the main thread until the last window closes or quit() is called."""
        ...

    def post(self, job: Callable[[], None]) -> None: ...
    def quit(self) -> None: ...
    def shutdown(self) -> None: ...


def load_platform(options: PlatformOptions, platform: str = sys.platform) -> GuiPlatform:
    adapter = importlib.import_module(ADAPTERS.get(platform, DEFAULT_ADAPTER))
    gui: GuiPlatform = adapter.create(options)
    return gui
