"""kernia-desktop / python -m desktop: runs the desktop app."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import NoReturn

from desktop.app import finalize_exit, run
from desktop.packaged import BuildInfo, packaged_build
from desktop.settings import DesktopSettings, SettingsError

# What a packaged build does not let its environment or command line change.
_FIXED_IN_PACKAGED_BUILDS = (
    "KERNIA_DESKTOP_SERVER",
    "KERNIA_BASE_URL",
    "KERNIA_DESKTOP_SERVER_URL",
    "KERNIA_DESKTOP_DEBUG_PORT",
    "KERNIA_DESKTOP_CHANNEL",
    "KERNIA_DESKTOP_CALLBACK_URL",
)


def parse_arguments(argv: list[str] | None, build: BuildInfo | None) -> argparse.Namespace:
    epilog = None
    if build is not None:
        epilog = (
            f"This is a packaged build ({build.channel} channel): it signs in to {build.server} only, so --server, "
            "KERNIA_DESKTOP_SERVER and the channel variables are ignored, and it never opens remote debugging "
            "(KERNIA_DESKTOP_DEBUG_PORT is ignored)."
        )
    parser = argparse.ArgumentParser(prog="kernia-desktop", description="Run the Kernia Desktop app.", epilog=epilog)
    parser.add_argument(
        "--server",
        help="the auth mount of a remote server, e.g. https://api.example.com/api/auth; no local backend is started "
        "(default: $KERNIA_DESKTOP_SERVER or $KERNIA_BASE_URL, else the bundled backend)",
    )
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the main window here once it shows a view")
    parser.add_argument(
        "--xvfb-if-no-display",
        action="store_true",
        help="without $DISPLAY, run on a virtual display (Xvfb) and save a screenshot of the main window",
    )
    return parser.parse_args(argv)


def chosen_settings(arguments: argparse.Namespace, build: BuildInfo | None) -> dict[str, object]:
    """The settings the command line chooses; a packaged build's baked ones, which nothing overrides."""
    if build is None:
        return {"server": arguments.server} if arguments.server else {}
    ignored = [name for name in _FIXED_IN_PACKAGED_BUILDS if os.environ.get(name)]
    ignored += ["--server"] if arguments.server else []
    if ignored:
        print(
            f"kernia-desktop: this packaged build ({build.channel} channel) signs in to {build.server} only and has "
            f"no remote debugging; ignored: {', '.join(ignored)}",
            file=sys.stderr,
        )
    return build.settings()


def launch(argv: list[str] | None) -> int:
    build = packaged_build()
    arguments = parse_arguments(argv, build)
    try:
        settings = DesktopSettings.load(**chosen_settings(arguments, build))
    except SettingsError as error:
        print(f"kernia-desktop: {error}", file=sys.stderr)
        return 2
    screenshot = arguments.screenshot
    display = None
    if arguments.xvfb_if_no_display and not os.environ.get("DISPLAY"):
        from desktop.xvfb import VirtualDisplay

        display = VirtualDisplay()
        os.environ["DISPLAY"] = display.display
        screenshot = screenshot or settings.data_dir / "screenshots" / "main-window.png"
        print(
            f"No display: running on the virtual display {display.display} (Xvfb). "
            f"A screenshot of the main window will be saved to {screenshot}. Press Ctrl+C to quit.",
            flush=True,
        )
    try:
        code = run(settings, screenshot)
    except Exception as error:
        logging.getLogger("desktop").exception("the app failed")
        print(f"kernia-desktop: {error} (see {settings.log_dir / 'desktop.log'})", file=sys.stderr)
        code = 1
    finally:
        if display is not None:
            display.stop()
    return code


def main(argv: list[str] | None = None) -> NoReturn:
    finalize_exit(launch(argv))


if __name__ == "__main__":
    main()
