"""Saved staffing plans (migration 0014) on SQLite and PostgreSQL, and the planner role it lets the database take."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, inspect, select

from adapters.store.migrate import downgrade, upgrade
from adapters.store.plans import SqlPlans, UnknownPlan
from console.models import AppUser

RESULTS = {"name": "A", "intervals": [{"interval_start": 0.0, "offered": 12.5, "offered_ci_low": 10.0}], "totals": {}}


def test_plans_are_added_never_overwritten_and_listed_newest_first(engine):
    plans = SqlPlans(engine)
    first = plans.save("A", "name: a\n", RESULTS, replications=10, seed=7, by="li.na", now=100.0)
    second = plans.save("A", "name: a2\n", {**RESULTS, "name": "A2"}, replications=5, seed=8, by="li.na", now=200.0)
    assert second.id != first.id and plans.count() == 2
    assert [p.id for p in plans.list()] == [second.id, first.id]
    assert plans.get(first.id).results == RESULTS and plans.get(first.id).scenario == "name: a\n"
    with pytest.raises(UnknownPlan):
        plans.get(999)
    with pytest.raises(ValueError):
        plans.save("  ", "x", RESULTS, replications=1, seed=1, by="x", now=1.0)
    with pytest.raises(ValueError):  # NaN is not JSON: refused before anything is written
        plans.save("B", "x", {"sl": float("nan")}, replications=1, seed=1, by="x", now=1.0)
    assert plans.count() == 2


def test_0011_takes_planners_and_downgrades_without_them(engine):
    users = AppUser.__table__
    with engine.begin() as connection:
        connection.execute(
            insert(users), {"username": "p", "role": "planner", "active": True, "password_hash": "x", "created": 0.0}
        )
    SqlPlans(engine).save("A", "name: a\n", RESULTS, replications=1, seed=1, by="p", now=1.0)
    downgrade(engine, "0010")
    assert "staffing_plan" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(select(users.c.username)).scalars().all() == []
    upgrade(engine)
    assert SqlPlans(engine).count() == 0
