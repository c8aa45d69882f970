"""The site configuration: the live call center's ``CenterConfig`` (plus which console user each agent is) in
the scenario format, so that tonight's plan and the live site are written the same way.

A site file is a scenario without the simulation's sections (``twin.scenario.SiteSpec``); a whole scenario
(one with ``calls:``) is accepted too and read as one. ``site_document`` writes a site back in that format
(groups list their agents, the VIP / important / blacklist numbers are listed, airings carry a date and
time); reading it gives an equal ``CenterConfig``.

* ``Site`` -- the configuration and ``agent_users`` (agent ID -> console user name, for hot-desking);
* ``center_config(spec)`` -- the core's configuration of a scenario or site (the twin builds with it too);
* ``config_problems(spec)`` -- ``CenterConfig.problems()`` with the paths of the file's fields;
* ``site_of(spec)`` / ``site_from_document(dict)`` -- a validated ``Site`` (``InvalidConfig`` listing every
  problem); ``load_site(path)`` / ``parse_site(text, name)`` -- from YAML (``InputFileError``, with lines);
* ``site_document(site)`` -- a JSON-able dict; ``site_yaml(site)`` -- the same as YAML text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from os.path import commonprefix
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError

from core.config import (
    SITE_ZONE,
    AgentProfile,
    Airing,
    CenterConfig,
    ConfigProblem,
    Hotline,
    InvalidConfig,
    OpeningHours,
    OverflowStep,
    Policy,
    SurgePolicy,
)
from inputs.problems import InputFileError, Problem
from twin.scenario import CallerSpec, HotlineSpec, OverflowSpec, Scenario, SiteSpec, type_problems
from twin.yamlfile import LoadedYaml, load_yaml, parse_yaml

POOL_PREFIXES = {"vip": "1390", "important": "1380", "blacklist": "1700"}
POOL_SIZE = 500


@dataclass(frozen=True)
class Site:
    config: CenterConfig
    agent_users: dict[str, str] = field(default_factory=dict)  # agent ID -> console user name


def pool(prefix: str, share: float, size: int = POOL_SIZE) -> tuple[str, ...]:
    """Fixed numbers standing for VIP / important / blacklisted callers (a small population that repeats)."""
    return tuple(f"{prefix}{i:06d}" for i in range(size)) if share > 0 else ()


def caller_numbers(callers: CallerSpec, kind: str) -> tuple[str, ...]:
    """The ``vip`` / ``important`` / ``blacklist`` numbers: as listed, or a generated pool if the share is > 0."""
    listed = getattr(callers, kind)
    return tuple(listed) if listed is not None else pool(POOL_PREFIXES[kind], getattr(callers, f"{kind}_share"))


def clock_seconds(text: str) -> float:
    parts = [int(p) for p in text.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)


def clock_text(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _overflow(spec: dict[str, tuple[OverflowSpec, ...]]) -> dict[str, tuple[OverflowStep, ...]]:
    return {q: tuple(OverflowStep(s.group, s.after_wait, s.queue_length) for s in steps) for q, steps in spec.items()}


def _hotline(spec: HotlineSpec) -> Hotline:
    hours = None
    if spec.hours is not None:
        windows = tuple((day, clock_seconds(h.open), clock_seconds(h.close)) for h in spec.hours for day in h.days)
        hours = OpeningHours(
            windows, ZoneInfo(spec.zone) if spec.zone else SITE_ZONE, spec.out_of_hours, spec.forward_to
        )
    return Hotline(spec.number, spec.queue, hours)


def center_config(spec: SiteSpec) -> CenterConfig:
    p = spec.policy
    policy = Policy(
        strategy=p.strategy,
        wrapup=p.wrapup,
        ring_timeout=p.ring_timeout,
        ivr_after=p.ivr_after,
        ivr_queue_length=p.ivr_queue_length,
        sticky_wait=p.sticky_wait,
        ownership=p.ownership,
        overflow=_overflow(p.overflow),
        callback_reserve=p.callback_reserve,
        callback_retry_after=p.callback_retry_after,
        callback_ttl=p.callback_ttl,
        short_abandon=p.short_abandon,
        response_window=p.response_window,
        survey=p.survey,
    )
    return CenterConfig(
        agents=tuple(
            AgentProfile(name, dict(group.skills)) for group in spec.groups for name in spec.agent_names(group)
        ),
        hotlines=tuple(_hotline(h) for h in spec.hotlines),
        policy=policy,
        airings=tuple(
            Airing(a.id, a.channel, spec.airing_start(a), a.length, a.hotline, a.product, a.kind, a.cost)
            for a in spec.airings
        ),
        blacklist=frozenset(caller_numbers(spec.callers, "blacklist")),
        vip=frozenset(caller_numbers(spec.callers, "vip")),
        important=frozenset(caller_numbers(spec.callers, "important")),
        owners=dict(spec.owners),
        surge={
            kind: SurgePolicy(s.ivr_after, s.callback_reserve, None if s.overflow is None else _overflow(s.overflow))
            for kind, s in spec.surge.items()
        },
    )


def _agent_places(spec: SiteSpec) -> list[tuple]:
    """Where each agent of the configuration is written in the file: its group, and its place in the list."""
    places = []
    for i, group in enumerate(spec.groups):
        count = len(group.agents) if group.agents is not None else spec.staffed(group)
        places.extend(("groups", i, "agents", k) if group.agents is not None else ("groups", i) for k in range(count))
    return places


def _file_path(spec: SiteSpec, agent_places: list[tuple], path: tuple) -> tuple:
    """A path into ``CenterConfig`` -> the path of the same thing in the site file."""
    head, rest = path[0], path[1:]
    if head == "agents" and rest:
        place = agent_places[rest[0]]
        return place[:2] + rest[1:] if rest[1:2] == ("skills",) else place
    if head == "hotlines" and rest[1:2] == ("hours",) and len(rest) > 2:
        window = rest[2]
        for j, hours in enumerate(spec.hotlines[rest[0]].hours or ()):
            if window < len(hours.days):
                return ("hotlines", rest[0], "hours", j)
            window -= len(hours.days)
    if head in POOL_PREFIXES:
        return ("callers", head)
    return path


def config_problems(spec: SiteSpec) -> list[ConfigProblem]:
    """Everything ``CenterConfig.problems()`` finds in the configuration of ``spec``, each at its field of
    the file (only the construction errors if the configuration cannot even be built)."""
    try:
        problems = center_config(spec).problems()
    except InvalidConfig as error:
        problems = error.problems
    places = _agent_places(spec)
    mapped = (ConfigProblem(_file_path(spec, places, p.path), p.message) for p in problems)
    return list(dict.fromkeys(mapped))  # agents of one group share their group's problems


def site_of(spec: SiteSpec) -> Site:
    """A validated site; ``InvalidConfig`` lists every problem (fields named as in the site file)."""
    problems = [ConfigProblem(path, message) for path, message in spec.cross_check()] + config_problems(spec)
    if problems:
        raise InvalidConfig(problems)
    return Site(center_config(spec), dict(spec.agent_users))


def site_from_document(document: dict) -> Site:
    """A site from its document (``site_document``; a pydantic ``ValidationError`` if malformed)."""
    return site_of(SiteSpec.model_validate(document))


def _site_of_loaded(loaded: LoadedYaml) -> Site:
    model = Scenario if isinstance(loaded.data, dict) and "calls" in loaded.data else SiteSpec
    spec = validated(loaded, model)
    return Site(center_config(spec), dict(spec.agent_users))


def load_site(path: str | Path) -> Site:
    """A site (or scenario) file; ``InputFileError`` lists every problem as file:line: field: message."""
    return _site_of_loaded(load_yaml(path))


def parse_site(text: str, name: str = "upload.yaml") -> Site:
    return _site_of_loaded(parse_yaml(text, name))


# --- writing ---------------------------------------------------------------------------------------


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _steps(overflow: dict[str, tuple[OverflowStep, ...]]) -> dict:
    return {
        queue: [
            {
                "group": s.group,
                **({"after_wait": _number(s.after_wait)} if s.after_wait is not None else {}),
                **({"queue_length": s.queue_length} if s.queue_length is not None else {}),
            }
            for s in steps
        ]
        for queue, steps in overflow.items()
    }


def _hotline_document(hotline: Hotline) -> dict:
    out: dict = {"number": hotline.number, "queue": hotline.queue}
    hours = hotline.hours
    if hours is None:
        return out
    runs: list[dict] = []  # consecutive windows with the same times share one entry
    for day, start, end in hours.windows:
        if runs and (runs[-1]["open"], runs[-1]["close"]) == (clock_text(start), clock_text(end)):
            runs[-1]["days"].append(day)
        else:
            runs.append({"days": [day], "open": clock_text(start), "close": clock_text(end)})
    out.update(hours=runs, out_of_hours=hours.out_of_hours)
    if hours.zone != SITE_ZONE:
        out["zone"] = str(hours.zone)
    if hours.forward_to is not None:
        out["forward_to"] = hours.forward_to
    return out


def _group_name(agent_ids: list[str], taken: set[str]) -> str:
    name = commonprefix(agent_ids).rstrip("0123456789-_ ") or "group"
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate)
    return candidate


def _groups(agents: tuple[AgentProfile, ...]) -> list[dict]:
    """Consecutive agents with the same skills form one group (the agents' order is kept)."""
    runs: list[tuple[dict, list[str]]] = []
    for agent in agents:
        if runs and runs[-1][0] == agent.skills:
            runs[-1][1].append(agent.agent_id)
        else:
            runs.append((agent.skills, [agent.agent_id]))
    taken: set[str] = set()
    return [{"name": _group_name(ids, taken), "skills": dict(skills), "agents": ids} for skills, ids in runs]


def site_document(site: Site, name: str = "") -> dict:
    """The site in the scenario format, as plain JSON-able data (``site_from_document`` reads it back)."""
    config, p = site.config, site.config.policy
    document: dict = {"name": name} if name else {}
    document["hotlines"] = [_hotline_document(h) for h in config.hotlines]
    if config.airings:
        document["airings"] = [
            {
                "id": a.airing_id,
                "channel": a.channel,
                "start": datetime.fromtimestamp(a.start, SITE_ZONE).isoformat(),
                "length": _number(a.length),
                "hotline": a.hotline,
                "kind": a.kind,
                "product": a.product,
                "cost": _number(a.cost),
            }
            for a in config.airings
        ]
    document["groups"] = _groups(config.agents)
    if site.agent_users:
        document["agent_users"] = dict(site.agent_users)
    document["policy"] = {
        "strategy": p.strategy,
        "wrapup": _number(p.wrapup),
        "ring_timeout": p.ring_timeout,
        "ivr_after": p.ivr_after,
        "ivr_queue_length": p.ivr_queue_length,
        "sticky_wait": _number(p.sticky_wait),
        "ownership": p.ownership,
        "overflow": _steps(p.overflow),
        "callback_reserve": p.callback_reserve,
        "callback_retry_after": _number(p.callback_retry_after),
        "callback_ttl": _number(p.callback_ttl),
        "short_abandon": _number(p.short_abandon),
        "response_window": _number(p.response_window),
    }
    if p.survey:
        document["policy"]["survey"] = True
    if config.surge:
        document["surge"] = {
            kind: {
                key: value
                for key, value in (
                    ("ivr_after", s.ivr_after),
                    ("callback_reserve", s.callback_reserve),
                    ("overflow", None if s.overflow is None else _steps(s.overflow)),
                )
                if value is not None
            }
            for kind, s in config.surge.items()
        }
    callers = {
        kind: sorted(getattr(config, kind)) for kind in ("vip", "important", "blacklist") if getattr(config, kind)
    }
    if callers:
        document["callers"] = callers
    if config.owners:
        document["owners"] = dict(config.owners)
    return document


def site_yaml(site: Site, header: str = "") -> str:
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    return comment + yaml.safe_dump(
        site_document(site), sort_keys=False, allow_unicode=True, default_flow_style=None, width=120
    )


def validated(loaded: LoadedYaml, model: type[SiteSpec], problems_of_config=None) -> SiteSpec:
    """The loaded file as a ``model`` (``Scenario`` or ``SiteSpec``); raise InputFileError listing every
    problem found, the core configuration's own (``problems_of_config(spec)``, default ``config_problems``)
    included."""
    if not isinstance(loaded.data, dict):
        raise InputFileError(
            [Problem(loaded.file, 1, "", "a scenario must be a mapping of fields (name:, start:, ...)")]
        )
    try:
        spec = model.model_validate(loaded.data)
    except ValidationError as error:
        raise InputFileError(type_problems(loaded, error)) from None
    problems = [loaded.problem(path_, message) for path_, message in spec.cross_check()]
    problems += [loaded.problem(p.path, p.message) for p in (problems_of_config or config_problems)(spec)]
    if problems:
        raise InputFileError(problems)
    return spec


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (and its forecast CSV, whose path becomes relative to the working
    directory); raise InputFileError listing every problem found."""
    scenario = validated(load_yaml(path), Scenario)
    assert isinstance(scenario, Scenario)
    if scenario.forecast is None:
        return scenario
    from twin.forecast import forecast_of

    located = scenario.forecast.model_copy(update={"file": str(Path(path).parent / scenario.forecast.file)})
    scenario = scenario.model_copy(update={"forecast": located})
    forecast_of(scenario)  # every problem of the CSV, with line and column, before anything runs
    return scenario
