"""``qa.trace``: the shipped real day (tests/data/anonymous-bank), imported into the store, run through the twin.

Unchanged (the bank's routing, no extra agents) it must give back the recorded answered and abandoned counts
within 2%; with 20 more agents it must answer more and lose fewer; bad input names the day or the queue."""

from __future__ import annotations

import datetime as dt
from datetime import timezone

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from adapters.store.anonymous_bank import import_file
from adapters.store.eventlog import SqlEventLog
from inputs.problems import InputFileError
from qa.trace import censored_patience, kaplan_meier, load_trace_scenario, run_trace, trace_of_day
from tests.integration.conftest import REPO

BANK = REPO / "tests" / "data" / "anonymous-bank" / "calls_one_day.csv"
UNCHANGED = REPO / "scenarios" / "trace" / "anonymous_bank_unchanged.yaml"
DAY = dt.date(1999, 8, 1)


@pytest.fixture
def bank_log(engine):
    import_file(engine, BANK, zone=timezone.utc)  # the scenario in scenarios/trace reads the day in UTC
    return SqlEventLog(engine).frame()


def test_unchanged_day_reproduces_answered_and_abandoned_within_2_percent(bank_log):
    trace = trace_of_day(bank_log, DAY, timezone.utc, "store")
    assert len(trace.lives) == 2239 and trace.queues == ["IN", "NE", "NW", "PE", "PS", "TT"]
    result = run_trace(trace, load_trace_scenario(UNCHANGED, trace), str(UNCHANGED))  # its 10 replications
    close = result.closeness()
    assert (close["answered"][0], close["abandoned"][0]) == (1511, 728)  # the recorded day
    assert close["offered"][1] == 2239  # every recorded call, once
    print({k: f"{v[1]:.1f} ({v[2]:+.2%})" for k, v in close.items()})
    assert abs(close["answered"][2]) <= 0.02, close
    assert abs(close["abandoned"][2]) <= 0.02, close
    agreement = result.agreement()
    print(f"calls with their recorded outcome: {agreement:.1%}")
    assert 0.9 < agreement < 1.0  # not a copy of the day: the twin's own routing serves some callers in another order


def test_twenty_more_agents_answer_more_of_the_real_calls(bank_log, tmp_path):
    trace = trace_of_day(bank_log, DAY, timezone.utc, "store")
    document = yaml.safe_load(UNCHANGED.read_text(encoding="utf-8"))
    document["groups"][0]["staffing"] = 20
    more = tmp_path / "twenty_more.yaml"
    more.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = run_trace(trace, load_trace_scenario(more, trace), str(more), replications=2)
    close = result.closeness()
    assert close["abandoned"][1] < 0.5 * close["abandoned"][0], close
    assert close["answered"][1] > close["answered"][0], close


def test_a_day_without_records_is_refused_naming_the_day(bank_log):
    with pytest.raises(InputFileError, match="no calls arrived on 1999-08-02"):
        trace_of_day(bank_log, DAY + dt.timedelta(days=1), timezone.utc, "store")


def test_a_trace_whose_queues_the_scenario_does_not_know_is_refused_naming_them(bank_log, tmp_path):
    trace = trace_of_day(bank_log, DAY, timezone.utc, "store")
    document = yaml.safe_load(UNCHANGED.read_text(encoding="utf-8"))
    document["hotlines"] = [h for h in document["hotlines"] if h["queue"] in ("PS", "NW", "NE", "PE", "TT")]
    document["groups"][0]["skills"] = {"PS": 1, "NW": 1, "NE": 1, "PE": 1, "TT": 1}
    narrow = tmp_path / "narrow.yaml"
    narrow.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        run_trace(trace, load_trace_scenario(narrow, trace), str(narrow), replications=1)
    assert str(narrow) in str(error.value) and "queue 'IN' (130 calls)" in str(error.value)


def test_censored_patience_exceeds_the_wait_it_was_censored_at():
    waits = np.array([5.0, 10, 10, 20, 30, 40, 60])
    gave_up = np.array([True, True, False, True, False, True, False])
    times, survival = kaplan_meier(waits, gave_up)
    assert list(times) == [5, 10, 20, 40] and survival[0] == pytest.approx(6 / 7)
    for u in np.linspace(0.01, 0.99, 25):
        assert censored_patience(10.0, times, survival, float(u)) > 10.0
        assert censored_patience(30.0, times, survival, float(u)) in (40.0, float("inf"))


@given(
    st.lists(st.tuples(st.integers(0, 600), st.booleans()), min_size=1, max_size=60),
    st.integers(0, 700),
    st.floats(0.001, 0.999),
)
def test_a_censored_patience_always_outlasts_its_censoring(observations, censor, u):
    waits = np.array([float(w) for w, _ in observations])
    gave_up = np.array([g for _, g in observations])
    times, survival = kaplan_meier(waits, gave_up)
    assert np.all(np.diff(survival) <= 0) and np.all((survival >= 0) & (survival <= 1))
    assert censored_patience(float(censor), times, survival, u) > censor
