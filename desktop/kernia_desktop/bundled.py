"""The bundled backend: the app's own server (its factory, given to DesktopApp as backend=), served by uvicorn on a
thread of the shell, on 127.0.0.1 and a port the OS picks. Its database and signing secret stay in the data dir, so
a session outlives a restart.

The socket listens from the moment the object exists, and the port is known at once; FastAPI, SQLAlchemy and the
migrations load on the backend's thread once start() is called. The app calls it when its window shows its first
view: those imports hold the interpreter for a long while, and would slow the window's start-up. The first
view needs no backend: the keyring restore asks the backend's database itself
(kernia_desktop_server.local_sessions). Requests that come before the backend serves wait in the socket's backlog.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kernia_desktop.client import AuthClient, SessionState
from kernia_desktop_server.local_sessions import confirmed_session

if TYPE_CHECKING:
    import uvicorn

    from kernia_desktop_server import Settings

log = logging.getLogger(__name__)

# Makes the ASGI app to serve from the settings the shell gives it: its KerniaAuth must be made with them.
BackendFactory = Callable[["Settings"], Any]


class BundledBackend:
    def __init__(
        self, data_dir: Path, factory: BackendFactory | str, channel: str, callback_url: str | None = None
    ) -> None:
        self.data_dir = data_dir
        self.factory = factory
        # The shell's own update channel, so that its sign-ins can come back to it.
        self.channel_entry = channel if callback_url is None else f"{channel}={callback_url}"
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(128)
        self.port: int = self._socket.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.auth_url = f"{self.origin}/api/auth"
        self.failure: BaseException | None = None
        self._server: uvicorn.Server | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    @property
    def start_requested(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Loads and serves the app on its thread, once however often it is called; wait_started() tells when it
        serves, or why it failed."""
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="bundled-backend", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        try:
            # The heavy imports, here on the backend's thread, beside the window's start-up.
            import uvicorn

            from kernia_desktop_server import Settings
            from kernia_desktop_server.startup import StartupFailure, load_factory, prepared_app

            settings = Settings(
                base_url=self.auth_url,
                data_dir=self.data_dir,
                # Its database and secret are the data dir's, whatever the environment says: the shell's restore
                # reads them there (kernia_desktop_server.local_sessions).
                database_url=None,
                secret=None,
                host="127.0.0.1",
                port=self.port,
                desktop_channels=[self.channel_entry],
            )
            try:
                app = prepared_app(lambda: load_factory(self.factory)(settings), settings)
            except StartupFailure as failure:
                log.error("the bundled backend cannot start: %s", failure)
                self.failure = failure
                return
            config = uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                lifespan="on",
                # One person's requests: the standard library's event loop and h11 (which the shell's HTTP client
                # has loaded already) serve them as well as uvloop and httptools would, and websockets are not
                # used. Leaving those three unloaded keeps them out of the app's memory.
                loop="asyncio",
                http="h11",
                ws="none",
            )
            self._server = uvicorn.Server(config)
            if self._stopping:
                return
            self._server.run(sockets=[self._socket])
            if not self._server.started and not self._stopping:
                raise RuntimeError("the bundled backend stopped while starting; see the log")
        except BaseException as error:
            log.exception("the bundled backend failed")
            self.failure = error

    def restart(self) -> None:
        """Starts again a backend that failed to start (its socket was never served, so it keeps its port)."""
        with self._starting:
            if self._thread is not None and self._thread.is_alive():
                raise RuntimeError("the bundled backend is running")
            self._thread, self.failure, self._server = None, None, None
        self.start()

    def wait_started(self, timeout: float = 30.0) -> None:
        """Returns once the backend serves; raises if it failed or is not serving within `timeout` seconds, and
        `failure` then says why."""
        deadline = time.monotonic() + timeout
        while self._server is None or not self._server.started:
            if self.failure is not None:
                raise RuntimeError(f"the bundled backend failed: {self.failure}") from self.failure
            if time.monotonic() > deadline:
                self.failure = TimeoutError(f"it did not start within {timeout:.0f} s")
                raise RuntimeError(f"the bundled backend failed: {self.failure}")
            time.sleep(0.01)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._socket.close()


class BundledClient(AuthClient):
    """The shell's client of its bundled backend."""

    def __init__(self, backend: BundledBackend, *, user_agent: str = "kernia-desktop", timeout: float = 10.0) -> None:
        super().__init__(backend.auth_url, user_agent=user_agent, timeout=timeout)
        self.backend = backend

    def restore_session(self, token: str) -> SessionState | None:
        """Confirmed in the backend's database when it can be, with no backend running yet; otherwise the
        backend, started for it, decides."""
        confirmed = confirmed_session(self.backend.data_dir, token)
        if confirmed is not None:
            return SessionState(confirmed["user"], confirmed["session"])
        log.info("restore: the session is not confirmed in the database; asking the backend")
        self.backend.start()
        return self.get_session(token)
