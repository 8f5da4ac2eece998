"""The bundled backend: the same FastAPI app, served by uvicorn on a thread of the shell, on 127.0.0.1 and a
port the OS picks. Its database and signing secret stay in the data dir, so a session outlives a restart."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import uvicorn

from backend.app import create_app
from backend.settings import Settings


class BundledBackend:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.auth_url = f"{self.origin}/api/auth"
        settings = Settings(base_url=self.auth_url, data_dir=data_dir, host="127.0.0.1", port=self.port)
        config = uvicorn.Config(create_app(settings), log_config=None, access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the bundled backend stopped while starting; see the log")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bundled backend did not start within {timeout:.0f} s")
            time.sleep(0.01)

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()
