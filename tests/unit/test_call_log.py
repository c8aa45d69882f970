"""``core.call_log.CallRecordFold``: one call record per ended call, from the event log alone."""

from __future__ import annotations

from core.call_log import CallRecordFold, caller_key
from core.call_records import CallRecord
from core.log import NONE, LogRecord, Verb


def fold(records) -> list[CallRecord]:
    f = CallRecordFold()
    out = [f.add(r) for r in records]
    return [CallRecord(record_id=f"R{i}", **fields) for i, fields in enumerate(x for x in out if x)]


def test_a_transferred_call_is_answered_and_keeps_its_recording():
    (record,) = fold(
        [
            LogRecord(10.0, "c1", "sales", NONE, Verb.ENTERQUEUE, "", "13900000001", 1, "4008001000", "normal"),
            LogRecord(12.0, "c1", "sales", "agent002", Verb.CONNECT, 2.0, "c1", 0.2),
            LogRecord(12.1, "c1", "sales", NONE, Verb.RECORDING, "hotline-c1.wav", "agent002"),
            LogRecord(30.0, "c1", "sales", "agent002", Verb.TRANSFER, "8000", "hotline-transfer", 2.0, 18.0),
        ]
    )
    assert (record.agent_id, record.answered_at, record.ended_at, record.recording) == (
        "agent002",
        12.0,
        30.0,
        "hotline-c1.wav",
    )
    assert record.business_type == "inquiry" and "TRANSFER" in record.summary


def test_a_refused_call_has_a_record_without_a_queue_entry():
    (record,) = fold([LogRecord(5.0, "c2", NONE, NONE, Verb.REJECTED, "blacklist", "13900000002", "4008001000")])
    assert (record.started_at, record.ended_at, record.caller, record.call_type) == (
        5.0,
        5.0,
        "+8613900000002",
        "normal",
    )


def test_a_clock_that_stepped_back_still_gives_a_valid_record():
    (record,) = fold(
        [
            LogRecord(10.0, "c3", "sales", NONE, Verb.ENTERQUEUE, "", "", 1, "4008001000", "normal"),
            LogRecord(9.5, "c3", "sales", "agent001", Verb.CONNECT, 0.0, "c3", 0.1),
            LogRecord(9.0, "c3", "sales", "agent001", Verb.COMPLETECALLER, 0.0, 0.0, 1),
        ]
    )
    assert record.started_at == record.answered_at == record.ended_at == 10.0 and record.caller == ""


def test_records_of_other_calls_and_agents_make_no_record():
    assert (
        fold(
            [
                LogRecord(1.0, NONE, NONE, "agent001", Verb.AGENTLOGIN),
                LogRecord(2.0, "c9", "sales", "agent001", Verb.CONNECT, 0.0, "c9", 0.1),
            ]
        )
        == []
    )
    assert caller_key("anonymous") == "" and caller_key(NONE) == ""
