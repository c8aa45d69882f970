"""The call center's routing engine (ACD), post-queue IVR and callback dispatch.

``CallCenter.handle(message)`` takes one event or command, updates state, appends domain events to the
log and returns the actions the driver must carry out. Nothing here reads a clock or does I/O.

Parts that stand alone live beside it: agent selection (``strategies``), surge mode (``surge``), what a new
configuration changes and the core's handling of it (``reconfigure``), agents and calls (``state``). What stays
here (over 400 lines) is the routing itself, whose steps share the queues, idle lists and timers.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Container

from core.blending import OutboundAgents
from core.campaigns import NumberZones
from core.config import PRIORITY_CLASSES, Airing, CenterConfig, Hotline
from core.log import NONE, LogRecord, Verb
from core.messages import (
    AgentAnswered,
    AgentDidNotAnswer,
    AgentHungUp,
    AgentPaused,
    ApplyConfig,
    CallArrived,
    CallbackAgentDidNotAnswer,
    CallerHungUp,
    CallRecorded,
    CancelTimer,
    ClaimCallback,
    CompleteCallback,
    ConnectCall,
    DialCallback,
    EndWrapUp,
    ExpireCallbacks,
    HangUp,
    HoldCall,
    LogIn,
    LogOut,
    MakeNotReady,
    MakeReady,
    PlayCallbackPrompt,
    PlaySurvey,
    PromptFinished,
    RingAgent,
    Start,
    StartTimer,
    StopRinging,
    SurveyAnswered,
    Timer,
    TimerFired,
    TransferCall,
    TransferCaller,
)
from core.ports import CallerHistory, EventSink, InMemoryCallerHistory, RandomSource
from core.reconfigure import SiteConfiguration, groups_by_level
from core.state import (  # re-exported: drivers and tests know them from here
    CALL_RINGING,
    CALL_TALKING,
    CALLBACK,
    ENDED,
    OUT,
    OUTBOUND,
    PAUSED,
    PROMPT,
    QUEUED,
    READY,
    RINGING,
    TALKING,
    WORKING,
    WRAPUP,
    Agent,
    Call,
    CommandRejected,
    heap_key,
)
from core.surge import SURGE_OFF, SURGE_ON, SurgeWindow
from core.tickets import PRIORITIES, Ticket, TicketBook, TicketError

__all__ = [
    "CallCenter",
    "CommandRejected",
    "Agent",
    "Call",
    "OUT",
    "READY",
    "PAUSED",
    "RINGING",
    "TALKING",
    "WRAPUP",
    "CALLBACK",
    "OUTBOUND",
    "QUEUED",
    "CALL_RINGING",
    "CALL_TALKING",
    "PROMPT",
    "ENDED",
]

_new_tuple = tuple.__new__


class CallCenter(OutboundAgents, SiteConfiguration):
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
        self.rng = rng
        self.log: EventSink = log if log is not None else []
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
        self._phones: dict[str, str] = {}  # phone (extension, or the agent's own endpoint) -> agent logged in there
        self._timers: dict[tuple[str, str], int] = {}
        self._token = 0
        self._seq = 0
        self._started = False
        self._surge_windows: dict[str, SurgeWindow] = {}  # airing id -> its surge window (once started)
        self._surging: dict[str, SurgeWindow] = {}  # the windows in force now
        self._use_config(config)
        self._handlers = {
            CallArrived: self._call_arrived,
            CallerHungUp: self._caller_hung_up,
            AgentAnswered: self._agent_answered,
            AgentDidNotAnswer: self._agent_did_not_answer,
            AgentHungUp: self._agent_hung_up,
            PromptFinished: self._prompt_finished,
            TimerFired: self._timer_fired,
            Start: self._start,
            ApplyConfig: self._apply_config,
            EndWrapUp: self._end_wrapup,
            LogIn: self._log_in,
            LogOut: self._log_out,
            MakeReady: self._make_ready,
            MakeNotReady: self._make_not_ready,
            ClaimCallback: self._claim_callback,
            CompleteCallback: self._complete_callback,
            CallbackAgentDidNotAnswer: self._callback_agent_did_not_answer,
            ExpireCallbacks: self._expire_callbacks,
            CallRecorded: self._call_recorded,
            TransferCall: self._transfer_call,
            SurveyAnswered: self._survey_answered,
        }
        self._init_outbound(zones, do_not_call)  # campaigns: core.dialer, the agents it borrows: core.blending

    # --- entry point ---------------------------------------------------------------------------

    def handle(self, message) -> list:
        actions: list = []
        handler = self._handlers.get(type(message))
        if handler is None:
            raise TypeError(f"the core does not handle {type(message).__name__}")
        handler(message, actions)
        return actions

    # --- small helpers -------------------------------------------------------------------------

    def _emit(self, now, call_id, queue, agent, verb, d1="", d2="", d3="", d4="", d5="") -> None:
        # what LogRecord(...) does, without the named tuple's Python-level __new__: the core's busiest line
        self.log.append(_new_tuple(LogRecord, (now, call_id, queue, agent, verb, d1, d2, d3, d4, d5)))

    def _start_timer(self, kind: str, key: str, at: float, actions: list) -> None:
        self._token += 1
        self._timers[(kind, key)] = self._token
        actions.append(StartTimer(at, Timer(kind, key, self._token)))

    def _cancel_timer(self, kind: str, key: str, actions: list) -> None:
        token = self._timers.pop((kind, key), None)
        if token is not None:
            actions.append(CancelTimer(Timer(kind, key, token)))

    def _priority_of(self, caller: str) -> int:
        if caller in self.config.vip:
            return 0
        if caller in self.config.important:
            return 1
        return 2

    def airing_for(self, hotline: str, at: float) -> Airing | None:
        """The latest airing on this number whose response window holds ``at``."""
        found = None
        for airing in self._airings.get(hotline, ()):
            if airing.start > at:
                break
            if at <= airing.start + airing.length + self.policy.response_window:
                found = airing
        return found

    @staticmethod
    def is_open(hotline: Hotline, now: float) -> bool:
        hours = hotline.hours
        if hours is None:
            return True
        local = datetime.fromtimestamp(now, hours.zone)
        second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        return any(day == local.weekday() and start <= second < end for day, start, end in hours.windows)

    def _position(self, call: Call) -> int:
        """1-based place in the home queue (arrival order); one past the end if the call is not in it.
        The scan runs in C (``list.index`` over the keys): a surge's abandons meet queues thousands long."""
        members = self.in_queue[call.queue]
        if members.get(call.call_id) is not call:
            return len(members) + 1
        return list(members).index(call.call_id) + 1

    # --- inbound calls -------------------------------------------------------------------------

    def _call_arrived(self, msg: CallArrived, actions: list) -> None:
        now = msg.now
        if msg.call_id in self.calls:
            raise CommandRejected(f"call {msg.call_id} is already in progress")
        hotline = self.hotlines.get(msg.hotline)
        if hotline is None:
            self._emit(now, msg.call_id, NONE, NONE, Verb.REJECTED, "unknown-number", msg.caller, msg.hotline)
            actions.append(HangUp(msg.call_id, "unknown-number"))
            return
        if msg.caller and msg.caller in self.config.blacklist:
            self._emit(now, msg.call_id, hotline.queue, NONE, Verb.REJECTED, "blacklist", msg.caller, msg.hotline)
            actions.append(HangUp(msg.call_id, "blacklist"))
            return
        if hotline.hours is not None and not self.is_open(hotline, now):
            action = hotline.hours.out_of_hours
            self._emit(now, msg.call_id, hotline.queue, NONE, Verb.OUTOFHOURS, action, msg.caller, msg.hotline)
            if action == "callback":
                probe = Call(msg.call_id, msg.caller, msg.hotline, hotline.queue, self._priority_of(msg.caller), 0, now)
                self._open_ticket(probe, now, actions)
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
            self._priority_of(msg.caller),
            self._seq,
            now,
            groups=[queue],
            steps=steps,
        )
        members = self.in_queue[queue]
        members[call.call_id] = call
        self.calls[call.call_id] = call
        call.position = len(members)
        self._emit(
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
            self._exit_to_prompt(call, Verb.EXITEMPTY, now, actions)
            return
        limit = self.policy.ivr_queue_length
        if limit is not None and len(members) > limit and not self.idle[queue]:  # a free agent takes it now
            self._exit_to_prompt(call, Verb.FULL, now, actions)
            return
        for index, step in enumerate(steps):
            if step.queue_length is not None and len(members) > step.queue_length:
                self._overflow(call, step.group, now)
            elif step.after_wait is not None:
                self._start_timer("overflow", f"{call.call_id}#{index}", now + step.after_wait, actions)
        if self.policy.ivr_after is not None:
            self._start_timer("ivr", call.call_id, now + self.policy.ivr_after, actions)

        if self._route_new_call(call, now, actions):
            return
        actions.append(HoldCall(call.call_id))

    def _route_new_call(self, call: Call, now: float, actions: list) -> bool:
        """Sticky agent, then the owner, then any idle agent; False leaves the call waiting."""
        if self.policy.sticky_wait > 0 and call.caller:
            last = self.agents.get(self.history.last_agent(call.caller) or "")
            if last is not None and last.state != OUT and call.queue in last.skills:
                if last.state == READY:
                    self._ring(call, last, now, actions)
                    return True
                call.sticky_agent = last.agent_id
                self.reserved.setdefault(last.agent_id, []).append(call)
                self._start_timer("sticky", call.call_id, now + self.policy.sticky_wait, actions)
                return False
        if self.policy.ownership and call.caller:
            owner = self.agents.get(self.config.owners.get(call.caller, ""))
            if owner is not None and owner.state == READY and any(g in owner.skills for g in call.groups):
                self._ring(call, owner, now, actions)
                return True
        return self._offer(call, now, actions)

    def _offer(self, call: Call, now: float, actions: list) -> bool:
        """Ring an idle agent of the call's groups (home first), else put the call in their waiting lists."""
        for group in call.groups:
            agent = self._select_agent(group)
            if agent is not None:
                self._ring(call, agent, now, actions)
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
        if group in self._one_level:
            if self.strategy.first_idle:
                return next(iter(idle.values()))  # idle dicts keep the order in which agents became idle
            candidates = list(idle.values())
        else:
            candidates = list(idle.values())
            top = max(a.skills[group] for a in candidates)
            candidates = [a for a in candidates if a.skills[group] == top]
        return self.strategy.choose(group, candidates)

    def _ring(self, call: Call, agent: Agent, now: float, actions: list) -> None:
        self._set_busy(agent)
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
            self._start_timer("ring", call.call_id, now + self.policy.ring_timeout, actions)

    def _overflow(self, call: Call, group: str, now: float) -> None:
        if group in call.groups:
            return
        call.groups.append(group)
        self._emit(now, call.call_id, group, NONE, Verb.OVERFLOW, call.queue)

    def _requeue(self, call: Call, now: float, actions: list) -> None:
        """A call whose ring failed goes back to waiting, keeping its place in line."""
        call.state = QUEUED
        call.agent_id = None
        if not self._offer(call, now, actions):
            actions.append(HoldCall(call.call_id))

    def _leave_queue(self, call: Call, actions: list) -> None:
        self.in_queue[call.queue].pop(call.call_id, None)
        if call.sticky_agent is not None:
            reserved = self.reserved.get(call.sticky_agent, [])
            if call in reserved:
                reserved.remove(call)
            call.sticky_agent = None
            self._cancel_timer("sticky", call.call_id, actions)
        self._cancel_timer("ivr", call.call_id, actions)
        for index, step in enumerate(call.steps):
            if step.after_wait is not None:
                self._cancel_timer("overflow", f"{call.call_id}#{index}", actions)

    def _exit_to_prompt(self, call: Call, verb: str, now: float, actions: list) -> None:
        position = self._position(call)
        self._leave_queue(call, actions)
        call.state = PROMPT
        self._emit(now, call.call_id, call.queue, NONE, verb, position, call.position, now - call.arrived)
        actions.append(PlayCallbackPrompt(call.call_id))

    def _end_call(self, call: Call) -> None:
        call.state = ENDED
        self.calls.pop(call.call_id, None)

    def _caller_hung_up(self, msg: CallerHungUp, actions: list) -> None:
        call = self.calls.get(msg.call_id)
        if call is None:
            return  # already ended: a late report
        now = msg.now
        if call.state == CALL_TALKING:
            self._complete(call, Verb.COMPLETECALLER, now, actions)
            return
        if call.state == PROMPT:
            self._prompt_done(call, "", now, actions)
            return
        position = self._position(call)
        self._leave_queue(call, actions)
        wait = now - call.arrived
        self._emit(
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
        self._end_call(call)
        if ringing:
            self._release_ringing_agent(call, now, actions)
        self._open_ticket(call, now, actions)

    def _release_ringing_agent(self, call: Call, now: float, actions: list) -> None:
        agent = self.agents[call.agent_id]
        self._cancel_timer("ring", call.call_id, actions)
        actions.append(StopRinging(call.call_id, agent.agent_id))
        agent.call_id = None
        self._agent_free(agent, now, actions)

    def _agent_answered(self, msg: AgentAnswered, actions: list) -> None:
        call = self.calls.get(msg.call_id)
        if call is None or call.state != CALL_RINGING or call.agent_id != msg.agent_id:
            # the ring was already withdrawn; the driver must drop the agent's leg
            actions.append(StopRinging(msg.call_id, msg.agent_id))
            return
        now = msg.now
        agent = self.agents[msg.agent_id]
        self._cancel_timer("ring", call.call_id, actions)
        self._leave_queue(call, actions)
        call.state = CALL_TALKING
        call.answered_at = now
        agent.state = TALKING
        agent.calls += 1
        self._emit(
            now,
            call.call_id,
            call.queue,
            agent.agent_id,
            Verb.CONNECT,
            now - call.arrived,
            call.call_id,
            now - call.ring_started,
        )
        actions.append(ConnectCall(call.call_id, agent.agent_id))

    def _agent_did_not_answer(self, msg: AgentDidNotAnswer, actions: list) -> None:
        call = self.calls.get(msg.call_id)
        if call is None or call.state != CALL_RINGING or call.agent_id != msg.agent_id:
            return
        self._cancel_timer("ring", call.call_id, actions)
        self._ring_no_answer(call, msg.now, actions)

    def _ring_no_answer(self, call: Call, now: float, actions: list) -> None:
        agent = self.agents[call.agent_id]
        self._emit(
            now, call.call_id, call.queue, agent.agent_id, Verb.RINGNOANSWER, round((now - call.ring_started) * 1000)
        )
        actions.append(StopRinging(call.call_id, agent.agent_id))
        agent.call_id = None
        self._pause(agent, self.policy.rna_pause_reason, now)
        actions.append(AgentPaused(agent.agent_id, self.policy.rna_pause_reason))
        self._requeue(call, now, actions)

    def _agent_hung_up(self, msg: AgentHungUp, actions: list) -> None:
        call = self.calls.get(msg.call_id)
        if call is None or call.state != CALL_TALKING:
            return
        self._complete(call, Verb.COMPLETEAGENT, msg.now, actions)

    def _complete(self, call: Call, verb: str, now: float, actions: list, transfer: TransferCall | None = None) -> None:
        """End a conversation: hung up by one side, or (``transfer``) the caller sent on elsewhere."""
        agent = self.agents[call.agent_id]
        talk = now - call.answered_at
        hold = call.answered_at - call.arrived
        if transfer is None:
            self._emit(now, call.call_id, call.queue, agent.agent_id, verb, hold, talk, call.position)
            ending = HangUp(call.call_id, "completed")
            if verb == Verb.COMPLETEAGENT and self.policy.survey:
                ending = PlaySurvey(call.call_id, agent.agent_id, call.queue)
        else:
            self._emit(
                now,
                call.call_id,
                call.queue,
                agent.agent_id,
                Verb.TRANSFER,
                transfer.destination,
                transfer.context,
                hold,
                talk,
                call.position,
            )
            ending = TransferCaller(call.call_id, agent.agent_id, transfer.destination, transfer.context)
        agent.talk_total += talk
        agent.call_id = None
        if call.caller:
            self.history.remember(call.caller, agent.agent_id)
        self._end_call(call)
        actions.append(ending)
        self._after_work(agent, now, actions)

    def _transfer_call(self, msg: TransferCall, actions: list) -> None:
        call = self.calls.get(msg.call_id)
        if call is None or call.state != CALL_TALKING:
            raise CommandRejected(f"call {msg.call_id} is not in a conversation")
        if call.agent_id != msg.agent_id:
            raise CommandRejected(f"call {msg.call_id} is with {call.agent_id}, not {msg.agent_id}")
        if not msg.destination.strip() or not msg.context.strip():
            raise CommandRejected("a transfer needs a destination and a context")
        self._complete(call, Verb.TRANSFER, msg.now, actions, transfer=msg)

    def _survey_answered(self, msg: SurveyAnswered, actions: list) -> None:
        """After the call: only logged (the call record and the reports take it from the log)."""
        digit = msg.digit if msg.digit in ("1", "2", "3") else ""
        self._emit(msg.now, msg.call_id, msg.queue, msg.agent_id, Verb.SURVEY, digit)

    def _prompt_finished(self, msg: PromptFinished, actions: list) -> None:
        call = self.calls.get(msg.call_id)
        if call is None or call.state != PROMPT:
            return
        self._prompt_done(call, msg.digits, msg.now, actions)

    def _prompt_done(self, call: Call, digits: str, now: float, actions: list) -> None:
        self._emit(now, call.call_id, call.queue, NONE, Verb.CALLBACK_PROMPT, digits)
        self._end_call(call)
        actions.append(HangUp(call.call_id, "callback-prompt-done"))
        self._open_ticket(call, now, actions)

    def _call_recorded(self, msg: CallRecorded, actions: list) -> None:
        call = self.calls.get(msg.call_id)
        if call is None or call.state != CALL_TALKING:
            return  # ended before the driver reported the recording
        self._emit(msg.now, call.call_id, call.queue, NONE, Verb.RECORDING, msg.file, call.agent_id)

    # --- timers --------------------------------------------------------------------------------

    def _timer_fired(self, msg: TimerFired, actions: list) -> None:
        timer = msg.timer
        kind = timer.kind
        if kind.startswith("outbound"):
            self.outbound.timer_fired(msg, actions)
            return
        slot = (kind, timer.key)
        if self._timers.get(slot) != timer.token:
            return  # cancelled or superseded
        del self._timers[slot]
        now = msg.now
        if kind == "wrapup":
            self._wrapup_done(self.agents[timer.key], now, actions)
        elif kind in (SURGE_ON, SURGE_OFF):
            self._surge_timer(kind, timer.key, now, actions)
        elif kind == "retry":
            if self.tickets.retry_due(timer.key) is not None:
                self._dispatch_callbacks(now, actions)
        else:
            call_id, _, step = timer.key.partition("#")
            call = self.calls.get(call_id)
            if call is None:
                return
            if kind == "ring" and call.state == CALL_RINGING:
                self._ring_no_answer(call, now, actions)
            elif kind == "ivr" and call.state in (QUEUED, CALL_RINGING):
                ringing = call.state == CALL_RINGING
                self._exit_to_prompt(call, Verb.EXITWITHTIMEOUT, now, actions)
                if ringing:
                    self._release_ringing_agent(call, now, actions)
            elif kind == "sticky" and call.state == QUEUED and call.sticky_agent:
                self.reserved[call.sticky_agent].remove(call)
                call.sticky_agent = None
                self._offer(call, now, actions)
            elif kind == "overflow" and call.state in (QUEUED, CALL_RINGING):
                group = call.steps[int(step)].group
                if group not in call.groups:
                    self._overflow(call, group, now)
                    if call.state == QUEUED and call.sticky_agent is None:
                        agent = self._select_agent(group)
                        if agent is not None:
                            self._ring(call, agent, now, actions)
                        else:
                            heapq.heappush(self.waiting[group], heap_key(call))

    # --- agents --------------------------------------------------------------------------------

    def _agent(self, agent_id: str) -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise CommandRejected(f"no agent {agent_id}")
        return agent

    def _set_busy(self, agent: Agent) -> None:
        if agent.state == READY:
            for group in agent.skills:
                self.idle[group].pop(agent.agent_id, None)
            self.n_idle -= 1

    def _pause(self, agent: Agent, reason: str, now: float) -> None:
        self._set_busy(agent)
        agent.state = PAUSED
        agent.reason = reason
        self._emit(now, NONE, NONE, agent.agent_id, Verb.PAUSE, reason)

    def _log_in(self, msg: LogIn, actions: list) -> None:
        """Log in at ``msg.extension`` (hot-desking). Logged in already: cancels a pending logout; at another
        extension: rejected (log out first). One agent per phone."""
        agent = self._agent(msg.agent_id)
        if agent.retired:
            raise CommandRejected(f"agent {agent.agent_id} is no longer in the configuration")
        if agent.state != OUT:
            if msg.extension and msg.extension != agent.extension:
                raise CommandRejected(
                    f"agent {agent.agent_id} is logged in at {agent.extension or 'their own phone'}"
                    f", not {msg.extension}: log out first"
                )
            if agent.pending and agent.pending[0] == "logout":
                agent.pending = None
            return
        phone = msg.extension or agent.agent_id
        holder = self._phones.get(phone)
        if holder is not None:
            raise CommandRejected(f"phone {phone} is taken by agent {holder}")
        self._phones[phone] = agent.agent_id
        agent.extension = msg.extension
        agent.login_at = msg.now
        agent.state = PAUSED  # becomes ready through _agent_free
        for group in agent.skills:
            self.logged_in[group] += 1
        self._emit(msg.now, NONE, NONE, agent.agent_id, Verb.AGENTLOGIN, msg.extension)
        self._agent_free(agent, msg.now, actions)

    def _log_out(self, msg: LogOut, actions: list) -> None:
        agent = self._agent(msg.agent_id)
        if agent.state == OUT:
            return
        if agent.state in WORKING:
            agent.pending = ("logout", "")
            return
        self._withdraw_ring(agent, msg.now, actions)
        self._do_logout(agent, msg.now, actions)

    def _withdraw_ring(self, agent: Agent, now: float, actions: list) -> None:
        if agent.state != RINGING:
            return
        call = self.calls[agent.call_id]
        self._cancel_timer("ring", call.call_id, actions)
        actions.append(StopRinging(call.call_id, agent.agent_id))
        agent.call_id = None
        agent.state = PAUSED
        self._requeue(call, now, actions)

    def _do_logout(self, agent: Agent, now: float, actions: list) -> None:
        self._set_busy(agent)
        agent.state = OUT
        agent.pending = None
        for group in agent.skills_to_come:
            self.logged_in[group] -= 1
        del self._phones[agent.extension or agent.agent_id]
        agent.extension = ""
        self._take_next_skills(agent)
        self._emit(now, NONE, NONE, agent.agent_id, Verb.AGENTLOGOFF, "", now - agent.login_at)
        for call in self.reserved.pop(agent.agent_id, []):
            call.sticky_agent = None
            self._cancel_timer("sticky", call.call_id, actions)
            self._offer(call, now, actions)
        if agent.retired:
            del self.agents[agent.agent_id]

    def _make_ready(self, msg: MakeReady, actions: list) -> None:
        agent = self._agent(msg.agent_id)
        if agent.state == OUT:
            raise CommandRejected(f"agent {agent.agent_id} is not logged in")
        if agent.pending and agent.pending[0] == "pause":
            agent.pending = None
        if agent.state == PAUSED:
            self._emit(msg.now, NONE, NONE, agent.agent_id, Verb.UNPAUSE, agent.reason)
            agent.reason = ""
            self._agent_free(agent, msg.now, actions)

    def _make_not_ready(self, msg: MakeNotReady, actions: list) -> None:
        agent = self._agent(msg.agent_id)
        if agent.state == OUT:
            raise CommandRejected(f"agent {agent.agent_id} is not logged in")
        if agent.state in WORKING:
            agent.pending = ("pause", msg.reason)
            return
        if agent.state == PAUSED and agent.reason == msg.reason:
            return  # already paused for this reason (checked before a withdrawn ring makes the agent PAUSED)
        self._withdraw_ring(agent, msg.now, actions)
        self._pause(agent, msg.reason, msg.now)

    def _end_wrapup(self, msg: EndWrapUp, actions: list) -> None:
        agent = self._agent(msg.agent_id)
        if agent.state != WRAPUP:
            raise CommandRejected(f"agent {agent.agent_id} is {agent.state}, not in wrap-up")
        self._cancel_timer("wrapup", agent.agent_id, actions)
        self._wrapup_done(agent, msg.now, actions)

    def _wrapup_done(self, agent: Agent, now: float, actions: list) -> None:
        self._emit(now, NONE, NONE, agent.agent_id, Verb.WRAPUPEND, now - agent.busy_since)
        self._agent_free(agent, now, actions)

    def _after_work(self, agent: Agent, now: float, actions: list) -> None:
        if self.policy.wrapup > 0:
            agent.state = WRAPUP
            agent.busy_since = now  # wrap-up starts; WRAPUPEND logs how long it really took
            self._start_timer("wrapup", agent.agent_id, now + self.policy.wrapup, actions)
        else:
            self._agent_free(agent, now, actions)

    def _agent_free(self, agent: Agent, now: float, actions: list) -> None:
        """The agent can take work: pending logout/pause first, then sticky calls, then the best waiting call."""
        self._take_next_skills(agent)
        if agent.pending is not None:
            kind, reason = agent.pending
            agent.pending = None
            if kind == "logout":
                agent.state = PAUSED
                self._do_logout(agent, now, actions)
            else:
                agent.state = PAUSED
                agent.reason = reason
                self._emit(now, NONE, NONE, agent.agent_id, Verb.PAUSE, reason)
            return
        agent.state = READY  # so that _ring's bookkeeping sees a free agent
        self.n_idle += 1
        for group in agent.skills:
            self.idle[group][agent.agent_id] = agent
        agent.idle_since = now
        reserved = self.reserved.get(agent.agent_id)
        if reserved:
            call = reserved.pop(0)
            call.sticky_agent = None
            self._cancel_timer("sticky", call.call_id, actions)
            self._ring(call, agent, now, actions)
            return
        call = self._best_waiting_call(agent)
        if call is not None:
            self._ring(call, agent, now, actions)
            return
        self._dispatch_callbacks(now, actions)
        self._offer_to_outbound(agent, now, actions)

    def _best_waiting_call(self, agent: Agent) -> Call | None:
        calls = self.calls
        for groups in agent.groups_by_level:
            best_key = None
            best_group = None
            for group in groups:
                heap = self.waiting[group]
                while heap:
                    call = calls.get(heap[0][2])
                    if call is not None and call.state == QUEUED and call.sticky_agent is None:
                        break
                    heapq.heappop(heap)  # stale: answered, abandoned or ringing elsewhere
                if heap and (best_key is None or heap[0] < best_key):
                    best_key, best_group = heap[0], group
            if best_group is not None:
                heapq.heappop(self.waiting[best_group])
                return calls[best_key[2]]
        return None

    # --- callbacks -----------------------------------------------------------------------------

    def _open_ticket(self, call: Call, now: float, actions: list) -> None:
        if not call.caller:
            return  # no caller ID, nobody to call back
        existing = self.tickets.open_ticket_for(call.caller)
        if existing is not None:
            self._emit(now, call.call_id, call.queue, NONE, Verb.CALLBACK_DUPLICATE, existing.ticket_id)
            return
        airing = self.airing_for(call.hotline, call.arrived)
        ticket = self.tickets.create(
            Ticket(
                ticket_id=f"cb-{call.call_id}",
                call_id=call.call_id,
                number=call.caller,
                priority="urgent" if call.priority < 2 else "normal",
                hotline=call.hotline,
                airing=airing.airing_id if airing else "",
                created_at=now,
                queue=call.queue,
            )
        )
        self._emit(
            now,
            call.call_id,
            call.queue,
            NONE,
            Verb.CALLBACK_CREATED,
            ticket.ticket_id,
            ticket.number,
            ticket.priority,
            ticket.hotline,
            ticket.airing,
        )
        self._dispatch_callbacks(now, actions)

    def _dispatch_callbacks(self, now: float, actions: list) -> None:
        """Give due tickets to idle agents while more than ``callback_reserve`` agents stay free.

        The best ticket (priority, then first-come) among the queues that have an idle agent goes to that
        queue's longest-idle agent."""
        reserve = self.policy.callback_reserve
        if reserve is None:
            return
        while self.n_idle > reserve:
            best = None
            for queue in self.tickets.due_queues():
                idle = self.idle.get(queue)
                if not idle:
                    continue
                ticket, expired = self.tickets.next_due(now, queue)
                for gone in expired:
                    self._emit(now, gone.call_id, queue, NONE, Verb.CALLBACK_EXPIRED, gone.ticket_id)
                if ticket is not None and (
                    best is None
                    or (PRIORITIES.index(ticket.priority), ticket.created_at)
                    < (PRIORITIES.index(best[0].priority), best[0].created_at)
                ):
                    best = (ticket, next(iter(idle.values())))
            if best is None:
                return
            self._start_callback(best[1], best[0], now, actions)

    def _start_callback(self, agent: Agent, ticket: Ticket, now: float, actions: list) -> None:
        self.tickets.claim(ticket.ticket_id, agent.agent_id)
        self._set_busy(agent)
        agent.state = CALLBACK
        agent.ticket_id = ticket.ticket_id
        agent.busy_since = now
        self._emit(now, ticket.call_id, ticket.queue, agent.agent_id, Verb.CALLBACK_CLAIMED, ticket.ticket_id)
        actions.append(DialCallback(ticket.ticket_id, agent.agent_id, ticket.number, agent.extension))

    def _claim_callback(self, msg: ClaimCallback, actions: list) -> None:
        agent = self._agent(msg.agent_id)
        if agent.state not in (READY, PAUSED):
            raise CommandRejected(
                f"agent {agent.agent_id} is {agent.state}; only a ready or paused agent can call back"
            )
        ticket = self.tickets.tickets.get(msg.ticket_id)
        if ticket is None or ticket.status != "open":
            state = ticket.status if ticket else "unknown"
            raise CommandRejected(f"ticket {msg.ticket_id} is {state}, not open")
        if msg.now >= self.tickets.expires_at(ticket):
            raise CommandRejected(f"ticket {msg.ticket_id} has expired")  # ExpireCallbacks or dispatch closes it
        if agent.state == PAUSED:
            # the callback is work, not a pause: log the pause's end, and pause again once the callback is done
            self._emit(msg.now, NONE, NONE, agent.agent_id, Verb.UNPAUSE, agent.reason)
            agent.pending = ("pause", agent.reason)
        self._start_callback(agent, ticket, msg.now, actions)

    def _complete_callback(self, msg: CompleteCallback, actions: list) -> None:
        agent = self._agent(msg.agent_id)
        try:
            ticket = self.tickets.complete(msg.ticket_id, msg.agent_id, msg.outcome, msg.now)
        except TicketError as error:
            raise CommandRejected(str(error)) from None
        now = msg.now
        self._emit(
            now,
            ticket.call_id,
            ticket.queue,
            agent.agent_id,
            Verb.CALLBACK_DONE,
            ticket.ticket_id,
            msg.outcome,
            ticket.attempts,
            now - agent.busy_since,
        )
        if ticket.status == "waiting":
            self._emit(
                now, ticket.call_id, ticket.queue, NONE, Verb.CALLBACK_RETRY, ticket.ticket_id, ticket.next_try_at
            )
            self._start_timer("retry", ticket.ticket_id, ticket.next_try_at, actions)
        elif ticket.status == "expired":
            self._emit(now, ticket.call_id, ticket.queue, NONE, Verb.CALLBACK_EXPIRED, ticket.ticket_id)
        agent.ticket_id = None
        if agent.state == CALLBACK:
            self._after_work(agent, now, actions)

    def _callback_agent_did_not_answer(self, msg: CallbackAgentDidNotAnswer, actions: list) -> None:
        agent = self.agents.get(msg.agent_id)
        if agent is None or agent.state != CALLBACK or agent.ticket_id != msg.ticket_id:
            return  # a late report: that callback ended otherwise
        now = msg.now
        ticket = self.tickets.release(msg.ticket_id, agent.agent_id)
        self._emit(now, ticket.call_id, ticket.queue, agent.agent_id, Verb.CALLBACK_RELEASED, ticket.ticket_id)
        agent.ticket_id = None
        if agent.pending and agent.pending[0] == "logout":
            agent.state = PAUSED
            self._do_logout(agent, now, actions)
        else:
            agent.pending = None
            self._pause(agent, self.policy.rna_pause_reason, now)
            actions.append(AgentPaused(agent.agent_id, self.policy.rna_pause_reason))
        self._dispatch_callbacks(now, actions)  # the ticket is open again: another free agent may take it

    def _expire_callbacks(self, msg: ExpireCallbacks, actions: list) -> None:
        for ticket in self.tickets.expire(msg.now):
            self._cancel_timer("retry", ticket.ticket_id, actions)
            self._emit(msg.now, ticket.call_id, ticket.queue, NONE, Verb.CALLBACK_EXPIRED, ticket.ticket_id)
