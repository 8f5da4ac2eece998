"""python -m backend [--host H] [--port P] [--workers N]: serve the backend with uvicorn."""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn

from backend.settings import ConfigurationError, Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend", description="Serve the Kernia Desktop backend.")
    parser.add_argument("--host", default=os.environ.get("KERNIA_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("KERNIA_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)

    # The bind address decides what is safe (a generated secret, the Host allowlist); workers re-read it.
    os.environ["KERNIA_HOST"] = args.host
    os.environ["KERNIA_PORT"] = str(args.port)
    try:
        Settings().secret_bytes  # noqa: B018 - fail here, with the message, rather than in every worker
    except (ConfigurationError, ValueError) as error:
        print(f"kernia backend: {error}", file=sys.stderr)
        return 2
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
