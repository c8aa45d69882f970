"""Create or upgrade the schema by running the Alembic migrations (``migrations/``), never ``create_all``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
ALEMBIC_INI = MIGRATIONS_DIR / "alembic.ini"


def alembic_config() -> Config:
    if not ALEMBIC_INI.is_file():
        raise RuntimeError(f"Alembic migrations not found at {MIGRATIONS_DIR} (run from a source checkout)")
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["configure_logger"] = False  # leave the application's logging alone
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest), in one transaction where the database allows."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def open_store(settings=None, *, migrate: bool = True, **engine_kwargs) -> Engine:
    """The engine of the configured store (``StoreSettings()`` by default), its schema brought up
    to date by the migrations: a first run creates the SQLite file and its tables."""
    from adapters.store.settings import make_engine

    engine = make_engine(settings, **engine_kwargs)
    if migrate and not is_up_to_date(engine):  # a command on a current store skips Alembic's upgrade run
        upgrade(engine)
    return engine
