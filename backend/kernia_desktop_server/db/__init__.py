"""Storage: the SQLAlchemy engine, the declarative base every table hangs on, and the migrations."""

from kernia_desktop_server.db.base import Base, UTCDateTime, is_id, new_id, utcnow
from kernia_desktop_server.db.engine import create_engine

__all__ = ["Base", "UTCDateTime", "create_engine", "is_id", "new_id", "utcnow"]
