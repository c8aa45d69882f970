"""The report list (reports/tables.py), the airings CSV and the export, on small hand-built logs whose
figures are worked out here by hand.
Over 400 lines: one small hand-worked log per report of the list, kept beside the figures it checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest

from core.config import Airing
from core.log import NONE, LogRecord, Verb
from core.orders import COD, MediaSurvey, Order, OrderLine
from core.regions import Address, Division
from inputs.problems import InputFileError
from reports.airings import parse_airings_csv, read_airings_csv
from reports.eventlog import records_to_frame
from reports.export import sheet_name, write_csv, write_xlsx
from reports.periods import period_bounds
from reports.tables import (
    UNATTRIBUTED,
    agent_report,
    callback_outcomes,
    order_lines,
    orders_by_airing,
    orders_by_product,
    orders_from_events,
    queue_report,
    roi_report,
)

BEIJING = timezone(timedelta(hours=8))


def at(day: str, clock: str) -> float:
    """Epoch seconds of a Beijing wall-clock time."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=BEIJING).timestamp()


def call(day, enter, connect, end, call_id, agent, *, end_verb=Verb.COMPLETECALLER, wrapup=0.0, queue="orders"):
    """ENTERQUEUE .. CONNECT .. end (.. WRAPUPEND) of one answered call, times as Beijing clock text."""
    t_enter, t_connect, t_end = at(day, enter), at(day, connect), at(day, end)
    records = [
        LogRecord(t_enter, call_id, queue, NONE, Verb.ENTERQUEUE, "", "13800000000", 1, "4008001234", "normal"),
        LogRecord(t_connect, call_id, queue, agent, Verb.CONNECT, t_connect - t_enter, call_id, 1.0),
        LogRecord(t_end, call_id, queue, agent, end_verb, t_connect - t_enter, t_end - t_connect, 1),
    ]
    if wrapup:
        records.append(LogRecord(t_end + wrapup, NONE, NONE, agent, Verb.WRAPUPEND, wrapup))
    return records


def agent_record(day, clock, agent, verb, *data):
    return LogRecord(at(day, clock), NONE, NONE, agent, verb, *data)


# --- agents per day, week, month ---------------------------------------------------------------------

# Mon 23 Nov and Tue 24 Nov 2026 are ISO week 48; Tue 1 Dec is week 49 and another month.
MON, TUE, DEC1 = "2026-11-23", "2026-11-24", "2026-12-01"


def two_days_and_december() -> list[LogRecord]:
    return sorted(
        [
            # Monday: logged in 09:00-10:00, one call 09:10:00-09:15:00 (wait 10 s) with 30 s wrap-up
            agent_record(MON, "09:00:00", "a1", Verb.AGENTLOGIN),
            *call(MON, "09:09:50", "09:10:00", "09:15:00", "c1", "a1", wrapup=30.0),
            agent_record(MON, "10:00:00", "a1", Verb.AGENTLOGOFF, "", 3600.0),
            # Tuesday: 09:00-11:00, a call 09:30:00-09:33:20 ended by a transfer, 20 s wrap-up, a 30-minute pause
            agent_record(TUE, "09:00:00", "a1", Verb.AGENTLOGIN),
            *call(TUE, "09:29:40", "09:30:00", "09:33:20", "c2", "a1", end_verb=Verb.TRANSFER, wrapup=20.0),
            agent_record(TUE, "10:00:00", "a1", Verb.PAUSE, "lunch"),
            agent_record(TUE, "10:30:00", "a1", Verb.UNPAUSE, "lunch"),
            agent_record(TUE, "11:00:00", "a1", Verb.AGENTLOGOFF, "", 7200.0),
            # 1 December: a second agent, 23:30 to 00:30 the next day, no calls
            agent_record(DEC1, "23:30:00", "a2", Verb.AGENTLOGIN),
            agent_record("2026-12-02", "00:30:00", "a2", Verb.AGENTLOGOFF, "", 3600.0),
        ],
        key=lambda r: r.time,
    )


