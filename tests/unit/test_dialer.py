"""The outbound dialer in the core: approval, calling hours, do-not-call, retries, modes, blending, pacing."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.campaigns import Campaign, ListEntry, build_list, may_call, next_calling_time
from core.center import CallCenter, CommandRejected
from core.config import SITE_ZONE
from core.log import Verb
from core.messages import CallArrived
from core.outbound_messages import DialManual, DialNumber, DialPreviewed, LoadCampaign, SkipPreview
from core.pacer import DayCounts, drop_allowance, new_dials
from core.phones import parse_phone
from tests.unit.fakes import make_config
from tests.unit.outbound_driver import Callees, OutboundDriver, counts_of

DAY = date(2024, 1, 1)
T9 = datetime(2024, 1, 1, 9, 0, tzinfo=SITE_ZONE).timestamp()


class Zones:
    """Xinjiang numbers (mobile block 1399xxx here) in Urumqi time, the rest in the site's."""

    def zone_of(self, number):
        return "Asia/Urumqi" if number.national.startswith("1399") else "Asia/Shanghai"


def numbers(n: int, start: int = 13800000000) -> list[ListEntry]:
    return [ListEntry(parse_phone(str(start + i)).key, f"客户{i}", i + 2) for i in range(n)]


def campaign(mode="predictive", **kw) -> Campaign:
    kw.setdefault("agents", tuple(f"a{i}" for i in range(1, 4)))
    kw.setdefault("approved_by", "boss")
    return Campaign("c1", "回访", mode, DAY, DAY, **kw)


def driver(n_agents=3, *, do_not_call=(), callees=None, seed=0, **policy) -> OutboundDriver:
    config = make_config(tuple(f"a{i}" for i in range(1, n_agents + 1)), **policy)
    center = CallCenter(config, zones=Zones(), do_not_call=set(do_not_call))
    return OutboundDriver(center, T9, callees or Callees(), seed=seed)


def test_an_unapproved_campaign_dials_nothing():
    d = driver()
    d.login("a1", "a2", "a3")
    with pytest.raises(CommandRejected, match="not approved"):
        d.load(campaign(approved_by=""), numbers(10))
    assert d.dials == [] and d.center.outbound.runs == {}


def test_a_campaign_with_a_bad_field_is_refused_naming_it():
    d = driver()
    with pytest.raises(CommandRejected, match="drop_cap"):
        d.send(LoadCampaign(T9, campaign(drop_cap=1.5), ()))


def test_list_building_names_every_bad_row_and_keeps_the_good():
    rows = [
        (2, {"phone": "138 0013 8000", "name": "张三"}),
        (3, {"phone": "12345"}),
        (4, {"phone": "13800138000"}),
        (5, {"tel": "13900000000"}),
        (6, {"phone": "13700000000"}),
        (7, {"phone": "13600000000"}),
        (8, {"phone": "0755-2345 6789"}),
    ]
    built = build_list(rows, zones=Zones(), do_not_call={"+8613700000000"}, blacklist={"+8613600000000"})
    assert [e.row for e in built.entries] == [2, 8]
    assert built.entries[0].name == "张三"
    kinds = {p.row: p.kind for p in built.problems}
    assert kinds == {3: "invalid", 4: "duplicate", 5: "missing", 6: "do_not_call", 7: "blacklist"}
    assert "row 2" in str(next(p for p in built.problems if p.row == 4))
    assert [p.row for p in built.faulty] == [3, 4, 5]


def test_calling_hours_are_the_callees_own():
    c = campaign(window=(8 * 3600, 20 * 3600), calling_hours=(9 * 3600, 21 * 3600))
    ten = datetime(2024, 1, 1, 10, 0, tzinfo=SITE_ZONE).timestamp()  # 08:00 in Urumqi
    assert may_call(c, "Asia/Shanghai", ten)
    assert not may_call(c, "Asia/Urumqi", ten)
    eleven = datetime(2024, 1, 1, 11, 0, tzinfo=SITE_ZONE).timestamp()
    assert next_calling_time(c, "Asia/Urumqi", ten) == eleven
    assert next_calling_time(c, "Asia/Shanghai", eleven + 10 * 3600) is None  # after the last day's window


def test_a_xinjiang_number_waits_for_its_morning():
    d = driver(callees=Callees(answer_rate=0.0))
    d.login("a1", "a2", "a3")
    entries = [ListEntry("+8613990000001", zone="Asia/Urumqi", row=2)]
    d.load(campaign("progressive"), entries)
    assert d.dials == []
    d.run_until(T9 + 3 * 3600)
    first = next(r for r in d.center.log if r.verb == Verb.OUTBOUND_DIAL)
    assert datetime.fromtimestamp(first.time, SITE_ZONE).hour == 11


