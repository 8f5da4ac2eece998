"""The bundled backend's libraries alone: one FastAPI route reading SQLite through async SQLAlchemy (aiosqlite),
served by uvicorn on a thread the way the shell serves the bundled backend. Prints the resident memory that
loading and serving it added to the process, in MB: the least a backend on this stack can add to the app.

No `from __future__ import annotations` here: FastAPI reads the route's return type, a class made inside serve().
"""

import re
import socket
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path


def resident_mb() -> float:
    status = Path("/proc/self/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert found
    return int(found.group(1)) / 1024


def serve(listener: socket.socket, database: Path, serving: threading.Event) -> None:
    import uvicorn
    from fastapi import FastAPI
    from pydantic import BaseModel
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(f"sqlite+aiosqlite:///{database}")

    class Answer(BaseModel):
        value: int

    app = FastAPI()

    @app.get("/")
    async def answer() -> Answer:
        async with engine.connect() as connection:
            return Answer(value=(await connection.execute(text("select 1"))).scalar_one())

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            serving.set()

    Server(uvicorn.Config(app, log_config=None, loop="asyncio", http="h11", ws="none")).run(sockets=[listener])


def main() -> None:
    before = resident_mb()
    listener = socket.create_server(("127.0.0.1", 0))
    serving = threading.Event()
    with tempfile.TemporaryDirectory() as directory:
        thread = threading.Thread(target=serve, args=(listener, Path(directory) / "app.db", serving), daemon=True)
        thread.start()
        if not serving.wait(60):
            sys.exit("the app did not start")
        with urllib.request.urlopen(f"http://127.0.0.1:{listener.getsockname()[1]}/") as response:
            assert response.read() == b'{"value":1}'
        print(f"{resident_mb() - before:.1f}")


if __name__ == "__main__":
    main()
