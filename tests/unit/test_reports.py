"""KPIs from the event log: hand-built logs with known answers, logs written by the real core driven by a
fake driver, and properties (conservation, agent time) over random scripted timelines.
Over 400 lines: hand-built logs, core-written logs and the properties share their log builders here.
"""

from __future__ import annotations

import heapq
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.center import CallCenter, CommandRejected
from core.config import AgentProfile, CenterConfig, Hotline, OpeningHours, OverflowStep, Policy
from core.log import NONE, OUTCOME_OF_VERB, LogRecord, Verb
from core.messages import (
    AgentAnswered,
    AgentDidNotAnswer,
    AgentHungUp,
    CallArrived,
    CallerHungUp,
    ClaimCallback,
    CompleteCallback,
    ExpireCallbacks,
    LogIn,
    LogOut,
    MakeNotReady,
    MakeReady,
    PromptFinished,
    StartTimer,
    TimerFired,
)
from core.tickets import OUTCOMES
from reports.agent_kpis import AGENT_KPI_COLUMNS, agent_kpis, agent_not_ready
from reports.call_lives import call_lives
from reports.conservation import check_conservation
from reports.eventlog import records_to_frame
from reports.kpi import KPI_COLUMNS, SUMMARY_COLUMNS, interval_and_summary_kpis, interval_kpis, summary_kpis
from reports.timeline import agent_timeline, split_timeline

T0 = 1_699_999_200.0  # a multiple of 900 s: intervals start at T0


def R(t, call_id, queue, agent, verb, *data):
    return LogRecord(T0 + t, call_id, queue, agent, verb, *data)


# --- a fake driver around the real core ---------------------------------------------------------------


class FakeDriver:
    """Feeds messages to the core and fires the timers it asks for, in time order, like a real driver."""

    def __init__(self, config: CenterConfig) -> None:
        self.log: list[LogRecord] = []
        self.center = CallCenter(config, log=self.log)
        self.timers: list = []
        self.seq = 0
        self.now = T0

    def _carry_out(self, actions) -> None:
        for action in actions:
            if isinstance(action, StartTimer):
                self.seq += 1
                heapq.heappush(self.timers, (action.at, self.seq, action.timer))

    def run_until(self, t: float) -> None:
        while self.timers and self.timers[0][0] <= t:
            at, _, timer = heapq.heappop(self.timers)
            self.now = max(self.now, at)
            self._carry_out(self.center.handle(TimerFired(self.now, timer)))
        self.now = max(self.now, t)

    def send(self, message) -> bool:
        self.run_until(message.now)
        try:
            self._carry_out(self.center.handle(message))
        except CommandRejected:
            return False
        return True

    def calls_in(self, state: str):
        return sorted((c for c in self.center.calls.values() if c.state == state), key=lambda c: c.call_id)

    def drain(self) -> None:
        """End everything: finish callbacks, hang up every caller, fire every timer."""
        for _ in range(200):
            t = self.now + 1.0
            for agent in sorted(self.center.agents.values(), key=lambda a: a.agent_id):
                if agent.state == "callback":
                    self.send(CompleteCallback(t, agent.agent_id, agent.ticket_id, "ordered"))
            for call in sorted(self.center.calls.values(), key=lambda c: c.call_id):
                self.send(CallerHungUp(t, call.call_id))
            if self.timers:
                self.run_until(self.timers[0][0])
            elif not self.center.calls and all(a.state != "callback" for a in self.center.agents.values()):
                return
        raise AssertionError("the fake driver could not drain the center")


def config(policy: Policy | None = None) -> CenterConfig:
    return CenterConfig(
        agents=(
            AgentProfile("a1", {"sales": 1}),
            AgentProfile("a2", {"sales": 1, "orders": 1}),
            AgentProfile("a3", {"orders": 2, "sales": 1}),
        ),
        hotlines=(
            Hotline("800", "sales"),
            Hotline("801", "orders"),
            Hotline("802", "sales", OpeningHours(windows=(), out_of_hours="callback")),
        ),
        policy=policy or Policy(),
        blacklist=frozenset({"666"}),
        vip=frozenset({"111"}),
    )


# --- hand-built logs with known answers ------------------------------------------------------------------


