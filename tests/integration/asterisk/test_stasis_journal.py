"""The live driver's journal and event log file (no Asterisk needed): replay rebuilds the core, never
writes a record twice, appends what a crash left out, refuses a log that does not belong to the journal."""

from __future__ import annotations

import pytest

from adapters.asterisk.journal import EventLogFile, Journal, JournalError, decode, encode, recover
from adapters.asterisk.stasis import build_config
from core import messages as m
from core.center import CallCenter


def make_core(sink):
    return CallCenter(build_config(("4008001000",), 2, ring_timeout=15.0, ivr_after=60.0), log=sink)


SCRIPT = [
    m.LogIn(100.0, "agent001"),
    m.LogIn(100.0, "agent002"),
    m.CallArrived(101.0, "1700000000.1", "13900000001", "4008001000"),
    m.AgentAnswered(101.3, "1700000000.1", "agent001"),
    m.CallArrived(102.0, "1700000000.2", "13900000002", "4008001000"),
    m.AgentDidNotAnswer(103.0, "1700000000.2", "agent002"),  # -> agent002 paused, call waits (ivr timer)
    m.CallRecorded(103.5, "1700000000.1", "hotline-1700000000.1.wav"),
    m.AgentHungUp(105.0, "1700000000.1"),  # -> agent001 free, rings call 2
]


def run_live(tmp_path, messages):
    """What the driver does: journal, handle (records go to the file)."""
    journal, log_file = Journal(tmp_path / "journal.jsonl"), EventLogFile(tmp_path / "queue_log")
    core, _ = recover(make_core, journal, log_file)
    journal.open()
    for message in messages:
        journal.append(message)
        core.handle(message)
    journal.close()
    log_file.close()
    return core


def test_every_message_type_round_trips():
    for message in SCRIPT + [
        m.TimerFired(1.0, m.Timer("ring", "c1", 7)),
        m.PromptFinished(2.0, "c1", "1"),
        m.CompleteCallback(3.0, "agent001", "cb-c1", "ordered"),
        m.MakeNotReady(4.0, "a", "lunch"),
        m.CallbackAgentDidNotAnswer(5.0, "agent001", "cb-c1"),
    ]:
        assert decode(encode(message)) == message


def test_replay_rebuilds_the_core_and_writes_nothing_twice(tmp_path):
    live = run_live(tmp_path, SCRIPT)
    before = (tmp_path / "queue_log").read_text()
    assert "RECORDING|hotline-1700000000.1.wav|agent001" in before
    journal, log_file = Journal(tmp_path / "journal.jsonl"), EventLogFile(tmp_path / "queue_log")
    core, rec = recover(make_core, journal, log_file)
    log_file.close()
    assert (tmp_path / "queue_log").read_text() == before
    assert rec.messages == len(SCRIPT) and rec.records_appended == 0 and rec.records_replayed == before.count("\n")
    assert (
        {c: (x.state, x.agent_id) for c, x in core.calls.items()}
        == {c: (x.state, x.agent_id) for c, x in live.calls.items()}
        == {"1700000000.2": ("ringing", "agent001")}
    )
    assert {a: x.state for a, x in core.agents.items()} == {"agent001": "ringing", "agent002": "paused"}
    # pending timers to re-arm: call 2's ring timer and its ivr timer; none of the cancelled ones
    assert sorted((k, round(t.at, 3)) for k, t in rec.timers.items()) == [
        (("ivr", "1700000000.2"), 162.0),
        (("ring", "1700000000.2"), 120.0),
    ]


def test_crash_between_journal_and_log_appends_the_missing_records(tmp_path):
    run_live(tmp_path, SCRIPT)
    path = tmp_path / "queue_log"
    full = path.read_text()
    lines = full.splitlines(keepends=True)
    path.write_text("".join(lines[:-3]) + lines[-3][:10])  # last records lost, one torn in half
    with open(tmp_path / "journal.jsonl", "a") as fh:
        fh.write('{"type":"CallerHungUp","now":1')  # a torn journal line: never handled
    journal, log_file = Journal(tmp_path / "journal.jsonl"), EventLogFile(path)
    _, rec = recover(make_core, journal, log_file)
    log_file.close()
    assert path.read_text() == full
    assert rec.records_appended == 3 and rec.messages == len(SCRIPT)
    journal.open()  # cuts the torn tail before appending
    journal.append(m.CallerHungUp(106.0, "1700000000.2"))
    journal.close()
    assert [type(x).__name__ for x in Journal(tmp_path / "journal.jsonl").read()][-2:] == [
        "AgentHungUp",
        "CallerHungUp",
    ]


def test_a_log_from_another_journal_is_refused(tmp_path):
    run_live(tmp_path, SCRIPT)
    path = tmp_path / "queue_log"
    path.write_text(path.read_text().replace("13900000002", "13900000009"))
    with pytest.raises(JournalError, match="differs"):
        recover(make_core, Journal(tmp_path / "journal.jsonl"), EventLogFile(path))


def test_a_new_journal_notes_its_starting_configuration_and_an_old_one_keeps_its_note(tmp_path):
    import json

    from adapters.asterisk.journal import START_CONFIG, keep_start_config
    from core.config_codec import config_from_dict

    first, second = build_config(["4008"], 2), build_config(["4008"], 3)
    journal = Journal(tmp_path / "journal.jsonl")
    keep_start_config(journal.path, first)
    journal.open()
    journal.append(m.LogIn(1.0, "agent001"))
    journal.close()
    keep_start_config(journal.path, second)  # a restart after a site update: the journal started from `first`
    kept = config_from_dict(json.loads((tmp_path / START_CONFIG).read_text(encoding="utf-8"))["config"])
    assert kept == first and kept != second