def test_agent_report_per_day_has_each_days_times_calls_transfers_and_aht():
    table = agent_report(two_days_and_december(), "day").set_index(["period", "agent"])
    assert list(table.index) == [(MON, "a1"), (TUE, "a1"), (DEC1, "a2"), ("2026-12-02", "a2")]
    mon, tue = table.loc[(MON, "a1")], table.loc[(TUE, "a1")]
    # Monday: talk 300 s, wrap-up 30 s, idle the rest of the hour
    assert (mon["talk_s"], mon["wrapup_s"], mon["not_ready_s"]) == (300.0, 30.0, 0.0)
    assert mon["idle_s"] == 3600 - 300 - 30
    assert (mon["calls"], mon["transfers"], mon["aht"]) == (1, 0, 330.0)
    # Tuesday: talk 200 s, wrap-up 20 s, paused 1800 s, two hours logged in
    assert (tue["talk_s"], tue["wrapup_s"], tue["not_ready_s"]) == (200.0, 20.0, 1800.0)
    assert tue["idle_s"] == 7200 - 200 - 20 - 1800
    assert (tue["calls"], tue["transfers"], tue["aht"]) == (1, 1, 220.0)
    # a shift over midnight is split at local midnight
    assert table.loc[(DEC1, "a2"), "logged_in_s"] == 1800.0
    assert table.loc[("2026-12-02", "a2"), "logged_in_s"] == 1800.0
    assert table.loc[(DEC1, "a2"), "calls"] == 0


def test_agent_report_rolls_days_up_to_weeks_and_months():
    log = two_days_and_december()
    week = agent_report(log, "week").set_index(["period", "agent"])
    assert list(week.index) == [("2026-W48", "a1"), ("2026-W49", "a2")]
    w48 = week.loc[("2026-W48", "a1")]
    assert (w48["talk_s"], w48["wrapup_s"], w48["not_ready_s"], w48["logged_in_s"]) == (500.0, 50.0, 1800.0, 10800.0)
    assert (w48["calls"], w48["transfers"]) == (2, 1)
    assert w48["aht"] == pytest.approx((330.0 + 220.0) / 2)
    assert week.loc[("2026-W49", "a2"), "logged_in_s"] == 3600.0
    assert week.loc[("2026-W48", "a1"), "period_start"] == at(MON, "00:00:00")
    month = agent_report(log, "month").set_index(["period", "agent"])
    assert list(month.index) == [("2026-11", "a1"), ("2026-12", "a2")]
    assert month.loc[("2026-11", "a1"), "calls"] == 2
    assert month.loc[("2026-11", "a1"), "period_end"] == at(DEC1, "00:00:00")
    # days add up to their week
    day = agent_report(log, "day")
    assert day.loc[day["agent"] == "a1", "idle_s"].sum() == w48["idle_s"]


def test_agent_report_follows_the_utc_offset_and_rejects_unknown_periods():
    log = two_days_and_december()
    utc = agent_report(log, "day", utc_offset_h=0)
    # 23:30-00:30 Beijing time is 15:30-16:30 UTC: one UTC day
    assert utc.loc[utc["agent"] == "a2", "period"].tolist() == ["2026-12-01"]
    with pytest.raises(ValueError, match="period"):
        agent_report(log, "fortnight")
    assert agent_report([], "week").empty


def test_period_bounds_cover_the_log_in_whole_calendar_periods():
    bounds = period_bounds(at("2026-12-31", "23:00:00"), at("2027-01-01", "01:00:00"), "month")
    assert [label for _, _, label in bounds] == ["2026-12", "2027-01"]
    assert bounds[0][0] == at("2026-12-01", "00:00:00") and bounds[0][1] == bounds[1][0]
    weeks = period_bounds(at("2027-01-01", "12:00:00"), at("2027-01-01", "13:00:00"), "week")
    assert weeks == [(at("2026-12-28", "00:00:00"), at("2027-01-04", "00:00:00"), "2026-W53")]