def three_calls() -> list[LogRecord]:
    """c1 abandons after 3 s (short), c2 is answered after 25 s, c3 after 5 s; a1 wraps up 10 s after c2."""
    return [
        R(0, NONE, NONE, "a1", Verb.AGENTLOGIN),
        R(0, NONE, NONE, "a2", Verb.AGENTLOGIN),
        R(100, "c1", "sales", NONE, Verb.ENTERQUEUE, "", "555", 1, "800", "normal"),
        R(103, "c1", "sales", NONE, Verb.ABANDON, 1, 1, 3.0, True),
        R(103, "c1", "sales", NONE, Verb.CALLBACK_CREATED, "cb-c1", "555", "normal", "800", ""),
        R(110, "c2", "sales", NONE, Verb.ENTERQUEUE, "", "556", 1, "800", "normal"),
        R(120, "c3", "sales", NONE, Verb.ENTERQUEUE, "", "557", 2, "800", "normal"),
        R(125, "c3", "sales", "a2", Verb.CONNECT, 5.0, "c3", 1.0),
        R(135, "c2", "sales", "a1", Verb.CONNECT, 25.0, "c2", 1.0),
        R(165, "c3", "sales", "a2", Verb.COMPLETEAGENT, 5.0, 40.0, 2),
        R(195, "c2", "sales", "a1", Verb.COMPLETECALLER, 25.0, 60.0, 1),
        R(205, NONE, NONE, "a1", Verb.WRAPUPEND, 10.0),
        R(300, NONE, NONE, "a1", Verb.AGENTLOGOFF, "", 300.0),
        R(300, NONE, NONE, "a2", Verb.AGENTLOGOFF, "", 300.0),
    ]


def test_service_level_and_friends_by_hand():
    rows = interval_kpis(three_calls(), interval_s=900, target_s=20)
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["interval_start"] == T0 and row["queue"] == "sales"
    assert (row["calls"], row["offered"], row["answered"], row["abandoned"]) == (3, 3, 2, 1)
    assert (row["short_abandoned"], row["to_callback"], row["rejected"], row["in_progress"]) == (1, 0, 0, 0)
    assert row["answered_in_target"] == 1  # only c3 (5 s); c2 waited 25 s
    assert row["sl_offered"] == pytest.approx(1 / 3)
    assert row["sl_answered"] == pytest.approx(1 / 2)
    assert row["asa"] == pytest.approx((25 + 5) / 2)
    assert row["att"] == pytest.approx((60 + 40) / 2)
    assert row["aht"] == pytest.approx(((60 + 10) + 40) / 2)  # c2 had 10 s of wrap-up, c3 none
    assert row["longest_wait"] == pytest.approx(25)
    assert row["abandon_rate"] == pytest.approx(1 / 3)
    assert row["abandon_rate_excl_short"] == 0.0
    assert row["callbacks_created"] == 1 and row["tickets_created_for_calls"] == 1
    # agents: 600 agent-seconds logged in; busy = 60 + 10 + 40 = 110
    assert row["busy_s"] == pytest.approx(110) and row["idle_s"] == pytest.approx(490)
    assert row["occupancy"] == pytest.approx(110 / 600)
    assert row["staffed"] == pytest.approx(600 / 900)
    # a wider target changes only the service level
    wide = interval_kpis(three_calls(), target_s=25).iloc[0]
    assert wide["sl_offered"] == pytest.approx(2 / 3) and wide["sl_answered"] == 1.0
    assert list(rows.columns) == list(KPI_COLUMNS)


def test_call_lives_by_hand():
    lives = call_lives(three_calls()).set_index("call_id")
    assert list(lives.index) == ["c1", "c2", "c3"]
    assert lives.loc["c1", "outcome"] == "abandoned" and lives.loc["c1", "short_abandon"]
    assert lives.loc["c1", "wait"] == 3.0 and lives.loc["c1", "ticket_created"]
    assert lives.loc["c2", "wait"] == 25.0 and lives.loc["c2", "talk"] == 60.0 and lives.loc["c2", "wrapup"] == 10.0
    assert lives.loc["c2", "agent"] == "a1" and lives.loc["c2", "terminal_verb"] == Verb.COMPLETECALLER
    assert lives.loc["c3", "handle"] == 40.0 and lives.loc["c3", "agent"] == "a2"
    assert math.isnan(lives.loc["c1", "talk"]) and math.isnan(lives.loc["c1", "answered_at"])
    assert (lives["caller"] == ["555", "556", "557"]).all() and (lives["hotline"] == "800").all()


