"""Notes: a small per-user resource that shows the protected API at work."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import Field
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from backend.api.deps import Caller
from backend.auth.core import Database
from backend.auth.errors import bad_request, not_found
from backend.auth.wire import IsoDateTime, RequestBody, WireModel
from backend.db import Base, UTCDateTime, new_id, utcnow

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


class NoteOut(WireModel):
    id: str
    title: str
    body: str
    created_at: IsoDateTime
    updated_at: IsoDateTime


class NoteCreate(RequestBody):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(default="", max_length=BODY_MAX)


class NoteUpdate(RequestBody):
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    body: str | None = Field(default=None, max_length=BODY_MAX)


router = APIRouter(prefix="/notes", tags=["notes"])


async def _own_note(db: Database, caller: Caller, note_id: str) -> Note:
    # Another user's note answers exactly as a missing one: ids tell nothing about other accounts.
    note = await db.scalar(select(Note).where(Note.id == note_id, Note.user_id == caller.user.id))
    if note is None:
        raise not_found("NOTE_NOT_FOUND", "There is no such note")
    return note


@router.get("")
async def list_notes(caller: Caller, db: Database) -> list[NoteOut]:
    notes = await db.scalars(select(Note).where(Note.user_id == caller.user.id).order_by(Note.created_at.desc()))
    return [NoteOut.model_validate(note) for note in notes]


@router.post("", status_code=201)
async def create_note(body: NoteCreate, caller: Caller, db: Database) -> NoteOut:
    note = Note(user_id=caller.user.id, title=body.title, body=body.body)
    db.add(note)
    await db.commit()
    return NoteOut.model_validate(note)


@router.get("/{note_id}")
async def get_note(note_id: str, caller: Caller, db: Database) -> NoteOut:
    return NoteOut.model_validate(await _own_note(db, caller, note_id))


@router.patch("/{note_id}")
async def update_note(note_id: str, body: NoteUpdate, caller: Caller, db: Database) -> NoteOut:
    if body.title is None and body.body is None:
        raise bad_request("NOTHING_TO_UPDATE", "Send a title, a body, or both")
    note = await _own_note(db, caller, note_id)
    if body.title is not None:
        note.title = body.title
    if body.body is not None:
        note.body = body.body
    await db.commit()
    return NoteOut.model_validate(note)


@router.delete("/{note_id}", status_code=204)
async def delete_note(note_id: str, caller: Caller, db: Database) -> Response:
    await db.delete(await _own_note(db, caller, note_id))
    await db.commit()
    return Response(status_code=204)
