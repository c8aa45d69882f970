"""The console's own tables (migration 0003), in the store's style: ``*Base`` shared fields, ``*Create`` /
``*Update`` for what a client sends, the ``table=True`` class, ``*Public`` for what the API returns.

* ``app_user`` -- who may log in: unique username, argon2 password hash, role, active flag;
* ``api_token`` -- bearer tokens, stored only as their SHA-256 hash, with an expiry;
* ``audit_log`` -- who read or changed which customer data, when (its table lives in ``adapters.store.audit``,
  where the unit of work writes it).

Times are epoch seconds (float), like the store's.
"""

from __future__ import annotations

from typing import Literal, Optional

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from adapters.store.audit import AuditBase  # the audit_log table is the store's
from console.permissions import ROLES

Role = Literal["agent", "planner", "supervisor", "admin"]
USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{1,64}$"
CONSOLE_TABLES = ("app_user", "api_token", "audit_log")
PASSWORD_MIN, PASSWORD_MAX = 8, 256


# --- users -------------------------------------------------------------------------------------------


class UserBase(SQLModel):
    username: str = Field(max_length=64)
    role: str = Field(max_length=16, description=" | ".join(ROLES))
    active: bool = True


class UserCreate(SQLModel):
    username: str = Field(min_length=1, max_length=64, regex=USERNAME_PATTERN)
    password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    role: Role


class UserUpdate(SQLModel):
    active: Optional[bool] = None
    role: Optional[Role] = None
    password: Optional[str] = Field(default=None, min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)


class AppUser(UserBase, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("role IN ('agent', 'planner', 'supervisor', 'admin')", name="ck_app_user_role"),
        Index("uq_app_user_username", "username", unique=True),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    created: float


class UserPublic(UserBase):
    id: int
    created: float


# --- tokens ------------------------------------------------------------------------------------------


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_user_id", "user_id"),)

    token_hash: str = Field(primary_key=True, max_length=64, description="SHA-256 of the token, hex")
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE")
    created: float
    expires: float


class Login(SQLModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenPublic(SQLModel):
    access_token: str
    token_type: str = "bearer"
    expires: float
    user: UserPublic


# --- audit -------------------------------------------------------------------------------------------


class AuditPublic(AuditBase):
    id: int
