"""Migration 0003 (the console's tables) on SQLite and PostgreSQL: it makes what console.models describes,
and downgrades to 0002 without touching the store's tables."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, inspect
from sqlalchemy.exc import IntegrityError

from adapters.store.migrate import current_revision, downgrade, head_revision, upgrade
from adapters.store.models import BUSINESS_TABLES
from console.models import CONSOLE_TABLES, AppUser
from tests.integration.schema_check import model_differences


def test_0003_creates_the_tables_the_console_models_describe(engine):
    assert current_revision(engine) == head_revision()  # 0003 and the migrations after it
    assert set(CONSOLE_TABLES) <= set(inspect(engine).get_table_names())
    assert model_differences(engine, CONSOLE_TABLES) == []


def test_0003_downgrades_to_0002_and_upgrades_again(engine):
    downgrade(engine, "0002")
    tables = set(inspect(engine).get_table_names())
    assert not set(CONSOLE_TABLES) & tables and set(BUSINESS_TABLES) <= tables
    upgrade(engine)
    assert set(CONSOLE_TABLES) <= set(inspect(engine).get_table_names())


def _user(**overrides):
    return {"username": "a", "role": "agent", "active": True, "password_hash": "x", "created": 0.0, **overrides}


@pytest.mark.parametrize("second", [_user(), _user(role="boss", username="b")])
def test_the_database_refuses_a_repeated_username_or_an_unknown_role(engine, second):
    table = AppUser.__table__
    with engine.begin() as connection:
        connection.execute(insert(table), _user())
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(insert(table), second)