# --- queues per interval -----------------------------------------------------------------------------


def test_queue_report_counts_offered_answered_abandoned_and_the_abandonment_rate():
    log = [
        *call(MON, "09:00:00", "09:00:05", "09:03:00", "c1", "a1"),
        *call(MON, "09:01:00", "09:01:30", "09:04:00", "c2", "a1", queue="service"),
        LogRecord(at(MON, "09:02:00"), "c3", "orders", NONE, Verb.ENTERQUEUE, "", "1", 1, "4008001234", "normal"),
        LogRecord(at(MON, "09:02:40"), "c3", "orders", NONE, Verb.ABANDON, 1, 1, 40.0, 0),
        LogRecord(at(MON, "09:16:00"), "c4", "orders", NONE, Verb.ENTERQUEUE, "", "2", 1, "4008001234", "normal"),
        LogRecord(at(MON, "09:16:50"), "c4", "orders", NONE, Verb.ABANDON, 1, 1, 50.0, 0),
    ]
    table = queue_report(sorted(log, key=lambda r: r.time), 900, 20).set_index(["interval", "queue"])
    first = table.loc[("2026-11-23 09:00", "orders")]
    assert (first["offered"], first["answered"], first["abandoned"]) == (2, 1, 1)
    assert first["abandon_rate"] == 0.5 and first["sl_offered"] == 0.5
    assert first["asa"] == 5.0 and first["longest_wait"] == 40.0
    service = table.loc[("2026-11-23 09:00", "service")]
    assert (service["offered"], service["answered"], service["sl_offered"], service["asa"]) == (1, 1, 0.0, 30.0)
    later = table.loc[("2026-11-23 09:15", "orders")]
    assert (later["offered"], later["abandoned"], later["abandon_rate"]) == (1, 1, 1.0)
    assert np.isnan(table.loc[("2026-11-23 09:15", "service"), "abandon_rate"])
    # every call here waited: c3 40 s and c4 50 s abandoned, c1 5 s and c2 30 s answered
    assert (first["queued"], first["queued_share"], first["abandon_rate_queued"]) == (2, 1.0, 0.5)
    assert first["wait_queued"] == 22.5 and first["wait_abandoned"] == 40.0
    total = table.loc[("all", "(all)")]
    assert (total["offered"], total["answered"], total["abandoned"], total["queued"]) == (4, 2, 2, 4)
    assert total["abandon_rate"] == 0.5 and total["abandon_rate_queued"] == 0.5
    assert total["wait_queued"] == (5 + 30 + 40 + 50) / 4 and total["wait_abandoned"] == 45.0
    assert list(table.index)[-1] == ("all", "(all)")


def test_only_calls_that_waited_are_queued():
    log = [
        *call(MON, "09:00:00", "09:00:00", "09:03:00", "c1", "a1"),  # answered at once
        *call(MON, "09:01:00", "09:01:20", "09:04:00", "c2", "a2"),
        LogRecord(at(MON, "09:02:00"), "c3", "orders", NONE, Verb.ENTERQUEUE, "", "1", 1, "4008001234", "normal"),
        LogRecord(at(MON, "09:02:40"), "c3", "orders", NONE, Verb.ABANDON, 1, 1, 40.0, 0),
    ]
    total = queue_report(sorted(log, key=lambda r: r.time), 900, 20).set_index("interval").loc["all"]
    assert (total["offered"], total["queued"]) == (3, 2)
    assert total["queued_share"] == pytest.approx(2 / 3) and total["abandon_rate_queued"] == 0.5
    assert total["wait_queued"] == 30.0 and total["wait_abandoned"] == 40.0


# --- callbacks ---------------------------------------------------------------------------------------


