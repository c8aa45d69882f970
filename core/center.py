"""The call center's routing engine (ACD): calls from arrival to an agent's answer or the callback prompt.

``CallCenter.handle(message)`` takes one event or command, updates state, appends domain events to the
log and returns the actions the driver must carry out. Nothing here reads a clock or does I/O.

``CallCenter`` holds the state every part shares (agents, calls, queues, idle lists, tickets, timers) and
routes calls; its collaborators, each given the center, do the rest: ``AgentDesk`` (agents' commands and
states, ``agent_desk``), ``Conversations`` (an answered call to its end, ``conversations``),
``CallbackDispatch`` (tickets to agents, ``callback_dispatch``), ``SiteConfiguration`` (a configuration and
surge mode, ``reconfigure``), ``OutboundAgents`` with its ``Dialer`` (campaigns, ``blending``). Agent
selection is a strategy object (``strategies``) that the configuration names.
"""

from __future__ import annotations

import heapq
from typing import Container

from core.agent_desk import AgentDesk
from core.blending import OutboundAgents
from core.bookkeeping import Bookkeeping, Handlers
from core.callback_dispatch import CallbackDispatch
from core.campaigns import NumberZones
from core.config import PRIORITY_CLASSES, CenterConfig, Hotline, Policy
from core.conversations import Conversations
from core.log import NONE, Verb
from core.messages import (
    CallArrived,
    CallerHungUp,
    HangUp,
    HoldCall,
    PlayCallbackPrompt,
    RingAgent,
    TimerFired,
)
from core.ports import CallerHistory, EventSink, InMemoryCallerHistory, RandomSource
from core.reconfigure import SiteConfiguration
from core.state import (  # re-exported: drivers and tests know them from here
    CALL_RINGING,
    CALL_TALKING,
    ENDED,
    OUT,
    PROMPT,
    QUEUED,
    READY,
    RINGING,
    Agent,
    Call,
    CommandRejected,
    groups_by_level,
    heap_key,
)
from core.strategies import Strategy
from core.surge import SURGE_OFF, SURGE_ON
from core.tickets import TicketBook

__all__ = ["CallCenter", "CommandRejected", "Agent", "Call", "READY", "QUEUED", "CALL_RINGING"]  # what drivers import


