"""Calls that wait: overflow, the post-queue IVR, rejections and opening hours, abandonment."""

from __future__ import annotations

import pytest

from core.config import Airing, Hotline, OpeningHours, OverflowStep
from core.log import Verb
from core.messages import CallArrived, HangUp, StopRinging
from tests.unit.fakes import T0, Driver, driver, local_epoch, records, terminal, verbs

# --- overflow -----------------------------------------------------------------------------------

OVERFLOW_AGENTS = ("a1", ("b1", {"service": 1}), ("c1", {"backoffice": 1}))


def test_overflow_by_wait_threshold_in_configured_order():
    steps = (OverflowStep("service", after_wait=20), OverflowStep("backoffice", after_wait=40))
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps}, ivr_after=None)
    d.connect("x")  # a1 busy
    d.connect("y", hotline="800")  # b1 busy
    d.arrive("c1")
    d.advance(19.9)
    assert d.rung("c1") is None
    d.advance(0.1)
    over = records(d.log, Verb.OVERFLOW, call_id="c1")
    assert [(r.queue, r.field("home_queue")) for r in over] == [("service", "sales")]
    assert d.rung("c1") is None  # b1 still talks
    d.advance(20)
    assert [r.queue for r in records(d.log, Verb.OVERFLOW, call_id="c1")] == ["service", "backoffice"]
    assert d.rung("c1") == "c1"
    d.answer("c1")
    assert records(d.log, Verb.CONNECT, call_id="c1")[0].queue == "sales"  # the home queue keeps the call


def test_overflow_group_agent_rings_at_the_threshold_when_idle():
    steps = (OverflowStep("service", after_wait=20), OverflowStep("backoffice", after_wait=40))
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps}, ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.advance(20)
    assert d.rung("c1") == "b1"


def test_overflowed_call_is_taken_by_whichever_group_frees_first():
    steps = (OverflowStep("service", after_wait=20),)
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps}, ivr_after=None)
    d.connect("x")
    d.connect("y", hotline="800")
    d.arrive("c1")
    d.advance(25)
    d.agent_hangs_up("y")
    assert d.rung("c1") == "b1"


def test_overflow_by_queue_length_on_arrival():
    steps = (OverflowStep("service", queue_length=2),)
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps}, ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.arrive("c2")
    d.connect("z", hotline="800")  # keep b1 busy for a moment
    assert not records(d.log, Verb.OVERFLOW)
    d.agent_hangs_up("z")
    d.arrive("c3")  # two callers wait in sales: c3 is also offered to service
    assert [(r.call_id, r.queue) for r in records(d.log, Verb.OVERFLOW)] == [("c3", "service")]
    assert d.rung("c3") == "b1"
    assert d.rung("c1") is None


def test_overflow_timers_are_cancelled_when_the_call_is_answered():
    steps = (OverflowStep("service", after_wait=20),)
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps})
    d.connect("c1")
    d.advance(100)
    assert not records(d.log, Verb.OVERFLOW)


# --- post-queue IVR -----------------------------------------------------------------------------


def test_exitwithtimeout_after_ivr_after_then_prompt_then_ticket():
    d = driver(("a1",), ivr_after=60)
    d.connect("x")
    d.arrive("c1", caller="13911112222")
    d.advance(59)
    assert "c1" not in d.prompted
    d.advance(1)
    exit_ = terminal(d.log, "c1")
    assert [r.verb for r in exit_] == [Verb.EXITWITHTIMEOUT]
    assert exit_[0].field("waittime") == pytest.approx(60) and exit_[0].field("position") == 1
    assert "c1" in d.prompted
    d.advance(8)
    actions = d.prompt_done("c1", "1")
    assert HangUp("c1", "callback-prompt-done") in actions
    assert [r.field("digits") for r in records(d.log, Verb.CALLBACK_PROMPT, call_id="c1")] == ["1"]
    created = records(d.log, Verb.CALLBACK_CREATED, call_id="c1")
    assert len(created) == 1
    assert (created[0].field("number"), created[0].field("priority"), created[0].field("hotline")) == (
        "13911112222",
        "normal",
        "400",
    )
    ticket = d.center.tickets.tickets[created[0].field("ticket")]
    assert ticket.number == "13911112222" and ticket.status == "open"


