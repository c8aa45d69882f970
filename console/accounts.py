"""Users and login tokens on the database (the tables of ``console.models``).

Passwords are hashed with argon2 (argon2-cffi's defaults). A login token is 32 random bytes (URL-safe
text) given to the client once; the database keeps only its SHA-256, so a copy of the database logs
nobody in. User names are case-insensitive (stored in lower case; ``Boss`` is ``boss``); a password must pass
``password_problem`` (length by role, not the name, not one repeated pattern).

Guessing is slowed twice over (issue 14): ``Lockout`` -- after a number of failed logins of one user (or from
one address) within a window, each further try waits twice as long as the one before, counted from the
audit log's ``auth.login_failed`` rows; ``PasswordChecks`` -- at most a few argon2 checks (64 MiB each) run at
once per process, the rest wait their turn without holding a thread, so the service keeps answering.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from typing import Callable, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.store.settings import StoreAccess, write_transaction
from console.models import ApiToken, AppUser
from console.permissions import ADMIN, AGENT, ROLES

T = TypeVar("T")

USER = AppUser.__table__
TOKEN = ApiToken.__table__
_hasher = PasswordHasher()


class AccountError(ValueError):
    """A user operation the rules forbid."""


class UserExists(AccountError):
    pass


class UnknownUser(AccountError, LookupError):
    pass


MIN_PASSWORD = {AGENT: 10}  # other roles: 12
WEAK_PASSWORDS = frozenset({"password", "passw0rd", "qwerty", "letmein", "welcome", "admin", "hotline", "iloveyou"})


def password_problem(password: str, username: str, role: str) -> str | None:
    """Why ``password`` will not do for this user, or None."""
    shortest = MIN_PASSWORD.get(role, 12)
    if len(password) < shortest:
        return f"a {role}'s password needs at least {shortest} characters"
    folded = password.lower()
    if username and username.lower() in folded:
        return "the password must not contain the user name"
    if len(set(folded)) < 5 or folded.isdigit() or folded.strip("0123456789!") in WEAK_PASSWORDS:
        return "the password is too easy to guess: use a few unrelated words"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# a hash to verify against when the username is unknown, so that a wrong name takes as long as a wrong password
_DUMMY_HASH = hash_password("not a password of anyone")


class SqlAccounts:
    """Users and their tokens.

    * ``create_user(username, password, role, now) -> AppUser`` (``UserExists``); ``get(user_id)``,
      ``by_username(name)``, ``users()``, ``update(user_id, active=, role=, password=)`` (``UnknownUser``);
      ``has_admin()``;
    * ``login(username, password, now, ttl) -> (token, AppUser) | None`` -- None for a wrong name or password
      or an inactive user; ``user_for_token(token, now) -> AppUser | None`` -- active users with an unexpired
      token only; ``end_token(token)`` (log out), ``revoke_tokens(user_id) -> int`` (every login of a user
      ends), ``change_password(user_id, current, new) -> bool`` (False for a wrong current password; the
      user's other logins end).

    With a ``connection`` (a console request's) the reads run on it; the writes are transactions of their own.
    """

    def __init__(self, engine: Engine, connection: Connection | None = None) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)

    @staticmethod
    def _user(row) -> AppUser:
        return AppUser.model_validate(dict(row._mapping))

    def create_user(self, username: str, password: str, role: str, now: float) -> AppUser:
        if role not in ROLES:
            raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
        problem = password_problem(password, username, role)
        if problem:
            raise AccountError(problem)
        username = username.lower()
        try:
            with write_transaction(self.engine) as connection:
                if connection.execute(select(USER.c.id).where(func.lower(USER.c.username) == username)).first():
                    raise UserExists(f"user {username!r} exists already")
                user_id = connection.execute(
                    insert(USER).values(
                        username=username,
                        role=role,
                        active=True,
                        password_hash=hash_password(password),
                        created=now,
                    )
                ).inserted_primary_key[0]
        except IntegrityError:
            raise UserExists(f"user {username!r} exists already") from None
        return self.get(user_id)

    def get(self, user_id: int) -> AppUser:
        with self.db.read() as connection:
            row = connection.execute(select(USER).where(USER.c.id == user_id)).first()
        if row is None:
            raise UnknownUser(f"no user {user_id}")
        return self._user(row)

    def by_username(self, username: str) -> AppUser | None:
        with self.db.read() as connection:
            row = connection.execute(select(USER).where(func.lower(USER.c.username) == username.lower())).first()
        return None if row is None else self._user(row)

    def users(self) -> list[AppUser]:
        with self.engine.connect() as connection:
            return [self._user(row) for row in connection.execute(select(USER).order_by(USER.c.id))]

    def has_admin(self) -> bool:
        query = select(func.count()).select_from(USER).where(USER.c.role == ADMIN, USER.c.active.is_(True))
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one() > 0

    def update(
        self, user_id: int, *, active: bool | None = None, role: str | None = None, password: str | None = None
    ) -> AppUser:
        values: dict = {}
        if active is not None:
            values["active"] = active
        if role is not None:
            if role not in ROLES:
                raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
            values["role"] = role
        if password is not None:
            current = self.get(user_id)
            problem = password_problem(password, current.username, role or current.role)
            if problem:
                raise AccountError(problem)
            values["password_hash"] = hash_password(password)
        with write_transaction(self.engine) as connection:
            if values and connection.execute(update(USER).where(USER.c.id == user_id).values(**values)).rowcount != 1:
                raise UnknownUser(f"no user {user_id}")
            if active is False or password is not None:  # a deactivated user, or a new password: old logins end
                connection.execute(delete(TOKEN).where(TOKEN.c.user_id == user_id))
        return self.get(user_id)

    def check_password(self, username: str, password: str) -> AppUser | None:
        """The active user of this name and password, or None (as slow for an unknown name)."""
        user = self.by_username(username)
        if user is None:
            verify_password(_DUMMY_HASH, password)
            return None
        if not verify_password(user.password_hash, password) or not user.active:
            return None
        return user

    def login(self, username: str, password: str, now: float, ttl: float) -> tuple[str, AppUser] | None:
        user = self.check_password(username, password)
        if user is None:
            return None
        token = secrets.token_urlsafe(32)
        with write_transaction(self.engine) as connection:
            connection.execute(delete(TOKEN).where(TOKEN.c.user_id == user.id, TOKEN.c.expires <= now))
            connection.execute(
                insert(TOKEN).values(token_hash=token_hash(token), user_id=user.id, created=now, expires=now + ttl)
            )
        return token, user

    def user_for_token(self, token: str, now: float) -> AppUser | None:
        query = (
            select(USER)
            .join(TOKEN, TOKEN.c.user_id == USER.c.id)
            .where(TOKEN.c.token_hash == token_hash(token), TOKEN.c.expires > now, USER.c.active.is_(True))
        )
        with self.db.read() as connection:
            row = connection.execute(query).first()
        return None if row is None else self._user(row)

    def end_token(self, token: str) -> None:
        with write_transaction(self.engine) as connection:
            connection.execute(delete(TOKEN).where(TOKEN.c.token_hash == token_hash(token)))

    def revoke_tokens(self, user_id: int) -> int:
        self.get(user_id)  # UnknownUser for a wrong id
        with write_transaction(self.engine) as connection:
            return connection.execute(delete(TOKEN).where(TOKEN.c.user_id == user_id)).rowcount

    def change_password(self, user_id: int, current: str, new: str, keep_token: str = "") -> bool:
        """Set a new password if ``current`` is right; every other login of the user ends (``keep_token``,
        the session that asked, stays)."""
        user = self.get(user_id)
        if not verify_password(user.password_hash, current):
            return False
        with write_transaction(self.engine) as connection:
            connection.execute(update(USER).where(USER.c.id == user_id).values(password_hash=hash_password(new)))
            connection.execute(
                delete(TOKEN).where(TOKEN.c.user_id == user_id, TOKEN.c.token_hash != token_hash(keep_token))
            )
        return True


@dataclass(frozen=True)
class Lockout:
    """``threshold`` failures within ``window`` seconds lock; each failure past it doubles the wait, from
    ``first_wait`` up to ``longest``, counted from the last failure."""

    threshold: int
    window: float = 900.0
    first_wait: float = 30.0
    longest: float = 900.0

    def wait(self, failures: list[float], now: float) -> float:
        """Seconds before another try is allowed (0: now), given the failures' times, oldest first."""
        recent = [at for at in failures if at > now - self.window]
        if len(recent) < self.threshold:
            return 0.0
        backoff = min(self.first_wait * 2 ** (len(recent) - self.threshold), self.longest)
        return max(0.0, recent[-1] + backoff - now)


USER_LOCKOUT = Lockout(threshold=5)
ADDRESS_LOCKOUT = Lockout(threshold=30)  # agents share an address behind the call center's NAT


class Busy(RuntimeError):
    """Too many logins are waiting for a password check: try again in a moment."""


class PasswordChecks:
    """At most ``bound`` password checks at once; up to ``queue`` more wait for a slot (in the event loop,
    holding no thread), past that ``Busy``. ``in_flight`` and ``peak`` say how many ran at once. Made
    inside the running event loop (the app's start-up)."""

    def __init__(self, bound: int, queue: int = 64) -> None:
        self.bound, self.queue = bound, queue
        self._slots = asyncio.Semaphore(bound)
        self.waiting = self.in_flight = self.peak = 0

    async def run(self, check: Callable[[], T], in_thread: Callable[[Callable[[], T]], "asyncio.Future[T]"]) -> T:
        if self.waiting >= self.queue:
            raise Busy("too many logins at once: try again in a second")
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        try:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            return await in_thread(check)
        finally:
            self.in_flight -= 1
            self._slots.release()
