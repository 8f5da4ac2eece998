"""The system-browser sign-in's return path (RFC 8252 section 7.3): a one-shot HTTP listener on 127.0.0.1 and
a port the OS picks, which takes exactly one callback carrying the flow's state, and nothing else."""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable
from html import escape
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)
CALLBACK_PATH = "/callback"

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{app}</title></head>
<body style="font:16px system-ui,sans-serif;max-width:30rem;margin:4rem auto;padding:0 1rem">
<h1>{title}</h1><p>{text}</p></body></html>"""


class LoopbackListener:
    def __init__(self, state: str, on_callback: Callable[[str], None], app_title: str = "the app") -> None:
        """`app_title` names the app on the page the browser shows once it has handed the sign-in over."""
        self._state = state
        self._app_title = app_title
        self._on_callback = on_callback
        self._answered = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, title, text = listener._handle(self.path, self.headers.get("Host", ""))
                body = PAGE.format(app=escape(listener._app_title), title=title, text=escape(text)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Referrer-Policy", "no-referrer")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("loopback listener: " + format, *args)

        # 127.0.0.1 only, never 0.0.0.0: nothing off this machine may answer for the browser.
        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]
        self.redirect_uri = f"http://127.0.0.1:{self.port}{CALLBACK_PATH}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _handle(self, path: str, host: str) -> tuple[int, str, str]:
        if host != f"127.0.0.1:{self.port}":
            return 400, "Wrong address", "This address only answers to 127.0.0.1."
        parts = urlsplit(path)
        if parts.path != CALLBACK_PATH:
            return 400, "Nothing here", "This address only takes the sign-in's return."
        state = parse_qs(parts.query).get("state", [""])[0]
        if not hmac.compare_digest(state, self._state):
            return 400, "Sign-in not recognised", "This is not the sign-in the app is waiting for."
        if self._answered.is_set():
            return 400, "Already done", "This sign-in was already completed. You can close this tab."
        self._answered.set()
        self._on_callback(f"http://127.0.0.1:{self.port}{path}")
        if "error" in parse_qs(parts.query):
            return 200, "Sign-in did not complete", f"Return to {self._app_title} to see why. You can close this tab."
        return 200, "Signed in — you can close this tab", f"You are signed in to {self._app_title}."

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
