"""Settings, engine and the schema made by the Alembic migrations (on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, text
from sqlalchemy.exc import IntegrityError

from adapters.store import models
from adapters.store.migrate import current_revision, downgrade, head_revision, open_store, upgrade
from adapters.store.settings import StoreSettings, make_engine, normalise_url
from core.tickets import OUTCOMES
from tests.integration.schema_check import model_differences

STORE_TABLES = {
    "event_log",
    "callback_ticket",
    *models.BUSINESS_TABLES,
    *models.SITE_TABLES,
    *models.LIVE_CHANNEL_TABLES,
    *models.IDEMPOTENCY_TABLES,
    *models.PLAN_TABLES,
    *models.OUTBOUND_TABLES,
}


def test_default_store_is_a_sqlite_file_in_the_data_dir_created_on_first_run(tmp_path, monkeypatch):
    data_dir = tmp_path / "nested" / "data"
    monkeypatch.delenv("HOTLINE_DATABASE_URL", raising=False)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(data_dir))
    settings = StoreSettings()
    assert settings.is_sqlite and settings.database_url == f"sqlite:///{data_dir}/hotline.db"
    assert not data_dir.exists()
    engine = open_store(settings)
    try:
        assert (data_dir / "hotline.db").is_file()
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        open_store(settings).dispose()  # a second start finds the schema up to date
    finally:
        engine.dispose()


def test_default_data_dir_is_dot_data(monkeypatch):
    monkeypatch.delenv("HOTLINE_DATABASE_URL", raising=False)
    monkeypatch.delenv("HOTLINE_DATA_DIR", raising=False)
    assert StoreSettings().database_url == "sqlite:///data/hotline.db"


def test_database_url_from_the_environment_drives_postgresql_through_psycopg(monkeypatch):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgresql://u:secret@db:5432/hotline")
    settings = StoreSettings()
    assert settings.database_url == "postgresql+psycopg://u:secret@db:5432/hotline"
    assert not settings.is_sqlite
    assert "secret" not in settings.redacted_url()
    assert normalise_url("postgres://h/d") == "postgresql+psycopg://h/d"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_a_url_given_alone_is_the_database_url_not_silently_ignored(monkeypatch):
    monkeypatch.delenv("HOTLINE_DATABASE_URL", raising=False)
    assert StoreSettings("postgres://u@db/hotline").database_url == "postgresql+psycopg://u@db/hotline"
    assert StoreSettings("sqlite:///x.db", pool_size=3).pool_size == 3
    with pytest.raises(TypeError, match="database URL"):
        StoreSettings(Path("x.db"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        StoreSettings("sqlite:///x.db", "sqlite:///y.db")  # type: ignore[call-arg]


def test_migrations_create_the_tables_the_models_describe(engine):
    assert STORE_TABLES <= set(inspect(engine).get_table_names())
    assert current_revision(engine) == head_revision()
    assert model_differences(engine, STORE_TABLES) == []


def test_downgrade_to_base_and_upgrade_again(engine):
    downgrade(engine, "base")
    assert not STORE_TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert STORE_TABLES <= set(inspect(engine).get_table_names())


def _ticket_row(**overrides):
    row = dict(
        id="cb-1",
        source="",
        call_id="c1",
        number="139",
        priority="normal",
        hotline="400",
        airing="",
        queue="sales",
        created_at=0.0,
        status="open",
        claimer=None,
        attempts=0,
        outcome=None,
        next_try_at=0.0,
        expires_at=3 * 86400.0,
        version=1,
        updated_at=0.0,
    )
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "lost"},
        {"priority": "vip"},
        {"outcome": "maybe"},
        {"status": "claimed"},  # claimed needs a claimer
        {"claimer": "a1"},  # an open ticket has none
    ],
)
def test_the_database_refuses_impossible_tickets(engine, bad):
    table = models.CallbackTicket.__table__
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(insert(table), _ticket_row(**bad))


def test_the_database_takes_every_outcome_the_core_knows(engine):
    table = models.CallbackTicket.__table__
    with engine.begin() as connection:
        for i, outcome in enumerate(OUTCOMES):  # wrong_number came with migration 0007
            connection.execute(
                insert(table), _ticket_row(id=f"cb-{i}", number=f"13{i}", status="done", outcome=outcome, attempts=1)
            )


def test_the_database_refuses_a_second_open_ticket_for_a_number(engine):
    table = models.CallbackTicket.__table__
    with engine.begin() as connection:
        connection.execute(insert(table), _ticket_row())
        connection.execute(insert(table), _ticket_row(id="cb-old", status="done", outcome="ordered"))
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(insert(table), _ticket_row(id="cb-2", status="waiting"))
    with engine.begin() as connection:  # another source (a twin run) may have its own
        connection.execute(insert(table), _ticket_row(id="cb-3", source="twin"))
        assert connection.execute(text("SELECT count(*) FROM callback_ticket")).scalar() == 3


def test_make_engine_accepts_a_plain_url(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/a/b.db")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
    assert (tmp_path / "a" / "b.db").exists()


def test_downgrade_to_0001_drops_the_business_tables_only(engine):
    downgrade(engine, "0001")
    tables = set(inspect(engine).get_table_names())
    assert not set(models.BUSINESS_TABLES) & tables
    assert {"event_log", "callback_ticket"} <= tables
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def _stock_setup(connection):
    connection.execute(insert(models.WarehouseRow.__table__), dict(id="W1", serves="", rank=0))
    connection.execute(insert(models.ProductRow.__table__), dict(sku="S1", name="pan", price="99.00", active=True))


@pytest.mark.parametrize(
    "bad",
    [
        dict(on_hand=-1, allocated=0),
        dict(on_hand=5, allocated=-1),
        dict(on_hand=5, allocated=6),  # more promised than on the shelf
    ],
)
def test_the_database_refuses_negative_or_overpromised_stock(engine, bad):
    with engine.begin() as connection:
        _stock_setup(connection)
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(insert(models.StockRow.__table__), dict(warehouse_id="W1", sku="S1", **bad))


def _mobile_13800138000(customer_id: str, position: int) -> dict:
    """A customer's phone row holding the mobile 138 0013 8000."""
    return dict(
        customer_id=customer_id,
        position=position,
        key="+8613800138000",
        national="13800138000",
        kind="mobile",
        area_code="",
        extension="",
    )


def test_a_phone_number_is_stored_once_per_customer_but_may_belong_to_several(engine):
    phone = models.CustomerPhoneRow.__table__
    with engine.begin() as connection:
        for cid in ("C1", "C2"):
            connection.execute(
                insert(models.CustomerRow.__table__),
                dict(id=cid, name="x", created_at=0.0, region_province="", region_city="", region_county="", notes=""),
            )
            connection.execute(insert(phone), _mobile_13800138000(cid, 0))
    with pytest.raises(IntegrityError):
        with engine.begin() as connection:
            connection.execute(insert(phone), _mobile_13800138000("C1", 1))


def test_order_numbers_are_unique(engine):
    assert inspect(engine).get_pk_constraint("customer_order")["constrained_columns"] == ["id"]
