"""The notes API: a small per-user resource behind the auth, at /api/notes."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator
from pydantic.alias_generators import to_camel
from sqlalchemy import ForeignKey, String, Text, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernia_desktop_server import ApiError, Base, KerniaAuth, User, UTCDateTime, is_id, new_id, utcnow

TITLE_MAX = 200
BODY_MAX = 20_000


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CamelModel(BaseModel):
    """JSON in camelCase, as the auth API speaks it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class NoteOut(CamelModel):
    id: str
    title: str
    body: str
    created_at: datetime
    updated_at: datetime


class NoteCreate(CamelModel):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(default="", max_length=BODY_MAX)


class NoteUpdate(CamelModel):
    """What to change: a title, a body, or both; what is left out stays as it is."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    title: Annotated[str | None, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": TITLE_MAX})] = Field(
        default=None, min_length=1, max_length=TITLE_MAX
    )
    body: Annotated[str | None, WithJsonSchema({"type": "string", "maxLength": BODY_MAX})] = Field(
        default=None, max_length=BODY_MAX
    )

    @field_validator("title", "body", mode="before")
    @classmethod
    def _given_as_text(cls, value: object) -> object:
        # Left out, a field stays as it is; given, it is text (null is not a way to leave it out).
        if value is None:
            raise ValueError("must be text; leave the field out to keep it as it is")
        return value


# The reads, built once: a statement used again as it is skips SQLAlchemy's work to match a new one's columns to
# the compiled form it caches. Just the columns the wire shows, read as rows, with no ORM entities.
_OWN_NOTES = select(*[Note.__table__.c[name] for name in NoteOut.model_fields]).where(
    Note.user_id == bindparam("user_id")
)
_LIST_NOTES = _OWN_NOTES.order_by(Note.created_at.desc())
_GET_NOTE = _OWN_NOTES.where(Note.id == bindparam("note_id"))


def _no_such_note() -> ApiError:
    # Another user's note answers exactly as a missing one: ids tell nothing about other accounts.
    return ApiError(404, "NOTE_NOT_FOUND", "There is no such note")


async def _own_note(db: AsyncSession, user: User, note_id: str) -> Note:
    if not is_id(note_id):
        raise _no_such_note()
    note = await db.scalar(select(Note).where(Note.id == note_id, Note.user_id == user.id))
    if note is None:
        raise _no_such_note()
    return note


def notes_router(auth: KerniaAuth) -> APIRouter:
    router = APIRouter(prefix="/notes", tags=["notes"])
    CurrentUser = Annotated[User, Depends(auth.current_user)]
    Database = Annotated[AsyncSession, Depends(auth.database)]

    @router.get("")
    async def list_notes(user: CurrentUser) -> list[NoteOut]:
        # auth.reader: the cheapest path for a read-only SELECT.
        rows = await auth.reader.all(_LIST_NOTES, {"user_id": user.id})
        return [NoteOut.model_validate(row) for row in rows]

    @router.post("", status_code=201)
    async def create_note(body: NoteCreate, user: CurrentUser, db: Database) -> NoteOut:
        note = Note(user_id=user.id, title=body.title, body=body.body)
        db.add(note)
        await db.commit()
        return NoteOut.model_validate(note)

    @router.get("/{note_id}")
    async def get_note(note_id: str, user: CurrentUser) -> NoteOut:
        row = await auth.reader.first(_GET_NOTE, {"user_id": user.id, "note_id": note_id}) if is_id(note_id) else None
        if row is None:
            raise _no_such_note()
        return NoteOut.model_validate(row)

    @router.patch("/{note_id}")
    async def update_note(
        note_id: str,
        body: NoteUpdate,
        user: CurrentUser,
        db: Database,
    ) -> NoteOut:
        if body.title is None and body.body is None:
            raise ApiError(400, "NOTHING_TO_UPDATE", "Send a title, a body, or both")
        note = await _own_note(db, user, note_id)
        if body.title is not None:
            note.title = body.title
        if body.body is not None:
            note.body = body.body
        await db.commit()
        return NoteOut.model_validate(note)

    @router.delete("/{note_id}", status_code=204)
    async def delete_note(note_id: str, user: CurrentUser, db: Database) -> Response:
        await db.delete(await _own_note(db, user, note_id))
        await db.commit()
        return Response(status_code=204)

    return router
