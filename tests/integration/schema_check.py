"""What the migrated database and the SQLModel models disagree on, for one package's tables: the store's and
the console's migration tests both ask it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel


def model_differences(engine: Engine, tables) -> list:
    """Alembic's differences between the database and ``SQLModel.metadata``, on ``tables`` only (other
    packages register SQLModel tables of their own); [] when the migrations make what the models describe."""
    tables = set(tables)

    def of_these_tables(obj, name, kind, reflected, compare_to) -> bool:
        table = obj if kind == "table" else getattr(obj, "table", None)
        return table is None or table.name in tables

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, parent: kind != "table" or name in tables,
                "include_object": of_these_tables,
            },
        )
        return compare_metadata(context, SQLModel.metadata)
