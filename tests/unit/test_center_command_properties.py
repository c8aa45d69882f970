"""Properties under commands from people and configuration changes, on top of the random timelines of
test_center_properties: supervisors forcing states, agents ending wrap-up early and hot-desking, new site
configurations applied mid-run, surge mode switched by the airing schedule.

Besides the invariants checked there (every call ends once, no agent holds two calls, ...):
* the core's indexes agree with its agents after every message (idle lists, idle count, logged-in counts);
* nobody removed from the configuration is rung; each ring and callback goes to the phone the agent logged
  in at; no phone has two agents;
* surge switches alternate per airing;
* replaying the journal lines of everything the core was sent rebuilds the same log (determinism).
"""

from __future__ import annotations

import dataclasses
import random

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.asterisk.journal import decode, encode
from core.center import CallCenter, CommandRejected
from core.config import AgentProfile, Airing, CenterConfig, OverflowStep, SurgePolicy
from core.log import Verb
from core.messages import ApplyConfig, DialCallback, EndWrapUp, LogIn, LogOut, MakeNotReady, MakeReady, RingAgent, Start
from tests.unit.fakes import T0, assert_indexes_agree
from tests.unit.test_center_properties import HOTLINES, build_driver, check_the_end, policies, skills, timelines

AGENT_POOL = tuple(f"a{i}" for i in range(6))  # the timelines use a0..a4; a5 can only come with a new config
PEOPLE_OPS = ("endwrapup", "endwrapup", "login_ext", "force_ready", "force_notready", "force_logout", "apply", "apply")


@st.composite
def other_configs(draw, base: CenterConfig):
    ids = draw(st.lists(st.sampled_from(AGENT_POOL), min_size=0, max_size=6, unique=True))
    profiles = tuple(AgentProfile(a, draw(skills())) for a in ids)
    hotlines = tuple(draw(st.lists(st.sampled_from(HOTLINES), min_size=0, max_size=4, unique_by=lambda h: h.number)))
    return dataclasses.replace(
        base, agents=profiles, hotlines=hotlines, policy=draw(policies(len(ids))), airings=draw(airings()), owners={}
    )


@st.composite
def airings(draw):
    found = []
    for i in range(draw(st.integers(0, 4))):
        found.append(
            Airing(
                f"air{i}",
                "CCTV",
                T0 + draw(st.floats(-600, 1500, allow_nan=False)),
                draw(st.sampled_from([0.0, 60.0, 600.0])),
                "400",
                kind=draw(st.sampled_from(["live", "spot", "sale"])),
            )
        )
    return tuple(found)


SURGE = {
    "live": SurgePolicy(
        ivr_after=10.0, callback_reserve=3, overflow={"sales": (OverflowStep("backoffice", after_wait=0.0),)}
    ),
    "sale": SurgePolicy(callback_reserve=0, overflow={"service": (OverflowStep("sales", queue_length=1),)}),
}


@st.composite
def people_timelines(draw):
    config, calls, ops, first_in, seed, honor_cancel = draw(timelines())
    config = dataclasses.replace(
        config,
        airings=draw(airings()),
        surge=SURGE,
        policy=dataclasses.replace(config.policy, response_window=draw(st.sampled_from([0.0, 120.0, 900.0]))),
    )
    people = draw(
        st.lists(
            st.tuples(
                st.floats(0, 1500, allow_nan=False),
                st.sampled_from(AGENT_POOL),
                st.sampled_from(PEOPLE_OPS),
                st.sampled_from(["", "2001", "2002", "a0"]),
            ),
            max_size=20,
        )
    )
    configs = [draw(other_configs(config)) for _ in range(draw(st.integers(1, 3)))]
    started = draw(st.sampled_from([True, True, False]))
    return (config, calls, ops, first_in, seed, honor_cancel), people, configs, started


class Journal(list):
    """Every message the core is handed, as the live driver's journal lines."""

    def wrap(self, center: CallCenter) -> None:
        handle = center.handle

        def journalled(message):
            self.append(encode(message))
            return handle(message)

        center.handle = journalled


def check_people_invariants(d, phone_of: dict[str, str], surging: set[str]) -> None:
    center = d.center
    assert_indexes_agree(center)
    for agent_id in d.ringing:
        assert not center.agents[agent_id].retired, f"{agent_id} rung after leaving the configuration"
    for record in d.log[d.checked_records :]:
        if record.verb == Verb.AGENTLOGIN:
            phone = record.field("extension") or record.agent
            assert phone not in {p or a for a, p in phone_of.items()}, f"two agents at phone {phone}"
            phone_of[record.agent] = d.last_phone[record.agent] = record.field("extension")
        elif record.verb == Verb.AGENTLOGOFF:
            del phone_of[record.agent]
        elif record.verb == Verb.SURGE_ON:
            assert record.field("airing") not in surging
            surging.add(record.field("airing"))
        elif record.verb == Verb.SURGE_OFF:
            surging.remove(record.field("airing"))
    d.checked_records = len(d.log)
    for action in d.actions[d.checked_actions :]:
        if isinstance(action, (RingAgent, DialCallback)):
            assert action.extension == d.last_phone[action.agent_id], f"{action} not at the agent's phone"
    d.checked_actions = len(d.actions)


def people_message(d, agent: str, op: str, extension: str, configs: list):
    if op == "endwrapup":
        return EndWrapUp(d.now, agent)
    if op == "login_ext":
        return LogIn(d.now, agent, extension)
    if op == "force_ready":
        return MakeReady(d.now, agent)
    if op == "force_notready":
        return MakeNotReady(d.now, agent, "supervisor")
    if op == "force_logout":
        return LogOut(d.now, agent)
    return ApplyConfig(d.now, configs.pop(0), f"v{len(configs)}") if configs else None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people_timelines())
def test_commands_from_people_and_new_configs_keep_every_invariant(timeline):
    base, people, configs, started = timeline
    d, inv = build_driver(*base)
    journal = Journal(encode(LogIn(T0, agent)) for agent in base[3])  # the logins build_driver sent
    journal.wrap(d.center)
    d.checked_actions = d.checked_records = 0
    d.last_phone = {}
    phone_of: dict[str, str] = {}
    surging: set[str] = set()

    def check(d, msg, actions):
        inv(d, msg, actions)
        check_people_invariants(d, phone_of, surging)

    check_people_invariants(d, phone_of, surging)  # the logins build_driver sent already
    d.check = check
    if started:
        d.send(Start(d.now))
    configs = list(configs)
    for at, agent, op, extension in people:

        def act(d, agent=agent, op=op, extension=extension):
            message = people_message(d, agent, op, extension, configs)
            if message is not None:
                d.try_send(message)  # a rejected command changes nothing (the driver checks the log)

        d.schedule(T0 + at, act)
    d.run()
    check_the_end(d, inv)
    for verb in (Verb.CONFIG_APPLIED, Verb.SURGE_ON, Verb.WRAPUPEND, Verb.EXITEMPTY):
        event(f"{verb} logged: {any(r.verb == verb for r in d.log)}")

    replayed = CallCenter(base[0], rng=random.Random(base[4] ^ 0x5EED))
    for line in journal:
        try:
            replayed.handle(decode(line))
        except CommandRejected:
            pass
    assert replayed.log == d.log
