"""Idempotency keys: a creating request sent again under the same ``Idempotency-Key`` is done once.

The key is claimed (``claim``) inside the transaction of the change it guards -- ``SqlUnitOfWork`` does it
as it commits -- so the change and its key are stored together or not at all; a second claim of the same key
fails on the primary key, and its unit rolls back. The answer is recorded (``record``) after the commit;
a key whose answer is missing (the process died in between) still proves the change was made.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, select, update

from adapters.store.models import IdempotencyKeyRow
from adapters.store.settings import write_transaction

KEY = IdempotencyKeyRow.__table__


class DuplicateRequest(ValueError):
    """The request's Idempotency-Key was taken by another request (at the same moment, or with another body)."""


@dataclass
class IdempotencyClaim:
    """What a request claims: its scope (method and path), key and body hash. ``claimed`` once written."""

    scope: str
    key: str
    request_hash: str
    now: float
    claimed: bool = False


@dataclass(frozen=True)
class StoredAnswer:
    request_hash: str
    status_code: int | None
    response: str | None


class SqlIdempotency:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def find(self, scope: str, key: str) -> StoredAnswer | None:
        query = select(KEY.c.request_hash, KEY.c.status_code, KEY.c.response).where(
            KEY.c.scope == scope, KEY.c.key == key
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else StoredAnswer(*row)

    @staticmethod
    def claim(connection: Connection, claim: IdempotencyClaim) -> None:
        """Write the key in the caller's transaction (``IntegrityError`` if it is taken)."""
        connection.execute(
            insert(KEY).values(scope=claim.scope, key=claim.key, request_hash=claim.request_hash, created=claim.now)
        )
        claim.claimed = True

    def record(self, claim: IdempotencyClaim, status_code: int, response: str) -> None:
        """The answer, for a request sent again; the key itself too when no unit of work claimed it."""
        with write_transaction(self.engine) as connection:
            if claim.claimed:
                connection.execute(
                    update(KEY)
                    .where(KEY.c.scope == claim.scope, KEY.c.key == claim.key)
                    .values(status_code=status_code, response=response)
                )
            else:
                connection.execute(
                    insert(KEY).values(
                        scope=claim.scope,
                        key=claim.key,
                        created=claim.now,
                        request_hash=claim.request_hash,
                        status_code=status_code,
                        response=response,
                    )
                )

    def expire(self, before: float) -> int:
        """Forget keys older than ``before`` (a client retries within minutes, not days)."""
        with write_transaction(self.engine) as connection:
            return connection.execute(delete(KEY).where(KEY.c.created < before)).rowcount