class CallCenter(Bookkeeping):
    # set by SiteConfiguration.use from the configuration in force (and surge mode, for ``policy``)
    config: CenterConfig
    policy: Policy
    strategy: Strategy
    hotlines: dict[str, Hotline]
    one_level_groups: set[str]  # groups whose agents all have one skill level

    def __init__(
        self,
        config: CenterConfig,
        *,
        rng: RandomSource | None = None,
        log: EventSink | None = None,
        history: CallerHistory | None = None,
        zones: NumberZones | None = None,
        do_not_call: Container[str] = (),
    ) -> None:
        super().__init__(log if log is not None else [])
        self.rng = rng
        self.history = history or InMemoryCallerHistory()
        self.agents: dict[str, Agent] = {}
        for order, profile in enumerate(config.agents):
            skills = dict(profile.skills)
            self.agents[profile.agent_id] = Agent(profile.agent_id, skills, order, groups_by_level(skills))
        self.groups: list[str] = []
        self.calls: dict[str, Call] = {}
        self.in_queue: dict[str, dict[str, Call]] = {}  # group -> calls of that home queue, arrival order
        self.waiting: dict[str, list[tuple[int, int, str]]] = {}  # group -> lazy heap of calls offered to it
        self.idle: dict[str, dict[str, Agent]] = {}  # group -> idle agents; insertion = idle order
        self.logged_in: dict[str, int] = {}
        self.reserved: dict[str, list[Call]] = {}  # sticky calls waiting for one agent
        self.rr_last: dict[str, int] = {}
        self.n_idle = 0
        self.tickets = TicketBook(config.policy.callback_ttl, config.policy.callback_retry_after)
        self._seq = 0
        self.agent_desk = AgentDesk(self)
        self.conversations = Conversations(self)
        self.callbacks = CallbackDispatch(self)
        self.site = SiteConfiguration(self)  # the configuration in force, surge mode, the airing schedule
        self.site.use(config)
        self.blending = OutboundAgents(self, zones=zones, do_not_call=do_not_call)
        self.outbound = self.blending.dialer  # campaigns: core.dialer, the agents it borrows: core.blending
        self._handlers: Handlers = {
            CallArrived: self._call_arrived,
            CallerHungUp: self._caller_hung_up,
            TimerFired: self._timer_fired,
        }
        for part in (self.agent_desk, self.conversations, self.callbacks, self.site):
            self._handlers.update(part.handlers())
        self._handlers.update(dict.fromkeys(self.outbound.handlers, self.outbound.handle))

    # --- entry point ---------------------------------------------------------------------------

    def handle(self, message) -> list:
        actions: list = []
        handler = self._handlers.get(type(message))
        if handler is None:
            raise TypeError(f"the core does not handle {type(message).__name__}")
        handler(message, actions)
        return actions

    # --- inbound calls -------------------------------------------------------------------------

    def _position(self, call: Call) -> int:
        """1-based place in the home queue (arrival order); one past the end if the call is not in it.
        The scan runs in C (``list.index`` over the keys): a surge's abandons meet queues thousands long."""
        members = self.in_queue[call.queue]
        if members.get(call.call_id) is not call:
            return len(members) + 1
        return list(members).index(call.call_id) + 1

    def _call_arrived(self, msg: CallArrived, actions: list) -> None:
        now = msg.now
        if msg.call_id in self.calls:
            raise CommandRejected(f"call {msg.call_id} is already in progress")
        hotline = self.hotlines.get(msg.hotline)
        if hotline is None:
            self.emit(now, msg.call_id, NONE, NONE, Verb.REJECTED, "unknown-number", msg.caller, msg.hotline)
            actions.append(HangUp(msg.call_id, "unknown-number"))
            return
        if msg.caller and msg.caller in self.config.blacklist:
            self.emit(now, msg.call_id, hotline.queue, NONE, Verb.REJECTED, "blacklist", msg.caller, msg.hotline)
            actions.append(HangUp(msg.call_id, "blacklist"))
            return
        if hotline.hours is not None and not hotline.hours.open_at(now):
            action = hotline.hours.out_of_hours
            self.emit(now, msg.call_id, hotline.queue, NONE, Verb.OUTOFHOURS, action, msg.caller, msg.hotline)
            if action == "callback":
                probe = Call(
                    msg.call_id, msg.caller, msg.hotline, hotline.queue, self.config.priority_of(msg.caller), 0, now
                )
                self.callbacks.open_ticket(probe, now, actions)
            actions.append(HangUp(msg.call_id, "out-of-hours"))
            return

        self._seq += 1
        queue = hotline.queue
        steps = self.policy.overflow.get(queue, ())
        call = Call(
            msg.call_id,
            msg.caller,
            msg.hotline,
            queue,
            self.config.priority_of(msg.caller),
            self._seq,
            now,
            groups=[queue],
            steps=steps,
        )
        members = self.in_queue[queue]
        members[call.call_id] = call
        self.calls[call.call_id] = call
        call.position = len(members)
        self.emit(
            now,
            call.call_id,
            queue,
            NONE,
            Verb.ENTERQUEUE,
            "",
            msg.caller,
            call.position,
            msg.hotline,
            PRIORITY_CLASSES[call.priority],
        )

        if not self.logged_in[queue] and not any(self.logged_in[s.group] for s in steps):
            self.exit_to_prompt(call, Verb.EXITEMPTY, now, actions)
            return
        limit = self.policy.ivr_queue_length
        if limit is not None and len(members) > limit and not self.idle[queue]:  # a free agent takes it now
            self.exit_to_prompt(call, Verb.FULL, now, actions)
            return
        for index, step in enumerate(steps):
            if step.queue_length is not None and len(members) > step.queue_length:
                self._overflow(call, step.group, now)
            elif step.after_wait is not None:
                self.start_timer("overflow", f"{call.call_id}#{index}", now + step.after_wait, actions)
        if self.policy.ivr_after is not None:
            self.start_timer("ivr", call.call_id, now + self.policy.ivr_after, actions)

        if self._route_new_call(call, now, actions):
            return
        actions.append(HoldCall(call.call_id))

    def _route_new_call(self, call: Call, now: float, actions: list) -> bool:
        """Sticky agent, then the owner, then any idle agent; False leaves the call waiting."""
        if self.policy.sticky_wait > 0 and call.caller:
            last = self.agents.get(self.history.last_agent(call.caller) or "")
            if last is not None and last.state != OUT and call.queue in last.skills:
                if last.state == READY:
                    self.ring(call, last, now, actions)
                    return True
                call.sticky_agent = last.agent_id
                self.reserved.setdefault(last.agent_id, []).append(call)
                self.start_timer("sticky", call.call_id, now + self.policy.sticky_wait, actions)
                return False
        if self.policy.ownership and call.caller:
            owner = self.agents.get(self.config.owners.get(call.caller, ""))
            if owner is not None and owner.state == READY and any(g in owner.skills for g in call.groups):
                self.ring(call, owner, now, actions)
                return True
        return self.offer(call, now, actions)

    def offer(self, call: Call, now: float, actions: list) -> bool:
        """Ring an idle agent of the call's groups (home first), else put the call in their waiting lists."""
        for group in call.groups:
            agent = self._select_agent(group)
            if agent is not None:
                self.ring(call, agent, now, actions)
                return True
        key = heap_key(call)
        for group in call.groups:
            heapq.heappush(self.waiting[group], key)
        return False

    def _select_agent(self, group: str) -> Agent | None:
        """The idle agent of ``group`` to ring: best skill level first, then the policy's strategy."""
        idle = self.idle[group]
        if not idle:
            return None
        if group in self.one_level_groups:
            if self.strategy.first_idle:
                return next(iter(idle.values()))  # idle dicts keep the order in which agents became idle
            candidates = list(idle.values())
        else:
            candidates = list(idle.values())
            top = max(a.skills[group] for a in candidates)
            candidates = [a for a in candidates if a.skills[group] == top]
        return self.strategy.choose(group, candidates)

    def ring(self, call: Call, agent: Agent, now: float, actions: list) -> None:
        self.set_busy(agent)
        agent.state = RINGING
        agent.call_id = call.call_id
        call.state = CALL_RINGING
        call.agent_id = agent.agent_id
        call.ring_started = now
        # rrmemory remembers per group: the group through which this agent got the call (overflow included)
        group = (
            call.queue
            if call.queue in agent.skills
            else next((g for g in call.groups if g in agent.skills), call.queue)
        )
        self.rr_last[group] = agent.order
        actions.append(RingAgent(call.call_id, agent.agent_id, call.caller, agent.extension))
        if self.policy.ring_timeout is not None:
            self.start_timer("ring", call.call_id, now + self.policy.ring_timeout, actions)

    def _overflow(self, call: Call, group: str, now: float) -> None:
        if group in call.groups:
            return
        call.groups.append(group)
        self.emit(now, call.call_id, group, NONE, Verb.OVERFLOW, call.queue)

    def requeue(self, call: Call, now: float, actions: list) -> None:
        """A call whose ring failed goes back to waiting, keeping its place in line."""
        call.state = QUEUED
        call.agent_id = None
        if not self.offer(call, now, actions):
            actions.append(HoldCall(call.call_id))

    def leave_queue(self, call: Call, actions: list) -> None:
        self.in_queue[call.queue].pop(call.call_id, None)
        if call.sticky_agent is not None:
            reserved = self.reserved.get(call.sticky_agent, [])
            if call in reserved:
                reserved.remove(call)
            call.sticky_agent = None
            self.cancel_timer("sticky", call.call_id, actions)
        self.cancel_timer("ivr", call.call_id, actions)
        for index, step in enumerate(call.steps):
            if step.after_wait is not None:
                self.cancel_timer("overflow", f"{call.call_id}#{index}", actions)

    def exit_to_prompt(self, call: Call, verb: str, now: float, actions: list) -> None:
        position = self._position(call)
        self.leave_queue(call, actions)
        call.state = PROMPT
        self.emit(now, call.call_id, call.queue, NONE, verb, position, call.position, now - call.arrived)
        actions.append(PlayCallbackPrompt(call.call_id))

    def end_call(self, call: Call) -> None:
        call.state = ENDED
        self.calls.pop(call.call_id, None)

    def _caller_hung_up(self, msg: CallerHungUp, actions: list) -> None:
        call = self.calls.get(msg.call_id)
        if call is None:
            return  # already ended: a late report
        now = msg.now
        if call.state == CALL_TALKING:
            self.conversations.complete(call, Verb.COMPLETECALLER, now, actions)
            return
        if call.state == PROMPT:
            self.callbacks.prompt_done(call, "", now, actions)
            return
        position = self._position(call)
        self.leave_queue(call, actions)
        wait = now - call.arrived
        self.emit(
            now,
            call.call_id,
            call.queue,
            NONE,
            Verb.ABANDON,
            position,
            call.position,
            wait,
            wait < self.policy.short_abandon,
        )
        ringing = call.state == CALL_RINGING
        self.end_call(call)
        if ringing:
            self.agent_desk.release_ringing_agent(call, now, actions)
        self.callbacks.open_ticket(call, now, actions)

    def set_busy(self, agent: Agent) -> None:
        """Take a ready agent off the idle lists (about to ring or work)."""
        if agent.state == READY:
            for group in agent.skills:
                self.idle[group].pop(agent.agent_id, None)
            self.n_idle -= 1

    # --- timers --------------------------------------------------------------------------------

    def _timer_fired(self, msg: TimerFired, actions: list) -> None:
        timer = msg.timer
        kind = timer.kind
        if kind.startswith("outbound"):
            self.outbound.timer_fired(msg, actions)
            return
        if not self.timer_in_force(timer):
            return
        now = msg.now
        if kind == "wrapup":
            self.agent_desk.wrapup_done(self.agents[timer.key], now, actions)
        elif kind in (SURGE_ON, SURGE_OFF):
            self.site.surge_timer(kind, timer.key, now, actions)
        elif kind == "retry":
            self.callbacks.retry_due(timer.key, now, actions)
        else:
            call_id, _, step = timer.key.partition("#")
            call = self.calls.get(call_id)
            if call is None:
                return
            if kind == "ring" and call.state == CALL_RINGING:
                self.agent_desk.ring_not_answered(call, now, actions)
            elif kind == "ivr" and call.state in (QUEUED, CALL_RINGING):
                ringing = call.state == CALL_RINGING
                self.exit_to_prompt(call, Verb.EXITWITHTIMEOUT, now, actions)
                if ringing:
                    self.agent_desk.release_ringing_agent(call, now, actions)
            elif kind == "sticky" and call.state == QUEUED and call.sticky_agent:
                self.reserved[call.sticky_agent].remove(call)
                call.sticky_agent = None
                self.offer(call, now, actions)
            elif kind == "overflow" and call.state in (QUEUED, CALL_RINGING):
                group = call.steps[int(step)].group
                if group not in call.groups:
                    self._overflow(call, group, now)
                    if call.state == QUEUED and call.sticky_agent is None:
                        agent = self._select_agent(group)
                        if agent is not None:
                            self.ring(call, agent, now, actions)
                        else:
                            heapq.heappush(self.waiting[group], heap_key(call))
