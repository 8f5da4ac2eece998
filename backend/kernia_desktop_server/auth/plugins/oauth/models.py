"""Sign-ins in flight: the server-side half of each OAuth `state`, used once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernia_desktop_server.db import Base, UTCDateTime, utcnow


class OAuthState(Base):
    __tablename__ = "oauth_states"

    # The state and the browser binding are stored hashed; the PKCE verifier and nonce never leave the server.
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    binding_hash: Mapped[str] = mapped_column(String(64))
    provider_id: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(64))
    callback_url: Mapped[str] = mapped_column(Text)
    error_callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    new_user_callback_url: Mapped[str | None] = mapped_column(Text, default=None)
    # Which plugin finishes the sign-in ("session" by default) and what it needs, as JSON.
    completion: Mapped[str] = mapped_column(String(32), default="session")
    completion_data: Mapped[str] = mapped_column(Text, default="{}")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
