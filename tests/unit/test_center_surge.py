"""Surge mode: the airing schedule switches each kind's SurgePolicy on and off through the core's own timers."""

from __future__ import annotations

import dataclasses

import numpy as np

from adapters.sim.arrivals import RateFunction
from adapters.sim.distributions import Fixed
from adapters.sim.model import AgentShift, CallBehaviour, CallCenterModel, SimSetup
from core.center import CallCenter
from core.config import Airing, OverflowStep, Policy, SurgePolicy
from core.log import Verb
from core.messages import ApplyConfig, Start
from core.surge import SurgeWindow, policy_during, surge_windows
from tests.unit.fakes import T0, Driver, make_config, records, terminal

WINDOW = 600.0  # response window of the base policy in these tests
LIVE = SurgePolicy(ivr_after=5.0, callback_reserve=4, overflow={"sales": (OverflowStep("backoffice", after_wait=0.0),)})


def airing(airing_id: str, start: float, length: float = 300.0, kind: str = "live") -> Airing:
    return Airing(airing_id, "CCTV", T0 + start, length, "400", kind=kind)


def surge_driver(airings, surge=None, *, start=True, agents=("a1",), login=False, **kw) -> Driver:
    config = make_config(
        agents,
        airings=tuple(airings),
        surge={"live": LIVE} if surge is None else surge,
        response_window=WINDOW,
        ivr_after=60.0,
        callback_reserve=1,
        **kw,
    )
    d = Driver(CallCenter(config))
    if start:
        d.send(Start(d.now))
    if login:
        d.login(*[a if isinstance(a, str) else a[0] for a in agents])
    return d


def switches(d: Driver) -> list[tuple[float, str, str]]:
    return [(r.time - T0, r.verb, r.field("airing")) for r in d.log if r.verb in (Verb.SURGE_ON, Verb.SURGE_OFF)]


# --- the pure rules -------------------------------------------------------------------------------


def test_policy_during_overlays_non_none_values_later_start_winning_and_merges_overflow_by_queue():
    base = Policy(ivr_after=60.0, callback_reserve=2, overflow={"service": (OverflowStep("sales", 30.0),)})
    surge = {"live": LIVE, "sale": SurgePolicy(callback_reserve=8)}
    early, late = SurgeWindow("x", "live", 0.0, 10.0), SurgeWindow("y", "sale", 5.0, 10.0)
    assert policy_during(base, surge, []) is base
    both = policy_during(base, surge, [late, early])
    assert (both.ivr_after, both.callback_reserve) == (5.0, 8)
    assert set(both.overflow) == {"service", "sales"}
    assert policy_during(base, surge, [early]).callback_reserve == 4


def test_surge_windows_cover_start_to_start_plus_length_plus_the_response_window_for_kinds_with_a_policy():
    config = make_config(
        airings=(airing("x", 100.0), airing("s", 0.0, kind="spot")), surge={"live": LIVE}, response_window=WINDOW
    )
    assert surge_windows(config) == {"x": SurgeWindow("x", "live", T0 + 100.0, T0 + 100.0 + 300.0 + WINDOW)}


# --- switching ------------------------------------------------------------------------------------


def test_surge_switches_on_at_the_start_and_off_after_the_response_window_each_switch_logged():
    d = surge_driver([airing("x", 100.0)])
    assert d.center.policy.ivr_after == 60.0
    d.advance(100)
    assert switches(d) == [(100.0, Verb.SURGE_ON, "x")]
    assert records(d.log, Verb.SURGE_ON)[0].field("kind") == "live"
    assert (d.center.policy.ivr_after, d.center.policy.callback_reserve) == (5.0, 4)
    d.advance(300 + WINDOW)
    assert switches(d)[-1] == (100.0 + 300 + WINDOW, Verb.SURGE_OFF, "x")
    assert d.center.policy == d.center.config.policy


def test_overlapping_airings_keep_surge_on_while_any_is_in_its_window():
    d = surge_driver([airing("x", 0.0, 100.0), airing("y", 200.0, 1000.0)], surge={"live": SurgePolicy(ivr_after=5.0)})
    d.run_until(T0 + 300)
    assert d.center.policy.ivr_after == 5.0
    d.run_until(T0 + 100 + WINDOW + 1)  # x is over, y still airs
    assert switches(d)[-1] == (100.0 + WINDOW, Verb.SURGE_OFF, "x")
    assert d.center.policy.ivr_after == 5.0
    d.run_until(T0 + 200 + 1000 + WINDOW)
    assert d.center.policy.ivr_after == 60.0


def test_a_surge_policy_applies_to_calls_arriving_during_the_surge():
    d = surge_driver([airing("x", 100.0)], login=True)
    d.connect("c1")
    d.advance(90)
    d.arrive("c2")  # before the surge: prompt after 60 s
    d.advance(10)
    d.arrive("c3")  # during: prompt after 5 s
    d.advance(5)
    assert terminal(d.log, "c3")[0].verb == Verb.EXITWITHTIMEOUT
    assert terminal(d.log, "c2") == []


