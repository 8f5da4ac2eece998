"""The app's lifecycle, the same on every platform: settings, one instance per data dir, the bundled backend or a
remote server, the keyring, one account per partition, the windows, and a clean exit.

The GUI platform (desktop/qt.py today) is reached only through `GuiPlatform`.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol
from urllib.parse import urlsplit, urlunsplit

from desktop.account import Account
from desktop.bridge import Bridge
from desktop.client import AuthClient, ServerError
from desktop.instance import SingleInstance
from desktop.oauth import AuthWindowHost, SignInOutcome, SocialSignIn, flow_for
from desktop.partition import Partition
from desktop.settings import APP_NAME, DesktopSettings
from desktop.vault import Vault

if TYPE_CHECKING:
    from webview import Window

    from desktop.bundled import BundledBackend

log = logging.getLogger(__name__)

TITLE = "Kernia Desktop"
LOCAL_SERVICE = f"{APP_NAME}:local"


class GuiPlatform(AuthWindowHost, Protocol):
    """What the lifecycle needs of a GUI platform (the sign-in window included); desktop.qt.QtPlatform is one."""

    def create_window(self, title: str, url: str, partition: Partition, js_api: object | None = None) -> Window: ...
    def bring_to_front(self, window: Window | None = None) -> None: ...
    def clear_cookies(self, partition: Partition, host: str) -> int: ...
    def screenshot(self, window: Window, path: Path) -> tuple[int, int]: ...
    def run(self, on_started: Callable[[], None]) -> None: ...
    def post(self, job: Callable[[], None]) -> None: ...
    def quit(self) -> None: ...
    def shutdown(self) -> None: ...


def load_gui(settings: DesktopSettings) -> GuiPlatform:
    from desktop.qt import QtPlatform

    return QtPlatform(settings.data_dir, settings.debug_port)


@dataclass(frozen=True)
class Server:
    """The server the app signs in to, and where its renderer comes from."""

    auth_url: str
    keyring_service: str
    # The origin that serves the renderer (the bundled backend); None: pywebview serves the package's files.
    renderer_origin: str | None

    @classmethod
    def remote(cls, auth_url: str) -> Server:
        parts = urlsplit(auth_url)
        return cls(auth_url, f"{APP_NAME}:{parts.scheme}://{parts.netloc}", None)

    @classmethod
    def bundled(cls, backend: BundledBackend) -> Server:
        return cls(backend.auth_url, LOCAL_SERVICE, backend.origin)

    @property
    def host(self) -> str:
        return urlsplit(self.auth_url).hostname or ""

    def page_url(self, path: str) -> str:
        if self.renderer_origin is not None:
            return f"{self.renderer_origin}{path}"
        # The renderer is a single page: of the path, only its query and fragment mean something to it.
        index = resources.files("backend") / "renderer" / "index.html"
        parts = urlsplit(path)
        return urlunsplit(("", "", str(index), parts.query, parts.fragment))


class DesktopApp:
    """The running app as its bridges see it (bridge.Shell): its accounts, one per partition, and its windows."""

    def __init__(
        self,
        gui: GuiPlatform,
        server: Server,
        client: AuthClient,
        open_vault: Callable[[], Vault],
        settings: DesktopSettings,
    ) -> None:
        self.gui = gui
        self.server = server
        self.client = client
        self._open_vault = open_vault
        self._vault: Vault | None = None
        self.default_partition = Partition(settings.partition)
        self.social = SocialSignIn(
            gui, settings.oauth_timeout, webbrowser.open, gui.bring_to_front, settings.channel, settings.callback_url
        )
        self._accounts: dict[str, Account] = {}
        self._lock = threading.Lock()

    def account(self, partition: Partition) -> Account:
        """The partition's account, signed back in from the keyring when it is first needed."""
        with self._lock:
            account = self._accounts.get(partition.name)
            if account is None:
                if self._vault is None:
                    # Opened by the first account, on the restore thread: the keyring's D-Bus round trips stay
                    # off the main thread, which is starting the window meanwhile.
                    self._vault = self._open_vault()
                account = Account(partition, self.client, self._vault)
                account.on_signed_out = lambda: self._forget_cookies(partition)
                account.restore()
                self._accounts[partition.name] = account
            return account

    def _forget_cookies(self, partition: Partition) -> None:
        cleared = self.gui.clear_cookies(partition, self.server.host)
        log.info("signed out of %s; cleared %d cookie(s) for %s", partition.name, cleared, self.server.host)

    def window(self, path: str, partition_name: str) -> Window:
        partition = Partition(partition_name)
        bridge = Bridge(self, partition)
        title = TITLE if partition == self.default_partition else f"{TITLE} ({partition.name})"
        window = self.gui.create_window(title, self.server.page_url(path), partition, bridge)
        bridge._bind(window)
        return window

    # -- bridge.Shell ---------------------------------------------------------------------------------------

    def open_window(self, path: str, partition: str) -> None:
        self.window(path, partition)

    def sign_in_social(self, account: Account, provider: str, flow: str | None, parent: Any) -> SignInOutcome:
        return self.social.run(account, provider, flow_for(provider, flow, os.environ), parent)

    def cancel_sign_in(self, account: Account) -> bool:
        return self.social.cancel(account)

    def providers(self) -> list[dict[str, Any]]:
        try:
            providers = self.client.providers()
        except ServerError as error:
            if error.status == 404:  # a server without social sign-in
                return []
            raise
        return [{**provider, "flow": flow_for(provider["id"], None, os.environ)} for provider in providers]


