"""GET /api/audit: who read or changed which customer data (``audit.read``), newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adapters.store.audit import SqlAudit
from console.deps import EngineDep, require
from console.models import AppUser, AuditPublic

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditPublic])
def entries(user: Annotated[AppUser, require("audit.read")], engine: EngineDep, by: str | None = None,
            entity: str | None = None, entity_id: str | None = None,
            limit: Annotated[int, Query(ge=1, le=5000)] = 200) -> list:
    """Filter by the user who acted (``by``), the entity (``customer``, ``user``, ...) and its ID."""
    return SqlAudit(engine).entries(user=by, entity=entity, entity_id=entity_id, limit=limit)
