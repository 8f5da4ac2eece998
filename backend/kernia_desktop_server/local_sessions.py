"""The session check the desktop shell runs at launch on its bundled backend's data dir.

The shell runs its bundled backend in its own process. FastAPI, SQLAlchemy and the migrations are slow to load,
and the window would wait for them to learn who is signed in. So at launch the shell asks the backend's
database itself, with the standard library only, whether the credential it kept in the keyring still names a live
session, and shows that user at once; the backend loads behind the first view.

The check only ever confirms. A credential it cannot confirm (not signed by this data dir's secret, no such session,
expired, or a database it cannot read: missing, busy, or of another schema) is left to the backend, whose answer
decides, as on every later request. So no check here can sign a user out, and none can let a revoked session back
in: revoking deletes the session's row, which this check reads.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kernia_desktop_server.auth.dates import stored_datetime, wire_datetime
from kernia_desktop_server.auth.tokens import token_hash, unsign
from kernia_desktop_server.local_files import DATABASE_FILE, SECRET_FILE

_SESSION_QUERY = """
SELECT s.id, s.token_hash, s.user_id, s.expires_at, s.created_at, s.updated_at, s.ip_address, s.user_agent,
       u.id, u.name, u.email, u.email_verified, u.image, u.created_at, u.updated_at
FROM sessions AS s JOIN users AS u ON u.id = s.user_id
WHERE s.token_hash = ?
"""


def confirmed_session(data_dir: Path, credential: str, now: datetime | None = None) -> dict[str, Any] | None:
    """The backend's get-session answer ({session, user}) for a live session of `credential`, read from the
    data dir's database; None when this check cannot confirm one, and the backend must be asked."""
    try:
        secret = (data_dir / SECRET_FILE).read_text().strip().encode()
    except OSError:
        return None
    token = unsign(credential, secret) if len(secret) >= 32 else None
    database = data_dir / DATABASE_FILE
    if token is None or not database.is_file():
        return None
    try:
        # No waiting on a lock (a busy database is the backend's to wait for), and no writing. Not mode=ro: a
        # read-only connection cannot open a WAL database whose -shm file is gone, as after the backend's exit.
        connection = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            connection.execute("PRAGMA query_only=ON")
            row = connection.execute(_SESSION_QUERY, (token_hash(token),)).fetchone()
        finally:
            connection.close()
        if row is None:
            return None
        expires_at = stored_datetime(row[3])
        if expires_at <= (now or datetime.now(UTC)):
            return None
        session = {
            "id": row[0],
            "token": row[1],
            "userId": row[2],
            "expiresAt": wire_datetime(expires_at),
            "createdAt": wire_datetime(stored_datetime(row[4])),
            "updatedAt": wire_datetime(stored_datetime(row[5])),
            "ipAddress": row[6],
            "userAgent": row[7],
        }
        user = {
            "id": row[8],
            "name": row[9],
            "email": row[10],
            "emailVerified": bool(row[11]),
            "image": row[12],
            "createdAt": wire_datetime(stored_datetime(row[13])),
            "updatedAt": wire_datetime(stored_datetime(row[14])),
        }
    except (sqlite3.Error, TypeError, ValueError):
        return None
    return {"session": session, "user": user}
