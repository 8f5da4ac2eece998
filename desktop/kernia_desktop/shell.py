"""The running app, the same on every platform: one instance per data dir, the bundled backend or a remote server,
the keyring, one account per partition, the windows, and a clean exit.

The GUI platform is reached only through `platform.GuiPlatform`.
"""

from __future__ import annotations

import functools
import html
import logging
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urljoin, urlsplit, urlunsplit

from kernia_desktop.account import FIRST_VIEW_WAIT, PROFILE_FIELDS, Account, kept_profile
from kernia_desktop.bridge import Bridge, BridgeError, Exposed
from kernia_desktop.client import AuthClient, ServerError
from kernia_desktop.data_dir import data_dir_problem, move_aside
from kernia_desktop.instance import SingleInstance
from kernia_desktop.oauth import SocialSignIn, flow_for
from kernia_desktop.partition import PERSIST_PREFIX, Partition
from kernia_desktop.platform import GuiPlatform, PlatformOptions, load_platform
from kernia_desktop.settings import DesktopSettings, Flow
from kernia_desktop.sign_in import SignInOutcome

if TYPE_CHECKING:
    from webview import Window

    from kernia_desktop.bundled import BackendFactory, BundledBackend
    from kernia_desktop.vault import Vault

log = logging.getLogger(__name__)

# What a person reads of a provider the server has not set up (the server's own reason goes to the log).
UNAVAILABLE_PROVIDER = "Not available: this sign-in option is not set up yet."
# The event a window's page gets when its partition's account changes; its detail is the new state.
STATE_EVENT = "kernia:state"
# The event every window gets when any account of the app changes (list_accounts tells the new list).
ACCOUNTS_EVENT = "kernia:accounts"


@dataclass(frozen=True)
class AppDefinition:
    """What the developer's DesktopApp says the app is."""

    name: str
    title: str
    # A folder with index.html, or the http(s) URL of a development server.
    renderer: Path | str
    size: tuple[int, int]
    icon: Path | None
    backend: BackendFactory | str | None
    exposed: Mapping[str, Exposed]


@dataclass(frozen=True)
class Server:
    """The server the app signs in to."""

    auth_url: str
    keyring_service: str

    @classmethod
    def remote(cls, auth_url: str, app_name: str) -> Server:
        parts = urlsplit(auth_url)
        return cls(auth_url, f"{app_name}:{parts.scheme}://{parts.netloc}")

    @classmethod
    def bundled(cls, backend: BundledBackend, app_name: str) -> Server:
        return cls(backend.auth_url, f"{app_name}:local")

    @property
    def host(self) -> str:
        return urlsplit(self.auth_url).hostname or ""


def renderer_url(renderer: Path | str, path: str) -> str:
    """The renderer's page for an app path, whichever server the app signs in to."""
    if isinstance(renderer, str):
        return urljoin(renderer, path.lstrip("/"))
    # A folder holds a single page: of the path, only its query and fragment mean something to it. A file URL,
    # so the page loads straight from disk, with no local HTTP server to wait for (or to show its files to other
    # local processes).
    parts = urlsplit(path)
    index = (renderer / "index.html").resolve()
    return urlunsplit(urlsplit(index.as_uri())._replace(query=parts.query, fragment=parts.fragment))


