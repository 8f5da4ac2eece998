"""One running app per data dir: a second launch asks the first to bring its window forward, then exits."""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)
RAISE = b"raise\n"

if sys.platform == "win32":
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
else:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True


class SingleInstance:
    """Holds the data dir's lock; the lock file names the port on which the running app listens for a raise."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "instance.lock"
        self._handle: IO[str] | None = None
        self._listener: socket.socket | None = None

    def acquire(self, on_raise: Callable[[], None]) -> bool:
        """True when this process is the running app; False after signalling the one that is."""
        handle = self.path.open("a+")
        if not _try_lock(handle):
            handle.close()
            self._signal_running()
            return False
        self._handle = handle
        listener = socket.create_server(("127.0.0.1", 0))
        self._listener = listener
        handle.seek(0)
        handle.truncate()
        handle.write(str(listener.getsockname()[1]))
        handle.flush()
        threading.Thread(target=self._serve, args=(listener, on_raise), daemon=True).start()
        return True

    def _serve(self, listener: socket.socket, on_raise: Callable[[], None]) -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    if connection.recv(16) == RAISE:
                        on_raise()
                except OSError as error:
                    log.debug("ignored a bad raise request: %s", error)

    def _signal_running(self) -> None:
        try:
            port = int(self.path.read_text().strip())
            with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
                connection.sendall(RAISE)
        except (OSError, ValueError) as error:
            log.warning("another instance holds %s but could not be reached: %s", self.path, error)

    def release(self) -> None:
        if self._listener is not None:
            self._listener.close()
        if self._handle is not None:
            self._handle.close()
