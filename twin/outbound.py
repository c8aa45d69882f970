"""The twin of an outbound campaign: a planner sees the drop rate and contacts per agent-hour of a dialing
mode and pacing before the campaign runs. The scenario gives the list size, the agents, the mode and cap,
and the callees' answer rate, ring, handle and patience distributions; the core's dialer and pacer are the
live ones (``adapters/sim/outbound.py`` drives them)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BeforeValidator, Field, ValidationError, field_validator

from adapters.sim.outbound import CalleeBehaviour, OutboundModel
from core.campaigns import MODES, Campaign, ListEntry
from core.center import CallCenter
from core.config import SITE_ZONE, AgentProfile, CenterConfig, Hotline, Policy
from core.log import Verb
from inputs.durations import parse_duration
from inputs.problems import InputFileError, Problem
from twin.build import distribution
from twin.scenario import DistributionSpec, Duration, Share, Spec, type_problems
from twin.yamlfile import LoadedYaml, load_yaml

SKILL = "outbound"


class CalleeSpec(Spec):
    answer_rate: Share
    busy_share: Share = 0.3
    ring_to_answer: DistributionSpec = DistributionSpec(distribution="lognormal", mean=12.0, sd=6.0)
    handle: DistributionSpec = DistributionSpec(distribution="lognormal", mean=180.0, sd=90.0)
    patience: DistributionSpec = DistributionSpec(distribution="exponential", mean=5.0)
    zero_share: Share = 0.1


class OutboundScenario(Spec):
    name: str
    start: datetime
    horizon: Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
    seed: Annotated[int, Field(ge=0)] = 1
    mode: Literal[MODES] = "predictive"  # type: ignore[valid-type]
    numbers: Annotated[int, Field(ge=1, le=1_000_000)]
    agents: Annotated[int, Field(ge=0, le=10_000)]
    drop_cap: Annotated[float, Field(gt=0, lt=1)] = 0.03
    max_attempts: Annotated[int, Field(ge=1)] = 3
    ring_timeout: Duration = 30.0
    connect_within: Duration = 2.0
    wrapup: Duration = 0.0
    broadcast_lines: Annotated[int, Field(ge=1)] = 10
    callees: CalleeSpec

    @field_validator("start")
    @classmethod
    def _zone(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=SITE_ZONE)


def load_outbound(path: str | Path) -> OutboundScenario:
    loaded: LoadedYaml = load_yaml(path)
    if not isinstance(loaded.data, dict):
        raise InputFileError([Problem(loaded.file, 1, "", "an outbound scenario is a mapping of fields")])
    try:
        return OutboundScenario.model_validate(loaded.data)
    except ValidationError as error:
        raise InputFileError(type_problems(loaded, error)) from None


def simulate(
    scenario: OutboundScenario, *, mode: str | None = None, drop_cap: float | None = None, seed: int | None = None
) -> dict:
    """One run; the summary a planner reads (contacts per agent-hour, drop rate, ...)."""
    mode = mode or scenario.mode
    start = scenario.start.timestamp()
    local = scenario.start.astimezone(SITE_ZONE)
    begin = local.hour * 3600 + local.minute * 60 + local.second
    agents = [f"o{i:03d}" for i in range(1, scenario.agents + 1)]
    campaign = Campaign(
        "sim",
        scenario.name,
        mode,
        local.date(),
        local.date(),
        window=(begin, min(86400, begin + scenario.horizon)),
        calling_hours=(0.0, 86400.0),
        skill_group=SKILL,
        max_attempts=scenario.max_attempts,
        drop_cap=drop_cap if drop_cap is not None else scenario.drop_cap,
        ring_timeout=scenario.ring_timeout,
        connect_within=scenario.connect_within,
        recording="notice" if mode == "broadcast" else "",
        broadcast_lines=scenario.broadcast_lines,
        approved_by="twin",
    )
    entries = [ListEntry(f"+86138{i:08d}", row=i + 2) for i in range(scenario.numbers)]
    config = CenterConfig(
        tuple(AgentProfile(a, {SKILL: 1}) for a in agents),
        (Hotline("400", SKILL),),
        Policy(wrapup=scenario.wrapup, callback_reserve=None),
    )
    center = CallCenter(config)
    c = scenario.callees
    behaviour = CalleeBehaviour(
        c.answer_rate,
        c.busy_share,
        distribution(c.ring_to_answer),
        distribution(c.handle),
        distribution(c.patience),
        zero_share=c.zero_share,
    )
    model = OutboundModel(
        center,
        campaign,
        entries,
        agents,
        behaviour,
        start,
        np.random.SeedSequence(scenario.seed if seed is None else seed),
    )
    info = model.run(scenario.horizon)
    return summarise(center.log, campaign, len(agents), start, min(info.ended_at, start + scenario.horizon))


def summarise(log, campaign: Campaign, n_agents: int, start: float, end: float) -> dict:
    counts = {
        verb: 0
        for verb in (
            Verb.OUTBOUND_DIAL,
            Verb.OUTBOUND_ANSWER,
            Verb.OUTBOUND_CONNECT,
            Verb.OUTBOUND_DROP,
            Verb.OUTBOUND_RESULT,
        )
    }
    talk = 0.0
    for record in log:
        if record.queue == campaign.campaign_id and record.verb in counts:
            counts[record.verb] += 1
        if record.queue == campaign.campaign_id and record.verb == Verb.OUTBOUND_COMPLETE:
            talk += float(record.field("talk"))
    hours = max(end - start, 1e-9) / 3600
    answered, drops, connects = counts[Verb.OUTBOUND_ANSWER], counts[Verb.OUTBOUND_DROP], counts[Verb.OUTBOUND_CONNECT]
    return {
        "mode": campaign.mode,
        "drop_cap": campaign.drop_cap,
        "agents": n_agents,
        "hours": round(hours, 3),
        "attempts": counts[Verb.OUTBOUND_DIAL],
        "answered": answered,
        "contacts": connects,
        "drops": drops,
        "drop_rate": round(drops / answered, 4) if answered else 0.0,
        "contacts_per_agent_hour": round(connects / (n_agents * hours), 3) if n_agents else 0.0,
        "occupancy": round(talk / (n_agents * hours * 3600), 3) if n_agents else 0.0,
    }