def test_summary_matches_interval_totals_and_by_queue():
    records = three_calls() + [
        R(1000, "c4", "orders", NONE, Verb.ENTERQUEUE, "", "558", 1, "801", "normal"),
        R(1060, "c4", "orders", NONE, Verb.EXITWITHTIMEOUT, 1, 1, 60.0),
        R(1070, "c4", "orders", NONE, Verb.CALLBACK_PROMPT, "1"),
        R(1070, "c4", "orders", NONE, Verb.CALLBACK_CREATED, "cb-c4", "558", "normal", "801", ""),
        R(1080, "c5", "sales", NONE, Verb.REJECTED, "blacklist", "666", "800"),
    ]
    total = summary_kpis(records).iloc[0]
    assert list(summary_kpis(records).columns) == list(SUMMARY_COLUMNS)[:2] + list(SUMMARY_COLUMNS)[3:]
    assert (total["calls"], total["offered"], total["to_callback"], total["rejected"]) == (5, 4, 1, 1)
    assert total["longest_wait"] == 60.0
    assert total["sl_offered"] == pytest.approx(1 / 4)
    intervals = interval_kpis(records)
    assert set(intervals["queue"]) == {"orders", "sales"}
    assert len(intervals) == 2 * 2  # two intervals x two queues, a rectangular table
    for name in ("calls", "offered", "answered", "abandoned", "to_callback", "rejected", "callbacks_created"):
        assert intervals[name].sum() == total[name]
    per_queue = summary_kpis(records, by_queue=True).set_index("queue")
    assert per_queue.loc["orders", "to_callback"] == 1 and per_queue.loc["sales", "rejected"] == 1
    flat = interval_kpis(records, by_queue=False)
    assert "queue" not in flat.columns and flat["calls"].sum() == 5
    assert check_conservation(records) == []


def agent_day() -> list[LogRecord]:
    return [
        R(0, NONE, NONE, "a1", Verb.AGENTLOGIN),
        R(90, "c1", "sales", NONE, Verb.ENTERQUEUE, "", "555", 1, "800", "normal"),
        R(100, "c1", "sales", "a1", Verb.CONNECT, 10.0, "c1", 2.0),
        R(160, "c1", "sales", "a1", Verb.COMPLETECALLER, 10.0, 60.0, 1),
        R(170, NONE, NONE, "a1", Verb.WRAPUPEND, 10.0),
        R(200, NONE, NONE, "a1", Verb.PAUSE, "lunch"),
        R(500, NONE, NONE, "a1", Verb.UNPAUSE, "lunch"),
        R(600, "c0", "sales", "a1", Verb.CALLBACK_CLAIMED, "cb-c0"),
        R(700, "c0", "sales", "a1", Verb.CALLBACK_DONE, "cb-c0", "ordered", 1, 100.0),
        R(710, NONE, NONE, "a1", Verb.WRAPUPEND, 10.0),
        R(800, NONE, NONE, "a1", Verb.PAUSE, "break"),
        R(850, NONE, NONE, "a1", Verb.PAUSE, "meeting"),  # a new reason without UNPAUSE
        R(900, NONE, NONE, "a1", Verb.UNPAUSE, "meeting"),
        R(940, "c2", "sales", NONE, Verb.ENTERQUEUE, "", "556", 1, "800", "normal"),
        R(950, "c2", "sales", "a1", Verb.CONNECT, 10.0, "c2", 2.0),
        R(1000, "c2", "sales", "a1", Verb.COMPLETEAGENT, 10.0, 50.0, 1),
        R(1100, NONE, NONE, "a1", Verb.AGENTLOGOFF, "", 1100.0),
    ]