class Shell:
    """The running app as its bridges see it (bridge.BridgeHost): its accounts, one per partition, and its
    windows."""

    def __init__(
        self,
        gui: GuiPlatform,
        server: Server,
        open_client: Callable[[], AuthClient],
        open_vault: Callable[[], Vault],
        settings: DesktopSettings,
        definition: AppDefinition,
        backend: BundledBackend | None = None,
    ) -> None:
        self.gui, self.server, self.definition = gui, server, definition
        self.backend, self.log_dir = backend, settings.log_dir
        # The app's first window: where a backend that cannot start is explained.
        self.main_window: Window | None = None
        self.flows = settings.flows
        self._open_client = open_client
        self._client: AuthClient | None = None
        self._open_vault = open_vault
        self._vault: Vault | None = None
        self.default_partition = Partition(settings.partition)
        self.social = SocialSignIn(
            gui,
            settings.oauth_timeout,
            webbrowser.open,
            gui.bring_to_front,
            settings.channel,
            settings.callback_url,
            definition.title,
            settings.handoff,
            settings.session_cookie,
        )
        self.configured_providers = settings.providers
        self._told_unavailable: set[object] = set()
        self._accounts: dict[str, Account] = {}
        # The open windows of each partition, which hear of every change of its account.
        self._windows: dict[str, list[Window]] = {}
        self._lock = threading.RLock()
        # Set once a renderer has been told who is signed in: its window is showing its first view.
        self.first_view_answered = threading.Event()

    @property
    def client(self) -> AuthClient:
        """The server's client, made on first use: by the first account, on the restore thread."""
        with self._lock:
            if self._client is None:
                self._client = self._open_client()
            return self._client

    def close(self) -> None:
        for account in self._accounts.values():
            account.close()
        if self._client is not None:
            self._client.close()

    def account(self, partition: Partition) -> Account:
        """The partition's account, signed back in from the keyring when it is first needed."""
        with self._lock:
            account = self._accounts.get(partition.name)
            if account is None:
                if self._vault is None:
                    # Opened by the first account, on the restore thread, as the client is: the keyring's D-Bus
                    # round trips and the HTTP client's set-up stay off the main thread, which is starting the
                    # window meanwhile.
                    self._vault = self._open_vault()
                account = Account(partition, self.client, self._vault, first_view=self.first_view_answered)
                account.on_signed_out = lambda: self._forget_cookies(partition)
                account.on_change = functools.partial(self._broadcast, account)
                account.restore()
                self._accounts[partition.name] = account
            return account

    def _forget_cookies(self, partition: Partition) -> None:
        cleared = self.gui.clear_cookies(partition, self.server.host)
        log.info("signed out of %s; cleared %d cookie(s) for %s", partition.name, cleared, self.server.host)

    def _broadcast(self, account: Account) -> None:
        """Tells every window of the account's partition its new state (a `kernia:state` event), and every window
        of the app that the accounts changed (`kernia:accounts`)."""
        state = account.state()
        with self._lock:
            windows = {name: list(windows) for name, windows in self._windows.items()}
        for window in windows.get(account.partition.name, ()):
            self.gui.dispatch_event(window, STATE_EVENT, state)
        for window in (window for of_partition in windows.values() for window in of_partition):
            self.gui.dispatch_event(window, ACCOUNTS_EVENT, None)

    def window(self, path: str, partition_name: str) -> Window:
        partition = Partition(partition_name)
        definition = self.definition
        bridge = Bridge(self, partition, definition.exposed)
        title = definition.title if partition == self.default_partition else f"{definition.title} ({partition.name})"
        window = self.gui.create_window(
            title, renderer_url(definition.renderer, path), partition, bridge, definition.size
        )
        bridge._bind(window)
        with self._lock:
            self._windows.setdefault(partition.name, []).append(window)

        def closed() -> None:
            with self._lock:
                self._windows[partition.name].remove(window)

        window.events.closed += closed
        return window

    def start_backend(self) -> bool:
        """Starts the bundled backend and waits for it to serve; True once it does. A backend that cannot start
        is explained in the main window, which a person sees (stderr they may not); the app ends when it closes."""
        assert self.backend is not None and self.main_window is not None
        self.backend.start()
        try:
            self.backend.wait_started()
        except RuntimeError:
            self.main_window.load_html(failure_page(self.definition.title, self.backend.failure, self.log_dir))
            return False
        return True

    def _start_again(self) -> None:
        assert self.backend is not None and self.main_window is not None
        self.backend.restart()
        if self.start_backend():
            self.main_window.load_url(renderer_url(self.definition.renderer, "/"))

    # -- bridge.BridgeHost -----------------------------------------------------------------------------------

    def accounts(self) -> list[dict[str, Any]]:
        """The accounts the app keeps, one per partition: the signed-in ones of this run, and those the keyring
        keeps a credential for, with their last known user (so the list is the same offline)."""
        vault = self.account(self.default_partition).vault
        with self._lock:
            live = {name: account for name, account in self._accounts.items() if account.signed_in}
        listed = []
        for name in dict.fromkeys([*live, *vault.accounts()]):
            account = live.get(name)
            if account is None and vault.load(name) is None:
                continue
            user = account.user if account is not None else kept_profile(vault, name)
            profile = {key: (user or {}).get(key) for key in PROFILE_FIELDS}
            listed.append({"partition": name, "user": profile, "offline": bool(account and account.offline)})
        return listed

    def add_account(self) -> str:
        """A window in a new partition, for another account to sign in; the partition's name."""
        partition = Partition(f"{PERSIST_PREFIX}account-{secrets.token_hex(4)}")
        self.window("/", partition.name)
        return partition.name

    def remove_account(self, partition: Partition) -> str:
        """Signs the partition's account out and forgets it; says what the server was told."""
        if partition == self.default_partition:
            raise BridgeError("INVALID_ARGUMENT", "The app's own account is signed out, not removed.")
        said = self.account(partition).sign_out()
        log.info("removed the account of %s", partition.name)
        return said

    def start_fresh(self) -> str:
        """Moves the bundled backend's damaged database aside (kept, renamed) and starts the backend again, with a
        new one; the damaged file's new path."""
        damaged = getattr(self.backend.failure if self.backend else None, "damaged_file", None)
        if damaged is None:
            raise BridgeError("NOTHING_TO_MOVE", "The app has no damaged database to move aside.")
        moved = move_aside(Path(damaged))
        log.warning("moved the damaged database %s aside to %s; starting with a new one", damaged, moved)
        threading.Thread(target=self._start_again, name="start-again", daemon=True).start()
        return str(moved)

    def state(self, partition: Partition) -> dict[str, Any]:
        state = self.account(partition).state()
        self.first_view_answered.set()
        return state

    def open_window(self, path: str, partition: str) -> None:
        self.window(path, partition)

    def sign_in_social(self, account: Account, provider: str, flow: Flow | None, parent: Any) -> SignInOutcome:
        return self.social.run(account, provider, flow_for(provider, flow, self.flows), parent)

    def cancel_sign_in(self, account: Account) -> bool:
        return self.social.cancel(account)

    def providers(self) -> list[dict[str, Any]]:
        try:
            providers = self.client.providers()
        except ServerError as error:
            if error.status != 404:
                raise
            # A server with no list of its own (a stock server, or one without social sign-in): the app's.
            providers = [
                {"id": provider, "name": name, "available": True, "reason": None}
                for provider, name in self.configured_providers.items()
            ]
        for provider in providers:
            if not provider.get("available", True):
                # The server's reason is for the developer (in the log, once a run): the person at the app reads
                # that it is not set up.
                if provider.get("id") not in self._told_unavailable:
                    self._told_unavailable.add(provider.get("id"))
                    log.info("the provider %s is not available: %s", provider.get("id"), provider.get("reason"))
                provider["reason"] = UNAVAILABLE_PROVIDER
        return [{**provider, "flow": flow_for(provider["id"], None, self.flows)} for provider in providers]


