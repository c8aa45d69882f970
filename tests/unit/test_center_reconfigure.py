"""ApplyConfig: a running core takes a new configuration without dropping calls (rules in core/reconfigure.py)."""

from __future__ import annotations

import dataclasses
import random

import pytest

from core.center import READY, CallCenter, CommandRejected
from core.config import AgentProfile, CenterConfig, Hotline, OverflowStep, Policy
from core.log import Verb
from core.messages import ApplyConfig, LogIn, StopRinging
from core.reconfigure import plan_change
from tests.unit import fakes
from tests.unit.fakes import T0, Driver, assert_indexes_agree, make_config, records, terminal, verbs


def driver(agent_specs=("a1", "a2"), **kw) -> Driver:
    return fakes.driver(agent_specs, **kw)


def apply(d: Driver, agent_specs, label: str = "v2", **kw) -> list:
    return d.send(ApplyConfig(d.now, make_config(agent_specs, **kw), label))


# --- the switch itself ----------------------------------------------------------------------------


def test_config_applied_is_logged_once_with_its_label_and_the_agents_added_and_removed():
    d = driver(("a1", "a2"))
    apply(d, ("a2", "a3", "a4"), label="site-7")
    [record] = records(d.log, Verb.CONFIG_APPLIED)
    assert (record.time, record.field("label"), record.field("agents_added"), record.field("agents_removed")) == (
        T0,
        "site-7",
        "a3,a4",
        "a1",
    )
    assert verbs(d.log).index(Verb.CONFIG_APPLIED) < verbs(d.log).index(Verb.AGENTLOGOFF)
    assert_indexes_agree(d.center)


def test_a_config_this_core_cannot_run_is_rejected_and_nothing_changes():
    d = driver(("a1",))
    before = list(d.log)
    with pytest.raises(CommandRejected, match="random"):
        apply(d, ("a1", "a2"), strategy="random")
    assert d.log == before and set(d.center.agents) == {"a1"} and d.center.policy.strategy == "rrmemory"


def test_plan_change_names_added_removed_and_reskilled_agents():
    config = CenterConfig(
        (AgentProfile("a1", {"sales": 2}), AgentProfile("a3", {"sales": 1})), (Hotline("400", "sales"),)
    )
    change = plan_change({"a1": {"sales": 1}, "a2": {"sales": 1}, "a3": {"sales": 1}}, config)
    assert change.added == () and change.removed == ("a2",)
    assert [p.agent_id for p in change.reskilled] == ["a1"]
    assert plan_change({"a2": {"sales": 1}}, config, retired=["a2"]).removed == ()


# --- agents ---------------------------------------------------------------------------------------


def test_a_new_agent_appears_logged_out_and_takes_calls_once_logged_in():
    d = driver(("a1",))
    d.not_ready("a1")
    apply(d, ("a1", "a2"))
    assert d.center.agents["a2"].state == "out"
    assert verbs(d.log, agent="a2") == []
    d.login("a2")
    d.arrive("c1")
    assert d.rung("c1") == "a2"


def test_a_removed_idle_agent_is_logged_off_now_and_cannot_log_in_again():
    d = driver(("a1", "a2"))
    apply(d, ("a2",))
    assert [r.agent for r in records(d.log, Verb.AGENTLOGOFF)] == ["a1"]
    assert "a1" not in d.center.agents
    with pytest.raises(CommandRejected, match="no agent a1"):
        d.login("a1")
    assert_indexes_agree(d.center)


def test_a_removed_agent_who_is_logged_out_is_gone_without_a_logoff():
    d = driver(("a1", "a2"), login=False)
    apply(d, ("a2",))
    assert set(d.center.agents) == {"a2"} and records(d.log, Verb.AGENTLOGOFF) == []
    assert records(d.log, Verb.CONFIG_APPLIED)[0].field("agents_removed") == "a1"


