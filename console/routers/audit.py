"""GET /api/audit: who read or changed which customer data (``audit.read``), newest first;
GET /api/audit/alerts: the security alerts (``security.alert`` rows, e.g. a user past the lookup limit), for
supervisors (``alerts.read``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from adapters.store.audit import SqlAudit
from console.deps import EngineDep, require
from console.models import AppUser, AuditPublic
from console.paging import MAX_LIMIT, Offset

router = APIRouter(prefix="/audit", tags=["audit"])
ALERT = "security.alert"


@router.get("", response_model=list[AuditPublic])
def entries(
    user: Annotated[AppUser, require("audit.read")],
    engine: EngineDep,
    by: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 200,
    offset: Offset = 0,
) -> list:
    """Filter by the user who acted (``by``), the entity (``customer``, ``user``, ``phone``, ...), its ID and
    the action."""
    return SqlAudit(engine).entries(
        user=by, entity=entity, entity_id=entity_id, action=action, limit=limit, offset=offset
    )


@router.get("/alerts", response_model=list[AuditPublic])
def alerts(
    user: Annotated[AppUser, require("alerts.read")],
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Offset = 0,
) -> list:
    """Security alerts, newest first: ``entity_id`` is the user concerned, ``detail`` says why."""
    return SqlAudit(engine).entries(action=ALERT, limit=limit, offset=offset)