def test_ivr_timeout_while_ringing_frees_the_agent():
    d = driver(("a1",), ivr_after=60, ring_timeout=None)
    d.arrive("c1")
    d.advance(60)
    assert Verb.EXITWITHTIMEOUT in verbs(d.log, call_id="c1")
    assert d.rung("c1") is None and "a1" not in d.ringing
    d.arrive("c2")
    assert d.rung("c2") == "a1"


def test_exitempty_when_nobody_is_logged_in():
    d = driver(("a1",), login=False)
    d.arrive("c1")
    assert [r.verb for r in terminal(d.log, "c1")] == [Verb.EXITEMPTY]
    assert verbs(d.log, call_id="c1")[:2] == [Verb.ENTERQUEUE, Verb.EXITEMPTY]
    assert "c1" in d.prompted and "c1" not in d.held
    d.prompt_done("c1", "")
    assert len(records(d.log, Verb.CALLBACK_CREATED, call_id="c1")) == 1


def test_paused_agents_count_as_logged_in_so_no_exitempty():
    d = driver(("a1",), ivr_after=None)
    d.not_ready("a1")
    d.arrive("c1")
    assert terminal(d.log, "c1") == []
    assert "c1" in d.held


def test_overflow_group_members_count_against_exitempty():
    steps = (OverflowStep("service", after_wait=20),)
    d = driver((("b1", {"service": 1}),), overflow={"sales": steps}, ivr_after=None)
    d.arrive("c1")
    assert terminal(d.log, "c1") == []
    d.advance(20)
    assert d.rung("c1") == "b1"