def test_surge_overflow_sends_calls_to_back_office_staff():
    d = surge_driver([airing("x", 0.0)], agents=("a1", ("b1", {"backoffice": 1})))
    d.login("a1", "b1")
    d.connect("c1")
    d.arrive("c2")
    d.advance(0)  # the overflow step's timer (after 0 s)
    assert d.rung("c2") == "b1"
    assert records(d.log, Verb.OVERFLOW)[0].queue == "backoffice"


def test_starting_inside_a_window_switches_on_at_once_and_a_second_start_does_nothing():
    d = surge_driver([airing("x", -100.0)], start=False)
    d.send(Start(d.now))
    assert switches(d) == [(0.0, Verb.SURGE_ON, "x")]
    actions = d.send(Start(d.now))
    assert actions == [] and len(switches(d)) == 1


def test_without_start_there_is_no_surge_and_airings_of_kinds_without_a_policy_never_surge():
    d = surge_driver([airing("x", 0.0)], start=False)
    d.advance(2000)
    assert switches(d) == [] and d.pending_timer_kinds() == []
    d = surge_driver([airing("s", 0.0, kind="spot")])
    d.advance(2000)
    assert switches(d) == []


def test_a_new_schedule_rearms_the_timers_and_switches_off_what_left_it():
    d = surge_driver([airing("x", 0.0), airing("y", 5000.0)])
    assert switches(d) == [(0.0, Verb.SURGE_ON, "x")]
    config = dataclasses.replace(d.center.config, airings=(airing("z", 3000.0),))
    d.send(ApplyConfig(d.now, config, "new schedule"))
    assert switches(d)[-1] == (0.0, Verb.SURGE_OFF, "x")
    d.run_until(T0 + 10_000)
    assert switches(d)[1:] == [
        (0.0, Verb.SURGE_OFF, "x"),
        (3000.0, Verb.SURGE_ON, "z"),
        (3000.0 + 300 + WINDOW, Verb.SURGE_OFF, "z"),
    ]


def test_a_larger_callback_reserve_in_surge_holds_callbacks_back_until_it_ends():
    d = surge_driver(
        [airing("x", 100.0, 0.0)], agents=("a1", "a2", "a3"), surge={"live": SurgePolicy(callback_reserve=3)}
    )
    d.login("a1", "a2", "a3")
    d.not_ready("a2")
    d.not_ready("a3")
    d.connect("c1")
    d.arrive("c2")
    d.caller_hangs_up("c2")  # abandoned: a ticket
    d.advance(100)
    d.ready("a2")
    d.ready("a3")
    assert not d.dialing  # 2 free agents, reserve 3 while the surge lasts
    d.advance(WINDOW)
    assert len(d.dialing) == 1


def test_the_twin_switches_surge_mode_from_the_schedule_by_sending_start_once():
    epoch = T0
    config = make_config(
        ("a1",),
        airings=(airing("x", 600.0, 600.0),),
        surge={"live": SurgePolicy(ivr_after=5.0)},
        response_window=600.0,
        ivr_after=120.0,
    )
    center = CallCenter(config)
    setup = SimSetup(
        epoch=epoch,
        demand={"400": RateFunction(60.0, np.full(40, 0.2))},
        behaviour=CallBehaviour(patience=Fixed(1000.0), handle=Fixed(300.0)),
        shifts=(AgentShift("a1", 0.0, 2400.0),),
        work_callbacks=False,
    )
    CallCenterModel(center, setup, np.random.SeedSequence(3)).run()
    assert switches(Driver(center)) == [(600.0, Verb.SURGE_ON, "x"), (1800.0, Verb.SURGE_OFF, "x")]
    waits = {r.call_id: r.field("waittime") for r in center.log if r.verb == Verb.EXITWITHTIMEOUT}
    arrived = {r.call_id: r.time - epoch for r in center.log if r.verb == Verb.ENTERQUEUE}
    assert {waits[c] for c in waits if 600 <= arrived[c] < 1800} == {5.0}
    assert {waits[c] for c in waits if arrived[c] < 600 or arrived[c] >= 1800} == {120.0}


def test_an_airing_whose_kind_changes_while_it_surges_switches_off_and_on_again():
    d = surge_driver([airing("x", 0.0)], surge={"live": LIVE, "sale": SurgePolicy(ivr_after=30.0)})
    config = dataclasses.replace(d.center.config, airings=(airing("x", 0.0, kind="sale"),))
    d.send(ApplyConfig(d.now, config, "x is a sale"))
    assert [(verb, r.field("kind")) for r in d.log for verb in [r.verb] if verb in (Verb.SURGE_ON, Verb.SURGE_OFF)] == [
        (Verb.SURGE_ON, "live"),
        (Verb.SURGE_OFF, "live"),
        (Verb.SURGE_ON, "sale"),
    ]
    assert d.center.policy.ivr_after == 30.0
