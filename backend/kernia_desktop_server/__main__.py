"""python -m kernia_desktop_server [--app module:factory] [--host H] [--port P] [--workers N]: serve an app with
uvicorn; by default the auth API alone (kernia_desktop_server.app:create_app)."""

from __future__ import annotations

import argparse
import os
import sys

from kernia_desktop_server.settings import Settings
from kernia_desktop_server.startup import explained, load_factory, prepared_app

DEFAULT_APP = "kernia_desktop_server.app:create_app"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kernia_desktop_server", description="Serve a Kernia app.")
    parser.add_argument(
        "--app",
        default=DEFAULT_APP,
        help=f"the factory of the app to serve, as module:function, called with no argument (default {DEFAULT_APP})",
    )
    parser.add_argument("--host", default=os.environ.get("KERNIA_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("KERNIA_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    # The bind address decides what is safe (a generated secret, the Host allowlist); workers re-read it.
    os.environ["KERNIA_HOST"] = args.host
    os.environ["KERNIA_PORT"] = str(args.port)
    settings: Settings | None = None
    try:
        settings = Settings()
        settings.secret_bytes  # noqa: B018 - fail here, with the message, rather than in every worker
        # The app, made and prepared once here: a failure is told in a line, not in a traceback per worker.
        app = prepared_app(load_factory(args.app), settings)
    except Exception as error:
        failure = explained(error, settings)
        if failure is None:
            raise
        print(f"kernia server: {failure}", file=sys.stderr)
        return failure.status
    import uvicorn

    uvicorn.run(
        # One process serves the app made above; several workers are processes of their own, each making its own.
        app if args.workers == 1 else args.app,
        factory=args.workers != 1,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