def test_callback_outcomes_count_attempts_by_outcome_per_queue_and_hotline():
    t = at(MON, "10:00:00")

    def created(i, queue, hotline):
        return LogRecord(t + i, f"c{i}", queue, NONE, Verb.CALLBACK_CREATED, f"cb{i}", "1", "normal", hotline, "")

    def done(i, queue, outcome, attempt=1):
        return LogRecord(
            t + 100 + i + attempt, f"c{i}", queue, "a1", Verb.CALLBACK_DONE, f"cb{i}", outcome, attempt, 60.0
        )

    log = [
        created(1, "orders", "400-A"),
        created(2, "orders", "400-A"),
        created(3, "orders", "400-A"),
        created(4, "orders", "400-B"),
        created(5, "service", "400-A"),
        done(1, "orders", "ordered"),
        done(2, "orders", "unreachable"),
        done(2, "orders", "ordered", 2),
        done(3, "orders", "unreachable"),
        LogRecord(t + 500, "c3", "orders", NONE, Verb.CALLBACK_EXPIRED, "cb3"),
        done(4, "orders", "complaint"),
        done(5, "service", "inquiry"),
        # a ticket opened before the log began: no hotline known
        LogRecord(t + 600, "c9", "orders", "a1", Verb.CALLBACK_DONE, "cb9", "cancelled", 1, 30.0),
    ]
    table = callback_outcomes(sorted(log, key=lambda r: r.time)).set_index(["queue", "hotline"])
    assert list(table.index) == [("orders", ""), ("orders", "400-A"), ("orders", "400-B"), ("service", "400-A")]
    a = table.loc[("orders", "400-A")]
    assert (a["tickets"], a["attempts"], a["ordered"], a["unreachable"], a["expired"]) == (3, 4, 2, 2, 1)
    assert (a["cancelled"], a["inquiry"], a["complaint"], a["other"]) == (0, 0, 0, 0)
    assert a["closed"] == 3 and a["ordered_rate"] == pytest.approx(2 / 3)
    assert table.loc[("orders", "400-B"), "complaint"] == 1
    assert table.loc[("service", "400-A"), "inquiry"] == 1
    unknown = table.loc[("orders", "")]
    assert (unknown["tickets"], unknown["cancelled"], unknown["ordered_rate"]) == (0, 1, 0.0)
    assert callback_outcomes([]).empty


# --- orders --------------------------------------------------------------------------------------------

ADDRESS = Address(Division("110108", "北京市", "", "海淀区"), "中关村大街1号")
AIRINGS = [
    Airing("A1", "CCTV-2", at(MON, "20:00:00"), 1800, "400-A", "duvet", "live", 20000.0),
    Airing("A2", "Hunan", at(MON, "21:00:00"), 60, "400-B", "pan", "spot", 3000.0),
]


def order(order_id, lines, airing="", discount="0.00", status="placed"):
    survey = MediaSurvey("CCTV-2", "", airing) if airing else None
    return Order(
        order_id,
        "C1",
        tuple(OrderLine(sku, name, qty, Decimal(price)) for sku, name, qty, price in lines),
        COD,
        ADDRESS,
        at(MON, "20:10:00"),
        survey=survey,
        hotline="400-A",
        discount=Decimal(discount),
        status=status,
    )


def test_orders_per_product_and_per_airing_from_stored_orders():
    orders = [
        order("O1", [("DV", "duvet", 2, "300.00"), ("PL", "pillow", 1, "100.00")], "A1", discount="70.00"),
        order("O2", [("DV", "duvet", 1, "300.00")], "A1"),
        order("O3", [("PN", "pan", 3, "50.00")], "A2"),
        order("O4", [("PN", "pan", 1, "50.00")]),
        order("O5", [("DV", "duvet", 9, "300.00")], "A1", status="cancelled"),
    ]
    lines = order_lines(orders)
    # O1's 70 discount is shared 600:100 between its lines
    assert lines.loc[lines["order_id"] == "O1", "revenue"].tolist() == pytest.approx([540.0, 90.0])
    product = orders_by_product(lines).set_index("sku")
    assert product.loc["DV", ["orders", "units", "revenue"]].tolist() == pytest.approx([2, 3, 840.0])
    assert product.loc["PL", ["orders", "units", "revenue"]].tolist() == pytest.approx([1, 1, 90.0])
    assert product.loc["PN", ["orders", "units", "revenue"]].tolist() == pytest.approx([2, 4, 200.0])
    airing = orders_by_airing(lines, AIRINGS).set_index("airing_id")
    assert airing.loc["A1", ["orders", "units", "revenue"]].tolist() == pytest.approx([2, 4, 930.0])
    assert airing.loc["A1", "channel"] == "CCTV-2" and airing.loc["A1", "product"] == "duvet"
    assert airing.loc["A2", ["orders", "units", "revenue"]].tolist() == pytest.approx([1, 3, 150.0])
    assert airing.loc["(none)", ["orders", "revenue"]].tolist() == pytest.approx([1, 50.0])
    assert order_lines(orders, include_cancelled=True)["units"].sum() == 2 + 1 + 1 + 3 + 1 + 9


