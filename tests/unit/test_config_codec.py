"""CenterConfig as JSON data and back; the live journal's ApplyConfig, Start and EndWrapUp lines."""

from __future__ import annotations

import json

import pytest

from adapters.asterisk.journal import decode, encode
from core.config import (
    AgentProfile,
    Airing,
    CenterConfig,
    Hotline,
    OpeningHours,
    OverflowStep,
    Policy,
    SurgePolicy,
)
from core.config_codec import config_from_dict, config_to_dict
from core.messages import ApplyConfig, EndWrapUp, LogIn, Start

RICH = CenterConfig(
    agents=(AgentProfile("a1", {"sales": 2, "service": 1}), AgentProfile("b1", {"backoffice": 1})),
    hotlines=(
        Hotline("400", "sales", OpeningHours(((0, 9 * 3600.0, 18 * 3600.0),), out_of_hours="callback")),
        Hotline("800", "service"),
    ),
    policy=Policy(
        strategy="leasttalk",
        wrapup=15.0,
        ring_timeout=None,
        ivr_queue_length=5,
        overflow={"sales": (OverflowStep("backoffice", after_wait=30.0), OverflowStep("service", None, 4))},
        callback_reserve=None,
    ),
    airings=(Airing("air1", "CCTV-2", 1.7e9, 3600.0, "400", "p1", "live", 12000.0),),
    blacklist=frozenset({"13900000002", "13900000001"}),
    vip=frozenset({"13800000000"}),
    owners={"13700000000": "a1"},
    surge={"live": SurgePolicy(ivr_after=10.0, overflow={"sales": (OverflowStep("backoffice", 0.0),)})},
)


def test_a_config_survives_json_unchanged():
    data = json.loads(json.dumps(config_to_dict(RICH)))
    assert config_from_dict(data) == RICH
    assert data["blacklist"] == ["13900000001", "13900000002"]  # sets written in a stable order


@pytest.mark.parametrize(
    "mutate, named",
    [
        (
            lambda d: d["policy"]["overflow"]["sales"][0].update(after_wait="soon"),
            "config.policy.overflow.sales[0].after_wait: expected a number",
        ),
        (lambda d: d["agents"][0].pop("skills"), "config.agents[0].skills: missing"),
        (lambda d: d["hotlines"][0].update(queue_name="x"), "config.hotlines[0]: unknown field 'queue_name'"),
        (lambda d: d["policy"].update(callback_reserve=1.5), "config.policy.callback_reserve: expected a whole number"),
        (
            lambda d: d["hotlines"][0]["hours"].update(windows=[[0, 1.0]]),
            "config.hotlines[0].hours.windows[0]: expected 3",
        ),
        (lambda d: d["policy"].update(strategy="loudest"), "config: policy.strategy: 'loudest' is not one of"),
    ],
)
def test_bad_data_is_refused_naming_the_field(mutate, named):
    data = config_to_dict(RICH)
    mutate(data)
    with pytest.raises(ValueError) as error:
        config_from_dict(data)
    assert named in str(error.value)


def test_journal_lines_of_the_new_commands_decode_to_equal_messages():
    for message in (ApplyConfig(1.5, RICH, "v7"), Start(1.0), EndWrapUp(2.0, "a1"), LogIn(3.0, "a1", "2001")):
        line = encode(message)
        assert "\n" not in line
        assert decode(line) == message
