"""What a started server does with the memory of its start-up."""

from __future__ import annotations

import ctypes
import gc
import sys


def settle_after_start() -> None:
    """Called once the app has started. Everything made so far (modules, mappers, models) lives as long as the
    process: out of the collector's reach, a full collection under load no longer walks it, which was most of the
    latency tail (p99). Then the memory that starting used and freed goes back to the OS."""
    gc.freeze()
    return_freed_memory()


def return_freed_memory() -> None:
    """glibc keeps freed pages in its arenas until it is asked to trim them; other C libraries have no such call."""
    malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None) if sys.platform == "linux" else None
    if malloc_trim is not None:
        malloc_trim(0)
