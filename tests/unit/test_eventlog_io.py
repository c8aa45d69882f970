"""The event log as a table: Parquet and queue_log I/O, and the per-call flat record (call_lives)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from core.center import CallCenter
from core.config import AgentProfile, CenterConfig, Hotline, Policy
from core.log import FIELDS, NONE, LogRecord, Verb, data_column, parse_queue_log_line
from core.messages import AgentAnswered, AgentHungUp, CallArrived, CallerHungUp, LogIn, LogOut, MakeNotReady
from reports.agent_kpis import agent_kpis
from reports.call_lives import CALL_LIFE_COLUMNS, call_lives
from reports.conservation import check_conservation
from reports.eventlog import (
    frame_to_records,
    read_parquet,
    read_queue_log,
    records_to_frame,
    write_parquet,
    write_queue_log,
)
from reports.kpi import interval_kpis, summary_kpis
from reports.timeline import agent_timeline

T0 = 1_699_999_200.0


def core_log() -> list[LogRecord]:
    """A short real log: the core with auto-answer-free agents, no timers needed."""
    config = CenterConfig(
        agents=(AgentProfile("a1", {"sales": 1}), AgentProfile("a2", {"sales": 1})),
        hotlines=(Hotline("800", "sales"),),
        policy=Policy(ring_timeout=None, ivr_after=None, callback_reserve=None),
        blacklist=frozenset({"666"}),
    )
    log: list[LogRecord] = []
    center = CallCenter(config, log=log)

    def ringing_agent(call_id):
        return center.calls[call_id].agent_id

    center.handle(LogIn(T0 + 0.25, "a1"))
    center.handle(LogIn(T0 + 0.5, "a2"))
    center.handle(CallArrived(T0 + 10.125, "c1", "13800000001", "800"))
    center.handle(AgentAnswered(T0 + 12.5, "c1", ringing_agent("c1")))
    center.handle(CallArrived(T0 + 11.0, "c2", "13800000002", "800"))
    center.handle(AgentAnswered(T0 + 14.0, "c2", ringing_agent("c2")))
    center.handle(CallArrived(T0 + 20.0, "c3", "", "800"))
    center.handle(CallerHungUp(T0 + 23.0, "c3"))  # no caller id: no ticket
    center.handle(CallArrived(T0 + 21.0, "c4", "666", "800"))
    center.handle(CallArrived(T0 + 22.0, "c5", "13800000005", "800"))
    center.handle(CallerHungUp(T0 + 40.0, "c5"))
    center.handle(AgentHungUp(T0 + 70.75, "c1"))
    center.handle(CallerHungUp(T0 + 80.0, "c2"))
    center.handle(MakeNotReady(T0 + 90.0, "a1", "lunch"))
    center.handle(LogOut(T0 + 100.0, "a2"))
    return log


# --- the table -----------------------------------------------------------------------------------------


def test_records_to_frame_is_as_text_row():
    log = core_log()
    frame = records_to_frame(log)
    assert tuple(frame.columns) == FIELDS
    assert frame["time"].dtype == np.float64
    assert all(pd.api.types.is_string_dtype(frame[name]) for name in FIELDS[1:])
    assert frame["time"].tolist() == [r.time for r in log]
    rows = [tuple(row[1:]) for row in frame.itertuples(index=False)]
    assert rows == [r.as_text_row()[1:] for r in log]
    # bools, ints and floats are written the way the queue_log writes them
    abandon = frame.loc[frame["verb"] == Verb.ABANDON].iloc[-1]
    waittime, short = (data_column(Verb.ABANDON, name) for name in ("waittime", "short"))
    assert (abandon[waittime], abandon[short]) == ("18.000", "0")
    assert records_to_frame(iter(log)).equals(frame)


def test_frame_to_records_round_trip():
    frame = records_to_frame(core_log())
    assert records_to_frame(frame_to_records(frame)).equals(frame)


# --- Parquet -------------------------------------------------------------------------------------------


def test_parquet_is_byte_for_byte_deterministic(tmp_path):
    log = core_log()
    paths = [tmp_path / f"log{i}.parquet" for i in range(3)]
    write_parquet(log, paths[0])
    write_parquet(list(log), paths[1])
    write_parquet(records_to_frame(log), paths[2])  # from the frame: same bytes as from the records
    first = paths[0].read_bytes()
    assert first == paths[1].read_bytes() == paths[2].read_bytes()
    write_parquet(log[:-1], paths[1])
    assert paths[1].read_bytes() != first


def test_parquet_round_trip(tmp_path):
    log = core_log()
    path = tmp_path / "log.parquet"
    write_parquet(log, path)
    back = read_parquet(path)
    pdt.assert_frame_equal(back, records_to_frame(log))
    pdt.assert_frame_equal(interval_kpis(back), interval_kpis(log))
    pdt.assert_frame_equal(agent_kpis(back), agent_kpis(log))
    empty = tmp_path / "empty.parquet"
    write_parquet([], empty)
    back = read_parquet(empty)
    assert back.empty and tuple(back.columns) == FIELDS


def test_parquet_rejects_a_foreign_table(tmp_path):
    path = tmp_path / "other.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(path)
    with pytest.raises(ValueError, match="not an event log"):
        read_parquet(path)


# --- queue_log -----------------------------------------------------------------------------------------


def test_queue_log_round_trip(tmp_path):
    log = core_log()
    path = tmp_path / "queue_log"
    write_queue_log(log, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == [r.to_queue_log() for r in log]
    back = read_queue_log(path)
    expected = records_to_frame(log)
    expected["time"] = np.floor(expected["time"])  # queue_log keeps whole seconds
    pdt.assert_frame_equal(back, expected)
    assert frame_to_records(back) == [parse_queue_log_line(line) for line in lines]
    # from a frame: the same text
    other = tmp_path / "queue_log2"
    write_queue_log(records_to_frame(log), other)
    assert other.read_bytes() == path.read_bytes()
    # whole seconds: a login session read back can differ from AGENTLOGOFF's exact seconds by up to 1 s
    assert check_conservation(back, agent_time_tol=1.0) == []


def test_read_queue_log_takes_asterisk_lines(tmp_path):
    path = tmp_path / "queue_log"
    path.write_bytes(
        b"1366720340|NONE|NONE|NONE|QUEUESTART|\r\n"
        b"\r\n"
        b"1366720350|1366720350.1|sales|NONE|ENTERQUEUE||13800000001|1\r\n"
        b"1366720354|1366720350.1|sales|SIP/8001|RINGNOANSWER|4000\r\n"
        b"1366720362|1366720350.1|sales|SIP/8002|CONNECT|12|1366720360.7|2\r\n"
        b"1366720422|1366720350.1|sales|SIP/8002|COMPLETECALLER|12|60|1\r\n"
        b"1366720430|1366720430.2|sales|NONE|ENTERQUEUE||13800000002|1\r\n"
        b"1366720433|1366720430.2|sales|NONE|ABANDON|1|1|3\r\n"
        b"1366720440|1366720440.3|sales|NONE|ENTERQUEUE||13800000003|1\r\n"
        b"1366720500|1366720440.3|sales|NONE|EXITWITHTIMEOUT|1|1|60\r\n"
        b"1366720501|x|q|a|VERB|1|2|3|4|5|6|7\n"
    )
    frame = read_queue_log(path)
    assert len(frame) == 10
    assert frame.iloc[0][list(FIELDS[1:])].tolist() == ["NONE", "NONE", "NONE", "QUEUESTART", "", "", "", "", ""]
    assert frame.iloc[-1]["data5"] == "5"  # fields past data5 are dropped, like parse_queue_log_line
    lives = call_lives(frame).set_index("call_id")
    assert lives["outcome"].to_dict() == {
        "1366720350.1": "answered",
        "1366720430.2": "abandoned",
        "1366720440.3": "callback",
    }
    answered = lives.loc["1366720350.1"]
    assert (answered["wait"], answered["talk"], answered["agent"], answered["ring_no_answers"]) == (
        12,
        60,
        "SIP/8002",
        1,
    )
    assert lives.loc["1366720430.2", "short_abandon"]  # no flag in Asterisk's ABANDON: wait 3 s < 5 s
    assert lives.loc["1366720440.3", "wait"] == 60


def test_read_queue_log_rejects_garbage(tmp_path):
    path = tmp_path / "bad"
    path.write_text("1|a|b|c\n")
    with pytest.raises(ValueError, match="fewer than 5 fields"):
        read_queue_log(path)
    path.write_text("soon|a|b|c|VERB\n")
    with pytest.raises(ValueError, match="not a number"):
        read_queue_log(path)
    path.write_text("")
    assert read_queue_log(path).empty


# --- call_lives ----------------------------------------------------------------------------------------


def test_call_lives_of_a_core_log():
    log = core_log()
    lives = call_lives(log)
    assert list(lives.columns) == list(CALL_LIFE_COLUMNS)
    assert lives["call_id"].tolist() == ["c1", "c2", "c3", "c4", "c5"]  # by arrival
    by_id = lives.set_index("call_id")
    assert by_id["outcome"].to_dict() == {
        "c1": "answered",
        "c2": "answered",
        "c3": "abandoned",
        "c4": "rejected",
        "c5": "abandoned",
    }
    c1 = by_id.loc["c1"]
    assert c1["wait"] == pytest.approx(2.375) and c1["talk"] == pytest.approx(58.25)
    assert c1["answered_at"] == T0 + 12.5 and c1["ended_at"] == T0 + 70.75 and c1["wrapup"] == 0
    assert c1["caller"] == "13800000001" and c1["hotline"] == "800" and c1["priority"] == "normal"
    assert by_id.loc["c2", "terminal_verb"] == Verb.COMPLETECALLER
    assert by_id.loc["c3", "short_abandon"] and not by_id.loc["c3", "ticket_created"]  # no caller id
    assert not by_id.loc["c5", "short_abandon"] and by_id.loc["c5", "ticket_created"]
    assert by_id.loc["c4", "caller"] == "666" and np.isnan(by_id.loc["c4", "wait"])
    assert {a for a in by_id["agent"] if a} == {"a1", "a2"}
    assert check_conservation(log) == []


def test_call_lives_falls_back_on_data_fields_for_a_cut_log():
    """A log that starts while calls are already waiting or talking."""
    log = [
        LogRecord(T0 + 100, "x1", "sales", "a1", Verb.COMPLETEAGENT, 30.0, 60.0, 1),
        LogRecord(T0 + 105, "x2", "sales", NONE, Verb.ABANDON, 2, 3, 45.0, False),
        LogRecord(T0 + 110, "x3", "sales", "a2", Verb.TRANSFER, "200", "internal", 8.0, 20.0),
    ]
    lives = call_lives(log).set_index("call_id")
    assert lives.loc["x1", ["wait", "talk"]].tolist() == [30.0, 60.0]
    assert lives.loc["x1", "arrived"] == T0 + 10
    assert lives.loc["x2", "wait"] == 45.0 and lives.loc["x2", "arrived"] == T0 + 60
    assert lives.loc["x3", ["wait", "talk", "agent"]].tolist() == [8.0, 20.0, "a2"]
    assert any("no ENTERQUEUE" in p for p in check_conservation(log))


def test_in_progress_calls():
    log = [
        LogRecord(T0, NONE, NONE, "a1", Verb.AGENTLOGIN),
        LogRecord(T0 + 1, "q1", "sales", NONE, Verb.ENTERQUEUE, "", "1", 1, "800", "normal"),
        LogRecord(T0 + 2, "q2", "sales", NONE, Verb.ENTERQUEUE, "", "2", 2, "800", "normal"),
        LogRecord(T0 + 4, "q1", "sales", "a1", Verb.CONNECT, 3.0, "q1", 1.0),
        LogRecord(T0 + 10, NONE, NONE, "a1", Verb.PAUSE, "x"),  # odd, but the log ends here
    ]
    lives = call_lives(log).set_index("call_id")
    assert lives["outcome"].tolist() == ["in_progress", "in_progress"]
    assert lives.loc["q1", "wait"] == 3.0 and lives.loc["q1", "agent"] == "a1" and np.isnan(lives.loc["q1", "talk"])
    total = summary_kpis(log).iloc[0]
    assert (total["offered"], total["in_progress"], total["answered"]) == (2, 2, 0)
    assert check_conservation(log, allow_in_progress=True) == []
    assert check_conservation(log)


def test_agent_timeline_of_a_core_log():
    timeline = agent_timeline(core_log())
    a1 = timeline.loc[timeline["agent"] == "a1"]
    assert a1["state"].tolist() == ["idle", "talk", "idle", "not_ready"]
    assert a1["reason"].tolist() == ["", "", "", "lunch"]
    assert a1["duration"].sum() == pytest.approx(100 - 0.25)  # still logged in when the log ends at 100 s
    a2 = timeline.loc[timeline["agent"] == "a2"]
    assert a2["duration"].sum() == pytest.approx(100 - 0.5)