def test_orders_from_event_records_count_orders_and_revenue_per_airing_product():
    t = at(MON, "20:10:00")
    log = [
        LogRecord(t, "c1", NONE, "a1", Verb.ORDER_PLACED, "O1", 600.0, "400-A", "A1", "C1"),
        LogRecord(t + 1, "c2", NONE, "a1", Verb.ORDER_PLACED, "O2", 300.0, "400-A", "A1", "C2"),
        LogRecord(t + 2, NONE, NONE, "a2", Verb.ORDER_PLACED, "O3", 150.0, "400-B", "A2", "C3"),
        LogRecord(t + 3, "c4", NONE, "a2", Verb.ORDER_PLACED, "O4", 99.0, "400-B", "", "C4"),
    ]
    facts = orders_from_events(log)
    assert facts["order_id"].tolist() == ["O1", "O2", "O3", "O4"]
    assert facts["call_id"].tolist() == ["c1", "c2", "", "c4"]
    airing = orders_by_airing(facts, AIRINGS).set_index("airing_id")
    assert airing.loc["A1", ["orders", "revenue"]].tolist() == [2, 900.0]
    assert np.isnan(airing.loc["A1", "units"])
    product = orders_by_product(facts, AIRINGS).set_index("name")
    assert product.loc["duvet", ["orders", "revenue"]].tolist() == [2, 900.0]
    assert product.loc["pan", ["orders", "revenue"]].tolist() == [1, 150.0]
    assert product.loc["", ["orders", "revenue"]].tolist() == [1, 99.0]


# --- media ROI -----------------------------------------------------------------------------------------


def test_roi_report_gives_one_row_per_airing_and_the_unattributed_rest():
    t = AIRINGS[0].start
    log = []
    for i, (outcome, revenue) in enumerate(
        [("answered", 400.0), ("answered", 0.0), ("abandoned", 0.0), ("answered", 200.0)]
    ):
        call_id = f"c{i}"
        start = t + 60 * i
        log.append(LogRecord(start, call_id, "orders", NONE, Verb.ENTERQUEUE, "", "1", 1, "400-A", "normal"))
        if outcome == "answered":
            log.append(LogRecord(start + 5, call_id, "orders", "a1", Verb.CONNECT, 5.0, call_id, 1.0))
            log.append(LogRecord(start + 50, call_id, "orders", "a1", Verb.COMPLETECALLER, 5.0, 45.0, 1))
            if revenue:
                log.append(
                    LogRecord(start + 50, call_id, NONE, "a1", Verb.ORDER_PLACED, f"O{i}", revenue, "400-A", "A1", "C")
                )
        else:
            log.append(LogRecord(start + 30, call_id, "orders", NONE, Verb.ABANDON, 1, 1, 30.0, 0))
    log.sort(key=lambda r: r.time)
    table = roi_report(log, AIRINGS).set_index("airing_id")
    assert list(table.index) == ["A1", "A2", UNATTRIBUTED]
    a1 = table.loc["A1"]
    # with no baseline every call on 400-A during A1's window is A1's
    assert (a1["calls"], a1["answered"], a1["abandoned"], a1["orders"], a1["revenue"]) == (4, 3, 1, 2, 600.0)
    assert a1["cost_per_call"] == 20000.0 / 4 and a1["cost_per_order"] == 10000.0
    assert a1["mer"] == pytest.approx(600.0 / 20000.0)
    # lost: 1 abandoned x (2 orders / 3 answered) x 300 average order
    assert a1["revenue_lost_to_abandonment"] == pytest.approx(1 * 2 / 3 * 300.0)
    assert table.loc["A2", "calls"] == 0 and np.isnan(table.loc["A2", "cost_per_call"])
    assert table.loc[UNATTRIBUTED, "calls"] == 0 and np.isnan(table.loc[UNATTRIBUTED, "cost"])


