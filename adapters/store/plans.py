"""``SqlPlans``: staffing plans the planners saved (the dashboards' plan page), newest first.

The store keeps a plan's scenario (YAML text) and results (a JSON-able dict) without reading them, so it does
not depend on the twin; the dashboards write and read both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select

from adapters.store.models import StaffingPlanRow
from adapters.store.queries import one_row
from adapters.store.settings import write_transaction

PLAN = StaffingPlanRow.__table__


class UnknownPlan(ValueError, LookupError):
    def __init__(self, plan_id: int) -> None:
        super().__init__(f"no saved plan {plan_id}")
        self.plan_id = plan_id


@dataclass(frozen=True)
class SavedPlan:
    id: int
    name: str
    scenario: str  # YAML text
    results: dict[str, Any]
    replications: int
    seed: int
    saved_at: float
    saved_by: str


def _plan(row) -> SavedPlan:
    return SavedPlan(
        int(row.id),
        row.name,
        row.scenario,
        json.loads(row.results),
        int(row.replications),
        int(row.seed),
        float(row.saved_at),
        row.saved_by,
    )


class SqlPlans:
    """``save(...) -> SavedPlan`` (a new row, never an update); ``get(id)`` (``UnknownPlan``);
    ``list(limit=None)`` newest first; ``count()``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(
        self, name: str, scenario: str, results: dict[str, Any], *, replications: int, seed: int, by: str, now: float
    ) -> SavedPlan:
        if not name.strip():
            raise ValueError("a plan needs a name")
        values = {
            "name": name.strip(),
            "scenario": scenario,
            "results": json.dumps(results, allow_nan=False),
            "replications": replications,
            "seed": seed,
            "saved_at": now,
            "saved_by": by,
        }
        with write_transaction(self.engine) as connection:
            plan_id = connection.execute(insert(PLAN).values(**values)).inserted_primary_key[0]
        return self.get(int(plan_id))

    def get(self, plan_id: int) -> SavedPlan:
        with self.engine.connect() as connection:
            row = one_row(connection, select(PLAN).where(PLAN.c.id == plan_id), UnknownPlan(plan_id))
        return _plan(row)

    def list(self, limit: int | None = None) -> list[SavedPlan]:
        query = select(PLAN).order_by(PLAN.c.saved_at.desc(), PLAN.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [_plan(row) for row in connection.execute(query)]

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(PLAN)).scalar_one())
