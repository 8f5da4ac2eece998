"""Storage: the SQLAlchemy engine, the declarative base every table hangs on, and the migrations."""

from backend.db.base import Base, UTCDateTime, new_id, utcnow
from backend.db.engine import create_engine

__all__ = ["Base", "UTCDateTime", "create_engine", "new_id", "utcnow"]