# --- airings CSV ---------------------------------------------------------------------------------------


def test_airings_csv_reads_times_durations_and_defaults():
    text = (
        "id,channel,start,length,product,hotline,kind,cost\n"
        "A1,CCTV-2,2026-11-23 20:00,30m,duvet,400-A,live,20000\n"
        "\n"
        ",Hunan,1700000000,90,pan,400-B,,\n"
    )
    first, second = parse_airings_csv(text, "s.csv")
    assert first == Airing("A1", "CCTV-2", at(MON, "20:00:00"), 1800.0, "400-A", "duvet", "live", 20000.0)
    assert second == Airing("Hunan@1700000000", "Hunan", 1700000000.0, 90.0, "400-B", "pan", "spot", 0.0)
    assert (
        parse_airings_csv("CHANNEL,Start,Length,Hotline\nX,2026-11-23T12:00:00+00:00,1h,1\n")[0].start
        == datetime(2026, 11, 23, 12, tzinfo=timezone.utc).timestamp()
    )


def test_airings_csv_errors_name_the_line_and_the_column(tmp_path):
    text = (
        "channel,start,length,hotline,kind,cost\n"
        "CCTV-2,2026-11-23 20:00,30m,400-A,live,100\n"
        "CCTV-2,tonight,30m,400-A,live,100\n"
        "CCTV-2,2026-11-23 21:00,-5,400-A,movie,lots\n"
        ",2026-11-23 22:00,60,400-A,spot,1\n"
        "CCTV-2,2026-11-23 20:00,10m,400-A,live,100\n"
        "too,few\n"
    )
    with pytest.raises(InputFileError) as caught:
        parse_airings_csv(text, "s.csv")
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {(3, "start"), (4, "length"), (4, "kind"), (4, "cost"), (5, "channel"), (6, "id"), (7, "")}
    assert "s.csv:3: start: 'tonight'" in str(caught.value)
    assert "repeats the airing on line 2" in str(caught.value)


def test_airings_csv_header_and_file_problems(tmp_path):
    with pytest.raises(InputFileError, match=r"s.csv:1: hotline: required column is missing"):
        parse_airings_csv("channel,start,length,airtime\n", "s.csv")
    with pytest.raises(InputFileError, match=r"s.csv:1: airtime: unknown column"):
        parse_airings_csv("channel,start,length,hotline,airtime\n", "s.csv")
    with pytest.raises(InputFileError, match="empty file"):
        parse_airings_csv("", "s.csv")
    with pytest.raises(InputFileError, match="no such file"):
        read_airings_csv(tmp_path / "missing.csv")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("channel,start,length,hotline\n湖南,1,1,1\n".encode("gbk"))
    with pytest.raises(InputFileError, match="not UTF-8"):
        read_airings_csv(gbk)
    bom = tmp_path / "bom.csv"
    bom.write_bytes("channel,start,length,hotline\n湖南卫视,1700000000,1,1\n".encode("utf-8-sig"))
    assert read_airings_csv(bom)[0].channel == "湖南卫视"


# --- export --------------------------------------------------------------------------------------------


