"""``qa.journal_replay``: a journal through two cores, the first diverging message of each call.

The hand-built example: agents a2 then a1 log in, two calls arrive. ``linear`` rings the first agent of the
configuration that is free (a1, then a2 while a1 talks); ``longestidle`` rings whoever waited longest (a2, who
logged in first; then a1, since a2 is still ringing for the first call: the journal's answer came from a1).
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from adapters.asterisk.journal import START_CONFIG, encode
from core import messages as m
from core.config import AgentProfile, CenterConfig, Hotline, Policy
from core.config_codec import config_to_dict
from inputs.problems import InputFileError
from qa.journal_replay import Decision, journal_path, read_journal, recorded_config, replay_journal, unchanged

LINEAR = CenterConfig(
    agents=(AgentProfile("a1", {"sales": 1}), AgentProfile("a2", {"sales": 1})),
    hotlines=(Hotline("4008", "sales"),),
    policy=Policy(strategy="linear", ring_timeout=None, ivr_after=None, callback_reserve=None),
)
LONGEST_IDLE = dataclasses.replace(LINEAR, policy=dataclasses.replace(LINEAR.policy, strategy="longestidle"))

MESSAGES = [
    m.LogIn(100.0, "a2"),  # line 1
    m.LogIn(101.0, "a1"),  # line 2
    m.CallArrived(110.0, "c1", "13800000001", "4008"),  # line 3: linear rings a1, longestidle a2
    m.AgentAnswered(111.0, "c1", "a1"),  # line 4
    m.CallArrived(120.0, "c2", "13800000002", "4008"),  # line 5: linear rings a2; longestidle a1 (a2 rings c1)
    m.AgentAnswered(121.0, "c2", "a2"),  # line 6
    m.CallerHungUp(200.0, "c1"),  # line 7
    m.AgentHungUp(210.0, "c2"),  # line 8
]


def write_journal(folder, messages=MESSAGES, config=LINEAR):
    path = folder / "journal.jsonl"
    path.write_text("".join(encode(msg) + "\n" for msg in messages), encoding="utf-8")
    (folder / START_CONFIG).write_text(json.dumps({"config": config_to_dict(config)}), encoding="utf-8")
    return path


def test_same_core_same_journal_has_no_differences(tmp_path):
    path = write_journal(tmp_path)
    report = replay_journal(read_journal(path), recorded_config(path), unchanged)
    assert report.ok and report.differences == []
    assert (report.messages, report.calls, report.decisions) == (8, 2, 2)


def test_changed_strategy_gives_the_predicted_differences(tmp_path):
    path = write_journal(tmp_path)
    report = replay_journal(read_journal(path), recorded_config(path), lambda _config: LONGEST_IDLE)
    got = [(d.key, d.line, d.message, d.recorded, d.replayed) for d in report.differences]
    assert got == [
        ("c1", 3, "CallArrived", (Decision("ring", "a1"),), (Decision("ring", "a2"),)),
        ("c2", 5, "CallArrived", (Decision("ring", "a2"),), (Decision("ring", "a1"),)),
    ]
    assert "c1: line 3 (CallArrived): recorded ring a1, replayed ring a2" == report.differences[0].describe()


def test_recorded_log_that_the_core_no_longer_writes_is_reported(tmp_path):
    path = write_journal(tmp_path)
    replayed = replay_journal(read_journal(path), LINEAR, unchanged)
    assert replayed.log_mismatch is None
    from adapters.asterisk.journal import record_line
    from qa.journal_replay import _Runner

    runner = _Runner(LINEAR, 0)
    for msg in MESSAGES:
        runner.handle(msg)
    lines = [record_line(r) for r in runner.log]
    connect = next(i for i, line in enumerate(lines) if "|CONNECT|" in line)
    lines[connect] = lines[connect].replace("|a1|", "|a9|")
    (tmp_path / "queue_log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = replay_journal(read_journal(path), LINEAR, unchanged, queue_log=tmp_path / "queue_log")
    assert report.log_mismatch is not None and f"queue_log:{connect + 1}:" in report.log_mismatch and not report.ok


def test_a_truncated_journal_is_refused_naming_file_and_line(tmp_path):
    path = write_journal(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:-25], encoding="utf-8")  # killed mid-write: the last line is torn
    with pytest.raises(InputFileError) as error:
        read_journal(path)
    assert f"{path}:8:" in str(error.value) and "truncated" in str(error.value)


@pytest.mark.parametrize(
    "line",
    [
        '{"type": "Hello", "now": 1}',
        "time|call|queue|agent|VERB",
        '{"now": 1}',
        '{"type": "CallArrived", "now": 1, "colour": "red"}',
    ],
)
def test_a_foreign_journal_is_refused_naming_file_and_line(tmp_path, line):
    path = write_journal(tmp_path)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(2, line)
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        read_journal(path)
    assert f"{path}:3:" in str(error.value)


def test_an_empty_journal_or_one_without_its_configuration_is_refused(tmp_path):
    empty = tmp_path / "journal.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="holds no messages"):
        read_journal(empty)
    with pytest.raises(InputFileError, match="journal-config.json"):
        recorded_config(journal_path(tmp_path))


def test_a_configuration_applied_later_reaches_the_candidate_changed_the_same_way(tmp_path):
    """The journal applies a site update (a third agent) before the call: the candidate keeps ``longestidle``
    after it (rings a2, idle longest), where the update itself would have brought ``linear`` back (a1)."""
    wider = dataclasses.replace(LINEAR, agents=LINEAR.agents + (AgentProfile("a3", {"sales": 1}),))
    messages = MESSAGES[:2] + [m.ApplyConfig(105.0, wider, "v2")] + MESSAGES[2:4]
    path = write_journal(tmp_path, messages)

    def to_longest_idle(config):
        return dataclasses.replace(config, policy=dataclasses.replace(config.policy, strategy="longestidle"))

    report = replay_journal(read_journal(path), recorded_config(path), to_longest_idle)
    assert [(d.key, d.line, d.recorded, d.replayed) for d in report.differences] == [
        ("c1", 4, (Decision("ring", "a1"),), (Decision("ring", "a2"),)),
    ]


def test_a_recorded_timer_reaches_the_candidate_as_its_own_timer(tmp_path):
    """The candidate's change (wrap-up for a1) starts one timer more, which shifts every later timer token.
    c1, on a queue a1 does not serve, must still ring out to a3 in the candidate as it did live: no
    difference. (Fed the recorded token, the candidate would take the ring timeout for a stale timer.)"""
    config = CenterConfig(
        agents=(
            AgentProfile("a1", {"orders": 1}),
            AgentProfile("a2", {"service": 1}),
            AgentProfile("a3", {"service": 1}),
        ),
        hotlines=(Hotline("4008", "orders"), Hotline("4009", "service")),
        policy=Policy(strategy="linear", ring_timeout=10.0, ivr_after=None, callback_reserve=None),
    )
    messages = [
        m.LogIn(0.0, "a1"),
        m.LogIn(1.0, "a2"),
        m.LogIn(2.0, "a3"),
        m.CallArrived(5.0, "c0", "13800000001", "4008"),
        m.AgentAnswered(6.0, "c0", "a1"),
        m.CallerHungUp(8.0, "c0"),
        m.CallArrived(20.0, "c1", "13800000002", "4009"),
    ]
    token = _pending_timers(config, messages)[("ring", "c1")]
    messages.append(m.TimerFired(30.0, m.Timer("ring", "c1", token)))  # a2 did not answer: as the live driver saw
    path = write_journal(tmp_path, messages, config)

    def with_wrapup(c):
        return dataclasses.replace(c, policy=dataclasses.replace(c.policy, wrapup=30.0))

    report = replay_journal(read_journal(path), config, with_wrapup)
    assert report.differences == [], [d.describe() for d in report.differences]
    live = replay_journal(read_journal(path), config, unchanged)
    assert live.decisions == 3  # a1 for c0, a2 then a3 for c1


def _pending_timers(config, messages):
    from qa.journal_replay import _Runner

    runner = _Runner(config, 0)
    for msg in messages:
        runner.handle(msg)
    return runner.timers