def test_a_removed_agent_on_a_call_finishes_it_and_wrapup_then_is_logged_off():
    d = driver(("a1", "a2"), strategy="linear", wrapup=30.0)
    d.connect("c1")
    assert d.center.agents["a1"].state == "talking"
    apply(d, ("a2",), wrapup=30.0)
    assert records(d.log, Verb.AGENTLOGOFF) == []
    with pytest.raises(CommandRejected, match="no longer in the configuration"):
        d.send(LogIn(d.now, "a1"))  # a login would cancel the logout the removal asked for
    d.advance(60)
    d.agent_hangs_up("c1")
    assert terminal(d.log, "c1")[0].verb == Verb.COMPLETEAGENT
    assert records(d.log, Verb.AGENTLOGOFF) == []  # wrap-up is part of the work
    d.advance(30)
    assert [r.agent for r in records(d.log, Verb.AGENTLOGOFF)] == ["a1"]
    assert "a1" not in d.center.agents
    assert_indexes_agree(d.center)


def test_a_removed_ringing_agent_is_logged_off_and_the_call_rings_someone_else():
    d = driver(("a1", "a2"), strategy="linear")
    d.arrive("c1")
    assert d.rung("c1") == "a1"
    actions = apply(d, ("a2",))
    assert StopRinging("c1", "a1") in actions
    assert d.rung("c1") == "a2"
    assert [r.agent for r in records(d.log, Verb.AGENTLOGOFF)] == ["a1"]


def test_an_agent_removed_then_added_back_before_logging_off_stays_and_may_log_in_again():
    d = driver(("a1", "a2"), strategy="linear")
    d.connect("c1")
    apply(d, ("a2",))
    apply(d, ("a1", "a2"), label="v3")
    assert records(d.log, Verb.CONFIG_APPLIED)[1].field("agents_added") == "a1"
    d.agent_hangs_up("c1")
    assert [r.agent for r in records(d.log, Verb.AGENTLOGOFF)] == ["a1"]  # the removal's logout still runs
    d.login("a1")
    assert d.center.agents["a1"].state == READY
    assert_indexes_agree(d.center)


def test_changed_skills_apply_at_once_to_an_idle_agent_who_is_rung_with_a_waiting_call():
    d = driver(("a1",), ivr_after=None)
    d.arrive("c1", hotline="800")  # service: nobody has the skill yet, but a1 is logged in
    assert terminal(d.log, "c1")[0].verb == Verb.EXITEMPTY
    d.prompt_done("c1")
    apply(d, ("a1", ("a2", {"service": 1})), ivr_after=None)
    d.login("a2")
    d.not_ready("a2")
    d.arrive("c2", hotline="800")
    assert d.rung("c2") is None
    apply(d, (("a1", {"sales": 1, "service": 1}), ("a2", {"service": 1})), ivr_after=None)
    assert d.rung("c2") == "a1"
    assert_indexes_agree(d.center)


def test_changed_skills_of_a_busy_agent_apply_from_their_next_idle_moment():
    d = driver(("a1",), ivr_after=None)
    d.connect("c1")
    apply(d, (("a1", {"service": 1}),), ivr_after=None)
    assert d.center.agents["a1"].skills == {"sales": 1}
    d.arrive("c2", hotline="800")
    assert "c2" in d.held  # waits: a1 has the skill from the next idle moment
    d.agent_hangs_up("c1")
    assert d.center.agents["a1"].skills == {"service": 1}
    assert d.rung("c2") == "a1"
    assert_indexes_agree(d.center)


def test_reindexing_an_idle_agent_keeps_their_place_in_the_longest_idle_order():
    d = driver(("a1", "a2"), strategy="longestidle", login=False)
    d.login("a1")
    d.advance(10)
    d.login("a2")
    apply(d, (("a1", {"sales": 2, "service": 1}), "a2"), strategy="longestidle")
    d.arrive("c1", hotline="800")
    assert d.rung("c1") == "a1"
    assert list(d.center.idle["sales"]) == ["a2"]
    apply(d, (("a1", {"sales": 1}), ("a2", {"sales": 1, "service": 1})), strategy="longestidle")
    d.refuse("c1")  # a1 paused; c1 goes to a2 (service)
    assert d.rung("c1") == "a2"
    assert_indexes_agree(d.center)


