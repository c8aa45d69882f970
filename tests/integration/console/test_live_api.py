"""The console's side of the live channel on SQLite and PostgreSQL, with a stand-in for the driver that
answers from the store (the real driver is in tests/integration/asterisk/test_live_channel.py): who may
send what, and what each of the driver's answers -- or its silence -- becomes over HTTP; the event stream's
authentication, filtering and masking."""

from __future__ import annotations

import json
import threading
import time

import pytest
from starlette.websockets import WebSocketDisconnect

from adapters.store.customers import SqlCustomers
from adapters.store.ids import SqlIds
from adapters.store.live_channel import SqlLiveCommands, SqlLiveEvents, SqlLiveStates
from app.live import AgentStatus
from core.customers import register_customer


@pytest.fixture
def live(app, clock, engine):
    """The app with a short command wait and a live driver that has just said it is running."""
    app.state.settings = app.state.settings.model_copy(update={"command_wait": 0.3})
    SqlLiveStates(engine).beat(clock.now, clock.now)
    return SqlLiveCommands(engine)


def answer_next(commands: SqlLiveCommands, clock, status: str, result: dict, finish: bool = True) -> threading.Thread:
    """A thread playing the driver: claims the next command and answers it (or only claims it)."""

    def run():
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for command in commands.claim(clock.now):
                if finish:
                    commands.finish(command.id, status, json.dumps(result), clock.now)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_an_agent_command_answered_by_the_driver(client, auth, live, clock):
    thread = answer_next(live, clock, "done", {"agent_id": "agent", "state": "paused", "reason": "lunch"})
    response = client.post("/api/agents/agent/pause", headers=auth["agent"], json={"reason": "lunch"})
    thread.join()
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["kind"], body["actor"], body["result"]["state"]) == (
        "done",
        "pause",
        "agent",
        "paused",
    )
    sent = live.get(body["id"])
    assert sent.payload == {"reason": "lunch"} and sent.agent_id == "agent"
    assert client.get(f"/api/live/commands/{body['id']}", headers=auth["agent"]).json()["status"] == "done"
    assert client.get(f"/api/live/commands/{body['id']}", headers=auth["agent2"]).status_code == 404  # not theirs


def test_the_cores_refusal_is_a_409_with_its_reason(client, auth, live, clock):
    thread = answer_next(live, clock, "rejected", {"message": "agent agent is not logged in"})
    response = client.post("/api/agents/agent/ready", headers=auth["agent"])
    thread.join()
    assert response.status_code == 409 and response.json()["detail"] == "agent agent is not logged in"


def test_an_agent_acts_on_itself_and_a_supervisor_on_anyone(client, auth, live, clock):
    assert client.post("/api/agents/agent2/ready", headers=auth["agent"]).status_code == 403
    assert client.post("/api/supervision/calls/c1/hang-up", headers=auth["agent"]).status_code == 403
    assert client.post("/api/supervision/calls/c1/hold", headers=auth["agent"]).status_code == 403  # not its call
    thread = answer_next(live, clock, "done", {"agent_id": "agent2", "state": "out"})
    assert client.post("/api/agents/agent2/logout", headers=auth["sup"]).status_code == 200
    thread.join()


def test_silence_withdraws_the_command_and_a_slow_driver_gets_202(client, auth, live, clock):
    response = client.post("/api/agents/agent/ready", headers=auth["agent"])
    assert response.status_code == 503 and "withdrawn" in response.json()["detail"]
    assert live.get(response.json()["command"]).status == "expired"
    assert live.claim(clock.now) == []  # never applied later
    thread = answer_next(live, clock, "", {}, finish=False)
    slow = client.post("/api/agents/agent/ready", headers=auth["agent"])
    thread.join()
    assert slow.status_code == 202 and slow.json()["status"] == "claimed"


def test_no_command_without_a_running_driver(client, auth, engine, clock):
    response = client.post("/api/agents/agent/ready", headers=auth["agent"])
    assert response.status_code == 409 and "not running" in response.json()["detail"]
    assert SqlLiveCommands(engine).claim(clock.now) == []


@pytest.mark.parametrize("body", [{"reason": ""}, {"reason": "x" * 65}, {"reason": "a\x00b"}])
def test_bad_input_names_the_field(client, auth, live, body):
    response = client.post("/api/agents/agent/pause", headers=auth["agent"], json=body)
    assert response.status_code == 422 and "reason" in response.text


def test_agents_see_their_own_state_supervisors_everyones(client, auth, engine, clock):
    SqlLiveStates(engine).put_agents(
        [
            AgentStatus("agent", "talking", "", "c1", "13800138000", clock.now),
            AgentStatus("agent2", "ready", since=clock.now),
        ]
    )
    mine = client.get("/api/agents", headers=auth["agent"]).json()
    assert [(a["agent_id"], a["caller"]) for a in mine] == [("agent", "138****8000")]
    assert [a["agent_id"] for a in client.get("/api/agents", headers=auth["sup"]).json()] == ["agent", "agent2"]


def test_the_stream_gives_an_agent_its_own_events_masked_with_the_customers(client, auth, engine, clock):
    register_customer(SqlCustomers(engine), SqlIds(engine), name="李娜", phones=["13800138000"], now=clock.now)
    SqlLiveEvents(engine).publish(
        [
            dict(at=clock.now, kind="ringing", agent_id="agent2", call_id="c0", payload={"caller": "13900000000"}),
            dict(at=clock.now, kind="queue", payload={"queue": "sales", "waiting": 1, "oldest_since": clock.now}),
            dict(at=clock.now, kind="ringing", agent_id="agent", call_id="c1", payload={"caller": "13800138000"}),
        ]
    )
    token = auth["agent"]["Authorization"].split()[1]
    with client.websocket_connect(f"/api/stream?token={token}&after=0") as ws:
        event = ws.receive_json()
    assert (event["kind"], event["call_id"], event["payload"]["caller"]) == ("ringing", "c1", "138****8000")
    assert [c["name"] for c in event["payload"]["customers"]] == ["李娜"]
    sup = auth["sup"]["Authorization"].split()[1]
    with client.websocket_connect(f"/api/stream?token={sup}&after=0") as ws:
        seen = [ws.receive_json() for _ in range(3)]
    assert [e["kind"] for e in seen] == ["ringing", "queue", "ringing"] and seen[0]["payload"][
        "caller"
    ] == "13900000000"
    with client.websocket_connect(f"/api/stream?token={sup}&after={seen[1]['seq']}") as ws:
        assert ws.receive_json()["seq"] == seen[2]["seq"]  # resumed after the last seen


def test_the_stream_refuses_a_bad_token(client):
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect("/api/stream?token=nope") as ws:
            ws.receive_json()
    assert closed.value.code == 4401
