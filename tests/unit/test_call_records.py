"""Call records (type, business type, summary rule) and complaints tracked to closure."""

from __future__ import annotations

import pytest

from core.call_records import (
    BUSINESS_TYPES,
    CALL_TYPES,
    CLOSED,
    COMPLAINT,
    DROPPED,
    IN_PROGRESS,
    INQUIRY,
    OPEN,
    ORDER,
    OUTBOUND,
    RESOLVED,
    SILENT,
    CallRecord,
    CallRecordError,
    open_complaint,
    record_call,
    unclosed,
)
from core.customers import SequentialIds


def record(**overrides) -> CallRecord:
    fields = dict(
        record_id="R1",
        call_id="c1",
        caller="+8613800138000",
        agent_id="a1",
        started_at=100.0,
        answered_at=110.0,
        ended_at=200.0,
        business_type=INQUIRY,
        summary="问价格",
    )
    fields.update(overrides)
    return CallRecord(**fields)


def test_times_of_a_call():
    r = record()
    assert (r.wait, r.talk, r.duration) == (10.0, 90.0, 100.0)
    unanswered = record(answered_at=None, call_type=DROPPED, summary="断线")
    assert unanswered.wait is None and unanswered.talk == 0.0


def test_order_calls_need_no_summary_the_others_do():
    assert record(business_type=ORDER, summary="", order_id="O1").summary == ""
    for business in BUSINESS_TYPES:
        if business != ORDER:
            with pytest.raises(CallRecordError, match=f"a {business} call needs a summary"):
                record(business_type=business, summary="  ")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"call_type": "busy"}, "call type"),
        ({"business_type": "sales"}, "business type"),
        ({"direction": "sideways"}, "direction"),
        ({"ended_at": 50.0, "answered_at": None}, "before it starts"),
        ({"answered_at": 250.0}, "outside the call"),
    ],
)
def test_impossible_records(overrides, message):
    with pytest.raises(CallRecordError, match=message):
        record(**overrides)


def test_every_call_type_and_business_type_is_accepted():
    for call_type in CALL_TYPES:
        for business in BUSINESS_TYPES:
            assert record(call_type=call_type, business_type=business).business_type == business
    assert record(call_type=SILENT, business_type="harassment", summary="无声").call_type == SILENT


def test_record_call_gives_an_id():
    ids = SequentialIds()
    r = record_call(
        ids,
        call_id="c1",
        caller="",
        agent_id="a1",
        started_at=0.0,
        ended_at=5.0,
        business_type=ORDER,
        direction=OUTBOUND,
    )
    assert r.record_id == "R000001" and r.direction == OUTBOUND


def complaint_call():
    return record(business_type=COMPLAINT, summary="快递三天未到", customer_id="C1", order_id="O7")


def test_a_complaint_is_tracked_to_closure():
    ids = SequentialIds()
    complaint = open_complaint(complaint_call(), ids, now=200.0, category="delivery")
    assert (complaint.complaint_id, complaint.status, complaint.description, complaint.order_id) == (
        "K000001",
        OPEN,
        "快递三天未到",
        "O7",
    )
    complaint.assign("sup1", at=300.0)
    complaint.resolve("已补发", at=400.0, by="sup1")
    complaint.reopen("客户说仍未收到", at=500.0, by="a2")
    complaint.assign("sup2", at=510.0, by="lead")  # handed over while in progress
    complaint.resolve("上门送达", at=600.0, by="sup2")
    complaint.close(at=700.0, by="sup2")
    assert complaint.is_closed and complaint.closed_at == 700.0 and complaint.handler == "sup2"
    assert [s.status for s in complaint.steps] == [
        OPEN,
        IN_PROGRESS,
        RESOLVED,
        IN_PROGRESS,
        IN_PROGRESS,
        RESOLVED,
        CLOSED,
    ]
    assert complaint.resolution == "上门送达"


def test_complaints_move_only_the_allowed_way():
    complaint = open_complaint(complaint_call(), SequentialIds(), now=200.0)
    with pytest.raises(CallRecordError, match="is open; it cannot become closed"):
        complaint.close(at=201.0, by="x")
    with pytest.raises(CallRecordError, match="cannot become resolved"):
        complaint.resolve("done", at=201.0, by="x")
    complaint.assign("sup1", at=210.0)
    with pytest.raises(CallRecordError, match="resolution"):
        complaint.resolve(" ", at=220.0, by="sup1")
    with pytest.raises(CallRecordError, match="older"):
        complaint.resolve("done", at=100.0, by="sup1")
    complaint.resolve("done", at=230.0, by="sup1")
    with pytest.raises(CallRecordError, match="why"):
        complaint.reopen("", at=240.0, by="sup1")
    complaint.close(at=250.0, by="sup1")
    with pytest.raises(CallRecordError, match="closed"):
        complaint.reopen("again", at=260.0, by="sup1")


def test_only_complaint_calls_open_complaints():
    with pytest.raises(CallRecordError, match="not a complaint"):
        open_complaint(record(), SequentialIds(), now=1.0)


def test_the_follow_up_list():
    ids = SequentialIds()
    old = open_complaint(complaint_call(), ids, now=0.0)
    new = open_complaint(complaint_call(), ids, now=80_000.0)
    done = open_complaint(complaint_call(), ids, now=10.0)
    done.assign("s", at=11.0)
    done.resolve("ok", at=12.0, by="s")
    done.close(at=13.0, by="s")
    assert unclosed([new, done, old], now=90_000.0) == [old, new]
    assert unclosed([new, done, old], now=90_000.0, older_than=86_400.0) == [old]