def test_agent_time_accounting_by_hand():
    row = agent_kpis(agent_day()).iloc[0]
    assert row["agent"] == "a1"
    assert row["inbound_talk_s"] == 110 and row["callback_talk_s"] == 100 and row["talk_s"] == 210
    assert row["wrapup_s"] == 20  # after c1 and after the callback; c2 had none (the next record is a logoff)
    assert row["not_ready_s"] == 300 + 50 + 50
    assert row["idle_s"] == 100 + 30 + 100 + 90 + 50 + 100
    assert row["logged_in_s"] == 1100
    assert (row["calls"], row["callbacks"], row["callbacks_completed"], row["transfers"]) == (2, 1, 1, 0)
    assert row["aht"] == pytest.approx(((60 + 10) + 50) / 2)  # the callback's wrap-up is not a call's
    assert row["occupancy"] == pytest.approx(230 / (230 + 470))
    assert list(agent_kpis(agent_day()).columns) == list(AGENT_KPI_COLUMNS)
    reasons = agent_not_ready(agent_day()).set_index("reason")["not_ready_s"].to_dict()
    assert reasons == {"break": 50.0, "lunch": 300.0, "meeting": 50.0}
    assert check_conservation(agent_day()) == []


def test_agent_period_clips_states():
    row = agent_kpis(agent_day(), period=(T0 + 250, T0 + 650)).iloc[0]
    assert row["not_ready_s"] == 250 and row["idle_s"] == 100 and row["callback_talk_s"] == 50
    assert row["logged_in_s"] == 400 and row["calls"] == 0 and math.isnan(row["aht"])
    open_end = agent_kpis(agent_day(), period=(T0 + 900, None)).iloc[0]
    assert open_end["calls"] == 1 and open_end["inbound_talk_s"] == 50 and open_end["idle_s"] == 150


def test_interval_boundary_clipping():
    rows = interval_kpis(agent_day(), interval_s=300).set_index("interval_start")
    assert list(rows.index) == [T0, T0 + 300, T0 + 600, T0 + 900]
    # [0,300): talk 60 + wrap 10, idle 100 + 30, lunch 100
    assert rows.loc[T0, ["busy_s", "idle_s", "not_ready_s"]].tolist() == [70, 130, 100]
    # [300,600): lunch 200 (its 300 s are cut at 300), idle 100
    assert rows.loc[T0 + 300, ["busy_s", "idle_s", "not_ready_s"]].tolist() == [0, 100, 200]
    # [600,900): callback 100 + wrap 10, idle 90, break 50 + meeting 50
    assert rows.loc[T0 + 600, ["busy_s", "idle_s", "not_ready_s"]].tolist() == [110, 90, 100]
    # [900,1200): idle 50, talk 50, idle 100, logged off after 1100
    assert rows.loc[T0 + 900, ["busy_s", "idle_s", "not_ready_s"]].tolist() == [50, 150, 0]
    assert rows.loc[T0, "occupancy"] == pytest.approx(70 / 200)
    assert rows.loc[T0 + 300, "occupancy"] == 0.0
    assert rows.loc[T0 + 900, "staffed"] == pytest.approx(200 / 300)
    # calls go to the interval they arrived in
    assert rows.loc[T0, "offered"] == 1 and rows.loc[T0 + 900, "offered"] == 1
    pieces = split_timeline(agent_timeline(agent_day()), 7.0)
    assert pieces["duration"].sum() == pytest.approx(1100)
    assert (pieces["start"] >= pieces["interval_start"]).all()
    assert (pieces["end"] <= pieces["interval_start"] + 7.0 + 1e-9).all()


def test_a_call_counts_in_its_arrival_interval():
    records = [
        R(890, "c1", "sales", NONE, Verb.ENTERQUEUE, "", "555", 1, "800", "normal"),
        R(930, "c1", "sales", NONE, Verb.ABANDON, 1, 1, 40.0, False),
    ]
    rows = interval_kpis(records)
    assert rows["interval_start"].tolist() == [T0] and rows["abandoned"].tolist() == [1]


def test_empty_logs_give_empty_frames():
    for log in ([], records_to_frame([])):
        assert interval_kpis(log).empty and list(interval_kpis(log).columns) == list(KPI_COLUMNS)
        assert agent_kpis(log).empty and call_lives(log).empty and agent_timeline(log).empty
        total = summary_kpis(log)
        assert len(total) == 1 and total.iloc[0]["calls"] == 0 and total.iloc[0]["offered"] == 0
        assert check_conservation(log) == []
    only_agents = [R(0, NONE, NONE, "a1", Verb.AGENTLOGIN), R(60, NONE, NONE, "a1", Verb.AGENTLOGOFF, "", 60.0)]
    rows = interval_kpis(only_agents)
    assert rows["calls"].sum() == 0 and rows["idle_s"].sum() == 60
    assert summary_kpis(only_agents).iloc[0]["idle_s"] == 60


