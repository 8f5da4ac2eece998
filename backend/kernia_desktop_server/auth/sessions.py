"""Sessions: created on sign-in, found by their token, slid forward while used, revoked for good.

Found sessions are cached in the process, exact under revocation (auth.revision): revoking moves the auth
revision on in the same transaction, and a cached session serves only while the revision it was read under holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernia_desktop_server.auth.models import Session, User
from kernia_desktop_server.auth.revision import RevisionCache, RevisionSource, bump
from kernia_desktop_server.auth.tokens import random_token, token_hash
from kernia_desktop_server.db import utcnow
from kernia_desktop_server.settings import Settings


@dataclass(frozen=True)
class ActiveSession:
    """A session that is valid now, with its owner and the token it was found by."""

    session: Session
    user: User
    token: str
    # True when this lookup slid the expiry forward: the client should get the cookie again.
    refreshed: bool = False


class SessionStore:
    def __init__(
        self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], revision: RevisionSource
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.cache: RevisionCache[tuple[Session, User]] = RevisionCache(revision)

    def lifetime(self, remember_me: bool) -> timedelta:
        seconds = self.settings.session_expires_in
        if not remember_me:
            seconds = min(seconds, self.settings.session_short_expires_in)
        return timedelta(seconds=seconds)

    async def create(
        self,
        db: AsyncSession,
        user: User,
        *,
        remember_me: bool = True,
        ip_address: str | None = None,
        user_agent: str | None = None,
    ) -> ActiveSession:
        """A new session for `user`, committed with whatever else `db`'s transaction holds.

        The session is cached at once: a client's first request with it, straight after signing in, is then no
        database read, which under load would queue behind the writes in flight.
        """
        # Read before the commit, as every cache entry's generation is (RevisionCache).
        generation = await self.cache.revision()
        token = random_token()
        now = utcnow()
        session = Session(
            token_hash=token_hash(token),
            user_id=user.id,
            expires_at=now + self.lifetime(remember_me),
            remember_me=remember_me,
            ip_address=ip_address,
            user_agent=(user_agent or "")[:512] or None,
            created_at=now,
            updated_at=now,
        )
        db.add(session)
        await db.commit()
        self.cache.put(session.token_hash, generation, (session, user))
        return ActiveSession(session, user, token)

    async def find(self, token: str) -> ActiveSession | None:
        """The valid session for `token`, slid forward when due; an expired one is deleted."""
        key = token_hash(token)
        generation = await self.cache.revision()
        cached = self.cache.get(key, generation)
        now = utcnow()
        # An expired session, and one whose slide is due, are left to the database, which deletes or slides it.
        if cached is not None and cached[0].expires_at > now and not self.is_due_for_update(cached[0], now):
            return ActiveSession(*cached, token)
        async with self.sessionmaker() as db:
            row = (
                await db.execute(
                    select(Session, User).join(User, User.id == Session.user_id).where(Session.token_hash == key)
                )
            ).first()
            if row is None:
                return None
            session, user = row
            if session.expires_at <= now:
                # No revision bump: every cache checks the expiry itself, so none can serve this session any more.
                await db.delete(session)
                await db.commit()
                return None
            refreshed = self.is_due_for_update(session, now)
            if refreshed:
                session.expires_at = now + self.lifetime(session.remember_me)
                session.updated_at = now
                await db.commit()
        self.cache.put(key, generation, (session, user))
        return ActiveSession(session, user, token, refreshed)

    def is_due_for_update(self, session: Session, now: datetime) -> bool:
        """A session slides once `updateAge` has passed since it was last extended."""
        if not session.remember_me:
            return False
        last_extended = session.expires_at - self.lifetime(True)
        return now >= last_extended + timedelta(seconds=self.settings.session_update_age)

    async def list_for_user(self, user_id: str) -> Sequence[Session]:
        async with self.sessionmaker() as db:
            rows = await db.scalars(
                select(Session)
                .where(Session.user_id == user_id, Session.expires_at > utcnow())
                .order_by(Session.created_at)
            )
            return rows.all()

    async def revoke(self, user_id: str, handle: str) -> bool:
        """Revokes one of the user's sessions, named by its token or by the handle list-sessions shows."""
        async with self.sessionmaker() as db:
            statement = delete(Session).where(
                Session.user_id == user_id,
                or_(Session.token_hash == token_hash(handle), Session.token_hash == handle),
            )
            # A DELETE's result: a cursor's, with its row count.
            result = cast(CursorResult[Any], await db.execute(statement))
            if result.rowcount:
                await bump(db)
            await db.commit()
            return bool(result.rowcount)

    async def revoke_all(self, user_id: str, keep_token: str | None = None) -> int:
        async with self.sessionmaker() as db:
            statement = delete(Session).where(Session.user_id == user_id)
            if keep_token is not None:
                statement = statement.where(Session.token_hash != token_hash(keep_token))
            result = cast(CursorResult[Any], await db.execute(statement))
            if result.rowcount:
                await bump(db)
            await db.commit()
            return result.rowcount or 0
