"""What a packaged build (release/build.py) baked in: the production server, the update channel and its
callback. A packaged build signs in to that server only, and never opens QtWebEngine's remote debugging."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# Written by the build next to this module inside the bundle; a source checkout has none.
BUILD_INFO = Path(__file__).with_name("build-info.json")


@dataclass(frozen=True)
class BuildInfo:
    version: str
    server: str
    channel: str
    callback_url: str | None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    def settings(self) -> dict[str, Any]:
        """The DesktopSettings values a packaged build fixes, whatever the environment says."""
        return {"server": self.server, "channel": self.channel, "callback_url": self.callback_url, "debug_port": None}


def packaged_build() -> BuildInfo | None:
    """The baked settings when this process is a packaged build (frozen by PyInstaller), else None."""
    if not getattr(sys, "frozen", False) or not BUILD_INFO.is_file():
        return None
    return BuildInfo(**json.loads(BUILD_INFO.read_text()))
