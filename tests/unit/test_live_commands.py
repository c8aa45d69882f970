"""The command channel's rules on SQLite: one claimer per command, nothing claimed after its deadline, a
command applied at most once across a driver restart; and the console's wait (app/live.py)."""

from __future__ import annotations

import asyncio
import json

import pytest

from adapters.asterisk.ari import AriSettings
from adapters.asterisk.commands import CommandPump
from adapters.asterisk.journal import encode
from adapters.asterisk.stasis import DriverOptions, LiveDriver, build_config
from adapters.store.live_channel import SqlLiveCommands, SqlLiveStates
from adapters.store.migrate import open_store
from app.live import CommandNotAnswered, CommandRejectedByCore, CommandRequest, LiveCenterDown, send_command
from core import messages as m

T0 = 1_800_000_000.0


@pytest.fixture
def engine(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'hotline.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def commands(engine):
    return SqlLiveCommands(engine)


def submit(commands, kind="ready", agent="agent001", at=T0, ttl=5.0, **payload) -> int:
    return commands.submit(CommandRequest("agent001", kind, agent_id=agent, payload=payload), at, at + ttl)


def test_a_command_has_one_claimer(commands):
    first = submit(commands)
    assert [c.id for c in commands.claim(T0 + 1)] == [first]
    assert commands.claim(T0 + 1) == []  # a second claimer (another driver, a retry) finds nothing
    assert commands.get(first).status == "claimed"


def test_nothing_is_claimed_after_its_deadline(commands):
    late = submit(commands, ttl=5.0)
    assert commands.claim(T0 + 5.0) == []
    assert commands.expire_stale(T0 + 5.0) == 1
    assert commands.get(late).status == "expired"
    assert not commands.withdraw(late, T0 + 6)  # already over: nothing changes


def test_withdraw_loses_to_a_claim_and_a_claim_to_withdraw(commands):
    taken, dropped = submit(commands), submit(commands)
    commands.claim(T0 + 1, limit=1)
    assert not commands.withdraw(taken, T0 + 2)
    assert commands.withdraw(dropped, T0 + 2)
    assert commands.claim(T0 + 2) == [] and commands.get(dropped).status == "expired"


# --- the pump, on a real driver object (no Asterisk needed: these commands ring no phone) ---------------


@pytest.fixture
def driver(tmp_path):
    def make():
        return LiveDriver(
            AriSettings(url="http://127.0.0.1:9"),
            build_config(("4008001000",), 2),
            DriverOptions(data_dir=tmp_path / "live", login=False),
            clock=lambda: T0 + 1,
        )

    return make


def run(coro):
    return asyncio.run(coro)


def test_the_pump_carries_out_agent_commands_through_the_core(driver, commands):
    live = driver()
    pump = CommandPump(live, commands, clock=lambda: T0 + 1)
    login, ready, pause, stray = (
        submit(commands, "log_in"),
        submit(commands, "ready"),
        submit(commands, "pause", reason="lunch"),
        submit(commands, "ready", agent="nobody"),
    )

    async def go():
        for command in commands.claim(T0 + 1):
            await pump.execute(command)

    run(go())
    assert commands.get(login).status == "done"
    assert commands.get(ready).answer["state"] == "ready"
    assert commands.get(pause).answer == {"agent_id": "agent001", "state": "paused", "reason": "lunch", "call_id": ""}
    refused = commands.get(stray)
    assert refused.status == "rejected" and refused.answer["message"] == "no agent nobody"
    assert [type(x) for x in live.journal.read()] == [m.LogIn, m.MakeReady, m.MakeNotReady, m.MakeReady]
    assert live.core.agents["agent001"].state == "paused"


def test_a_restart_settles_claimed_commands_without_applying_one_twice(driver, commands):
    live = driver()
    live.journal.append(m.LogIn(T0 + 0.5, "agent001"))  # the core had this one when the driver died
    applied = submit(commands, "log_in")
    lost = submit(commands, "ready", agent="agent002")  # started, but the crash came before the journal
    not_started = submit(commands, "log_in", agent="agent002")
    action = submit(commands, "hang_up", agent="")
    claimed = {c.id: c for c in commands.claim(T0 + 1)}
    commands.mark_started(applied, encode(m.LogIn(T0 + 0.5, "agent001")))
    commands.mark_started(lost, encode(m.MakeReady(T0 + 0.6, "agent002")))
    commands.mark_started(action, "action:hang_up")
    assert len(claimed) == 4
    live.journal.close()

    restarted = driver()  # replays the journal: agent001 is logged in
    CommandPump(restarted, commands, clock=lambda: T0 + 1).recover()
    assert commands.get(applied).status == "done"
    assert commands.get(action).status == "expired"  # Asterisk may have done it: never repeated
    assert commands.get(lost).status == "pending" and commands.get(not_started).status == "pending"
    assert [c.id for c in commands.claim(T0 + 1)] == [lost, not_started]
    assert restarted.core.agents["agent001"].state == "ready"
    assert sum(isinstance(x, m.LogIn) for x in restarted.journal.read()) == 1


# --- the console's wait ---------------------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def test_a_command_nobody_takes_is_withdrawn_and_never_applied(engine, commands):
    SqlLiveStates(engine).beat(T0, T0)
    fake = FakeTime()
    with pytest.raises(CommandNotAnswered) as caught:
        send_command(
            commands,
            SqlLiveStates(engine),
            CommandRequest("agent001", "ready", agent_id="agent001"),
            now=T0 + 1,
            wait=2.0,
            clock=fake.clock,
            sleep=fake.sleep,
        )
    assert caught.value.command.status == "expired" and "withdrawn" in str(caught.value)
    assert commands.claim(T0 + 1) == []  # still within the deadline by the driver's clock, but withdrawn
    assert fake.t >= 2.0


def test_no_command_is_sent_to_a_driver_that_is_not_running(engine, commands):
    states = SqlLiveStates(engine)
    request = CommandRequest("agent001", "ready", agent_id="agent001")
    with pytest.raises(LiveCenterDown, match="never"):
        send_command(commands, states, request, now=T0, wait=1, clock=lambda: 0, sleep=lambda s: None)
    states.beat(T0, T0)
    with pytest.raises(LiveCenterDown, match="60 s ago"):
        send_command(commands, states, request, now=T0 + 60, wait=1, clock=lambda: 0, sleep=lambda s: None)
    assert commands.claimed() == [] and commands.claim(T0) == []


def test_the_wait_ends_with_the_drivers_answer(engine, commands):
    states = SqlLiveStates(engine)
    states.beat(T0, T0)
    fake = FakeTime()

    def driver_answers(seconds: float) -> None:  # the driver takes it during the console's first sleep
        fake.sleep(seconds)
        for command in commands.claim(T0 + 1):
            commands.finish(command.id, "rejected", json.dumps({"message": "agent agent001 is not logged in"}), T0)

    with pytest.raises(CommandRejectedByCore, match="not logged in"):
        send_command(
            commands,
            states,
            CommandRequest("agent001", "ready", agent_id="agent001"),
            now=T0 + 1,
            wait=5,
            clock=fake.clock,
            sleep=driver_answers,
        )


# --- the publisher: what screens see, derived from the core (ARI refuses everything here: no Asterisk) ------


def test_the_publisher_derives_ringing_agent_and_queue_states(driver, engine):
    from adapters.asterisk.publisher import Publisher
    from adapters.store.live_channel import SqlLiveEvents

    live = driver()
    events, states = SqlLiveEvents(engine), SqlLiveStates(engine)
    publisher = Publisher(live, events, states)
    live.observers.append(publisher.observe)

    async def go():
        for message in (
            m.LogIn(T0 + 1, "agent001"),
            m.MakeNotReady(T0 + 2, "agent001", "lunch"),
            m.CallArrived(T0 + 3, "c1", "13800138000", "4008001000"),
            m.MakeReady(T0 + 4, "agent001"),
        ):
            live.handle(message)
        await live.lanes.idle()  # the originate (refused: no Asterisk) and what the core makes of it
        await publisher.flush()

    run(go())
    seen = [(e["kind"], e["agent_id"], e["call_id"], e["payload"]) for e in events.after(0)]
    assert seen[:4] == [
        ("agent_state", "agent001", "", {"state": "ready", "reason": "", "caller": ""}),
        ("agent_state", "agent001", "", {"state": "paused", "reason": "lunch", "caller": ""}),
        ("queue", "", "", {"queue": "sales", "waiting": 1, "oldest_since": T0 + 3}),
        ("ringing", "agent001", "c1", {"caller": "13800138000", "hotline": "4008001000", "queue": "sales"}),
    ]
    # the originate failed (no Asterisk): the ring counts as not answered, the agent is paused, the call waits
    assert ("agent_state", "agent001", "", {"state": "paused", "reason": "ringnoanswer", "caller": ""}) in seen
    assert [(a.agent_id, a.state) for a in states.agents()] == [("agent001", "paused")]
    assert [(q.queue, q.waiting) for q in states.queues()] == [("sales", 1)]
