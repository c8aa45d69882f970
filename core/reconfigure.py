"""What a running core must do when it is given a new configuration (``ApplyConfig``), worked out as data.

The rules, carried out by ``CallCenter`` without dropping a call:

* calls in progress (ringing, talking, in the callback prompt) keep going; their hotline and overflow plan
  stay those they arrived with;
* agents new in the configuration appear logged out;
* an agent removed from it is logged off: now if idle, paused or ringing (the ring is withdrawn and the call
  offered to someone else), otherwise once the current call, wrap-up or callback ends (pending logout);
  they cannot log in again unless a later configuration brings them back;
* changed skills apply at once to an agent who is logged out, paused or idle (idle lists re-indexed, and an
  idle agent may be rung at once with a waiting call of a new group), otherwise from the agent's next idle
  moment;
* new hotline numbers route at once; removed numbers reject new calls only;
* a waiting call that no agent of the new configuration could take (no skill in its queue, in a group it
  overflowed to or in a group its overflow plan still leads to) goes to the callback prompt (EXITEMPTY);
  the others keep waiting;
* the new policy (and surge settings and airing schedule) applies to decisions made from now on;
* one CONFIG_APPLIED record is logged before the consequences (logoffs, prompts) of the switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from core.config import AgentProfile, CenterConfig, OverflowStep
from core.surge import surge_overflow_groups


@dataclass(frozen=True, slots=True)
class ConfigChange:
    added: tuple[str, ...]  # agents new in the configuration, in its order
    removed: tuple[str, ...]  # agents no longer in it, in the core's order
    reskilled: tuple[AgentProfile, ...]  # agents whose skill levels changed, with the new skills


def plan_change(current: dict[str, dict[str, int]], config: CenterConfig, retired: Iterable[str] = ()) -> ConfigChange:
    """``current``: agent id -> the skills the core will give that agent (the pending ones if it has them);
    ``retired``: those of them already removed by an earlier configuration (not yet logged off)."""
    wanted = {profile.agent_id: profile for profile in config.agents}
    retired = set(retired)
    return ConfigChange(
        added=tuple(agent_id for agent_id in wanted if agent_id not in current or agent_id in retired),
        removed=tuple(agent_id for agent_id in current if agent_id not in wanted and agent_id not in retired),
        reskilled=tuple(
            profile for agent_id, profile in wanted.items()
            if agent_id in current and current[agent_id] != profile.skills
        ),
    )


def groups_of(config: CenterConfig) -> set[str]:
    """Every skill group the configuration names: agents' skills, hotline queues, overflow targets."""
    groups = {g for a in config.agents for g in a.skills} | {h.queue for h in config.hotlines}
    for steps in config.policy.overflow.values():
        groups |= {s.group for s in steps}
    return groups | surge_overflow_groups(config)


def single_level_groups(config: CenterConfig, groups: Iterable[str]) -> set[str]:
    """Groups whose agents all have one skill level (no level tiers to sort out when choosing an agent)."""
    levels: dict[str, set[int]] = {g: set() for g in groups}
    for profile in config.agents:
        for group, level in profile.skills.items():
            levels.setdefault(group, set()).add(level)
    return {g for g, found in levels.items() if len(found) <= 1}


def groups_by_level(skills: dict[str, int]) -> tuple[tuple[str, ...], ...]:
    """The agent's skill groups, best level first (groups of one level in the order given)."""
    levels = sorted(set(skills.values()), reverse=True)
    return tuple(tuple(g for g, lv in skills.items() if lv == level) for level in levels)


def anyone_can_take(config: CenterConfig, groups: Iterable[str], steps: Iterable[OverflowStep]) -> bool:
    """Whether an agent of ``config`` has a skill in one of the call's groups or its overflow plan's."""
    reachable = set(groups) | {step.group for step in steps}
    return any(group in profile.skills for profile in config.agents for group in reachable)
