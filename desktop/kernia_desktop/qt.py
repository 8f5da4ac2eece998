"""The Qt adapter of the GUI platform (platform.py): the shell's windows on pywebview's Qt backend (PySide6 +
QtWebEngine), and the one module of the shell with Qt in it.

pywebview gives each window a profile of its own. The shell needs named partitions instead (every window of a
partition shares one QWebEngineProfile, so one cookie jar and one web storage), modal sign-in windows whose
navigations it watches, and a clean exit. These hooks into pywebview 6.2.1's `webview.platforms.qt` provide
them; they rely on its internals, so re-check them before upgrading pywebview:

- the module global `QWebEngineProfile`, which `BrowserView.__init__` calls once per window: replaced by a
  factory that returns the partition's profile;
- `BrowserView.__init__`, wrapped to finish each window (partition, parent, navigation watch) before show();
- `create_window(window)`, wrapped to pick up the options of the window being created in the calling thread;
- `BrowserView.closeEvent`, wrapped to close a window's modal children with it;
- `evaluate_js`, wrapped to return at once after the Qt loop has ended;
- `BrowserView` attributes `webview`, `request_interceptor`, `uid`, `_js_results`,
  `_confirmation_dialog_results`, `BrowserView.instances`, `WebPage.nav_handler`; `Window.native`.

One hook goes into PySide6 6.12 itself (`shibokensupport.feature._mod_uses_pyside`, see
`answer_pyside_module_check_from_files`).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import shiboken6
import webview
from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtNetwork import QNetworkCookie
from PySide6.QtWebEngineCore import (
    QWebEngineLoadingInfo,
    QWebEngineNavigationRequest,
    QWebEnginePage,
    QWebEngineProfile,
)
from PySide6.QtWidgets import QApplication, QWidget

from kernia_desktop.partition import Partition
from kernia_desktop.platform import IsCallback, PlatformOptions

if TYPE_CHECKING:
    from webview import Window

T = TypeVar("T")
CookieKey = tuple[str, str, str]
SIGN_IN_WINDOW_SIZE = (520, 680)
# How long a cookie set through the cookie store may take to be reported back as added.
COOKIE_WAIT = 5.0


class GuiStopped(RuntimeError):
    """The Qt event loop has ended: nothing can run on the GUI thread any more."""


@dataclass(frozen=True)
class NavigationWatch:
    """Stops the first main-frame navigation for which `is_callback` holds, before it is sent, or the first page
    that cannot be reached."""

    is_callback: IsCallback
    on_match: Callable[[str], None]
    on_closed: Callable[[], None]
    on_unreachable: Callable[[str], None]


# Load failures that mean the page's server cannot be reached; an HTTP error page is the server's answer and shows.
UNREACHABLE = (
    QWebEngineLoadingInfo.ErrorDomain.ConnectionErrorDomain,
    QWebEngineLoadingInfo.ErrorDomain.DnsErrorDomain,
    QWebEngineLoadingInfo.ErrorDomain.CertificateErrorDomain,
)
# net::ERR_ABORTED: a load that another navigation (or the watch itself) replaced.
ABORTED = -3


@dataclass(frozen=True)
class WindowOptions:
    partition: Partition
    parent: Window | None = None
    navigation_watch: NavigationWatch | None = None


@dataclass
class PartitionProfile:
    profile: QWebEngineProfile
    # QWebEngineCookieStore cannot list its cookies: the partition keeps them from cookieAdded/cookieRemoved,
    # on the GUI thread, under `changed`, which wakes the threads waiting for a cookie to arrive.
    cookies: dict[CookieKey, QNetworkCookie] = field(default_factory=dict)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def added(self, cookie: QNetworkCookie) -> None:
        with self.changed:
            self.cookies[_cookie_key(cookie)] = QNetworkCookie(cookie)
            self.changed.notify_all()

    def removed(self, cookie: QNetworkCookie) -> None:
        with self.changed:
            self.cookies.pop(_cookie_key(cookie), None)

    def wait_for(self, host: str, wanted: Callable[[str], bool], timeout: float) -> QNetworkCookie | None:
        """The first cookie for `host` whose name `wanted` accepts, once there (any thread but the GUI's)."""

        def found() -> QNetworkCookie | None:
            return next(
                (
                    cookie
                    for (name, domain, _path), cookie in self.cookies.items()
                    if _domain_matches(domain, host) and wanted(name)
                ),
                None,
            )

        with self.changed:
            self.changed.wait_for(lambda: found() is not None, timeout)
            return found()


@dataclass
class OpenView:
    """A window's view and the pages it made, kept from creation: page() of a closed view makes a new page."""

    view: Any
    page: QWebEnginePage
    navigation_page: QWebEnginePage | None


def _cookie_key(cookie: QNetworkCookie) -> CookieKey:
    return bytes(cookie.name().data()).decode(errors="replace"), cookie.domain(), cookie.path()


def _domain_matches(domain: str, host: str) -> bool:
    domain = domain.lstrip(".")
    return domain == host or domain.endswith(f".{host}")


def module_source_names_pyside(module: Any) -> bool:
    """Whether a module's source file mentions PySide6, read without looking anything up on the module itself."""
    namespace = getattr(module, "__dict__", None)
    path = namespace.get("__file__") if isinstance(namespace, dict) else None
    if not isinstance(path, str) or not path.endswith(".py"):
        return False
    try:
        return b"PySide6" in Path(path).read_bytes()
    except OSError:
        return False


def answer_pyside_module_check_from_files() -> None:
    """PySide6 asks of every module imported after it whether its source mentions PySide6 (its `__feature__`
    support). It asks through inspect.getsource, which first looks up `__wrapped__` on the module, and on a module
    with a `__getattr__` that imports (pydantic's), that lookup runs an import in the middle of the hook. When
    another thread imports at the same moment, the hook runs again inside it and the import fails as circular:
    the bundled backend, loading pydantic while the bridge's first calls imported too, failed to start. The same
    question, answered from the module's file, touches no module attribute."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is not None and hasattr(feature, "_mod_uses_pyside"):
        setattr(feature, "_mod_uses_pyside", module_source_names_pyside)  # noqa: B010 - PySide6's private hook


class _Invoker(QObject):
    """Lives on the GUI thread; a job emitted from any thread runs there, in the order emitted."""

    job = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.job.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _run(self, job: Callable[[], None]) -> None:
        job()


class AuthWindow:
    """A sign-in window as kernia_desktop.oauth sees it: something it can close from its worker thread."""

    def __init__(self, platform: QtPlatform, window: Window) -> None:
        self._platform = platform
        self._window = window

    def close(self) -> None:
        self._platform.close_window(self._window)


class QtPlatform:
    """Windows, partitions, sign-in windows and GUI-thread marshalling on pywebview's Qt backend.

    Every public method may be called from any thread except where it says otherwise; none may be called
    from a GUI-thread callback while that callback waits for its result.
    """

    def __init__(self, options: PlatformOptions) -> None:
        self.data_dir = options.data_dir
        self.options = options
        self._partitions: dict[str, PartitionProfile] = {}
        self._options: dict[str, WindowOptions] = {}
        self._views: list[OpenView] = []
        self._children: dict[int, list[Any]] = {}
        self._creating = threading.local()
        self._pending: set[Future[Any]] = set()
        self._invoker: _Invoker | None = None
        self._quit_requested = False
        self.stopped = False
        self._install_hooks()

    # -- pywebview hooks ------------------------------------------------------------------------------------

    def _install_hooks(self) -> None:
        answer_pyside_module_check_from_files()
        # qtpy picks its binding when pywebview's Qt module is first imported.
        os.environ.setdefault("QT_API", "pyside6")
        from webview.platforms import qt as pywebview_qt

        platform = self
        browser_view = pywebview_qt.BrowserView
        # pywebview's internals carry no types: each is called as it is, with what pywebview passes it.
        original_init: Callable[..., None] = browser_view.__init__
        original_close_event: Callable[..., None] = browser_view.closeEvent
        original_create_window: Callable[..., None] = pywebview_qt.create_window
        original_evaluate_js: Callable[..., Any] = pywebview_qt.evaluate_js

        def profile_factory(*_args: Any) -> QWebEngineProfile:
            return platform._profile_of(platform._options[platform._creating.view_uid].partition).profile

        def init(view: Any, window: Window) -> None:
            platform._creating.view_uid = window.uid
            try:
                original_init(view, window)
            finally:
                platform._creating.view_uid = None
            platform._finish_view(view, window)

        def create_window(window: Window) -> None:
            # Runs in the thread that called webview.create_window, before the GUI thread builds the window.
            options = getattr(platform._creating, "options", None)
            if options is not None:
                platform._options[window.uid] = options
            original_create_window(window)

        def close_event(view: Any, event: Any) -> None:
            original_close_event(view, event)
            if event.isAccepted():
                # pywebview quits once no window is left: an open modal child would keep the app running.
                for child in platform._children.pop(id(view), []):
                    if child.uid in browser_view.instances:
                        child.close()

        def evaluate_js(script: str, uid: str, parse_json: bool = True) -> Any:
            # After the loop has ended no one would ever answer: a js_api thread would wait forever.
            if platform.stopped:
                return None
            return original_evaluate_js(script, uid, parse_json)

        setattr(pywebview_qt, "QWebEngineProfile", profile_factory)  # noqa: B010 - not a name pywebview exports
        setattr(browser_view, "__init__", init)  # noqa: B010 - a class's method, replaced
        setattr(browser_view, "closeEvent", close_event)  # noqa: B010
        pywebview_qt.create_window = create_window
        pywebview_qt.evaluate_js = evaluate_js

    def _profile_of(self, partition: Partition) -> PartitionProfile:
        """The partition's profile, made on first use (GUI thread)."""
        existing = self._partitions.get(partition.name)
        if existing is not None:
            return existing
        storage = partition.storage_dir(self.data_dir)
        if storage is None:
            profile = QWebEngineProfile()  # no storage name: off the record, all in memory
        else:
            # One live profile per storage name: two would share files, and Qt hangs at exit.
            # Plain constructor and setters, not QWebEngineProfileBuilder, whose profiles are owned by C++ and
            # so are invalidated for Python when pywebview's first page of the partition goes away.
            profile = QWebEngineProfile(f"partition-{partition.slug}")
            profile.setPersistentStoragePath(str(storage))
            # Web storage stays on disk; cookies and the HTTP cache never do (no credential may reach disk).
            profile.setPersistentCookiesPolicy(QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
            profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        record = PartitionProfile(profile)
        store = profile.cookieStore()
        store.cookieAdded.connect(record.added)
        store.cookieRemoved.connect(record.removed)
        self._partitions[partition.name] = record
        return record

    def _finish_view(self, view: Any, window: Window) -> None:
        """Runs on the GUI thread at the end of BrowserView.__init__, before pywebview shows the window."""
        options = self._options[window.uid]
        page = view.webview.page()
        self._views.append(OpenView(view, page, getattr(page, "nav_handler", None)))
        # A js_api call whose window closes before its answer is delivered would wait forever.
        page.destroyed.connect(lambda *_: self._release_waiters(view))
        # pywebview set its window's request interceptor on the profile, which is shared now: the last window
        # would win and a closed one's would dangle. The page-level interceptor behaves the same, per window.
        page.profile().setUrlRequestInterceptor(None)
        page.setUrlRequestInterceptor(view.request_interceptor)
        # window.close() in a page closes its window, as in a browser.
        page.windowCloseRequested.connect(view.close)
        if options.parent is not None:
            parent_view = options.parent.native
            # setParent resets the window flags: keep it a window of its own, modal to its parent. A dialog, so
            # that X11 window managers learn whose it is (Qt writes WM_TRANSIENT_FOR only for dialog types).
            flags = view.windowFlags() & ~Qt.WindowType.WindowType_Mask
            view.setParent(parent_view, flags | Qt.WindowType.Dialog)
            view.setWindowModality(Qt.WindowModality.WindowModal)
            self._children.setdefault(id(parent_view), []).append(view)
        if options.navigation_watch is not None:
            self._watch_navigations(view, window, page, options.navigation_watch)

    def _watch_navigations(self, view: Any, window: Window, page: QWebEnginePage, watch: NavigationWatch) -> None:
        matched = threading.Event()

        def on_navigation(request: QWebEngineNavigationRequest) -> None:
            # Every navigation comes here, redirects included, before its request is sent.
            url = request.url().toString()
            if matched.is_set() or not request.isMainFrame() or not watch.is_callback(url):
                return
            request.reject()
            matched.set()
            QTimer.singleShot(0, view.close)  # not inside the signal
            threading.Thread(target=watch.on_match, args=(url,), name="auth-callback", daemon=True).start()

        def on_loading(info: QWebEngineLoadingInfo) -> None:
            failed = info.status() == QWebEngineLoadingInfo.LoadStatus.LoadFailedStatus
            if matched.is_set() or not failed or info.errorDomain() not in UNREACHABLE or info.errorCode() == ABORTED:
                return
            matched.set()
            url = info.url().toString()
            QTimer.singleShot(0, view.close)
            threading.Thread(target=watch.on_unreachable, args=(url,), name="auth-unreachable", daemon=True).start()

        def on_closed() -> None:  # pywebview runs it on a worker thread
            if not matched.is_set():
                watch.on_closed()

        page.navigationRequested.connect(on_navigation)
        page.loadingChanged.connect(on_loading)
        window.events.closed += on_closed

    @staticmethod
    def _release_waiters(view: Any) -> None:
        """Wakes threads blocked in the view's evaluate_js or confirmation dialog; they get an empty answer."""
        for waiters in (view._js_results, view._confirmation_dialog_results):
            for waiter in list(waiters.values()):
                waiter["semaphore"].release()

    # -- the GUI thread -------------------------------------------------------------------------------------

    def post(self, job: Callable[[], None]) -> None:
        """Queues `job` to run on the GUI thread, without waiting for it; dropped when the loop is not running
        (before it starts, the windows are about to show anyway)."""
        if self._invoker is not None and not self.stopped:
            self._invoker.job.emit(job)

    def call(self, function: Callable[[], T], timeout: float = 10.0) -> T:
        """Runs `function` on the GUI thread and returns its result."""
        if threading.current_thread() is threading.main_thread():
            return function()
        if self._invoker is None or self.stopped:
            raise GuiStopped("the Qt event loop is not running")
        future: Future[T] = Future()

        def job() -> None:
            self._pending.discard(future)
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(function())
                except BaseException as error:
                    future.set_exception(error)

        self._pending.add(future)
        self._invoker.job.emit(job)
        return future.result(timeout)

    # -- windows --------------------------------------------------------------------------------------------

    def create_window(
        self,
        title: str,
        url: str,
        partition: Partition,
        js_api: object | None,
        size: tuple[int, int],
        *,
        parent: Window | None = None,
        navigation_watch: NavigationWatch | None = None,
    ) -> Window:
        options = WindowOptions(partition, parent, navigation_watch)
        self._creating.options = options
        try:
            window = webview.create_window(title, url, js_api=js_api, width=size[0], height=size[1])
        finally:
            self._creating.options = None
        assert window is not None
        # Windows made before start() reach pywebview's create_window only later, from start().
        self._options.setdefault(window.uid, options)
        return window

    def open_auth_window(
        self,
        parent: Window,
        url: str,
        is_callback: IsCallback,
        on_callback: Callable[[str], None],
        on_closed: Callable[[], None],
        on_unreachable: Callable[[str], None],
    ) -> AuthWindow:
        """platform.AuthWindowHost: a window modal to `parent`, in its partition, with no js_api."""
        window = self.create_window(
            "Sign in",
            url,
            self._options[parent.uid].partition,
            None,
            SIGN_IN_WINDOW_SIZE,
            parent=parent,
            navigation_watch=NavigationWatch(is_callback, on_callback, on_closed, on_unreachable),
        )
        return AuthWindow(self, window)

    def close_window(self, window: Window) -> None:
        """Closes the window if it is still open; the close is queued after the window's creation."""
        from webview.platforms.qt import BrowserView

        def close() -> None:
            view = BrowserView.instances.get(window.uid)
            if view is not None:
                view.close()

        self.post(close)

    def bring_to_front(self, window: Window | None = None) -> None:
        """Raises `window`, or else the first open window, and its modal child if any, above other windows."""
        from webview.platforms.qt import BrowserView

        def raise_windows() -> None:
            view = BrowserView.instances.get(window.uid) if window is not None else None
            if view is None:
                view = next((view for view in BrowserView.instances.values() if view.parentWidget() is None), None)
            if view is None:
                return
            self._raise(view)
            modal = QApplication.activeModalWidget()
            if modal is not None:
                self._raise(modal)

        self.post(raise_windows)

    @staticmethod
    def _raise(view: QWidget) -> None:
        if view.isMinimized():
            view.showNormal()
        view.show()
        view.raise_()
        view.activateWindow()

    def clear_cookies(self, partition: Partition, host: str) -> int:
        """Deletes the partition's cookies for `host` and its sub-domains; returns how many."""

        def delete() -> int:
            record = self._partitions.get(partition.name)
            if record is None:
                return 0
            with record.changed:
                victims = [cookie for cookie in record.cookies.values() if _domain_matches(cookie.domain(), host)]
            for cookie in victims:
                record.profile.cookieStore().deleteCookie(cookie)
            return len(victims)

        try:
            return self.call(delete)
        except GuiStopped:
            return 0  # the profiles are gone, and their cookies never reached disk

    def set_cookies(self, partition: Partition, url: str, set_cookie_headers: Sequence[str]) -> None:
        """platform.AuthWindowHost: the cookies a server set in its answer to `url`, put in the partition's
        profile; returns once the profile has them, so that the next navigation carries them."""
        cookies = [cookie for header in set_cookie_headers for cookie in QNetworkCookie.parseCookies(header.encode())]
        if not cookies:
            return

        def add() -> PartitionProfile:
            record = self._profile_of(partition)
            for cookie in cookies:
                record.profile.cookieStore().setCookie(cookie, QUrl(url))
            return record

        record = self.call(add)
        host = QUrl(url).host()
        for cookie in cookies:
            name = bytes(cookie.name().data()).decode(errors="replace")
            if record.wait_for(host, name.__eq__, COOKIE_WAIT) is None:
                raise TimeoutError(f"the web profile did not take the cookie {name}")

    def take_cookies(
        self, partition: Partition, host: str, wanted: Callable[[str], bool], timeout: float
    ) -> str | None:
        """platform.AuthWindowHost: waits (at most `timeout`) for a cookie for `host` whose name `wanted` accepts,
        then deletes every cookie of `host` from the partition's profile; the wanted one's value, or None."""
        try:
            record = self.call(lambda: self._profile_of(partition))
        except GuiStopped:
            return None
        cookie = record.wait_for(host, wanted, timeout)
        self.clear_cookies(partition, host)
        return None if cookie is None else bytes(cookie.value().data()).decode(errors="replace")

    def dispatch_event(self, window: Window, name: str, detail: object) -> None:
        """platform.GuiPlatform: a CustomEvent on the window's page; queued, so any thread may call it."""
        from webview.platforms.qt import BrowserView

        script = f"window.dispatchEvent(new CustomEvent({json.dumps(name)}, {{detail: {json.dumps(detail)}}}))"

        def dispatch() -> None:
            view = BrowserView.instances.get(window.uid)
            if view is not None:
                view.webview.page().runJavaScript(script)

        self.post(dispatch)

    def screenshot(self, window: Window, path: Path) -> tuple[int, int]:
        """Saves the window's contents as a PNG; returns its width and height."""

        def grab() -> tuple[int, int]:
            # pywebview declares `native` as None; once the window exists it is the window's Qt widget.
            pixmap = cast(QWidget, window.native).grab()
            if not pixmap.save(str(path), "PNG"):
                raise OSError(f"could not write {path}")
            return pixmap.width(), pixmap.height()

        path.parent.mkdir(parents=True, exist_ok=True)
        return self.call(grab)

    # -- the event loop -------------------------------------------------------------------------------------

    def run(self, on_started: Callable[[], None]) -> None:
        """Shows the windows made so far and runs the Qt loop on this (the main) thread until the last window
        closes or quit() is called. `on_started` runs on a worker thread once the loop is starting."""
        if self.options.debug_port is not None:
            os.environ["QTWEBENGINE_REMOTE_DEBUGGING"] = f"127.0.0.1:{self.options.debug_port}"
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # Chromium refuses to start its sandbox as root.
            os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
        # Qt's shader caches would go to ~/.cache/<application name>: outside the data dir.
        os.environ.setdefault("QT_DISABLE_SHADER_DISK_CACHE", "1")
        QApplication.setApplicationName(self.options.app_name)
        self._invoker = _Invoker()

        def started() -> None:
            if self._quit_requested:
                self.post(self.quit)
            on_started()

        # private_mode makes pywebview ask for a nameless profile, which the factory above replaces; without it
        # pywebview would point every profile at ~/.pywebview.
        icon = str(self.options.icon) if self.options.icon is not None else None
        webview.start(started, gui="qt", private_mode=True, icon=icon)

    def quit(self) -> None:
        """Ends the Qt loop as soon as it runs. Main thread only (a signal handler, a GUI-thread job)."""
        self._quit_requested = True
        application = QApplication.instance()
        if application is not None:
            QTimer.singleShot(0, application.quit)

    def shutdown(self) -> None:
        """After the loop has ended: wakes waiting threads, then deletes pages before their profiles, which
        flushes web storage to disk."""
        self.stopped = True
        for open_view in self._views:
            self._release_waiters(open_view.view)
        for future in list(self._pending):
            if future.set_running_or_notify_cancel():
                future.set_exception(GuiStopped("the Qt event loop has ended"))
        self._pending.clear()
        for open_view in self._views:
            for qt_object in (open_view.navigation_page, open_view.page, open_view.view):
                if qt_object is not None and shiboken6.isValid(qt_object):
                    shiboken6.delete(qt_object)
        self._views.clear()
        self._children.clear()
        for record in self._partitions.values():
            if shiboken6.isValid(record.profile):
                shiboken6.delete(record.profile)
        self._partitions.clear()


def create(options: PlatformOptions) -> QtPlatform:
    """The adapter's entry point (platform.load_platform)."""
    return QtPlatform(options)