def test_excel_workbook_has_one_sheet_per_report_and_reads_back(tmp_path):
    log = two_days_and_december()
    tables = {
        "agents_day": agent_report(log, "day"),
        "queues": queue_report(log),
        "callbacks": callback_outcomes(log),
        "roi": roi_report(log, AIRINGS),
    }
    path = write_xlsx(tables, tmp_path / "out" / "reports.xlsx")
    assert openpyxl.load_workbook(path).sheetnames == ["agents_day", "queues", "callbacks", "roi"]
    back = pd.read_excel(path, sheet_name=None)
    for name, table in tables.items():
        assert list(back[name].columns) == list(table.columns)
        assert len(back[name]) == len(table)
    agents = back["agents_day"]
    assert agents["period"].tolist() == tables["agents_day"]["period"].tolist()
    assert agents["talk_s"].tolist() == tables["agents_day"]["talk_s"].tolist()
    assert agents["aht"].fillna(-1).tolist() == tables["agents_day"]["aht"].fillna(-1).tolist()


def test_csv_export_writes_one_file_per_report(tmp_path):
    log = two_days_and_december()
    tables = {"agents_week": agent_report(log, "week"), "callbacks": callback_outcomes(log)}
    written = write_csv(tables, tmp_path / "csv")
    assert [p.name for p in written] == ["agents_week.csv", "callbacks.csv"]
    back = pd.read_csv(written[0], encoding="utf-8-sig")
    assert back["period"].tolist() == ["2026-W48", "2026-W49"]
    assert back["calls"].tolist() == [2, 0]


def test_sheet_names_are_made_valid():
    assert sheet_name("a/b:c") == "a_b_c"
    assert len(sheet_name("x" * 40)) == 31
    with pytest.raises(ValueError, match="same sheet"):
        write_xlsx({"a/b": pd.DataFrame(), "a:b": pd.DataFrame()}, "/tmp/never-written.xlsx")


def test_reports_read_a_frame_like_a_record_list():
    log = two_days_and_december()
    frame = records_to_frame(log)
    pd.testing.assert_frame_equal(agent_report(frame, "week"), agent_report(log, "week"))
    pd.testing.assert_frame_equal(callback_outcomes(frame), callback_outcomes(log))


# --- agents from imported call records (no login records) --------------------------------------------


def test_without_login_records_logged_in_time_is_unknown_and_overlapping_calls_keep_their_talk():
    log = sorted(
        [
            *call(MON, "09:00:00", "09:00:10", "09:10:10", "c1", "a1"),  # 600 s
            *call(MON, "09:05:00", "09:05:00", "09:08:00", "c2", "a1"),  # 180 s, inside c1: the records overlap
            *call(MON, "09:20:00", "09:20:05", "09:22:05", "c3", NONE),  # answered by an unnamed server
        ],
        key=lambda r: r.time,
    )
    table = agent_report(log, "day").set_index("agent")
    a1 = table.loc["a1"]
    assert a1["inbound_talk_s"] == 780.0 and a1["calls"] == 2
    assert np.isnan(a1["logged_in_s"]) and np.isnan(a1["idle_s"]) and np.isnan(a1["occupancy"])
    unnamed = table.loc["(unnamed)"]
    assert unnamed["calls"] == 1 and unnamed["talk_s"] == 120.0
    assert table["calls"].sum() == 3


def test_with_login_records_logged_in_time_is_measured():
    log = sorted(
        [
            LogRecord(at(MON, "08:00:00"), NONE, NONE, "a1", Verb.AGENTLOGIN, "PJSIP/a1"),
            *call(MON, "09:00:00", "09:00:10", "09:10:10", "c1", "a1"),
            LogRecord(at(MON, "10:00:00"), NONE, NONE, "a1", Verb.AGENTLOGOFF, "PJSIP/a1", 7200),
        ],
        key=lambda r: r.time,
    )
    a1 = agent_report(log, "day").set_index("agent").loc["a1"]
    assert a1["logged_in_s"] == 7200.0 and a1["talk_s"] == 600.0 and a1["idle_s"] == 6600.0
