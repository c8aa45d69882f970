"""The live channel's repositories on SQLite and PostgreSQL: the command queue under concurrent claimers,
the event stream, and the published states."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from adapters.store.live_channel import SqlLiveCommands, SqlLiveEvents, SqlLiveStates
from app.live import AgentStatus, CommandRequest, QueueStatus

T0 = 1_800_000_000.0


def test_concurrent_claimers_take_every_command_exactly_once(engine):
    commands = SqlLiveCommands(engine)
    ids = [commands.submit(CommandRequest("sup", "ready", agent_id=f"agent{i:03d}"), T0, T0 + 60) for i in range(60)]

    def claimer(_):
        taken = []
        while batch := commands.claim(T0 + 1, limit=7):
            taken += [c.id for c in batch]
        return taken

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(claimer, range(6)))
    taken = [i for r in results for i in r]
    assert sorted(taken) == ids  # each once: no command lost, none twice
    assert all(commands.get(i).status == "claimed" for i in ids)


def test_a_command_round_trips_and_finishes_once(engine):
    commands = SqlLiveCommands(engine)
    request = CommandRequest("王芳", "pause", agent_id="agent001", payload={"reason": "午休"})
    command_id = commands.submit(request, T0, T0 + 5)
    command = commands.get(command_id)
    assert (command.actor, command.kind, command.payload, command.status) == (
        "王芳",
        "pause",
        {"reason": "午休"},
        "pending",
    )
    commands.claim(T0 + 1)
    commands.finish(command_id, "done", '{"state": "paused"}', T0 + 2)
    commands.finish(command_id, "rejected", '{"message": "late"}', T0 + 3)  # not claimed any more: no effect
    done = commands.get(command_id)
    assert (done.status, done.answer, done.done_at) == ("done", {"state": "paused"}, T0 + 2)
    assert commands.prune(T0 + 1) == 1 and commands.get(command_id) is None


def test_events_in_order_per_agent_from_a_seq_and_pruned(engine):
    events = SqlLiveEvents(engine)
    assert events.last_seq() == 0
    events.publish(
        [
            dict(
                at=T0 + i,
                kind="ringing",
                agent_id=f"agent00{i % 2}",
                call_id=f"c{i}",
                payload={"caller": "13800138000"},
            )
            for i in range(6)
        ]
    )
    everything = events.after(0)
    assert [e["call_id"] for e in everything] == [f"c{i}" for i in range(6)]
    assert [e["seq"] for e in everything] == sorted(e["seq"] for e in everything)
    mine = events.after(everything[1]["seq"], agent_id="agent001")
    assert [e["call_id"] for e in mine] == ["c3", "c5"] and mine[0]["payload"] == {"caller": "13800138000"}
    assert events.prune(T0 + 3) == 3
    assert [e["call_id"] for e in events.after(0)] == ["c3", "c4", "c5"]
    assert events.last_seq() == everything[-1]["seq"]


def test_published_states_are_replaced_not_added(engine):
    states = SqlLiveStates(engine)
    assert states.heartbeat() is None
    states.put_agents([AgentStatus("agent001", "ready", since=T0), AgentStatus("agent002", "out", since=T0)])
    states.put_agents([AgentStatus("agent001", "talking", "", "c1", "13800138000", T0 + 5)])
    assert [(a.agent_id, a.state, a.call_id) for a in states.agents()] == [
        ("agent001", "talking", "c1"),
        ("agent002", "out", ""),
    ]
    states.put_queues([QueueStatus("sales", 3, T0, T0 + 1)])
    states.put_queues([QueueStatus("sales", 0, None, T0 + 2)])
    assert states.queues() == [QueueStatus("sales", 0, None, T0 + 2)]
    states.beat(T0 + 1, T0)
    states.beat(T0 + 2, T0)
    assert states.heartbeat() == T0 + 2
