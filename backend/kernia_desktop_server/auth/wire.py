"""JSON shapes on the wire: camelCase fields and dates as ISO-8601 strings in UTC, as JavaScript writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

from kernia_desktop_server.auth.dates import wire_datetime
from kernia_desktop_server.auth.models import Session, User

IsoDateTime = Annotated[datetime, PlainSerializer(wire_datetime, return_type=str)]


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class RequestBody(WireModel):
    """A request body: unknown fields are ignored, as a Better Auth server ignores them."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class UserOut(WireModel):
    id: str
    name: str
    email: str
    email_verified: bool
    image: str | None
    created_at: IsoDateTime
    updated_at: IsoDateTime


class SessionOut(WireModel):
    id: str
    # A handle that names the session for revoke-session; it is a hash, never the credential itself.
    token: str
    user_id: str
    expires_at: IsoDateTime
    created_at: IsoDateTime
    updated_at: IsoDateTime
    ip_address: str | None
    user_agent: str | None

    @classmethod
    def of(cls, session: Session) -> SessionOut:
        return cls(
            id=session.id,
            token=session.token_hash,
            user_id=session.user_id,
            expires_at=session.expires_at,
            created_at=session.created_at,
            updated_at=session.updated_at,
            ip_address=session.ip_address,
            user_agent=session.user_agent,
        )


class SessionWithUser(WireModel):
    session: SessionOut
    user: UserOut

    @classmethod
    def of(cls, session: Session, user: User) -> SessionWithUser:
        return cls(session=SessionOut.of(session), user=UserOut.model_validate(user))


class StatusOut(WireModel):
    status: bool


class SuccessOut(WireModel):
    success: bool