def test_full_at_ivr_queue_length():
    d = driver(("a1",), ivr_queue_length=2, ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.arrive("c2")
    assert terminal(d.log, "c2") == []
    d.arrive("c3")
    full = terminal(d.log, "c3")
    assert [r.verb for r in full] == [Verb.FULL] and full[0].field("position") == 3
    assert "c3" in d.prompted


def test_caller_hanging_up_in_the_prompt_still_gets_a_ticket():
    d = driver(("a1",), login=False)
    d.arrive("c1")
    d.advance(3)
    actions = d.caller_hangs_up("c1")
    assert [r.field("digits") for r in records(d.log, Verb.CALLBACK_PROMPT, call_id="c1")] == [""]
    assert len(records(d.log, Verb.CALLBACK_CREATED, call_id="c1")) == 1
    assert [r.verb for r in terminal(d.log, "c1")] == [Verb.EXITEMPTY]  # not also an ABANDON
    assert HangUp("c1", "callback-prompt-done") in actions


def test_ivr_after_none_never_times_out():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.advance(86400)
    assert terminal(d.log, "c1") == []


# --- rejections and opening hours ---------------------------------------------------------------


def test_blacklisted_caller_is_rejected():
    d = driver(("a1",), blacklist=frozenset({"13666666666"}))
    actions = d.arrive("c1", caller="13666666666")
    assert actions == [HangUp("c1", "blacklist")]
    rej = terminal(d.log, "c1")
    assert [(r.verb, r.field("reason"), r.field("caller"), r.field("hotline")) for r in rej] == [
        (Verb.REJECTED, "blacklist", "13666666666", "400")
    ]
    assert Verb.ENTERQUEUE not in verbs(d.log)
    assert not records(d.log, Verb.CALLBACK_CREATED)


def test_unknown_hotline_is_rejected():
    d = driver(("a1",))
    actions = d.arrive("c1", hotline="999")
    assert actions == [HangUp("c1", "unknown-number")]
    assert [r.field("reason") for r in terminal(d.log, "c1")] == ["unknown-number"]


NINE_TO_SIX_WEEKDAYS = tuple((day, 9 * 3600.0, 18 * 3600.0) for day in range(5))


def hours_driver(out_of_hours: str = "hangup") -> Driver:
    hotlines = (Hotline("400", "sales", OpeningHours(NINE_TO_SIX_WEEKDAYS, out_of_hours=out_of_hours)),)
    return driver(("a1",), hotlines=hotlines)


@pytest.mark.parametrize(
    "when, is_open",
    [
        (local_epoch(2024, 1, 1, 10), True),  # Monday 10:00
        (local_epoch(2024, 1, 1, 9), True),  # Monday 09:00, opening second
        (local_epoch(2024, 1, 1, 8, 59), False),
        (local_epoch(2024, 1, 1, 17, 59), True),
        (local_epoch(2024, 1, 1, 18), False),  # closing second is closed
        (local_epoch(2024, 1, 5, 12), True),  # Friday
        (local_epoch(2024, 1, 6, 12), False),  # Saturday
        (local_epoch(2024, 1, 7, 12), False),  # Sunday
        (local_epoch(2024, 1, 2, 2), False),  # Tuesday 02:00 local = Monday 18:00 UTC
    ],
)
def test_opening_hours_in_local_time(when, is_open):
    d = hours_driver()
    d.now = when
    d.arrive("c1")
    if is_open:
        assert Verb.ENTERQUEUE in verbs(d.log, call_id="c1")
        assert Verb.OUTOFHOURS not in verbs(d.log)
    else:
        assert [r.verb for r in terminal(d.log, "c1")] == [Verb.OUTOFHOURS]


def test_out_of_hours_hangup_makes_no_ticket():
    d = hours_driver("hangup")
    d.now = local_epoch(2024, 1, 1, 20)
    actions = d.arrive("c1", caller="139")
    assert actions == [HangUp("c1", "out-of-hours")]
    ooh = terminal(d.log, "c1")[0]
    assert (ooh.field("action"), ooh.field("caller"), ooh.field("hotline")) == ("hangup", "139", "400")
    assert not records(d.log, Verb.CALLBACK_CREATED)


def test_out_of_hours_callback_makes_a_ticket():
    d = hours_driver("callback")
    d.now = local_epoch(2024, 1, 6, 20)
    actions = d.arrive("c1", caller="139")
    assert HangUp("c1", "out-of-hours") in actions
    assert terminal(d.log, "c1")[0].field("action") == "callback"
    created = records(d.log, Verb.CALLBACK_CREATED, call_id="c1")
    assert len(created) == 1 and created[0].field("number") == "139"
    assert Verb.ENTERQUEUE not in verbs(d.log)


# --- abandonment --------------------------------------------------------------------------------


def test_abandon_records_wait_time_and_makes_a_ticket():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.arrive("c1", caller="139")
    d.advance(12)
    d.caller_hangs_up("c1")
    ab = terminal(d.log, "c1")
    assert [r.verb for r in ab] == [Verb.ABANDON]
    assert (ab[0].field("position"), ab[0].field("origposition")) == (1, 1)
    assert ab[0].field("waittime") == pytest.approx(12) and ab[0].field("short") is False
    assert len(records(d.log, Verb.CALLBACK_CREATED, call_id="c1")) == 1


def test_short_abandon_is_flagged():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.advance(4.9)
    d.caller_hangs_up("c1")
    assert terminal(d.log, "c1")[0].field("short") is True
    d.arrive("c2")
    d.advance(5)
    d.caller_hangs_up("c2")
    assert terminal(d.log, "c2")[0].field("short") is False


def test_abandon_while_ringing_stops_the_ring_and_frees_the_agent():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.arrive("c2")
    d.agent_hangs_up("x")
    assert d.rung("c1") == "a1"
    actions = d.caller_hangs_up("c1")
    assert StopRinging("c1", "a1") in actions
    assert Verb.ABANDON in verbs(d.log, call_id="c1")
    assert Verb.PAUSE not in verbs(d.log)
    assert d.rung("c2") == "a1"


def test_repeat_abandon_from_a_number_with_an_open_ticket_is_a_duplicate():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.arrive("c1", caller="139")
    d.caller_hangs_up("c1")
    d.arrive("c2", caller="139")
    d.advance(30)
    d.caller_hangs_up("c2")
    first = records(d.log, Verb.CALLBACK_CREATED)
    assert [r.call_id for r in first] == ["c1"]
    dup = records(d.log, Verb.CALLBACK_DUPLICATE)
    assert [(r.call_id, r.field("ticket")) for r in dup] == [("c2", first[0].field("ticket"))]
    assert terminal(d.log, "c2")[0].verb == Verb.ABANDON  # still recorded as abandoned


def test_abandon_without_caller_id_makes_no_ticket():
    d = driver(("a1",), ivr_after=None)
    d.connect("x")
    d.send(CallArrived(d.now, "c1", "", "400"))
    d.caller_hangs_up("c1")
    assert Verb.ABANDON in verbs(d.log, call_id="c1")
    assert not records(d.log, Verb.CALLBACK_CREATED)


def test_vip_abandon_makes_an_urgent_ticket_linked_to_the_airing():
    airing = Airing("air1", "CCTV", T0 - 600, 120, "400", "wok")
    d = driver(("a1",), ivr_after=None, vip=frozenset({"139"}), airings=(airing,))
    d.connect("x", caller="100")
    d.arrive("c1", caller="139")
    d.caller_hangs_up("c1")
    created = records(d.log, Verb.CALLBACK_CREATED)[0]
    assert (created.field("priority"), created.field("airing")) == ("urgent", "air1")


def test_late_caller_hangup_after_the_call_ended_is_ignored():
    d = driver(("a1",))
    d.connect("c1")
    d.agent_hangs_up("c1")
    n = len(d.log)
    assert d.caller_hangs_up("c1") == []
    assert len(d.log) == n


def test_queue_length_overflow_steps_apply_in_configured_order():
    steps = (OverflowStep("backoffice", queue_length=1), OverflowStep("service", queue_length=1))
    d = driver(OVERFLOW_AGENTS, overflow={"sales": steps}, ivr_after=None)
    d.connect("x")
    d.arrive("c1")
    d.arrive("c2")
    assert [r.queue for r in records(d.log, Verb.OVERFLOW, call_id="c2")] == ["backoffice", "service"]
    assert d.rung("c2") == "c1"  # the backoffice agent, first in the configured order


def test_a_caller_with_an_open_ticket_sent_to_the_prompt_is_a_duplicate():
    d = driver(("a1",), login=False)
    d.arrive("c1", caller="139")
    d.prompt_done("c1", "1")
    d.arrive("c2", caller="139")
    d.prompt_done("c2", "1")
    ticket = records(d.log, Verb.CALLBACK_CREATED)[0].field("ticket")
    assert [(r.call_id, r.field("ticket")) for r in records(d.log, Verb.CALLBACK_DUPLICATE)] == [("c2", ticket)]
    assert [r.verb for r in terminal(d.log, "c2")] == [Verb.EXITEMPTY]


def test_full_never_sends_a_caller_to_the_prompt_while_an_agent_is_free():
    """Regression: a caller still ringing an agent counted as waiting, so the next caller got FULL
    although another agent sat idle."""
    d = driver(("a1", "a2"), strategy="linear", ivr_queue_length=1, ivr_after=None)
    d.arrive("c1")
    assert d.rung("c1") == "a1"  # ringing, not answered yet
    d.arrive("c2")
    assert terminal(d.log, "c2") == []
    assert d.rung("c2") == "a2"
