"""The console and the live driver as one call center, on a real Asterisk with SIPp phones: the console app
(FastAPI's TestClient, real clock) and an in-process live driver share one SQLite file, as `hotline serve`
and `hotline live run` do. An agent logs in, pauses and goes ready through the API and gets the next call;
its screen's WebSocket shows ringing then connected (number masked, customer matched); a supervisor listens
in and forces the hang-up through the API, and the caller's SIPp sees the BYE."""

from __future__ import annotations

import queue
import threading
import time

import pytest
from fastapi.testclient import TestClient

from adapters.asterisk.stasis import build_config
from adapters.store.customers import SqlCustomers
from adapters.store.ids import SqlIds
from adapters.store.migrate import open_store
from adapters.store.settings import StoreSettings
from console.accounts import SqlAccounts
from console.app import create_app
from console.settings import ConsoleSettings
from core.customers import register_customer
from core.messages import MakeNotReady
from devtools.harness import InProcessDriver, ari_client, clear_asterisk
from tests.helpers import wait_until
from tests.integration.asterisk.live_checks import dial, phone

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]
CALLER = "13900000101"
PASSWORD = "correct horse battery"


class StreamReader:
    """The browser's side of /api/stream, read by a thread into a queue."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.session = client.websocket_connect(f"/api/stream?token={token}").__enter__()
        self.events: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while True:
                self.events.put(self.session.receive_json())
        except Exception:  # closed
            pass

    def next_of(self, kinds: tuple[str, ...], timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
            if event["kind"] in kinds:
                return event

    def close(self) -> None:
        self.session.__exit__(None, None, None)


def start_phones(cfg, workdir, answer_delay_ms: int) -> tuple:
    """agent001's phone (talks until hung up on), and agent004's, which is no routing agent here: the
    supervisor's phone, or the back office's."""
    return (
        phone(cfg, workdir, "agent001", answer_delay_ms=answer_delay_ms, talk_ms=60_000),
        phone(cfg, workdir, "agent004", answer_delay_ms=200, talk_ms=0),
    )


@pytest.fixture
def center(asterisk_config, tmp_path):
    """(driver, console client, bearer tokens by user, their Authorization headers) over one SQLite file."""
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    driver_store, console_store = open_store(url), open_store(url)
    clear_asterisk(asterisk_config)
    driver = InProcessDriver(
        asterisk_config,
        tmp_path / "live",
        build_config(asterisk_config.numbers, 1, ivr_after=None),
        login=False,
        store=driver_store,
    )
    accounts = SqlAccounts(console_store)
    for name, role in (("agent001", "agent"), ("sup", "supervisor")):
        accounts.create_user(name, PASSWORD, role, time.time())
    register_customer(SqlCustomers(console_store), SqlIds(console_store), name="张伟", phones=[CALLER], now=time.time())
    app = create_app(ConsoleSettings(store=StoreSettings(database_url=url)), engine=console_store)
    try:
        with TestClient(app) as client:
            tokens = {
                name: client.post("/api/login", json={"username": name, "password": PASSWORD}).json()["access_token"]
                for name in ("agent001", "sup")
            }
            yield driver, client, tokens, {name: {"Authorization": f"Bearer {t}"} for name, t in tokens.items()}
    finally:
        driver.stop()
        clear_asterisk(asterisk_config)
        driver_store.dispose()
        console_store.dispose()


def test_an_agent_made_ready_through_the_api_gets_the_call_and_a_supervisor_ends_it(
    center, asterisk_config, sipp_workdir
):
    driver, client, tokens, auth = center
    cfg = asterisk_config
    agent_auth, sup_auth = auth["agent001"], auth["sup"]
    phone, sup_phone = start_phones(cfg, sipp_workdir, answer_delay_ms=300)
    stream = None
    try:
        # the driver's published state reaches the API: agent001 is out (not logged in)
        states = wait_until(lambda: client.get("/api/agents", headers=agent_auth).json(), what="published agents")
        assert [(s["agent_id"], s["state"]) for s in states] == [("agent001", "out")]
        assert client.post("/api/agents/agent002/ready", headers=agent_auth).status_code == 403  # only itself
        refused = client.post("/api/agents/agent001/ready", headers=agent_auth)
        assert refused.status_code == 409 and "not logged in" in refused.json()["detail"]  # the core's reason

        stream = StreamReader(client, tokens["agent001"])
        login = client.post("/api/agents/agent001/login", headers=agent_auth, json={"extension": "agent001"})
        assert login.status_code == 200, login.text
        assert login.json()["result"]["state"] == "ready"
        paused = client.post("/api/agents/agent001/pause", headers=agent_auth, json={"reason": "meeting"})
        assert paused.json()["result"] == {
            "agent_id": "agent001",
            "state": "paused",
            "reason": "meeting",
            "call_id": "",
        }

        caller = dial(cfg, sipp_workdir, CALLER, hold_ms=60_000)
        wait_until(lambda: any(r.verb == "ENTERQUEUE" for r in driver.records()), what="ENTERQUEUE")
        assert not any(r.verb == "CONNECT" for r in driver.records())  # paused: the call waits
        queues = wait_until(
            lambda: [q for q in client.get("/api/supervision/queues", headers=sup_auth).json() if q["waiting"]],
            what="a waiting caller published",
        )
        assert queues[0]["queue"] == "sales" and queues[0]["waiting"] == 1

        ready = client.post("/api/agents/agent001/ready", headers=agent_auth)
        assert ready.status_code == 200 and ready.json()["result"]["state"] == "ringing"  # rung at once
        ringing = stream.next_of(("ringing",))
        connected = stream.next_of(("connected",))
        call_id = ringing["call_id"]
        assert connected["call_id"] == call_id and ringing["agent_id"] == connected["agent_id"] == "agent001"
        assert ringing["payload"]["caller"] == "139****0101"  # masked for an agent
        assert [c["name"] for c in ringing["payload"]["customers"]] == ["张伟"]
        assert connected["seq"] > ringing["seq"]

        talking = wait_until(
            lambda: [a for a in client.get("/api/agents", headers=sup_auth).json() if a["state"] == "talking"],
            what="talking published",
        )
        assert talking[0]["call_id"] == call_id and talking[0]["caller"] == CALLER  # a supervisor sees it all

        listen = client.post(
            f"/api/supervision/calls/{call_id}/listen",
            headers=sup_auth,
            json={"endpoint": "PJSIP/agent004", "mode": "listen"},
        )
        assert listen.status_code == 200, listen.text
        leg = listen.json()["result"]["leg"]
        with ari_client(cfg) as ari:
            bridge = wait_until(
                lambda: [
                    b for b in ari.get("/bridges").json() if b["id"].startswith("listen-") and len(b["channels"]) == 2
                ],
                what="listen bridge with the supervisor",
            )
            assert leg in bridge[0]["channels"]
        assert client.post(f"/api/supervision/calls/{call_id}/hang-up", headers=agent_auth).status_code == 403

        hang_up = client.post(f"/api/supervision/calls/{call_id}/hang-up", headers=sup_auth)
        assert hang_up.status_code == 200, hang_up.text
        result = caller.wait(timeout=20)
        wait_until(lambda: any(r.verb == "COMPLETEAGENT" for r in driver.records()), what="COMPLETEAGENT")
        again = client.post(f"/api/supervision/calls/{call_id}/hang-up", headers=sup_auth)
        assert again.status_code == 409 and "no conversation" in again.json()["detail"]
        back = stream.next_of(("agent_state",))
        while back["payload"]["state"] != "ready":
            back = stream.next_of(("agent_state",))
    finally:
        if stream is not None:
            stream.close()
        phone_result, sup_result = phone.stop(), sup_phone.stop()
    assert result.outcomes == {"remote_bye": 1}, result.summary()  # the caller got Asterisk's BYE
    assert phone_result.outcomes == {"remote_bye": 1}, phone_result.summary()
    assert sup_result.outcomes == {"remote_bye": 1}, sup_result.summary()  # dropped with the call
    verbs = [r.verb for r in driver.records()]
    assert verbs[:4] == ["AGENTLOGIN", "PAUSE", "ENTERQUEUE", "UNPAUSE"] and "COMPLETEAGENT" in verbs


def test_the_agent_holds_resumes_and_hands_the_caller_over_after_consulting(center, asterisk_config, sipp_workdir):
    driver, client, _, auth = center
    cfg = asterisk_config
    agent_auth = auth["agent001"]
    phone, back_office = start_phones(cfg, sipp_workdir, answer_delay_ms=200)  # consulted, then given the caller
    caller = None
    try:
        wait_until(lambda: client.get("/api/agents", headers=agent_auth).json(), what="published agents")
        assert client.post("/api/agents/agent001/login", headers=agent_auth).status_code == 200
        caller = dial(cfg, sipp_workdir, CALLER, hold_ms=60_000)
        call_id = wait_until(
            lambda: next((r.call_id for r in driver.records() if r.verb == "CONNECT"), None), what="CONNECT"
        )
        wait_until(
            lambda: [a for a in client.get("/api/agents", headers=agent_auth).json() if a["call_id"] == call_id],
            what="the agent's call published",
        )  # the agent may hold its own call
        base = f"/api/supervision/calls/{call_id}"
        with ari_client(cfg) as ari:

            def members(bridge: str) -> set[str]:
                found = ari.get(f"/bridges/{bridge}")
                return set(found.json()["channels"]) if found.status_code == 200 else set()

            agent_leg = next(leg.channel for leg in driver.driver.agent_legs.values() if leg.call_id == call_id)
            assert client.post(f"{base}/hold", headers=agent_auth).status_code == 200
            held = driver.driver.callers[call_id].hold_bridge
            assert members(held) == {call_id} and members(f"talk-{call_id}") == {agent_leg}
            assert client.post(f"{base}/hold", headers=agent_auth).status_code == 409  # already held
            assert client.post(f"{base}/resume", headers=agent_auth).status_code == 200
            assert members(f"talk-{call_id}") == {call_id, agent_leg}
            wait_until(lambda: members(held) == set(), what="the holding bridge gone")

            consult = {"endpoint": "PJSIP/agent004", "extension": "004"}
            first = client.post(f"{base}/consult", headers=agent_auth, json=consult)
            assert first.status_code == 200, first.text
            wait_until(
                lambda: members(f"talk-{call_id}") == {agent_leg, first.json()["result"]["leg"]},
                what="the agent talking with the consulted phone",
            )
            assert members(driver.driver.callers[call_id].hold_bridge) == {call_id}
            assert client.post(f"{base}/cancel-transfer", headers=agent_auth).status_code == 200
            wait_until(lambda: members(f"talk-{call_id}") == {call_id, agent_leg}, what="the caller back")

            second = client.post(f"{base}/consult", headers=agent_auth, json=consult)
            assert second.status_code == 200, second.text
            wait_until(lambda: second.json()["result"]["leg"] in members(f"talk-{call_id}"), what="consulting again")
            done = client.post(f"{base}/complete-transfer", headers=agent_auth)
            assert done.status_code == 200, done.text
            wait_until(
                lambda: any(
                    c["name"].startswith("PJSIP/agent004") and c["id"] != second.json()["result"]["leg"]
                    for c in ari.get("/channels").json()
                ),
                what="the caller dialling extension 004",
            )
        transfer = next(r for r in driver.records() if r.verb == "TRANSFER")
        assert (transfer.call_id, transfer.agent, transfer.field("extension")) == (call_id, "agent001", "004")
        state = wait_until(
            lambda: [a for a in client.get("/api/agents", headers=agent_auth).json() if a["state"] == "ready"],
            what="the agent free again",
        )
        assert state[0]["call_id"] == ""
    finally:
        for process in (caller, phone, back_office):
            if process is not None:
                process.stop()


def test_a_command_sent_while_the_driver_restarts_is_carried_out_once_it_is_back(center, asterisk_config):
    driver, client, _, auth = center
    agent_auth = auth["agent001"]
    client.app.state.settings = client.app.state.settings.model_copy(update={"command_wait": 20.0})
    wait_until(lambda: client.get("/api/agents", headers=agent_auth).json(), what="published agents")
    assert client.post("/api/agents/agent001/login", headers=agent_auth).status_code == 200
    driver.stop()  # the heartbeat is still fresh: the console sends, the command waits in the store
    answers: list = []
    sender = threading.Thread(
        target=lambda: answers.append(
            client.post("/api/agents/agent001/pause", headers=agent_auth, json={"reason": "coaching"})
        )
    )
    sender.start()

    def pending() -> int:
        with client.app.state.engine.connect() as connection:
            return connection.exec_driver_sql("SELECT count(*) FROM live_command WHERE status = 'pending'").scalar()

    wait_until(pending, what="a pending command")
    back = InProcessDriver(asterisk_config, driver.data_dir, driver.driver.config, login=False, store=driver.store)
    try:
        sender.join(30)
        assert answers and answers[0].status_code == 200, answers and answers[0].text
        assert answers[0].json()["result"]["state"] == "paused"
        assert back.driver.core.agents["agent001"].reason == "coaching"
        assert sum(isinstance(m, MakeNotReady) for m in back.driver.journal.read()) == 1
    finally:
        back.stop()