def test_conservation_reports_broken_logs():
    broken = [
        R(0, "c1", "sales", NONE, Verb.ENTERQUEUE, "", "555", 1, "800", "normal"),
        R(5, "c1", "sales", NONE, Verb.ABANDON, 1, 1, 5.0, False),
        R(6, "c1", "sales", NONE, Verb.EXITWITHTIMEOUT, 1, 1, 6.0),
        R(7, "c2", "sales", NONE, Verb.ENTERQUEUE, "", "556", 1, "800", "normal"),
        R(9, "c3", "sales", "a1", Verb.COMPLETECALLER, 1.0, 2.0, 1),
        R(10, NONE, NONE, "a1", Verb.AGENTLOGIN),
        R(20, NONE, NONE, "a1", Verb.AGENTLOGOFF, "", 15.0),
    ]
    problems = "\n".join(check_conservation(broken))
    assert "more than one terminal verb: c1" in problems
    assert "no terminal verb" in problems and "c2" in problems
    assert "no ENTERQUEUE: c3" in problems and "without a CONNECT: c3" in problems
    assert "do not add up" in problems
    relaxed = "\n".join(check_conservation(broken, allow_in_progress=True))
    assert "no terminal verb" not in relaxed


# --- logs written by the real core ---------------------------------------------------------------------


def scripted_log() -> list[LogRecord]:
    policy = Policy(wrapup=10.0, ring_timeout=15.0, ivr_after=120.0, callback_reserve=None, short_abandon=5.0)
    d = FakeDriver(config(policy))
    t = T0
    d.send(LogIn(t, "a1"))
    d.send(LogIn(t, "a2"))
    d.send(CallArrived(t + 10, "c1", "555", "800"))  # rings a1
    d.send(AgentAnswered(t + 12, "c1", d.center.calls["c1"].agent_id))
    d.send(CallArrived(t + 20, "c2", "556", "800"))  # rings a2, who does not answer
    d.run_until(t + 36)  # ring timeout at 35: a2 paused (ringnoanswer), c2 waits
    d.send(CallArrived(t + 40, "c3", "557", "800"))
    d.send(CallerHungUp(t + 42, "c3"))  # short abandon -> ticket
    d.send(CallArrived(t + 50, "c4", "666", "800"))  # blacklisted -> rejected
    d.send(CallArrived(t + 55, "c5", "558", "802"))  # out of hours -> rejected, callback ticket
    d.send(AgentHungUp(t + 100, "c1"))  # a1 wraps up until 110, then takes c2
    d.run_until(t + 111)
    d.send(AgentAnswered(t + 113, "c2", "a1"))
    d.send(CallerHungUp(t + 200, "c2"))
    d.send(MakeReady(t + 210, "a2"))
    d.send(MakeNotReady(t + 215, "a2", "break"))
    d.send(ClaimCallback(t + 250, "a1", "cb-c3"))
    d.send(CompleteCallback(t + 280, "a1", "cb-c3", "unreachable"))  # retried later
    d.send(CallArrived(t + 300, "c6", "559", "801"))  # orders: only a2 (paused) -> waits 120 s -> prompt
    d.run_until(t + 421)
    d.send(PromptFinished(t + 425, "c6", "1"))
    d.send(LogOut(t + 430, "a2"))
    d.drain()
    d.send(LogOut(d.now + 5, "a1"))
    return d.log


def test_conservation_on_a_log_written_by_the_core():
    log = scripted_log()
    assert check_conservation(log) == []
    lives = call_lives(log).set_index("call_id")
    assert lives["outcome"].to_dict() == {
        "c1": "answered",
        "c2": "answered",
        "c3": "abandoned",
        "c4": "rejected",
        "c5": "rejected",
        "c6": "callback",
    }
    assert lives.loc["c1", "wait"] == pytest.approx(2) and lives.loc["c1", "wrapup"] == pytest.approx(10)
    assert lives.loc["c2", "wait"] == pytest.approx(93) and lives.loc["c2", "ring_no_answers"] == 1
    assert lives.loc["c3", "short_abandon"] and lives.loc["c3", "ticket_created"]
    assert lives.loc["c5", "ticket_created"] and lives.loc["c6", "ticket_created"]
    assert lives.loc["c6", "wait"] == pytest.approx(120)
    total = summary_kpis(log).iloc[0]
    assert (total["calls"], total["offered"], total["answered"], total["rejected"]) == (6, 4, 2, 2)
    assert (total["callbacks_created"], total["callback_attempts"], total["callbacks_completed"]) == (3, 1, 0)
    agents = agent_kpis(log).set_index("agent")
    assert agents.loc["a2", "ring_no_answers"] == 1
    assert agents.loc["a2", "not_ready_s"] == pytest.approx((210 - 35) + (430 - 215))
    assert agents.loc["a1", "calls"] == 2 and agents.loc["a1", "callbacks"] == 1
    assert agents.loc["a1", "callback_talk_s"] == pytest.approx(30)
    assert agents.loc["a1", "wrapup_s"] == pytest.approx(30)  # after c1, c2 and the callback


