"""``hotline report ...`` as a user runs it: on a simulation's Parquet log and on a migrated SQLite store."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from core.log import Verb
from reports.eventlog import read_parquet
from reports.tables import agent_report
from tests.helpers import ROOT, hotline

SALE_START = "2026-11-24 12:00"  # scenarios/special_sale.yaml: start 2026-11-24T12:00:00+08:00, one 30 m sale
AIRINGS_CSV = (
    "id,channel,start,length,product,hotline,kind,cost\n"
    f"sale-1200-duvet,Shopping TV 2,{SALE_START},30m,DV-200 down duvet,4008300300,sale,50000\n"
)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """A two-replication run of the special-sale scenario: (events.parquet, airings CSV, folder)."""
    folder = tmp_path_factory.mktemp("report")
    result = hotline("simulate", str(ROOT / "scenarios" / "special_sale.yaml"), "-r", "2", "--out", str(folder))
    assert result.returncode == 0, result.stderr
    airings = folder / "airings.csv"
    airings.write_text(AIRINGS_CSV, encoding="utf-8")
    return folder / "special_sale" / "events.parquet", airings, folder


def test_agents_report_prints_a_table_and_writes_csv_from_one_replication(sim):
    log, _, folder = sim
    result = hotline(
        "report", "agents", "--log", str(log), "--period", "week", "--replication", "1", "--csv", str(folder / "csv")
    )
    assert result.returncode == 0, result.stderr
    assert "agents_week" in result.stdout and "order-line-001" in result.stdout and "2026-W48" in result.stdout
    written = pd.read_csv(folder / "csv" / "agents_week.csv", encoding="utf-8-sig")
    frame = read_parquet(log)
    expected = agent_report(frame.loc[frame["replication"] == 1].drop(columns="replication"), "week")
    assert written["agent"].tolist() == expected["agent"].tolist()
    assert written["calls"].tolist() == expected["calls"].tolist()
    answered = frame.loc[
        (frame["replication"] == 1) & frame["verb"].isin([Verb.COMPLETECALLER, Verb.COMPLETEAGENT, Verb.TRANSFER])
    ]
    assert written["calls"].sum() == len(answered)


def test_all_reports_go_to_one_workbook_with_a_sheet_each(sim):
    log, airings, folder = sim
    book = folder / "all.xlsx"
    result = hotline(
        "report", "all", "--log", str(log), "--airings", str(airings), "--xlsx", str(book), "--interval", "30"
    )
    assert result.returncode == 0, result.stderr
    assert openpyxl.load_workbook(book).sheetnames == [
        "agents_day",
        "queues",
        "callbacks",
        "orders_by_product",
        "orders_by_airing",
        "roi",
    ]
    sheets = pd.read_excel(book, sheet_name=None)
    frame = read_parquet(log)
    first = frame.loc[frame["replication"] == 0]
    offered = int((first["verb"] == Verb.ENTERQUEUE).sum())
    queues = sheets["queues"]
    assert queues.loc[queues["interval"] != "all", "offered"].sum() == offered
    assert queues.loc[queues["interval"] == "all", "offered"].tolist() == [offered]  # the all-queues total row
    roi = sheets["roi"].set_index("airing_id")
    assert roi["calls"].sum() == pytest.approx(offered)
    assert roi.loc["sale-1200-duvet", "cost"] == 50000
    assert roi.loc["sale-1200-duvet", "cost_per_call"] == pytest.approx(50000 / roi.loc["sale-1200-duvet", "calls"])
    callbacks = sheets["callbacks"]
    assert callbacks["tickets"].sum() == int((first["verb"] == Verb.CALLBACK_CREATED).sum())


def test_queues_and_callbacks_and_roi_on_screen(sim):
    log, airings, folder = sim
    queues = hotline("report", "queues", "--log", str(log), "--interval", "15")
    assert queues.returncode == 0, queues.stderr
    assert "2026-11-24 12:00" in queues.stdout and "abandon_rate" in queues.stdout
    callbacks = hotline("report", "callbacks", "--log", str(log))
    assert callbacks.returncode == 0 and "4008300300" in callbacks.stdout
    roi = hotline("report", "roi", "--log", str(log), "--airings", str(airings))
    assert roi.returncode == 0, roi.stderr
    assert "sale-1200" in roi.stdout and "(unattributed)" in roi.stdout
    # with a baseline, part of the calls stays unattributed; the parts still add up to all calls
    baseline = hotline(
        "report",
        "roi",
        "--log",
        str(log),
        "--airings",
        str(airings),
        "--baseline",
        "60",
        "--csv",
        str(folder / "baseline"),
    )
    assert baseline.returncode == 0, baseline.stderr
    table = pd.read_csv(folder / "baseline" / "roi.csv", encoding="utf-8-sig").set_index("airing_id")
    assert table.loc["(unattributed)", "calls"] > 10
    frame = read_parquet(log)
    offered = int(((frame["replication"] == 0) & (frame["verb"] == Verb.ENTERQUEUE)).sum())
    assert table["calls"].sum() == pytest.approx(offered)


@pytest.mark.parametrize(
    "case",
    ["missing log", "not a log", "bad airings", "no airings", "bad period", "no replication", "all without output"],
)
def test_bad_input_exits_2_with_a_reason_and_no_traceback(case, sim, tmp_path):
    log, _, _ = sim
    bad = tmp_path / "bad.csv"
    bad.write_text("channel,start,length,hotline\nCCTV-2,tonight,30m,400\n", encoding="utf-8")
    args, words = {
        "missing log": (["agents", "--log", str(tmp_path / "none.parquet")], "no such file"),
        "not a log": (["agents", "--log", str(bad)], "not an event log"),
        "bad airings": (["roi", "--log", str(log), "--airings", str(bad)], "bad.csv:2: start: 'tonight'"),
        "no airings": (["roi", "--log", str(log)], "--airings"),
        "bad period": (["agents", "--log", str(log), "--period", "year"], "--period"),
        "no replication": (["queues", "--log", str(log), "--replication", "7"], "no replication 7"),
        "all without output": (["all", "--log", str(log)], "--xlsx"),
    }[case]
    result = hotline("report", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_reports_from_a_migrated_sqlite_store(sim, tmp_path):
    from adapters.store.airings import SqlAirings
    from adapters.store.eventlog import SqlEventLog
    from adapters.store.migrate import open_store
    from adapters.store.orders import SqlOrders
    from adapters.store.settings import StoreSettings
    from reports.airings import parse_airings_csv
    from reports.eventlog import frame_to_records
    from tests.integration.store.business_fixtures import order_command, stocked_store

    log, _, _ = sim
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_DATABASE_URL": ""}
    engine = open_store(StoreSettings(data_dir=tmp_path / "data", database_url=""))
    try:
        frame = read_parquet(log)
        SqlEventLog(engine).append(frame_to_records(frame.loc[frame["replication"] == 0]), source="twin")
        _, customer = stocked_store(engine, units=10, sku="PAN-1", price="199.00")
        orders = SqlOrders(engine, log_source="orders")
        orders.place(order_command(customer.customer_id, {"PAN-1": 2}))
        orders.place(order_command(customer.customer_id, {"PAN-1": 1}, call_id="call-2"))
        SqlAirings(engine).add_many(parse_airings_csv(AIRINGS_CSV.replace("sale-1200-duvet", "A1")))
    finally:
        engine.dispose()

    result = hotline("report", "orders", "--csv", str(tmp_path / "csv"), env=env)
    assert result.returncode == 0, result.stderr
    product = pd.read_csv(tmp_path / "csv" / "orders_by_product.csv", encoding="utf-8-sig")
    assert product[["sku", "orders", "units", "revenue"]].values.tolist() == [["PAN-1", 2, 3.0, 597.0]]
    airing = pd.read_csv(tmp_path / "csv" / "orders_by_airing.csv", encoding="utf-8-sig")
    assert airing[["airing_id", "channel", "orders", "revenue"]].values.tolist() == [["A1", "Shopping TV 2", 2, 597.0]]

    queues = hotline("report", "queues", "--source", "twin", "--csv", str(tmp_path / "csv"), env=env)
    assert queues.returncode == 0, queues.stderr
    stored = pd.read_csv(tmp_path / "csv" / "queues.csv", encoding="utf-8-sig")
    from_file = hotline("report", "queues", "--log", str(log), "--csv", str(tmp_path / "file"))
    assert from_file.returncode == 0
    pd.testing.assert_frame_equal(stored, pd.read_csv(tmp_path / "file" / "queues.csv", encoding="utf-8-sig"))

    roi = hotline("report", "roi", "--csv", str(tmp_path / "csv"), env=env)  # airings from the store
    assert roi.returncode == 0, roi.stderr
    table = pd.read_csv(tmp_path / "csv" / "roi.csv", encoding="utf-8-sig").set_index("airing_id")
    assert table.loc["A1", "revenue"] + table.loc["(unattributed)", "revenue"] == pytest.approx(597.0)
    assert Decimal(str(table["calls"].sum())) == int(
        (frame.loc[frame["replication"] == 0, "verb"] == Verb.ENTERQUEUE).sum()
    )