def open_vault(service: str) -> Vault:
    """The keyring's vault for `service`; keyring loads here, on the restore thread, not at the app's start."""
    from kernia_desktop.vault import Vault

    return Vault.open(service)


def configure_logging(log_dir: Path, app_name: str) -> None:
    """The log goes to <data dir>/logs/desktop.log, and its warnings to stderr; when the file cannot be written,
    all of it goes to stderr."""
    to_console = logging.StreamHandler()
    to_console.setLevel(logging.WARNING)
    to_console.setFormatter(logging.Formatter(f"{app_name}: %(message)s"))
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_dir / "desktop.log", encoding="utf-8")
    except OSError as error:
        to_console.setLevel(logging.INFO)
        logging.basicConfig(level=logging.INFO, handlers=[to_console], force=True)
        log.warning("the log cannot be written to %s (%s); it goes here instead", log_dir, error.strerror or error)
        return
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[to_file, to_console], force=True)


def explain_in_a_window(definition: AppDefinition, settings: DesktopSettings, problem: str) -> int:
    """Shows why the app cannot start in a window of its own (in memory: the data dir may be what is wrong);
    returns the exit status once the person has read it and closed the window."""
    gui = load_platform(PlatformOptions(settings.data_dir, definition.name, definition.icon, settings.debug_port))
    # A file of the system's temporary folder: the window loads file:// URLs as they are (not data: ones).
    with tempfile.TemporaryDirectory(prefix="kernia-desktop-") as folder:
        page = Path(folder) / "cannot-start.html"
        page.write_text(failure_page(definition.title, problem, None), encoding="utf-8")
        gui.create_window(definition.title, page.as_uri(), Partition("startup"), None, definition.size)
        try:
            gui.run(lambda: None)
        finally:
            gui.shutdown()
    return 1


def save_first_view(window: Window, gui: GuiPlatform, path: Path, timeout: float = 30.0) -> None:
    """Saves a screenshot of `window` once its renderer shows a view (worker thread). A renderer shows that it
    has painted a view by setting `document.body.dataset.view`; one that never does is shot after the timeout."""
    deadline = time.monotonic() + timeout
    if not window.events.loaded.wait(timeout):
        raise TimeoutError("the window did not load")
    while window.evaluate_js("document.body.dataset.view || ''") in ("", None) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # the view's first paint
    width, height = gui.screenshot(window, path)
    print(f"Saved a screenshot of the main window ({width}x{height}) to {path}", flush=True)


