"""Sign-up and sign-in with an email address and a password."""

from __future__ import annotations

from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kernia_desktop_server.auth.core import Auth
from kernia_desktop_server.auth.deps import AuthDep, Database, verify_origin
from kernia_desktop_server.auth.errors import ApiError, bad_request
from kernia_desktop_server.auth.models import Account, User
from kernia_desktop_server.auth.passwords import Passwords, default_threads
from kernia_desktop_server.auth.plugin import Plugin
from kernia_desktop_server.auth.wire import RequestBody, UserOut, WireModel
from kernia_desktop_server.openapi import error_responses

CREDENTIAL_PROVIDER = "credential"
USER_EXISTS = "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
USER_EXISTS_MESSAGE = "An account with this email already exists. Sign in, or use another email."


class SignUpBody(RequestBody):
    name: str = Field(min_length=1, max_length=255)
    email: str = Field(max_length=320)
    password: str
    image: str | None = Field(default=None, max_length=2048)
    remember_me: bool = True


class SignInBody(RequestBody):
    email: str = Field(max_length=320)
    password: str
    remember_me: bool = True


class SignUpOut(WireModel):
    # The signed credential, the same value as the set-auth-token header: usable as a bearer token.
    token: str | None
    user: UserOut


class SignInOut(WireModel):
    redirect: bool
    token: str
    url: str | None
    user: UserOut


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise bad_request("INVALID_EMAIL", "That email address is not valid") from None


def check_password_length(auth: Auth, password: str) -> None:
    if len(password) < auth.settings.password_min_length:
        raise bad_request(
            "PASSWORD_TOO_SHORT", f"Use a password of at least {auth.settings.password_min_length} characters"
        )
    if len(password) > auth.settings.password_max_length:
        raise bad_request(
            "PASSWORD_TOO_LONG", f"Use a password of at most {auth.settings.password_max_length} characters"
        )


async def count_attempt(auth: Auth, request: Request, action: str, email: str) -> None:
    address = auth.client_address(request)
    await auth.rate_limiter.hit(
        [f"{action}:address:{address}", f"{action}:account:{email}"], auth.settings.rate_limit_auth_max
    )


def email_password_router(passwords: Passwords) -> APIRouter:
    router = APIRouter(dependencies=[Depends(verify_origin)])

    @router.post("/sign-up/email", responses=error_responses(422, 429))
    async def sign_up(body: SignUpBody, request: Request, response: Response, auth: AuthDep, db: Database) -> SignUpOut:
        email = normalise_email(body.email)
        await count_attempt(auth, request, "sign-up", email)
        check_password_length(auth, body.password)
        # Hashed before the transaction begins: argon2 is slow on purpose, and a database's write lock held through it
        # (SQLite has one for the whole file) would make every other writer wait.
        password_hash = await passwords.hash(body.password)
        if await db.scalar(select(User.id).where(User.email == email)) is not None:
            raise ApiError(422, USER_EXISTS, USER_EXISTS_MESSAGE)
        user = User(name=body.name.strip() or email, email=email, email_verified=False, image=body.image)
        db.add(user)
        try:
            await db.flush()
        except IntegrityError:
            # Another sign-up for the same email committed between the check and this insert.
            raise ApiError(422, USER_EXISTS, USER_EXISTS_MESSAGE) from None
        db.add(
            Account(user_id=user.id, provider_id=CREDENTIAL_PROVIDER, account_id=user.id, password_hash=password_hash)
        )
        active = await auth.open_session(db, request, response, user, remember_me=body.remember_me)
        return SignUpOut(token=auth.credential(active), user=UserOut.model_validate(user))

    @router.post("/sign-in/email", responses=error_responses(401, 429))
    async def sign_in(body: SignInBody, request: Request, response: Response, auth: AuthDep, db: Database) -> SignInOut:
        email = normalise_email(body.email)
        await count_attempt(auth, request, "sign-in", email)
        row = (
            await db.execute(
                select(User, Account.password_hash)
                .outerjoin(Account, (Account.user_id == User.id) & (Account.provider_id == CREDENTIAL_PROVIDER))
                .where(User.email == email)
            )
        ).first()
        # The read ends before the hash is checked: no connection waits in a transaction on the hashing threads.
        await db.commit()
        user, password_hash = row if row else (None, None)
        # Verified even for an unknown email, so neither the answer nor its timing tells who has an account.
        if not await passwords.verify(password_hash, body.password) or user is None:
            raise ApiError(401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
        active = await auth.open_session(db, request, response, user, remember_me=body.remember_me)
        return SignInOut(redirect=False, token=auth.credential(active), url=None, user=UserOut.model_validate(user))

    return router


class EmailPassword(Plugin):
    id = "email-password"

    def __init__(self) -> None:
        self._passwords: Passwords | None = None

    def setup(self, auth: Auth, plugins: Sequence[Plugin]) -> None:
        settings = auth.settings
        threads = settings.password_hash_threads or default_threads()
        self._passwords = Passwords(
            settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism, threads
        )

    def routers(self) -> Sequence[APIRouter]:
        assert self._passwords is not None, "set up by KerniaAuth"
        return (email_password_router(self._passwords),)

    async def stop(self) -> None:
        if self._passwords is not None:
            self._passwords.close()


def email_password() -> EmailPassword:
    """Sign-up and sign-in with an email address and a password (/sign-up/email, /sign-in/email)."""
    return EmailPassword()
