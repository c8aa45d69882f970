"""A fresh live run's journal, replayed through the current core (``hotline replay --journal``), gives zero
differences and the same event log line for line; under another strategy the replay names the calls whose
agent changes. Real Asterisk, real SIPp callers and agents."""

from __future__ import annotations

import pytest

from devtools import sipp
from qa.journal_replay import journal_path, read_journal, recorded_config, replay_journal, unchanged
from tests.helpers import hotline
from tests.integration.asterisk.live_checks import dial, phones, wait_for_ended_calls

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]


def test_fresh_live_journal_replays_with_zero_differences(live, asterisk_config, sipp_workdir):
    cfg = asterisk_config
    proc = live("--agents", "2", "--strategy", "linear")
    agents = phones(cfg, sipp_workdir, 2, answer_delay_ms=200, talk_ms=3_000)
    try:
        callers = dial(cfg, sipp_workdir, "13900000021", "13900000022", "13900000023", rate=2.0, hold_ms=20_000)
        result = callers.wait(timeout=60)
    finally:
        sipp.stop_all(agents.values())
    assert sum(result.outcomes.values()) == 3, result.summary() + result.errors()
    wait_for_ended_calls(proc, 3, timeout=15)
    proc.stop()

    journal = journal_path(proc.data_dir)
    lines = read_journal(journal)
    config = recorded_config(journal)
    assert config.policy.strategy == "linear" and len(config.agents) == 2
    report = replay_journal(lines, config, unchanged, queue_log=proc.data_dir / "queue_log")
    assert report.calls == 3 and report.decisions >= 3
    assert report.differences == [] and report.log_mismatch is None, report

    cli = hotline("replay", "--journal", str(proc.data_dir), timeout=120)
    assert cli.returncode == 0 and "3 calls, " in cli.stdout and "0 calls differ" in cli.stdout, cli.stdout + cli.stderr