def configure_logging(log_dir: Path) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(log_dir / "desktop.log", encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    to_console = logging.StreamHandler()
    to_console.setLevel(logging.WARNING)
    to_console.setFormatter(logging.Formatter(f"{APP_NAME}: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[to_file, to_console], force=True)


def save_first_view(window: Window, gui: GuiPlatform, path: Path, timeout: float = 30.0) -> None:
    """Saves a screenshot of `window` once its renderer shows a view (worker thread)."""
    deadline = time.monotonic() + timeout
    if not window.events.loaded.wait(timeout):
        raise TimeoutError("the window did not load")
    while window.evaluate_js("document.body.dataset.view || ''") in ("", None):
        if time.monotonic() > deadline:
            raise TimeoutError("the renderer showed no view")
        time.sleep(0.1)
    time.sleep(0.5)  # the view's first paint
    width, height = gui.screenshot(window, path)
    print(f"Saved a screenshot of the main window ({width}x{height}) to {path}", flush=True)


def run(settings: DesktopSettings, screenshot: Path | None = None) -> int:
    """Runs the app until its last window closes or it is told to stop; returns the exit code."""
    configure_logging(settings.log_dir)
    log.info("starting with the data dir %s", settings.data_dir)
    gui = load_gui(settings)
    instance = SingleInstance(settings.data_dir)
    if not instance.acquire(on_raise=gui.bring_to_front):
        log.info("another instance runs on %s; asked it to come to the front", settings.data_dir)
        print(f"{TITLE} is already running with {settings.data_dir}; brought its window to the front.")
        return 0
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        # Handlers run on the main thread, where the Qt loop runs: it ends as if the last window closed.
        signal.signal(signal_number, lambda *_: gui.quit())
    backend = None
    if settings.server is None:
        from desktop.bundled import BundledBackend

        backend = BundledBackend(settings.backend_dir, settings.channel, settings.callback_url)
    try:
        if backend is not None:
            backend.start()
        server = Server.remote(settings.server) if backend is None else Server.bundled(backend)
        log.info("signing in to %s", server.auth_url)
        client = AuthClient(server.auth_url)
        app = DesktopApp(gui, server, client, lambda: Vault.open(server.keyring_service), settings)
        # The keyring restore runs beside the window's start-up; the renderer's first bridge call waits for it,
        # so its first view already shows who is signed in.
        threading.Thread(target=app.account, args=(app.default_partition,), name="restore", daemon=True).start()
        main_window = app.window("/", app.default_partition.name)

        def on_started() -> None:
            if backend is not None:
                try:
                    backend.wait_started()
                except RuntimeError:
                    gui.post(gui.quit)
                    return
            if screenshot is not None:
                try:
                    save_first_view(main_window, gui, screenshot)
                except Exception:
                    log.exception("could not save the screenshot")

        gui.run(on_started)
        client.close()
        if backend is not None and backend.failure is not None:
            raise RuntimeError(f"the bundled backend failed: {backend.failure}") from backend.failure
    finally:
        if backend is not None:
            backend.stop()
        instance.release()
        gui.shutdown()
    log.info("exited cleanly")
    return 0


def finalize_exit(code: int, grace: float = 3.0) -> NoReturn:
    """Ends the process. pywebview runs js_api calls on non-daemon threads; one stuck in a call that will never
    be answered would keep Python from exiting, so after `grace` seconds the process leaves without them."""
    deadline = time.monotonic() + grace
    others = [thread for thread in threading.enumerate() if thread is not threading.main_thread()]
    for thread in others:
        if not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [thread.name for thread in others if not thread.daemon and thread.is_alive()]
    if stuck:
        log.warning("leaving without threads that did not finish: %s", stuck)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