# --- numbers, queues and policy -------------------------------------------------------------------


def test_new_numbers_route_at_once_and_removed_numbers_reject_new_calls_only():
    both = (("a1", {"sales": 1, "service": 1}), ("a2", {"sales": 1, "service": 1}))
    d = driver(both, strategy="linear")
    d.connect("c1", hotline="800")
    apply(d, both, strategy="linear", hotlines=(Hotline("400", "sales"), Hotline("500", "sales")))
    d.arrive("c2", hotline="500")
    assert d.rung("c2") == "a2"
    d.arrive("c3", hotline="800")
    assert terminal(d.log, "c3")[0].field("reason") == "unknown-number"
    d.agent_hangs_up("c1")
    assert terminal(d.log, "c1")[0].verb == Verb.COMPLETEAGENT


def test_waiting_calls_of_a_vanished_queue_keep_waiting_for_agents_with_the_skill_else_go_to_the_prompt():
    d = driver((("a1", {"sales": 1, "service": 1}), ("a2", {"service": 1})), ivr_after=None)
    d.connect("c1", hotline="400")
    d.connect("c2", hotline="800")
    d.arrive("c3", hotline="800")  # service waits
    d.arrive("c4", hotline="400")  # sales waits
    apply(d, (("a1", {"service": 1}), ("a2", {"service": 1})), ivr_after=None, hotlines=(Hotline("800", "service"),))
    assert terminal(d.log, "c4")[0].verb == Verb.EXITEMPTY
    assert "c4" in d.prompted
    assert terminal(d.log, "c3") == []
    d.agent_hangs_up("c2")
    assert d.rung("c3") is not None


def test_a_waiting_call_whose_overflow_plan_still_reaches_an_agent_keeps_waiting():
    plan = {"sales": (OverflowStep("backoffice", after_wait=30.0),)}
    d = driver((("a1", {"sales": 1}), ("b1", {"backoffice": 1})), ivr_after=None, overflow=plan)
    d.connect("c1")
    d.not_ready("b1")
    d.arrive("c2")
    apply(d, (("b1", {"backoffice": 1}),), ivr_after=None, overflow=plan)
    assert terminal(d.log, "c2") == []
    d.ready("b1")
    d.advance(30)
    assert d.rung("c2") == "b1"


def test_policy_changes_apply_to_new_decisions():
    d = driver(("a1",), wrapup=0.0)
    d.connect("c1")
    apply(d, ("a1",), wrapup=20.0)
    d.agent_hangs_up("c1")
    assert d.center.agents["a1"].state == "wrapup"
    assert d.center.tickets.ttl == Policy().callback_ttl


def test_overflow_steps_in_force_at_arrival_survive_a_policy_without_them():
    plan = {"sales": (OverflowStep("service", after_wait=10.0),)}
    d = driver((("a1", {"sales": 1}), ("s1", {"service": 1})), ivr_after=None, overflow=plan)
    d.connect("c1")
    d.arrive("c2")
    apply(d, (("a1", {"sales": 1}), ("s1", {"service": 1})), ivr_after=None)
    d.advance(10)
    assert d.rung("c2") == "s1"
    d.arrive("c3")
    d.advance(60)
    assert d.rung("c3") is None


def test_random_strategy_config_is_taken_by_a_core_with_a_random_source():
    center = CallCenter(make_config(("a1",)), rng=random.Random(1))
    d = Driver(center)
    d.send(ApplyConfig(d.now, dataclasses.replace(center.config, policy=Policy(strategy="random")), "r"))
    assert center.policy.strategy == "random"
