"""The SimPy twin driving the real core: determinism, conservation, and agreement with exact Erlang-A."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from core.log import OUTCOME_OF_VERB, Verb
from reports.conservation import check_conservation
from reports.eventlog import records_to_frame, write_parquet, write_queue_log
from twin.analytic import erlang_a
from twin.build import build_model, replication_seeds
from twin.run import after_warmup, mean_ci, per_replication_kpis, run_replications
from twin.site import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _run_log(scenario, index=0):
    model = build_model(scenario, replication_seeds(scenario)[index])
    model.run()
    return model


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["live_program", "evening_spots"])
def test_same_seed_gives_a_byte_identical_event_log(name, tmp_path):
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    hashes = []
    for run in ("a", "b"):
        model = _run_log(scenario)
        write_parquet(model.center.log, tmp_path / f"{run}.parquet")
        write_queue_log(model.center.log, tmp_path / f"{run}.queue_log")
        hashes.append((_sha(tmp_path / f"{run}.parquet"), _sha(tmp_path / f"{run}.queue_log")))
    assert hashes[0] == hashes[1]


def test_a_different_seed_gives_a_different_log():
    scenario = load_scenario(SCENARIOS / "special_sale.yaml")
    first = _run_log(scenario).center.log
    other = _run_log(scenario.model_copy(update={"seed": scenario.seed + 1})).center.log
    assert first != other


def test_parallel_replications_equal_serial_ones():
    scenario = load_scenario(SCENARIOS / "special_sale.yaml").model_copy(update={"replications": 3})
    serial = run_replications(scenario, workers=1)
    parallel = run_replications(scenario, workers=2)
    for a, b in zip(serial, parallel):
        assert a.log.equals(b.log)


@pytest.mark.parametrize("name", ["live_program", "special_sale", "evening_spots", "stationary"])
def test_every_call_in_every_scenario_ends_exactly_once(name):
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    if name == "stationary":
        scenario = scenario.model_copy(update={"horizon": 2 * 3600.0, "warmup": 0.0})
    model = _run_log(scenario)
    log = model.center.log
    terminal = [r.call_id for r in log if r.verb in OUTCOME_OF_VERB]
    assert len(terminal) == len(set(terminal)) == model.stats.calls
    assert check_conservation(records_to_frame(log)) == []
    # the run drains: nobody is left waiting or talking, no agent is left holding a call
    assert model.center.calls == {}
    assert all(agent.call_id is None for agent in model.center.agents.values())


def test_live_program_uses_every_mechanism_of_the_policy():
    verbs = {r.verb for r in _run_log(load_scenario(SCENARIOS / "live_program.yaml")).center.log}
    for verb in (
        Verb.OVERFLOW,
        Verb.RINGNOANSWER,
        Verb.EXITWITHTIMEOUT,
        Verb.ABANDON,
        Verb.REJECTED,
        Verb.CALLBACK_CREATED,
        Verb.CALLBACK_CLAIMED,
        Verb.CALLBACK_DONE,
        Verb.WRAPUPEND,
    ):
        assert verb in verbs, verb


def test_evening_spots_attribute_tickets_to_airings_and_close_a_hotline():
    log = _run_log(load_scenario(SCENARIOS / "evening_spots.yaml")).center.log
    airings = {r.field("airing") for r in log if r.verb == Verb.CALLBACK_CREATED}
    assert {"spot-1905-ch1", "spot-1920-ch2", "spot-1940-ch3"} <= airings
    assert any(r.verb == Verb.OUTOFHOURS and r.field("hotline") == "4008400403" for r in log)


@pytest.mark.slow
def test_stationary_case_agrees_with_exact_erlang_a():
    """DESIGN.md's validation anchor: 10 replications, 95% CIs of abandonment and SL hold the exact values."""
    scenario = load_scenario(SCENARIOS / "stationary.yaml")
    assert scenario.replications >= 10
    replications = run_replications(scenario)
    _, totals = per_replication_kpis(replications, scenario)
    exact = erlang_a(0.544, 180.0, 120.0, 100)
    target = scenario.targets.within
    for metric, value in (
        ("abandon_rate", exact.p_abandon),
        ("sl_offered", exact.sl_offered(target)),
        ("sl_answered", exact.sl_answered(target)),
    ):
        mean, low, high = mean_ci(totals[metric])
        assert low <= value <= high, f"{metric}: exact {value:.4f} outside CI [{low:.4f}, {high:.4f}] (mean {mean:.4f})"
    # the interval must be informative, not vacuously wide
    assert mean_ci(totals["abandon_rate"])[2] - mean_ci(totals["abandon_rate"])[1] < 0.01


def test_warmup_drops_the_calls_that_arrived_before_it():
    scenario = load_scenario(SCENARIOS / "stationary.yaml").model_copy(update={"horizon": 7200.0, "warmup": 3600.0})
    log = records_to_frame(_run_log(scenario).center.log)
    kept = after_warmup(log, scenario)
    entered = kept[kept["verb"] == Verb.ENTERQUEUE]
    assert len(entered) > 0 and (entered["time"] >= scenario.epoch + 3600).all()
    assert len(kept) < len(log)