def test_progressive_dials_one_call_per_waiting_agent_and_never_drops():
    d = driver(callees=Callees(answer_rate=0.9, patience=60))
    d.login("a1", "a2", "a3")
    actions = d.load(campaign("progressive"), numbers(200))
    assert len([a for a in actions if isinstance(a, DialNumber)]) == 3
    d.run_until(T9 + 4 * 3600)
    counts = counts_of(d.center.log, "c1")
    assert counts["drops"] == 0 and counts["connects"] > 50


def test_failed_dials_are_retried_after_the_back_off_at_most_max_attempts():
    d = driver(callees=Callees(answer_rate=0.0))
    d.login("a1")
    d.load(
        campaign("progressive", agents=("a1",), max_attempts=2, retry_after=(("busy", 600.0), ("no_answer", 900.0))),
        numbers(1),
    )
    d.run_until(T9 + 5 * 3600)
    dials = [r for r in d.center.log if r.verb == Verb.OUTBOUND_DIAL]
    fails = [r for r in d.center.log if r.verb == Verb.OUTBOUND_FAIL]
    assert len(dials) == 2
    assert dials[1].time - fails[0].time == pytest.approx({"busy": 600.0, "no_answer": 900.0}[fails[0].field("result")])
    done = [r for r in d.center.log if r.verb == Verb.OUTBOUND_DONE]
    assert len(done) == 1 and done[0].field("attempts") == 2


def test_a_number_put_on_the_do_not_call_list_after_loading_is_not_dialled():
    dnc: set[str] = set()
    d = driver(callees=Callees(answer_rate=0.0))
    d.center.outbound.do_not_call = dnc
    d.login("a1")
    entries = numbers(3)
    dnc.add(entries[1].number)
    d.load(campaign("progressive", agents=("a1",), max_attempts=1), entries)
    d.run_until(T9 + 3600)
    assert entries[1].number not in {a.number for a in d.dials} and len(d.dials) == 2


def test_preview_shows_the_customer_before_the_agent_dials():
    d = driver()
    d.login("a1")
    d.load(campaign("preview", agents=("a1",)), numbers(3))
    assert d.dials == [] and len(d.previews) == 1 and d.previews[0].name == "客户0"
    first = d.previews[0]
    d.send(SkipPreview(d.now, "a1", first.attempt_id))
    assert d.previews[1].number != first.number
    d.send(DialPreviewed(d.now, "a1", d.previews[1].attempt_id))
    assert [a.number for a in d.dials] == [d.previews[1].number]


def test_manual_dial_respects_the_do_not_call_list():
    d = driver(do_not_call={"+8613500000000"})
    d.login("a1")
    d.load(campaign("manual", agents=()), [])
    with pytest.raises(CommandRejected, match="do-not-call"):
        d.send(DialManual(d.now, "a1", "c1", "13500000000"))
    d.send(DialManual(d.now, "a1", "c1", "135 0000 0001"))
    assert d.dials[0].number == "+8613500000001" and d.center.agents["a1"].state == "outbound"


def test_voice_broadcast_zero_reaches_an_agent():
    d = driver(callees=Callees(answer_rate=1.0, digits="0", patience=60))
    d.login("a1")
    d.load(campaign("broadcast", agents=("a1",), recording="notice", broadcast_lines=2), numbers(4))
    d.run_until(T9 + 1800)
    outcomes = [r.field("result") for r in d.center.log if r.verb == Verb.OUTBOUND_BROADCAST]
    assert "agent" in outcomes and len(outcomes) == 4
    assert any(r.verb == Verb.OUTBOUND_CONNECT and r.agent == "a1" for r in d.center.log)


def test_outbound_gives_way_when_the_order_line_is_crowded():
    d = driver(callees=Callees(answer_rate=0.0))
    d.login("a1")
    d.load(campaign("progressive", agents=("a1",), order_line="sales", inbound_threshold=1), numbers(50))
    for i in range(3):
        d.send(CallArrived(d.now, f"in{i}", "13900000000", "400"))
    d.run_until(d.now + 60)
    paused = [r for r in d.center.log if r.verb == Verb.CAMPAIGN_PAUSE]
    assert paused
    dials_after = [r for r in d.center.log if r.verb == Verb.OUTBOUND_DIAL and r.time > paused[0].time]
    assert dials_after == []


