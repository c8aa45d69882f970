"""Every list the console answers is a page: ``limit`` (default ``DEFAULT_LIMIT``, at most ``MAX_LIMIT``)
items from ``offset``, so no single call returns a whole table. Use ``Limit`` and ``Offset`` as query
parameters; ``page`` cuts a list the store could not cut itself."""

from __future__ import annotations

from typing import Annotated, Sequence, TypeVar

from fastapi import Query

T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"items per page (at most {MAX_LIMIT})")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="items to skip")]


def page(items: Sequence[T], limit: int, offset: int) -> list[T]:
    return list(items[offset : offset + limit])
