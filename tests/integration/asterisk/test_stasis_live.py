"""The live driver (Stasis app `hotline`, `hotline live run`) on the real local Asterisk,
with real SIPp callers and agents. Every test reads the driver's own event log (queue_log format)."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from adapters.store.call_records import SqlCallRecords
from adapters.store.migrate import open_store
from adapters.store.settings import StoreSettings
from console.accounts import SqlAccounts
from console.app import create_app
from console.settings import ConsoleSettings
from devtools import sipp
from tests.helpers import wait_until
from tests.integration.asterisk.live_checks import (
    assert_each_call_once,
    by_call,
    dial,
    phone,
    phones,
    wait_for,
    wait_for_ended_calls,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]


def test_answered_calls_agent_and_caller_hang_up(live, asterisk_config, sipp_workdir):
    cfg = asterisk_config
    proc = live("--agents", "2")
    agents = phones(cfg, sipp_workdir, 2, answer_delay_ms=300, talk_ms=2_000)
    try:
        # call 1: the agent hangs up after 2 s; call 2: the caller hangs up 1 s after the answer
        r1 = dial(cfg, sipp_workdir, "13900000001", hold_ms=20_000).wait(timeout=30)
        r2 = dial(cfg, sipp_workdir, "13900000002", number=cfg.numbers[1], hold_ms=1_000).wait(timeout=30)
    finally:
        agent_results = sipp.stop_all(agents.values())
    assert r1.outcomes == {"remote_bye": 1}, r1.summary() + r1.errors()
    assert r2.outcomes == {"caller_bye": 1}, r2.summary() + r2.errors()
    records = wait_for(
        lambda: len([r for r in proc.records() if r.verb.startswith("COMPLETE")]) == 2 and proc.records(),
        10,
        "two completions",
        proc,
    )
    assert_each_call_once(records, 2)
    verbs = [list(v) for v in by_call(records).values()]
    assert verbs == [["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"], ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]]
    enter = [r for r in records if r.verb == "ENTERQUEUE"]
    assert [(r.field("caller"), r.field("hotline")) for r in enter] == [
        ("13900000001", cfg.numbers[0]),
        ("13900000002", cfg.numbers[1]),
    ]
    assert sum(a.outcomes.get("agent_bye", 0) + a.outcomes.get("remote_bye", 0) for a in agent_results) == 2


def test_caller_abandons_while_queued(live, asterisk_config, sipp_workdir):
    cfg = asterisk_config
    proc = live("--agents", "1")
    agent = phone(cfg, sipp_workdir, answer_delay_ms=200, talk_ms=6_000)
    try:
        busy = dial(cfg, sipp_workdir, "13900000011", hold_ms=30_000)
        wait_for(lambda: any(r.verb == "CONNECT" for r in proc.records()), 10, "first call connected", proc)
        # the only agent talks: this caller waits on hold, then gives up after 2 s
        waiting = dial(cfg, sipp_workdir, "13900000012", hold_ms=2_000)
        rw = waiting.wait(timeout=20)
        rb = busy.wait(timeout=30)
    finally:
        agent.stop()
    assert rw.outcomes == {"caller_bye": 1}, rw.summary() + rw.errors()  # answered (music on hold), then hung up
    assert rb.outcomes == {"remote_bye": 1}, rb.summary() + rb.errors()
    records = wait_for_ended_calls(proc, 2)
    assert_each_call_once(records, 2)
    abandon = [r for r in records if r.verb == "ABANDON"]
    assert len(abandon) == 1
    assert 1.5 < float(abandon[0].field("waittime")) < 4.0  # waited about 2 s
    created = [r for r in records if r.verb == "CALLBACK_CREATED"]
    assert [(r.call_id, r.field("number")) for r in created] == [(abandon[0].call_id, "13900000012")]


def test_no_agent_prompt_dtmf_one_creates_ticket(live, asterisk_config, sipp_workdir):
    cfg = asterisk_config
    proc = live("--agents", "0", "--prompt-timeout", "10")
    result = dial(
        cfg, sipp_workdir, "13900000021", number=cfg.numbers[2], hold_ms=15_000, dtmf="1", dtmf_delay_ms=1_000
    ).wait(timeout=30)
    assert result.outcomes == {"remote_bye": 1}, result.summary() + result.errors()
    rec = result.calls[1]
    assert rec.events["remote_bye"] - rec.events["dtmf_sent"] < 2.0  # hung up by us right after the "1"
    records = wait_for(
        lambda: any(r.verb == "CALLBACK_CREATED" for r in proc.records()) and proc.records(), 10, "a ticket", proc
    )
    assert_each_call_once(records, 1)
    assert [r.verb for r in records if r.call_id != "NONE"] == [
        "ENTERQUEUE",
        "EXITEMPTY",
        "CALLBACK_PROMPT",
        "CALLBACK_CREATED",
    ]
    prompt = next(r for r in records if r.verb == "CALLBACK_PROMPT")
    assert prompt.field("digits") == "1"
    ticket = next(r for r in records if r.verb == "CALLBACK_CREATED")
    assert ticket.field("number") == "13900000021" and ticket.field("hotline") == cfg.numbers[2]


def test_ring_no_answer_goes_to_next_agent_and_pauses_first(live, asterisk_config, sipp_workdir):
    cfg = asterisk_config
    proc = live("--agents", "2", "--ring-timeout", "2")
    deaf = phone(cfg, sipp_workdir, "agent001", answer_delay_ms=None)
    good = phone(cfg, sipp_workdir, "agent002", answer_delay_ms=300, talk_ms=1_500)
    try:
        result = dial(cfg, sipp_workdir, "13900000031", hold_ms=20_000).wait(timeout=30)
    finally:
        rd, rg = deaf.stop(), good.stop()
    assert result.outcomes == {"remote_bye": 1}, result.summary() + result.errors()
    assert rd.outcomes == {"cancelled": 1}, rd.summary()
    assert rg.outcomes == {"agent_bye": 1}, rg.summary()
    records = wait_for(
        lambda: any(r.verb == "COMPLETEAGENT" for r in proc.records()) and proc.records(), 10, "completion", proc
    )
    assert_each_call_once(records, 1)
    seq = [(r.agent, r.verb) for r in records if r.verb not in ("AGENTLOGIN",)]
    assert seq == [
        ("NONE", "ENTERQUEUE"),
        ("agent001", "RINGNOANSWER"),
        ("agent001", "PAUSE"),
        ("agent002", "CONNECT"),
        ("agent002", "COMPLETEAGENT"),
    ], seq
    rna = next(r for r in records if r.verb == "RINGNOANSWER")
    assert 1900 <= int(rna.field("ringtime_ms")) <= 2600
    assert next(r for r in records if r.verb == "PAUSE").field("reason") == "ringnoanswer"


def test_driver_killed_during_calls_and_restarted(live, asterisk_config, sipp_workdir):
    """SIGKILL with 2 callers talking and 3 waiting on hold. While the driver is dead, one talking call ends
    (the agent hangs up) and one waiting caller gives up. The restart replays the journal, resyncs from
    GET /channels and /bridges: the ended call completes, the abandon is logged, the bridged call finishes
    normally, the other waiting callers are served. Every call exactly once in the log, none lost."""
    cfg = asterisk_config
    proc = live("--agents", "2", "--ivr-after", "0")
    long_talk = phone(cfg, sipp_workdir, "agent001", answer_delay_ms=200, talk_ms=8_000)
    short_talk = phone(cfg, sipp_workdir, "agent002", answer_delay_ms=200, talk_ms=2_500)
    try:
        callers = dial(cfg, sipp_workdir, *[f"1390000004{i}" for i in range(1, 5)], rate=4, hold_ms=90_000)
        wait_for(
            lambda: (
                len([r for r in proc.records() if r.verb == "CONNECT"]) == 2
                and len([r for r in proc.records() if r.verb == "ENTERQUEUE"]) == 4
            ),
            10,
            "2 talking, 2 waiting",
            proc,
        )
        quitter = dial(cfg, sipp_workdir, "13900000049", hold_ms=1_500)
        wait_for(lambda: len([r for r in proc.records() if r.verb == "ENTERQUEUE"]) == 5, 10, "5th caller", proc)
        wait_until(
            lambda: any("answered" in c.events for c in quitter.calls_so_far().values()),
            10,
            "the 5th caller answered and on hold",
        )
        before = proc.log_path.read_text()
        proc.kill()
        # meanwhile agent002's call ends and the 5th caller hangs up: events nobody hears
        wait_until(
            lambda: (
                any(c.outcome for c in short_talk.calls_so_far().values())
                and any(c.outcome for c in quitter.calls_so_far().values())
            ),
            20,
            "agent002's call and the 5th caller's to end while no driver runs",
        )
        assert "COMPLETEAGENT" not in before and "ABANDON" not in before
        proc.start()
        assert proc.log_path.read_text().startswith(before)  # the replay rewrote nothing
        result = callers.wait(timeout=60)
        quit_result = quitter.wait(timeout=10)
    finally:
        agent_results = [long_talk.stop(), short_talk.stop()]
    assert result.created == 4 and result.failed == 0, result.summary() + result.errors()
    assert result.outcomes == {"remote_bye": 4}, result.summary()  # all 4 served by an agent
    assert quit_result.outcomes == {"caller_bye": 1}, quit_result.summary()
    assert sum(a.outcomes.get("agent_bye", 0) for a in agent_results) == 4, [a.summary() for a in agent_results]
    records = wait_for_ended_calls(proc, 5)
    assert_each_call_once(records, 5)  # 0 lost: 5 placed by SIPp, 5 calls in the log, each once
    outcomes = Counter(tuple(v) for v in by_call(records).values())
    assert outcomes == {
        ("ENTERQUEUE", "CONNECT", "COMPLETEAGENT"): 4,
        ("ENTERQUEUE", "ABANDON", "CALLBACK_CREATED"): 1,
    }, outcomes
    abandon = next(r for r in records if r.verb == "ABANDON")
    assert abandon.field("origposition") == "3"  # it was third in line
    text = proc.log_path.read_text().splitlines()
    assert len(text) == len(set(text)), "a record was written twice"
    assert "recovered" in proc.tail(200) and "resynchronising" in proc.tail(200)


def test_answered_call_is_recorded(live, asterisk_config, local_asterisk, sipp_workdir, tmp_path):
    """The recording's file is written, its call record reaches the store, and the console finds and serves it."""
    cfg = asterisk_config
    # Asterisk keeps ARI recordings in /var/spool/asterisk/recording but does not create it; the dev root's
    # provisioning does not either (yet), so the test does, as an operator would on a PBX
    spool = local_asterisk.root / "var/spool/asterisk/recording"
    spool.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    engine = open_store(url)
    proc = live("--agents", "1", "--record", "--database-url", url)
    agent = phone(cfg, sipp_workdir, answer_delay_ms=200, talk_ms=2_000)
    try:
        result = dial(cfg, sipp_workdir, "13900000071", hold_ms=20_000).wait(timeout=30)
    finally:
        agent.stop()
    assert result.outcomes == {"remote_bye": 1}, result.summary() + result.errors()
    records = wait_for(
        lambda: any(r.verb == "COMPLETEAGENT" for r in proc.records()) and proc.records(), 10, "completion", proc
    )
    assert_each_call_once(records, 1)
    assert [r.verb for r in records if r.call_id != "NONE"] == ["ENTERQUEUE", "CONNECT", "RECORDING", "COMPLETEAGENT"]
    rec = next(r for r in records if r.verb == "RECORDING")
    assert rec.field("file") == f"hotline-{rec.call_id}.wav" and rec.field("agent") == "agent001"
    path = local_asterisk.root / "var/spool/asterisk/recording" / rec.field("file")
    size = wait_for(lambda: path.exists() and path.stat().st_size, 5, f"{path}", proc)
    assert size > 8_000  # about 2 s of 8 kHz 16-bit audio is 32 kB; at least a good part of it

    stored = wait_for(lambda: SqlCallRecords(engine).recorded(agent_id="agent001"), 10, "the call record stored", proc)
    assert [(r.call_id, r.recording, r.caller) for r in stored] == [(rec.call_id, rec.field("file"), "+8613900000071")]
    SqlAccounts(engine).create_user("sup", "correct horse battery", "supervisor", time.time())
    app = create_app(ConsoleSettings(store=StoreSettings(database_url=url), recordings_dir=spool), engine=engine)
    with TestClient(app) as client:
        token = client.post("/api/login", json={"username": "sup", "password": "correct horse battery"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        found = client.get("/api/recordings", params={"number": "139-0000-0071"}, headers=headers).json()
        assert [r["recording"] for r in found] == [rec.field("file")]
        audio = client.get(f"/api/recordings/{rec.field('file')}", headers=headers)
        assert audio.status_code == 200 and audio.content == path.read_bytes() and audio.content[:4] == b"RIFF"
    engine.dispose()
