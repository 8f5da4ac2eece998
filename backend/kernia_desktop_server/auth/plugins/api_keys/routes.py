"""Creating, listing, updating and deleting API keys, and recognising them on protected routes."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Depends, Query
from pydantic import Field, computed_field
from sqlalchemy import select
from starlette.requests import HTTPConnection

from kernia_desktop_server.auth.core import Auth
from kernia_desktop_server.auth.deps import CurrentSession, Database, verify_origin
from kernia_desktop_server.auth.errors import not_found
from kernia_desktop_server.auth.models import User
from kernia_desktop_server.auth.plugins.api_keys.models import ApiKey
from kernia_desktop_server.auth.principal import Principal
from kernia_desktop_server.auth.revision import RevisionCache, bump
from kernia_desktop_server.auth.tokens import random_token, token_hash
from kernia_desktop_server.auth.wire import IsoDateTime, RequestBody, SuccessOut, WireModel
from kernia_desktop_server.db import is_id, utcnow
from kernia_desktop_server.openapi import error_responses

API_KEY_HEADER = "x-api-key"
KEY_LENGTH = 64
VISIBLE_CHARACTERS = 6
MAX_EXPIRES_IN = 365 * 24 * 3600


class ApiKeyOut(WireModel):
    id: str
    name: str | None
    start: str
    prefix: str | None
    user_id: str
    enabled: bool
    expires_at: IsoDateTime | None
    created_at: IsoDateTime
    updated_at: IsoDateTime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reference_id(self) -> str:
        """The owner, under the name Better Auth's api-key plugin gives it since 1.7."""
        return self.user_id


class ApiKeyList(WireModel):
    api_keys: list[ApiKeyOut]
    total: int


class CreatedApiKeyOut(ApiKeyOut):
    # The whole key, shown this once: only its hash is kept.
    key: str


class CreateBody(RequestBody):
    name: str | None = Field(default=None, max_length=255)
    expires_in: int | None = Field(default=None, gt=0, le=MAX_EXPIRES_IN)


class UpdateBody(RequestBody):
    key_id: str
    name: str | None = Field(default=None, max_length=255)
    enabled: bool | None = None
    expires_in: int | None = Field(default=None, gt=0, le=MAX_EXPIRES_IN)


class DeleteBody(RequestBody):
    key_id: str


def _expiry(expires_in: int | None) -> datetime | None:
    return utcnow() + timedelta(seconds=expires_in) if expires_in else None


async def _own_key(db: Database, user_id: str, key_id: str) -> ApiKey:
    key = (
        await db.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user_id)) if is_id(key_id) else None
    )
    if key is None:
        raise not_found("KEY_NOT_FOUND", "No API key of yours has that id")
    return key


def api_key_router(prefix: str | None) -> APIRouter:
    """The key routes; new keys begin with `prefix`."""
    router = APIRouter(prefix="/api-key", dependencies=[Depends(verify_origin)])

    @router.post("/create")
    async def create_key(body: CreateBody, current: CurrentSession, db: Database) -> CreatedApiKeyOut:
        secret = f"{prefix or ''}{random_token(KEY_LENGTH)}"
        key = ApiKey(
            user_id=current.user.id,
            name=body.name,
            prefix=prefix,
            start=secret[: len(prefix or "") + VISIBLE_CHARACTERS],
            key_hash=token_hash(secret),
            enabled=True,
            expires_at=_expiry(body.expires_in),
        )
        db.add(key)
        await db.commit()
        return CreatedApiKeyOut(**ApiKeyOut.model_validate(key).model_dump(), key=secret)

    @router.get("/get", responses=error_responses(404))
    async def get_key(current: CurrentSession, db: Database, id: str = Query(max_length=64)) -> ApiKeyOut:
        return ApiKeyOut.model_validate(await _own_key(db, current.user.id, id))

    @router.get("/list")
    async def list_keys(current: CurrentSession, db: Database) -> ApiKeyList:
        keys = await db.scalars(select(ApiKey).where(ApiKey.user_id == current.user.id).order_by(ApiKey.created_at))
        items = [ApiKeyOut.model_validate(key) for key in keys]
        return ApiKeyList(api_keys=items, total=len(items))

    @router.post("/update", responses=error_responses(404))
    async def update_key(body: UpdateBody, current: CurrentSession, db: Database) -> ApiKeyOut:
        key = await _own_key(db, current.user.id, body.key_id)
        if body.name is not None:
            key.name = body.name
        if body.enabled is not None:
            key.enabled = body.enabled
        if body.expires_in is not None:
            key.expires_at = _expiry(body.expires_in)
        # Every worker's cached copy of this key is dropped before its next request.
        await bump(db)
        await db.commit()
        return ApiKeyOut.model_validate(key)

    @router.post("/delete", responses=error_responses(404))
    async def delete_key(body: DeleteBody, current: CurrentSession, db: Database) -> SuccessOut:
        await db.delete(await _own_key(db, current.user.id, body.key_id))
        await bump(db)
        await db.commit()
        return SuccessOut(success=True)

    return router


async def authenticate_api_key(auth: Auth, connection: HTTPConnection) -> Principal | None:
    presented = connection.headers.get(API_KEY_HEADER)
    if not presented:
        return None
    limiter, limit = auth.rate_limiter, auth.settings.rate_limit_api_key_max
    await limiter.hit([f"api-key:address:{auth.client_address(connection)}"], limit)
    cache: RevisionCache[tuple[ApiKey, User]] = auth.cache("api-key")
    key_hash = token_hash(presented.strip())
    generation = await cache.revision()
    found = cache.get(key_hash, generation)
    if found is None:
        async with auth.sessionmaker() as db:
            row = (
                await db.execute(
                    select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.key_hash == key_hash)
                )
            ).first()
        if row is None:
            return None
        found = (row[0], row[1])
        cache.put(key_hash, generation, found)
    key, user = found
    # Checked on every use, cached or not: a cached key is refused the moment it expires.
    if not key.enabled or (key.expires_at is not None and key.expires_at <= utcnow()):
        return None
    await limiter.hit([f"api-key:account:{user.id}"], limit)
    return Principal(user=user, via="api_key", api_key_id=key.id)
