"""A virtual X display (Xvfb) for machines without a screen: `make run` on a server, and the tests."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys

from kernia_desktop.processes import stop_process

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Linux only: if the process that started Xvfb dies without stopping it, the kernel ends Xvfb too.
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class VirtualDisplay:
    """An Xvfb server on a display number it picks itself (the first free one)."""

    def __init__(self, size: str = "1280x800x24") -> None:
        executable = shutil.which("Xvfb")
        if executable is None:
            raise RuntimeError("Xvfb is not installed (Debian: apt-get install xvfb)")
        read_end, write_end = os.pipe()
        try:
            # -displayfd: Xvfb writes the number of the display it took once it accepts connections.
            self._process = subprocess.Popen(  # noqa: S603 - a fixed program and arguments
                [executable, "-displayfd", str(write_end), "-screen", "0", size, "-nolisten", "tcp"],
                pass_fds=(write_end,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                # A session of its own: Ctrl+C in the terminal must reach the app, which needs the display to
                # close its windows, and not the display itself.
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        finally:
            os.close(write_end)
        with os.fdopen(read_end, "rb") as announcement:
            number = announcement.readline().strip()
        if not number.isdigit():
            self.stop()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number.decode()}"

    def stop(self) -> None:
        stop_process(self._process, grace_seconds=5)
