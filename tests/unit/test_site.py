"""The site configuration: CenterConfig.problems() names every problem, and a site written in the scenario
format reads back to an equal CenterConfig (every shipped scenario, and configurations the twin never makes)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.config import (
    AgentProfile,
    Airing,
    CenterConfig,
    Hotline,
    InvalidConfig,
    OpeningHours,
    OverflowStep,
    Policy,
    SurgePolicy,
)
from tests.helpers import shipped_scenarios
from twin.site import (
    Site,
    center_config,
    load_scenario,
    load_site,
    parse_site,
    site_document,
    site_from_document,
    site_yaml,
)
from twin.yamlfile import InputFileError

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = shipped_scenarios(ROOT)
T0 = 1_764_000_000.0


def fields(config: CenterConfig) -> dict[str, str]:
    return {p.field: p.message for p in config.problems()}


def good(**overrides) -> CenterConfig:
    values = dict(
        agents=(
            AgentProfile("a1", {"orders": 2, "service": 1}),
            AgentProfile("a2", {"orders": 1}),
            AgentProfile("b1", {"backoffice": 1}),
            AgentProfile("a3", {"orders": 1}),
        ),
        hotlines=(
            Hotline(
                "400",
                "orders",
                OpeningHours(
                    ((0, 8 * 3600, 12 * 3600), (0, 13 * 3600, 20 * 3600 + 30), (5, 0, 86400)),
                    ZoneInfo("Asia/Bangkok"),
                    "forward",
                    "02112345678",
                ),
            ),
            Hotline("800", "service", OpeningHours((), out_of_hours="callback")),
            Hotline("801", "service"),
        ),
        policy=Policy(
            strategy="linear",
            wrapup=12.5,
            ring_timeout=None,
            ivr_after=None,
            ivr_queue_length=4,
            overflow={"orders": (OverflowStep("backoffice", after_wait=20), OverflowStep("service", queue_length=3))},
        ),
        airings=(Airing("air-1", "TV 1", T0, 1800, "400", "blender", "live", 80000.5),),
        blacklist=frozenset({"1700"}),
        vip=frozenset({"1390", "1391"}),
        important=frozenset({"1380"}),
        owners={"13800138000": "a2"},
        surge={
            "live": SurgePolicy(
                ivr_after=20, callback_reserve=6, overflow={"orders": (OverflowStep("backoffice", after_wait=5),)}
            ),
            "sale": SurgePolicy(callback_reserve=3),
        },
    )
    values.update(overrides)
    return CenterConfig(**values)


def test_a_good_configuration_has_no_problems():
    assert good().problems() == []


def test_every_problem_is_named_with_its_field():
    config = good(
        agents=(AgentProfile("a1", {"orders": 1}), AgentProfile("idle", {}), AgentProfile("a3", {"orders": 0})),
        hotlines=(
            Hotline(
                "400",
                "sales",
                OpeningHours(
                    ((0, 8 * 3600, 12 * 3600), (0, 11 * 3600, 14 * 3600), (7, 0, 3600), (1, 5000, 4000)),
                    out_of_hours="forward",
                ),
            ),
        ),
        policy=Policy(overflow={"orders": (OverflowStep("backoffice"),)}, response_window=-1),
        owners={"138": "ghost"},
        surge={"infomercial": SurgePolicy(callback_reserve=-1)},
        blacklist=frozenset({"1390"}),
        airings=(Airing("air-1", "TV 1", T0, 0, "999", kind="infomercial"),),
    )
    found = fields(config)
    expected = {
        "agents[1].skills": "agent idle is in no group",
        "agents[2].skills.orders": "whole number >= 1",
        "hotlines[0].queue": "no agent group has the skill 'sales'",
        "hotlines[0].forward_to": "give the number",
        "hotlines[0].hours[1]": "overlaps opening hours [0]",
        "hotlines[0].hours[2]": "weekday 7",
        "hotlines[0].hours[3]": "opening must be before closing",
        "policy.overflow.orders": "not a hotline's queue",
        "policy.overflow.orders[0].group": "no agent group has the skill 'backoffice'",
        "policy.response_window": "must not be negative",
        "airings[0].hotline": "'999' is not one of the hotlines",
        "airings[0].kind": "'infomercial' is not one of live",
        "airings[0].length": "must be more than 0",
        "owners.138": "'ghost' is not one of the agents",
        "surge.infomercial": "not an airing kind",
        "surge.infomercial.callback_reserve": "must not be negative",
        "vip": "1390 is also on the blacklist",
    }
    for field, words in expected.items():
        assert words in found.get(field, ""), (field, found)
    assert "policy.overflow.orders[0]" in found  # a step with neither after_wait nor queue_length


def test_what_no_core_can_run_with_is_refused_on_construction():
    with pytest.raises(InvalidConfig) as caught:
        good(agents=(AgentProfile("a1", {"orders": 1}),) * 2, policy=Policy(strategy="loudest", wrapup=-1))
    assert {p.field for p in caught.value.problems} == {"agents[1]", "policy.strategy", "policy.wrapup"}
    assert caught.value.fields["problems"][0] == {
        "field": "policy.strategy",
        "message": "'loudest' is not one of rrmemory, fewestcalls, leasttalk, longestidle, linear, random",
    }


@pytest.mark.parametrize("path", SCENARIOS, ids=[str(p.relative_to(ROOT)) for p in SCENARIOS])
def test_every_shipped_scenario_exports_and_imports_to_an_equal_config(path, tmp_path):
    config = center_config(load_scenario(path))
    exported = tmp_path / "site.yaml"
    exported.write_text(site_yaml(Site(config), "exported"))
    assert load_site(exported).config == config
    assert load_site(path).config == config  # a whole scenario reads as a site too
    assert site_from_document(site_document(Site(config))).config == config


def test_a_configuration_the_twin_never_makes_round_trips_with_its_users():
    site = Site(good(), {"a1": "alice", "b1": "bob"})
    text = site_yaml(site)
    again = parse_site(text)
    assert again == site
    assert again.config.hotlines[0].hours.windows[1] == (0, 13 * 3600, 20 * 3600 + 30)
    assert site_from_document(site_document(again)) == site
    assert [g["name"] for g in site_document(site)["groups"]] == ["a", "a-2", "b", "a-3"]


def test_a_bad_site_file_names_file_line_and_field_of_every_problem(tmp_path):
    text = site_yaml(Site(good(), {"a1": "alice", "ghost": "carol"}))
    text = text.replace("queue: orders", "queue: sales", 1).replace("'13:00'", "'11:00'")
    path = tmp_path / "site.yaml"
    path.write_text(text)
    with pytest.raises(InputFileError) as caught:
        load_site(path)
    lines = text.splitlines()
    found = {p.field: p for p in caught.value.problems}
    assert found["hotlines[0].queue"].line == next(i for i, line in enumerate(lines, 1) if "queue: sales" in line)
    assert "overlaps" in found["hotlines[0].hours[1]"].message
    assert found["agent_users.ghost"].line == next(i for i, line in enumerate(lines, 1) if "ghost:" in line)
    assert str(found["hotlines[0].queue"]).startswith(f"{path}:")


def test_names_yaml_would_misread_round_trip():
    weird = ["a\x00b", "北京-坐席-01", "🙂", "x: y", "- z", "'q'", "null", "1e3", "  sp  ", "a\tb\nc", "123"]
    config = CenterConfig(
        tuple(AgentProfile(w, {w + "g": 1}) for w in weird),
        tuple(Hotline(f"40{i}", w + "g") for i, w in enumerate(weird)),
        owners={"true": weird[1]},
        vip=frozenset({"null", "1e3"}),
    )
    site = Site(config, {weird[1]: "用户", "123": "null"})
    assert config.problems() == []
    assert parse_site(site_yaml(site)) == site


def test_a_headcount_typo_is_refused_before_any_agent_is_made():
    text = "hotlines: [{number: '400', queue: q}]\ngroups:\n" + "".join(
        f"- {{name: g{i}, skills: {{q: 1}}, staffing: 10000}}\n" for i in range(6)
    )
    with pytest.raises(InputFileError, match="60000 agents in all; at most 50000"):
        parse_site(text)
    with pytest.raises(InputFileError, match="groups\\[0\\].staffing: Input should be less than or equal to 10000"):
        parse_site("hotlines: [{number: '400', queue: q}]\ngroups: [{name: g, skills: {q: 1}, staffing: 100000000}]\n")


def test_one_console_user_is_one_agent():
    text = site_yaml(Site(good(), {"a1": "alice", "a2": "alice", "b1": "bob"}))
    with pytest.raises(InputFileError) as caught:
        parse_site(text)
    assert {p.field for p in caught.value.problems} == {"agent_users.a1", "agent_users.a2"}
    assert all("linked to more than one agent" in p.message for p in caught.value.problems)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "0" * 300, "../../etc/passwd"])
def test_an_unknown_time_zone_is_a_problem_of_its_field(zone):
    from pydantic import ValidationError

    from twin.scenario import HotlineSpec

    with pytest.raises(ValidationError) as error:
        HotlineSpec(number="4008001000", queue="orders", zone=zone)
    assert error.value.errors()[0]["loc"] == ("zone",)
    assert "is not a time zone name" in str(error.value)