def test_the_guard_allows_over_dialling_only_within_the_cap():
    counts = DayCounts("d", attempts=1000, resolved=1000, answered=300, drops=3, answer_wait_total=4500.0)
    assert drop_allowance(counts, 0.03, held=0) == 6  # (9 - 3) / 0.97
    assert (
        new_dials(predictive=True, counts=counts, cap=0.03, waiting_agents=2, talking_agents=10, ringing=0, held=0) == 8
    )
    assert (
        new_dials(predictive=False, counts=counts, cap=0.03, waiting_agents=2, talking_agents=10, ringing=1, held=0)
        == 1
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answer_rate=st.floats(0.05, 0.95),
    handle=st.floats(20, 600),
    patience=st.floats(0.5, 30),
    cap=st.sampled_from([0.01, 0.03, 0.05]),
    agents=st.integers(1, 8),
    seed=st.integers(0, 10_000),
)
def test_predictive_pacing_keeps_the_drop_rate_under_the_cap(answer_rate, handle, patience, cap, agents, seed):
    d = driver(agents, callees=Callees(answer_rate=answer_rate, handle_mean=handle, patience=patience), seed=seed)
    d.login(*[f"a{i}" for i in range(1, agents + 1)])
    d.load(
        campaign(agents=tuple(f"a{i}" for i in range(1, agents + 1)), drop_cap=cap, window=(9 * 3600, 13 * 3600)),
        numbers(400),
    )
    d.run_until(T9 + 4 * 3600)
    counts = counts_of(d.center.log, "c1")
    assert counts["dials"] > 0
    assert counts["drops"] <= cap * counts["answered"] + 1e-9, counts


def test_after_call_survey_when_the_agent_hangs_up():
    from core.messages import AgentAnswered, AgentHungUp, CallerHungUp, PlaySurvey, SurveyAnswered

    for survey in (True, False):
        center = CallCenter(make_config(("a1",), survey=survey))
        d = OutboundDriver(center, T9)
        d.login("a1")
        d.send(CallArrived(T9, "k1", "13900000000", "400"))
        d.send(AgentAnswered(T9 + 1, "k1", "a1"))
        actions = center.handle(AgentHungUp(T9 + 60, "k1"))
        assert any(isinstance(a, PlaySurvey) for a in actions) == survey
    center.handle(CallerHungUp(T9 + 61, "k1"))  # a survey's caller hanging up is no news to the queue
    center = CallCenter(make_config(("a1",), survey=True))
    center.handle(SurveyAnswered(T9, "k1", "a1", "sales", "2"))
    center.handle(SurveyAnswered(T9, "k2", "a1", "sales", "9"))
    assert [(r.verb, r.agent, r.queue, r.field("digit")) for r in center.log] == [
        (Verb.SURVEY, "a1", "sales", "2"),
        (Verb.SURVEY, "a1", "sales", ""),
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    zones=st.lists(st.sampled_from(["Asia/Shanghai", "Asia/Urumqi"]), min_size=5, max_size=40),
    hours=st.tuples(st.integers(6, 12), st.integers(13, 22)),
    window=st.tuples(st.integers(7, 11), st.integers(12, 20)),
    banned=st.sets(st.integers(0, 39), max_size=10),
    ban_after=st.floats(0, 7200),
    mode=st.sampled_from(["progressive", "predictive", "broadcast"]),
    seed=st.integers(0, 1000),
)
def test_no_number_outside_its_hours_twice_at_once_or_on_the_do_not_call_list(
    zones, hours, window, banned, ban_after, mode, seed
):
    """The driver asserts all three on every DialNumber; numbers go on the do-not-call list mid-run."""
    dnc: set[str] = set()
    d = driver(3, callees=Callees(answer_rate=0.3, handle_mean=200, digits=""), seed=seed)
    d.center.outbound.do_not_call = dnc
    d.login("a1", "a2", "a3")
    entries = [ListEntry(f"+86138{i:08d}", row=i + 2, zone=zone) for i, zone in enumerate(zones)]
    start = datetime(2024, 1, 1, 0, 0, tzinfo=SITE_ZONE).timestamp()
    d.now = start
    d.load(
        campaign(
            mode,
            window=(window[0] * 3600, window[1] * 3600),
            calling_hours=(hours[0] * 3600, hours[1] * 3600),
            recording="notice",
            max_attempts=5,
        ),
        entries,
    )
    d.at(start + 9 * 3600 + ban_after, lambda now: dnc.update(entries[i].number for i in banned if i < len(entries)))
    d.run_until(start + 86400)
    dials = [r for r in d.center.log if r.verb == Verb.OUTBOUND_DIAL]
    never_banned_at_site = any(zone == "Asia/Shanghai" and i not in banned for i, zone in enumerate(zones))
    if never_banned_at_site and max(window[0], hours[0]) < min(window[1], hours[1]):
        assert dials  # the site's own callees have hours inside the window
    # A dial at the very instant of the ban may have been decided first (the window can open at 09:00 sharp).
    assert not [r for r in dials if r.time > start + 9 * 3600 + ban_after and r.field("number") in dnc]
    for r in dials:  # from the log alone: inside the campaign window and the callee's own hours
        zone = zones[int(str(r.field("number"))[-8:])]
        assert may_call(d.campaigns["c1"], zone, r.time)