def run(definition: AppDefinition, settings: DesktopSettings, screenshot: Path | None = None) -> int:
    """Runs the app until its last window closes or it is told to stop; returns the exit code."""
    problem = data_dir_problem(settings.data_dir)
    configure_logging(settings.log_dir, definition.name)
    if problem is not None:
        log.error("%s", problem)
        return explain_in_a_window(definition, settings, problem)
    log.info("starting with the data dir %s", settings.data_dir)
    gui = load_platform(PlatformOptions(settings.data_dir, definition.name, definition.icon, settings.debug_port))
    instance = SingleInstance(settings.data_dir)
    if not instance.acquire(on_raise=gui.bring_to_front):
        log.info("another instance runs on %s; asked it to come to the front", settings.data_dir)
        print(f"{definition.title} is already running with {settings.data_dir}; brought its window to the front.")
        return 0
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        # Handlers run on the main thread, where the GUI loop runs: it ends as if the last window closed.
        signal.signal(signal_number, lambda *_: gui.quit())
    backend = None
    open_client: Callable[[], AuthClient]
    if settings.server is None:
        from kernia_desktop.bundled import BundledBackend, BundledClient

        if definition.backend is None:
            raise ValueError("the app names no server and no backend: give DesktopApp server= or backend=")
        backend = BundledBackend(settings.backend_dir, definition.backend, settings.channel, settings.callback_url)
        server = Server.bundled(backend, definition.name)
        open_client = functools.partial(
            BundledClient, backend, user_agent=definition.name, timeout=settings.request_timeout
        )
    else:
        server = Server.remote(settings.server, definition.name)
        open_client = functools.partial(
            AuthClient, server.auth_url, user_agent=definition.name, timeout=settings.request_timeout
        )
    try:
        log.info("signing in to %s", server.auth_url)
        shell = Shell(
            gui,
            server,
            open_client,
            functools.partial(open_vault, server.keyring_service),
            settings,
            definition,
            backend,
        )
        # The keyring restore runs beside the window's start-up; the renderer's first bridge call waits for it,
        # so its first view already shows who is signed in.
        threading.Thread(target=shell.account, args=(shell.default_partition,), name="restore", daemon=True).start()
        main_window = shell.main_window = shell.window("/", shell.default_partition.name)

        def on_started() -> None:
            if backend is not None:
                # The backend's imports would hold the interpreter while the window starts: they begin once the
                # window shows its first view, for which the restore needed no backend (kernia_desktop.bundled).
                # A renderer that never asks who is signed in must not leave the app without a backend.
                shell.first_view_answered.wait(FIRST_VIEW_WAIT)
                if not shell.start_backend():
                    return
            if screenshot is not None:
                try:
                    save_first_view(main_window, gui, screenshot)
                except Exception:
                    log.exception("could not save the screenshot")

        gui.run(on_started)
        shell.close()
        if backend is not None and backend.failure is not None:
            raise RuntimeError(f"the bundled backend failed: {backend.failure}") from backend.failure
    finally:
        if backend is not None:
            backend.stop()
        instance.release()
        gui.shutdown()
    log.info("exited cleanly")
    return 0


def failure_page(title: str, failure: BaseException | str | None, log_dir: Path | None) -> str:
    """The page a window shows when the app cannot start: what stopped it, where its log is, and, for a damaged
    bundled database, a button that moves it aside and starts fresh (the bridge's start_fresh)."""
    damaged = getattr(failure, "damaged_file", None)
    parts = [
        f"<h1>{html.escape(title)} cannot start</h1>",
        f'<p id="failure">{html.escape(str(failure or "its server did not start"))}</p>',
    ]
    if damaged is not None:
        parts.append(
            "<p>The app can move the damaged file aside, keeping it under a new name beside the old one, and start "
            'again with an empty database: you would sign in again.</p><p><button id="start-fresh" type="button">'
            'Move it aside and start fresh</button></p><script>document.getElementById("start-fresh")'
            '.addEventListener("click", async (event) => { event.target.disabled = true; const answer = '
            'await window.pywebview.api.start_fresh(); document.getElementById("failure").textContent = '
            "answer.message || `The damaged file is now ${answer.moved_to}. Starting again…`; });</script>"
        )
    if log_dir is not None:
        parts.append(f"<p>The details are in {html.escape(str(log_dir))}.</p>")
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        '<body data-view="cannot-start" style="font: 15px/1.5 system-ui, sans-serif; margin: 3em; max-width: 44em">'
        f"{''.join(parts)}</body></html>"
    )


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
