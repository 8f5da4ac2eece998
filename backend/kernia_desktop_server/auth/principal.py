"""Who calls a protected route, and with which credential."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kernia_desktop_server.auth.models import Session, User


@dataclass(frozen=True)
class Principal:
    user: User
    via: Literal["cookie", "bearer", "api_key"]
    session: Session | None = None
    api_key_id: str | None = None
