"""The twin's event logs of the shipped scenarios are fixed: a speed-up of the core must not change one byte.

The digests were recorded from the code before the core's hot paths were reworked (issue 12, twin speed);
a deliberate change of behaviour updates them (run this file with ``-s`` after setting RECORD = False).
"""

from __future__ import annotations

import gc
import hashlib
from pathlib import Path

import pytest

from benchmarks.sim_speed import surge_scenario
from twin.build import build_model, replication_seeds
from twin.scenario import Scenario
from twin.site import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
REPLICATIONS = 2
RECORD = False

DIGESTS: dict[str, tuple[str, ...]] = {
    "evening_spots": (
        "483da34644f852b512c4a15952d75f9817bffb92c783225303d45ca51214e819",
        "ea78a9c605abf827ebe445815dc3fd1f5226d7c62ef9e6a5c700e33b891be7fb",
    ),
    "live_program": (
        "60810ddbdf30d3d7d20bf3bb50cafae5a1018469c0db383bb2eb520450e1a34a",
        "867a3e221cd346d82499419779ed41082e009444ba19168cd95ba2b71cf83ad6",
    ),
    "live_program_markov": (
        "ce87035682f0f2736a5edcf2c6bea0731018301a99383722f400754ea616f5c5",
        "58498521528bf633871dbb5527bb20d61f4df3b7bfc75ef6901c55dd6db13861",
    ),
    "special_sale": (
        "7de05f778d2b1438679fd1dde39ce0730ad6c0951f4bc539caf31c7401e6a8d3",
        "14a66edcb4db57d5de6148eee5410450a2479b7c3573643557c89661171d8511",
    ),
    "stationary": (
        "675b441c88192e84fb95df2c33211a90843b4b161a7776e93b41f5cbf86ca3f7",
        "45aa66433d89f2360ac42dae44fff5e99e722f143dfc952e1362e8fdfb29de72",
    ),
    "surge": (
        "4a5842e76beb190b913eb523451bfd736298b0ca4b45a1c220b498357ccadccf",
        "2f8f140832ea9eb92f126982c4fde9352aff0cfd77daabfd4e99f9caba1dc861",
    ),
}


def log_digest(records) -> str:
    """repr keeps every float bit and every field's type, so any change of order, time or value shows."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(repr(tuple(record)).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def scenario_named(name: str) -> Scenario:
    if name == "surge":  # the speed benchmark's 20,000 calls on 300 agents: the abandon-heavy hot path
        return surge_scenario().model_copy(update={"replications": REPLICATIONS})
    return load_scenario(SCENARIOS / f"{name}.yaml")


def replication_digests(name: str) -> tuple[str, ...]:
    scenario = scenario_named(name)
    digests = []
    for seed in replication_seeds(scenario)[:REPLICATIONS]:
        model = build_model(scenario, seed)
        model.run()
        digests.append(log_digest(model.center.log))
    return tuple(digests)


@pytest.mark.parametrize("name", sorted(p.stem for p in SCENARIOS.glob("*.yaml")) + ["surge"])
def test_event_log_of_shipped_scenario_is_unchanged(name):
    digests = replication_digests(name)
    if RECORD:
        print(f'    "{name}": {digests!r},')
        return
    assert len(set(digests)) == REPLICATIONS, "replications must differ, else the digest proves little"
    assert digests == DIGESTS[name]


def test_a_run_collects_garbage_rarely_and_gives_the_settings_back():
    from adapters.sim import model as sim_model

    before = gc.get_threshold()
    seen = []
    with sim_model.rare_garbage_collection():
        seen.append(gc.get_threshold())
    assert seen == [sim_model.RUN_GC_THRESHOLDS]
    assert gc.get_threshold() == before
