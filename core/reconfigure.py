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

from core.config import AgentProfile, Airing, CenterConfig, Hotline, OverflowStep
from core.log import NONE, Verb
from core.messages import ApplyConfig, LogOut, Start
from core.state import OUT, PAUSED, QUEUED, READY, Agent, CommandRejected
from core.strategies import make_strategy
from core.surge import SURGE_OFF, SURGE_ON, policy_during, surge_overflow_groups, surge_windows


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
            profile
            for agent_id, profile in wanted.items()
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


class SiteConfiguration:
    """The part of ``CallCenter`` that takes a configuration: at start, on ``ApplyConfig`` (the rules above)
    and as surge mode switches the policy (``Start``, the surge timers). Kept apart from center.py, which holds
    the routing; its methods work on the core's state and call the core's own helpers (``_emit``,
    ``_start_timer``, ``_ring``, ``_log_out``, ...)."""

    def _use_config(self, config: CenterConfig) -> None:
        """Take the routing data of ``config``: numbers, lists, groups, airings, and the policy in force."""
        try:
            self.strategy = make_strategy(config.policy.strategy, rng=self.rng, last_rung=self.rr_last)
        except ValueError as error:
            raise CommandRejected(str(error)) from None
        self.config = config
        self.hotlines: dict[str, Hotline] = {h.number: h for h in config.hotlines}
        for group in sorted(groups_of(config) - set(self.in_queue)):  # groups are never dropped: calls may wait
            self.in_queue[group], self.waiting[group], self.idle[group], self.logged_in[group] = {}, [], {}, 0
        self.groups = sorted(self.in_queue)
        self._one_level = single_level_groups(config, self.groups)
        self._airings: dict[str, list[Airing]] = {}
        for airing in sorted(config.airings, key=lambda a: a.start):
            self._airings.setdefault(airing.hotline, []).append(airing)
        self.tickets.ttl = config.policy.callback_ttl
        self.tickets.retry_after = config.policy.callback_retry_after
        self.policy = policy_during(config.policy, config.surge, self._surging.values())

    def _start(self, msg: Start, actions: list) -> None:
        if self._started:
            return  # a driver's restart: the journal replay started the core already
        self._started = True
        self._sync_surge(msg.now, actions)

    def _apply_config(self, msg: ApplyConfig, actions: list) -> None:
        """Switch to ``msg.config`` without dropping calls: the rules are in ``core.reconfigure``."""
        now, config = msg.now, msg.config
        change = plan_change(
            {a.agent_id: a.skills_to_come for a in self.agents.values()},
            config,
            [a.agent_id for a in self.agents.values() if a.retired],
        )
        self._use_config(config)  # rejects a config this core cannot run before anything changes
        self._emit(
            now, NONE, NONE, NONE, Verb.CONFIG_APPLIED, msg.label, ",".join(change.added), ",".join(change.removed)
        )
        for order, profile in enumerate(config.agents):
            agent = self.agents.get(profile.agent_id)
            if agent is None:
                skills = dict(profile.skills)
                self.agents[profile.agent_id] = Agent(profile.agent_id, skills, order, groups_by_level(skills))
            else:
                agent.order, agent.retired = order, False
        for profile in change.reskilled:
            self._change_skills(self.agents[profile.agent_id], dict(profile.skills), now, actions)
        for agent_id in change.removed:
            agent = self.agents[agent_id]
            agent.retired = True
            self._change_skills(agent, {}, now, actions)  # takes no new call of any group
            if agent.state == OUT:
                del self.agents[agent_id]
            else:
                self._log_out(LogOut(now, agent_id), actions)
        for call in list(self.calls.values()):
            if call.state == QUEUED and not anyone_can_take(config, call.groups, call.steps):
                self._exit_to_prompt(call, Verb.EXITEMPTY, now, actions)
        self._sync_surge(now, actions)
        self._dispatch_callbacks(now, actions)

    def _change_skills(self, agent: Agent, skills: dict[str, int], now: float, actions: list) -> None:
        """New skills count at once for ``logged_in``; a busy agent works with them from the next idle moment."""
        if agent.state != OUT:
            for group in agent.skills_to_come:
                self.logged_in[group] -= 1
            for group in skills:
                self.logged_in[group] += 1
        agent.next_skills = skills
        if agent.state not in (OUT, READY, PAUSED):
            return  # taken by _agent_free or _do_logout
        idle = agent.state == READY
        if idle:
            self._set_busy(agent)
        self._take_next_skills(agent)
        if idle:
            self._index_idle(agent)
            call = self._best_waiting_call(agent)
            if call is not None:
                self._ring(call, agent, now, actions)

    def _take_next_skills(self, agent: Agent) -> None:
        """Give an agent who is not idle the skills a new configuration gave them (``logged_in`` counts them)."""
        if agent.next_skills is not None:
            agent.skills, agent.next_skills = agent.next_skills, None
            agent.groups_by_level = groups_by_level(agent.skills)

    def _index_idle(self, agent: Agent) -> None:
        """Make an agent who has been idle since ``idle_since`` idle again, in their place in each idle list."""
        agent.state = READY
        self.n_idle += 1
        for group in agent.skills:
            idle = self.idle[group]
            idle[agent.agent_id] = agent
            if any(other.idle_since > agent.idle_since for other in idle.values()):
                self.idle[group] = dict(sorted(idle.items(), key=lambda item: item[1].idle_since))

    def _sync_surge(self, now: float, actions: list) -> None:
        """Surge windows from the current airing schedule: switch on/off what changed, re-arm the timers."""
        for airing_id in self._surge_windows:
            self._cancel_timer(SURGE_ON, airing_id, actions)
            self._cancel_timer(SURGE_OFF, airing_id, actions)
        self._surge_windows = surge_windows(self.config) if self._started else {}
        for airing_id, window in list(self._surging.items()):
            new = self._surge_windows.get(airing_id)
            if new is None or not new.holds(now) or new.kind != window.kind:
                del self._surging[airing_id]
                self._emit(now, NONE, NONE, NONE, Verb.SURGE_OFF, airing_id, window.kind)
        for airing_id, window in self._surge_windows.items():
            if window.holds(now):
                if airing_id not in self._surging:
                    self._emit(now, NONE, NONE, NONE, Verb.SURGE_ON, airing_id, window.kind)
                self._surging[airing_id] = window
            elif window.start > now:
                self._start_timer(SURGE_ON, airing_id, window.start, actions)
            if window.end > now:
                self._start_timer(SURGE_OFF, airing_id, window.end, actions)
        self._surge_policy(now, actions)

    def _surge_timer(self, kind: str, airing_id: str, now: float, actions: list) -> None:
        window = self._surge_windows[airing_id]
        if kind == SURGE_ON:
            self._surging[airing_id] = window
            self._emit(now, NONE, NONE, NONE, Verb.SURGE_ON, airing_id, window.kind)
        elif self._surging.pop(airing_id, None) is not None:
            self._emit(now, NONE, NONE, NONE, Verb.SURGE_OFF, airing_id, window.kind)
        self._surge_policy(now, actions)

    def _surge_policy(self, now: float, actions: list) -> None:
        policy = policy_during(self.config.policy, self.config.surge, self._surging.values())
        if policy != self.policy:
            self.policy = policy
            self._dispatch_callbacks(now, actions)  # the callback reserve may have changed