# --- properties over random scripted timelines --------------------------------------------------------

CALLERS = ("555", "556", "557", "111", "666", "")
HOTLINES = ("800", "801", "802", "999")
AGENTS = ("a1", "a2", "a3")
KINDS = (
    "arrive",
    "arrive",
    "arrive",
    "answer",
    "answer",
    "noanswer",
    "hangup",
    "agent_hangup",
    "prompt",
    "login",
    "logout",
    "ready",
    "notready",
    "claim",
    "complete",
    "expire",
    "wait",
)

policies = st.builds(
    Policy,
    strategy=st.sampled_from(("rrmemory", "longestidle", "fewestcalls")),
    wrapup=st.sampled_from((0.0, 7.0)),
    ring_timeout=st.sampled_from((None, 9.0)),
    ivr_after=st.sampled_from((None, 25.0)),
    ivr_queue_length=st.sampled_from((None, 2)),
    overflow=st.sampled_from(({}, {"sales": (OverflowStep("orders", after_wait=8.0),)})),
    callback_reserve=st.sampled_from((None, 0, 1)),
    callback_retry_after=st.just(40.0),
    callback_ttl=st.sampled_from((60.0, 3 * 86400.0)),
)
steps = st.lists(
    st.tuples(st.floats(0, 20, allow_nan=False), st.sampled_from(KINDS), st.integers(0, 9), st.integers(0, 9)),
    max_size=70,
)


def run_script(policy: Policy, script, drain: bool) -> list[LogRecord]:
    d = FakeDriver(config(policy))
    t = T0
    n = 0
    for dt, kind, i, j in script:
        t += dt
        agent = AGENTS[i % len(AGENTS)]
        if kind == "arrive":
            n += 1
            d.send(CallArrived(t, f"c{n}", CALLERS[i % len(CALLERS)], HOTLINES[j % len(HOTLINES)]))
        elif kind in ("answer", "noanswer"):
            d.run_until(t)
            ringing = d.calls_in("ringing")
            if ringing:
                call = ringing[i % len(ringing)]
                message = AgentAnswered if kind == "answer" else AgentDidNotAnswer
                d.send(message(t, call.call_id, call.agent_id))
        elif kind == "hangup":
            d.run_until(t)
            calls = sorted(d.center.calls)
            if calls:
                d.send(CallerHungUp(t, calls[i % len(calls)]))
        elif kind in ("agent_hangup", "prompt"):
            d.run_until(t)
            calls = d.calls_in("talking" if kind == "agent_hangup" else "prompt")
            if calls:
                call_id = calls[i % len(calls)].call_id
                d.send(AgentHungUp(t, call_id) if kind == "agent_hangup" else PromptFinished(t, call_id, "1"))
        elif kind == "login":
            d.send(LogIn(t, agent))
        elif kind == "logout":
            d.send(LogOut(t, agent))
        elif kind == "ready":
            d.send(MakeReady(t, agent))
        elif kind == "notready":
            d.send(MakeNotReady(t, agent, ("break", "training")[j % 2]))
        elif kind == "claim":
            d.run_until(t)
            tickets = d.center.tickets.ordered()
            if tickets:
                d.send(ClaimCallback(t, agent, tickets[j % len(tickets)].ticket_id))
        elif kind == "complete":
            d.run_until(t)
            busy = [a for a in d.center.agents.values() if a.state == "callback"]
            if busy:
                a = busy[i % len(busy)]
                d.send(CompleteCallback(t, a.agent_id, a.ticket_id, OUTCOMES[j % len(OUTCOMES)]))
        elif kind == "expire":
            d.send(ExpireCallbacks(t))
        else:
            d.run_until(t)
    if drain:
        d.drain()
    return d.log


