"""Hand-off grants: single-use codes that carry a finished social sign-in to the desktop shell."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from kernia_desktop_server.db import Base, UTCDateTime, utcnow


class DesktopGrant(Base):
    __tablename__ = "desktop_grants"

    # Only the code's hash is kept; the code itself travels once, in the redirect to the shell.
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_challenge: Mapped[str] = mapped_column(String(128))
    # The update channel whose build asked for it; only a build of that channel can redeem it.
    channel: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
