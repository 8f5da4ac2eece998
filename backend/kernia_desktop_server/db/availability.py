"""When the database cannot be reached: how such a failure is recognised, and told in the log once per outage
rather than once per request."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)

# What a client is told to wait before it tries again.
RETRY_AFTER_SECONDS = 2


def driver_error(error: BaseException) -> BaseException:
    """The database driver's own exception under SQLAlchemy's wrapping (asyncpg's, under the adapter's)."""
    original = getattr(error, "orig", None)
    if original is None:
        return error
    cause: BaseException = original.__cause__ or original
    return cause


def is_unavailability(error: BaseException) -> bool:
    """Whether `error` says that the database could not be reached or used (refused, shutting down, connection
    lost, the pool's wait run out, SQLite busy past its timeout, a file it cannot open or write), rather than
    something wrong with the request or the code."""
    if isinstance(error, PoolTimeout | OSError):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return False


class OutageLog:
    """Logs the first failure of each outage; an outage ends once `quiet_seconds` pass without a failure."""

    def __init__(self, quiet_seconds: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet_seconds = quiet_seconds
        self._clock = clock
        self._last_failure = -math.inf

    def failed(self, error: BaseException) -> None:
        now = self._clock()
        if now - self._last_failure > self.quiet_seconds:
            cause = driver_error(error)
            log.warning(
                "the database is unavailable (%s: %s); answering 503 until it is back", type(cause).__name__, cause
            )
        self._last_failure = now