def reference_lives(log: list[LogRecord]) -> dict[str, dict]:
    """A plain loop over the records, to compare the vectorised call_lives with."""
    lives: dict[str, dict] = {}
    for r in log:
        if r.call_id == NONE:
            continue
        if r.verb == Verb.ENTERQUEUE:
            lives[r.call_id] = {"arrived": r.time, "outcome": "in_progress", "agent": "", "connect": None}
        elif r.verb == Verb.CONNECT:
            lives[r.call_id]["connect"] = r.time
            lives[r.call_id]["agent"] = r.agent
        elif r.verb in OUTCOME_OF_VERB:
            life = lives.setdefault(r.call_id, {"arrived": r.time, "agent": "", "connect": None})
            life["outcome"] = OUTCOME_OF_VERB[r.verb]
            life["end"] = r.time
    for life in lives.values():
        if life["outcome"] == "answered":
            life["wait"] = life["connect"] - life["arrived"]
            life["talk"] = life["end"] - life["connect"]
        elif life["outcome"] in ("abandoned", "callback"):
            life["wait"] = life["end"] - life["arrived"]
    return lives


def logged_in_seconds(log: list[LogRecord]) -> dict[str, float]:
    """Per agent: the sum of AGENTLOGIN..AGENTLOGOFF spans, an open session running to the last record."""
    since: dict[str, float] = {}
    total: dict[str, float] = {}
    for r in log:
        if r.verb == Verb.AGENTLOGIN:
            since[r.agent] = r.time
        elif r.verb == Verb.AGENTLOGOFF:
            total[r.agent] = total.get(r.agent, 0.0) + r.time - since.pop(r.agent)
    end = log[-1].time if log else 0.0
    for agent, start in since.items():
        total[agent] = total.get(agent, 0.0) + end - start
    return total


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies, script=steps, drain=st.booleans())
def test_random_timelines_conserve_calls_and_agent_time(policy, script, drain):
    log = run_script(policy, script, drain)
    assert check_conservation(log, allow_in_progress=not drain) == []

    lives = call_lives(log).set_index("call_id")
    reference = reference_lives(log)
    assert set(lives.index) == set(reference)
    for call_id, life in reference.items():
        row = lives.loc[call_id]
        assert row["outcome"] == life["outcome"]
        assert row["arrived"] == life["arrived"]
        assert row["agent"] == life["agent"]
        if "wait" in life:
            assert row["wait"] == pytest.approx(life["wait"])
        if "talk" in life:
            assert row["talk"] == pytest.approx(life["talk"])

    expected = logged_in_seconds(log)
    agents = agent_kpis(log).set_index("agent")
    for agent, seconds in expected.items():
        row = agents.loc[agent]
        parts = row["talk_s"] + row["wrapup_s"] + row["idle_s"] + row["not_ready_s"]
        assert parts == pytest.approx(seconds, abs=1e-6)
        assert row["logged_in_s"] == pytest.approx(seconds, abs=1e-6)
    total = summary_kpis(log).iloc[0]
    assert total["busy_s"] + total["idle_s"] + total["not_ready_s"] == pytest.approx(sum(expected.values()), abs=1e-6)
    intervals = interval_kpis(log, interval_s=60, by_queue=False)
    assert intervals["idle_s"].sum() == pytest.approx(total["idle_s"], abs=1e-6)
    if not intervals.empty:
        assert (intervals["busy_s"] + intervals["idle_s"] + intervals["not_ready_s"] <= 3 * 60 + 1e-6).all()
    assert (
        total["calls"]
        == total["answered"] + total["abandoned"] + total["to_callback"] + total["rejected"] + total["in_progress"]
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies, script=steps, drain=st.booleans(), by_queue=st.booleans())
def test_interval_and_summary_kpis_of_one_analysis_equal_them_apart(policy, script, drain, by_queue):
    log = run_script(policy, script, drain)
    intervals, summary = interval_and_summary_kpis(log, interval_s=60, by_queue=by_queue)
    pd.testing.assert_frame_equal(intervals, interval_kpis(log, interval_s=60, by_queue=by_queue))
    pd.testing.assert_frame_equal(summary, summary_kpis(log, by_queue=by_queue))
