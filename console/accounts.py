"""Users and login tokens on the database (the tables of ``console.models``).

Passwords are hashed with argon2 (argon2-cffi's defaults). A login token is 32 random bytes (URL-safe
text) given to the client once; the database keeps only its SHA-256, so a copy of the database logs
nobody in.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.store.settings import write_transaction
from console.models import ApiToken, AppUser
from console.permissions import ADMIN, ROLES

USER = AppUser.__table__
TOKEN = ApiToken.__table__
_hasher = PasswordHasher()


class AccountError(ValueError):
    """A user operation the rules forbid."""


class UserExists(AccountError):
    pass


class UnknownUser(AccountError, LookupError):
    pass


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
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @staticmethod
    def _user(row) -> AppUser:
        return AppUser.model_validate(dict(row._mapping))

    def create_user(self, username: str, password: str, role: str, now: float) -> AppUser:
        if role not in ROLES:
            raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
        try:
            with write_transaction(self.engine) as connection:
                user_id = connection.execute(insert(USER).values(
                    username=username, role=role, active=True, password_hash=hash_password(password), created=now,
                )).inserted_primary_key[0]
        except IntegrityError:
            raise UserExists(f"user {username!r} exists already") from None
        return self.get(user_id)

    def get(self, user_id: int) -> AppUser:
        with self.engine.connect() as connection:
            row = connection.execute(select(USER).where(USER.c.id == user_id)).first()
        if row is None:
            raise UnknownUser(f"no user {user_id}")
        return self._user(row)

    def by_username(self, username: str) -> AppUser | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(USER).where(USER.c.username == username)).first()
        return None if row is None else self._user(row)

    def users(self) -> list[AppUser]:
        with self.engine.connect() as connection:
            return [self._user(row) for row in connection.execute(select(USER).order_by(USER.c.id))]

    def has_admin(self) -> bool:
        query = select(func.count()).select_from(USER).where(USER.c.role == ADMIN, USER.c.active.is_(True))
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one() > 0

    def update(self, user_id: int, *, active: bool | None = None, role: str | None = None,
               password: str | None = None) -> AppUser:
        values: dict = {}
        if active is not None:
            values["active"] = active
        if role is not None:
            if role not in ROLES:
                raise AccountError(f"role {role!r} is not one of {', '.join(ROLES)}")
            values["role"] = role
        if password is not None:
            values["password_hash"] = hash_password(password)
        with write_transaction(self.engine) as connection:
            if values and connection.execute(update(USER).where(USER.c.id == user_id).values(**values)).rowcount != 1:
                raise UnknownUser(f"no user {user_id}")
            if active is False or password is not None:  # a deactivated user, or a new password: old logins end
                connection.execute(delete(TOKEN).where(TOKEN.c.user_id == user_id))
        return self.get(user_id)

    def login(self, username: str, password: str, now: float, ttl: float) -> tuple[str, AppUser] | None:
        user = self.by_username(username)
        if user is None:
            verify_password(_DUMMY_HASH, password)
            return None
        if not verify_password(user.password_hash, password) or not user.active:
            return None
        token = secrets.token_urlsafe(32)
        with write_transaction(self.engine) as connection:
            connection.execute(delete(TOKEN).where(TOKEN.c.user_id == user.id, TOKEN.c.expires <= now))
            connection.execute(insert(TOKEN).values(token_hash=token_hash(token), user_id=user.id, created=now,
                                                    expires=now + ttl))
        return token, user

    def user_for_token(self, token: str, now: float) -> AppUser | None:
        query = (select(USER).join(TOKEN, TOKEN.c.user_id == USER.c.id)
                 .where(TOKEN.c.token_hash == token_hash(token), TOKEN.c.expires > now, USER.c.active.is_(True)))
        with self.engine.connect() as connection:
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
            connection.execute(delete(TOKEN).where(TOKEN.c.user_id == user_id,
                                                   TOKEN.c.token_hash != token_hash(keep_token)))
        return True
