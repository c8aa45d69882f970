"""What a running core must do when it is given a new configuration (``ApplyConfig``), worked out as data.

The rules, carried out by ``SiteConfiguration`` on ``CallCenter``'s state without dropping a call:

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
from typing import TYPE_CHECKING, Iterable

from core.bookkeeping import Handlers
from core.center_part import CenterPart
from core.config import AgentProfile, Airing, CenterConfig, OverflowStep
from core.log import NONE, Verb
from core.messages import ApplyConfig, LogOut, Start
from core.state import OUT, PAUSED, QUEUED, READY, Agent, CommandRejected, groups_by_level
from core.strategies import make_strategy
from core.surge import SURGE_OFF, SURGE_ON, SurgeWindow, policy_during, surge_overflow_groups, surge_windows

if TYPE_CHECKING:
    from core.center import CallCenter


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


def anyone_can_take(config: CenterConfig, groups: Iterable[str], steps: Iterable[OverflowStep]) -> bool:
    """Whether an agent of ``config`` has a skill in one of the call's groups or its overflow plan's."""
    reachable = set(groups) | {step.group for step in steps}
    return any(group in profile.skills for profile in config.agents for group in reachable)


class SiteConfiguration(CenterPart):
    """The configuration of a running ``CallCenter``: taken at start, on ``ApplyConfig`` (the rules above)
    and as surge mode switches the policy (``Start``, the surge timers). It sets the center's routing data
    (``config``, ``policy``, ``strategy``, ``hotlines``, groups) and keeps the airing schedule."""

    def __init__(self, center: CallCenter) -> None:
        super().__init__(center)
        self.started = False
        self.airings: dict[str, list[Airing]] = {}  # hotline -> its airings by start
        self.surge_windows: dict[str, SurgeWindow] = {}  # airing id -> its surge window (once started)
        self.surging: dict[str, SurgeWindow] = {}  # the windows in force now

    def handlers(self) -> Handlers:
        return {Start: self.start, ApplyConfig: self.apply}

    def use(self, config: CenterConfig) -> None:
        """Take the routing data of ``config``: numbers, lists, groups, airings, and the policy in force."""
        center = self.center
        try:
            center.strategy = make_strategy(config.policy.strategy, rng=center.rng, last_rung=center.rr_last)
        except ValueError as error:
            raise CommandRejected(str(error)) from None
        center.config = config
        center.hotlines = {h.number: h for h in config.hotlines}
        for group in sorted(groups_of(config) - set(center.in_queue)):  # groups are never dropped: calls may wait
            center.in_queue[group], center.waiting[group], center.idle[group], center.logged_in[group] = {}, [], {}, 0
        center.groups = sorted(center.in_queue)
        center.one_level_groups = single_level_groups(config, center.groups)
        self.airings = {}
        for airing in sorted(config.airings, key=lambda a: a.start):
            self.airings.setdefault(airing.hotline, []).append(airing)
        center.tickets.ttl = config.policy.callback_ttl
        center.tickets.retry_after = config.policy.callback_retry_after
        center.policy = policy_during(config.policy, config.surge, self.surging.values())

    def airing_for(self, hotline: str, at: float) -> Airing | None:
        """The latest airing on this number whose response window holds ``at``."""
        found = None
        for airing in self.airings.get(hotline, ()):
            if airing.start > at:
                break
            if at <= airing.start + airing.length + self.center.policy.response_window:
                found = airing
        return found

    def start(self, msg: Start, actions: list) -> None:
        if self.started:
            return  # a driver's restart: the journal replay started the core already
        self.started = True
        self._sync_surge(msg.now, actions)

    def apply(self, msg: ApplyConfig, actions: list) -> None:
        """Switch to ``msg.config`` without dropping calls: the rules are at the top of this module."""
        center = self.center
        now, config = msg.now, msg.config
        change = plan_change(
            {a.agent_id: a.skills_to_come for a in center.agents.values()},
            config,
            [a.agent_id for a in center.agents.values() if a.retired],
        )
        self.use(config)  # rejects a config this core cannot run before anything changes
        center.emit(
            now, NONE, NONE, NONE, Verb.CONFIG_APPLIED, msg.label, ",".join(change.added), ",".join(change.removed)
        )
        for order, profile in enumerate(config.agents):
            agent = center.agents.get(profile.agent_id)
            if agent is None:
                skills = dict(profile.skills)
                center.agents[profile.agent_id] = Agent(profile.agent_id, skills, order, groups_by_level(skills))
            else:
                agent.order, agent.retired = order, False
        for profile in change.reskilled:
            self._change_skills(center.agents[profile.agent_id], dict(profile.skills), now, actions)
        for agent_id in change.removed:
            agent = center.agents[agent_id]
            agent.retired = True
            self._change_skills(agent, {}, now, actions)  # takes no new call of any group
            if agent.state == OUT:
                del center.agents[agent_id]
            else:
                center.agent_desk.log_out(LogOut(now, agent_id), actions)
        for call in list(center.calls.values()):
            if call.state == QUEUED and not anyone_can_take(config, call.groups, call.steps):
                center.exit_to_prompt(call, Verb.EXITEMPTY, now, actions)
        self._sync_surge(now, actions)
        center.callbacks.dispatch(now, actions)

    def _change_skills(self, agent: Agent, skills: dict[str, int], now: float, actions: list) -> None:
        """New skills count at once for ``logged_in``; a busy agent works with them from the next idle moment."""
        center = self.center
        if agent.state != OUT:
            for group in agent.skills_to_come:
                center.logged_in[group] -= 1
            for group in skills:
                center.logged_in[group] += 1
        agent.next_skills = skills
        if agent.state not in (OUT, READY, PAUSED):
            return  # taken by AgentDesk.agent_free or do_logout
        idle = agent.state == READY
        if idle:
            center.set_busy(agent)
        agent.take_next_skills()
        if idle:
            self._index_idle(agent)
            call = center.agent_desk.best_waiting_call(agent)
            if call is not None:
                center.ring(call, agent, now, actions)

    def _index_idle(self, agent: Agent) -> None:
        """Make an agent who has been idle since ``idle_since`` idle again, in their place in each idle list."""
        center = self.center
        agent.state = READY
        center.n_idle += 1
        for group in agent.skills:
            idle = center.idle[group]
            idle[agent.agent_id] = agent
            if any(other.idle_since > agent.idle_since for other in idle.values()):
                center.idle[group] = dict(sorted(idle.items(), key=lambda item: item[1].idle_since))

    def _sync_surge(self, now: float, actions: list) -> None:
        """Surge windows from the current airing schedule: switch on/off what changed, re-arm the timers."""
        center = self.center
        for airing_id in self.surge_windows:
            center.cancel_timer(SURGE_ON, airing_id, actions)
            center.cancel_timer(SURGE_OFF, airing_id, actions)
        self.surge_windows = surge_windows(center.config) if self.started else {}
        for airing_id, window in list(self.surging.items()):
            new = self.surge_windows.get(airing_id)
            if new is None or not new.holds(now) or new.kind != window.kind:
                del self.surging[airing_id]
                center.emit(now, NONE, NONE, NONE, Verb.SURGE_OFF, airing_id, window.kind)
        for airing_id, window in self.surge_windows.items():
            if window.holds(now):
                if airing_id not in self.surging:
                    center.emit(now, NONE, NONE, NONE, Verb.SURGE_ON, airing_id, window.kind)
                self.surging[airing_id] = window
            elif window.start > now:
                center.start_timer(SURGE_ON, airing_id, window.start, actions)
            if window.end > now:
                center.start_timer(SURGE_OFF, airing_id, window.end, actions)
        self._surge_policy(now, actions)

    def surge_timer(self, kind: str, airing_id: str, now: float, actions: list) -> None:
        center = self.center
        window = self.surge_windows[airing_id]
        if kind == SURGE_ON:
            self.surging[airing_id] = window
            center.emit(now, NONE, NONE, NONE, Verb.SURGE_ON, airing_id, window.kind)
        elif self.surging.pop(airing_id, None) is not None:
            center.emit(now, NONE, NONE, NONE, Verb.SURGE_OFF, airing_id, window.kind)
        self._surge_policy(now, actions)

    def _surge_policy(self, now: float, actions: list) -> None:
        center = self.center
        policy = policy_during(center.config.policy, center.config.surge, self.surging.values())
        if policy != center.policy:
            center.policy = policy
            center.callbacks.dispatch(now, actions)  # the callback reserve may have changed
