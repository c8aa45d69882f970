"""The live driver: the Stasis application ``hotline`` around the real core.

It holds no routing rule. It reports what Asterisk saw to the core with ``now = time.time()`` and carries out
the core's actions over ARI. Its parts:

* here: the core's turn (journal, handle, dispatch), timers (``StartTimer`` / ``CancelTimer`` -> asyncio
  timers calling back ``TimerFired``; stale ones the core ignores), ``AgentPaused`` (logged, and ``MakeReady``
  after ``ready_after_pause`` seconds if set), the routing of ARI events to their lane, start-up;
* ``call_legs.py``: the callers' and agents' legs and the core's call actions on them (hold, ring, connect,
  prompt, hang up, survey, transfer); ``channel_events.py``: what Asterisk says about those legs -> messages;
* ``callbacks.py`` (``DialCallback``, in the agent's callback lane) and ``outbound.py`` (the dialer's
  actions, in each attempt's lane): their legs, events and resync;
* ``supervisor.py`` (listen / whisper / barge, forced hang-up) and ``call_control.py`` (hold, attended
  transfer): a supervisor's requests, none of them routing;
* ``resync.py``: after every websocket (re)connect, the core compared with Asterisk's channels and bridges.

Every message is journalled (flushed; fsynced with ``fsync``) and handled by the core in one synchronous
step, so the core sees one message at a time, in the journal's order, and a restart that replays the journal
rebuilds the same core. The ARI work is not in that step: each event about a call and each action for a
call is a job in the call's lane (``lanes.py``), run in order per call and side by side across calls, with
an originate ahead of the same message's other actions. What a job learns (an originate refused, a caller
gone) goes back to the core as a new message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Awaitable, Callable

from adapters.asterisk import call_legs, channel_events
from adapters.asterisk.ari import AriClient, AriError, AriSettings, EventStream
from adapters.asterisk.call_legs import CALL_ACTIONS, AgentLeg, CallerLeg
from adapters.asterisk.callbacks import CallbackDialer, CallbackOptions
from adapters.asterisk.journal import EventLogFile, Journal, keep_start_config, recover
from adapters.asterisk.lanes import Lanes
from adapters.asterisk.outbound import OutboundLegs, OutboundOptions
from adapters.asterisk.resync import repair_from_asterisk
from adapters.asterisk.supervisor import Listener
from core import messages as m
from core.center import CallCenter, CommandRejected
from core.config import AgentProfile, CenterConfig, Hotline, Policy
from core.outbound_messages import OUTBOUND_ACTIONS

log = logging.getLogger("hotline.live")


def build_config(
    numbers: tuple[str, ...],
    agents: int | tuple[str, ...],
    *,
    queue: str = "sales",
    strategy: str = "rrmemory",
    ring_timeout: float | None = 15.0,
    ivr_after: float | None = 60.0,
    ivr_queue_length: int | None = None,
    wrapup: float = 0.0,
    callback_reserve: int | None = 2,
    callback_retry_after: float = 1800.0,
) -> CenterConfig:
    """The live composition root's routing model: every number -> one queue, agents agent001..agentNNN."""
    names = agents if isinstance(agents, tuple) else tuple(f"agent{i:03d}" for i in range(1, agents + 1))
    return CenterConfig(
        agents=tuple(AgentProfile(a, {queue: 1}) for a in names),
        hotlines=tuple(Hotline(n, queue) for n in numbers),
        policy=Policy(
            strategy=strategy,
            ring_timeout=ring_timeout,
            ivr_after=ivr_after,
            ivr_queue_length=ivr_queue_length,
            wrapup=wrapup,
            callback_reserve=callback_reserve,
            callback_retry_after=callback_retry_after,
        ),
    )


@dataclass
class DriverOptions:
    data_dir: Path
    prompt_timeout: float = 15.0
    survey_timeout: float = 10.0  # seconds the caller has to press 1 / 2 / 3 after the agent hung up
    record: bool = False
    ready_after_pause: float | None = None
    login: bool = True  # log the configured agents in at start (unless the journal says they are)
    originate_timeout: int = 120  # Asterisk's own ring limit; the core's ring timer decides first
    fsync: bool = False  # fsync the journal per message (survive a machine crash, not only a process crash)
    answer_while_queued: bool = True  # False: queued callers hear ringing and are answered by the agent
    callbacks: CallbackOptions = field(default_factory=CallbackOptions)
    outbound: OutboundOptions = field(default_factory=OutboundOptions)


@dataclass
class Stats:
    stasis_to_originate: list[float] = field(default_factory=list)  # seconds, StasisStart -> originate sent
    resyncs: int = 0


class LiveDriver:
    def __init__(
        self,
        settings: AriSettings,
        config: CenterConfig,
        options: DriverOptions,
        clock: Callable[[], float] = time.time,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.config = config
        self.options = options
        self.clock = clock
        self.on_ready = on_ready
        data = Path(options.data_dir)
        data.mkdir(parents=True, exist_ok=True)
        self.journal = Journal(data / "journal.jsonl", fsync=options.fsync)
        keep_start_config(self.journal.path, config)
        self.log_file = EventLogFile(data / "queue_log")
        self.core, self.recovery = recover(lambda sink: CallCenter(config, log=sink), self.journal, self.log_file)
        self.journal.open()
        self.seen_calls: set[str] = {msg.call_id for msg in self.journal.read() if isinstance(msg, m.CallArrived)}
        self.ari = AriClient(settings)
        # originates on their own connections: a new caller's agent is rung without queueing behind other calls'
        # requests
        self.ari_dial = AriClient(settings, connections=4)
        self.stream = EventStream(settings, self._on_event, self._on_connect)
        self.lanes = Lanes(on_error=self._job_failed)
        self._handlers = channel_events.handlers(self)
        self._watchers = channel_events.watchers(self)
        self.callers: dict[str, CallerLeg] = {}
        self.agent_legs: dict[str, AgentLeg] = {}
        self.timers: dict[tuple[str, str], tuple[int, asyncio.TimerHandle]] = {}
        self.listeners: dict[str, Listener] = {}  # supervisor channel -> listener
        self.arrived_at: dict[str, float] = {}  # call -> StasisStart's own timestamp, epoch (latency figures)
        self.consultations: dict = {}  # call -> call_control.Consultation (attended transfer under way)
        # called with (message, actions, new log records) after the core handled a message (e.g. the screens'
        # publisher of commands.LiveChannel); inside the core's turn, so they must only look and buffer
        self.observers: list[Callable[[object, list, list], None]] = []
        self.stats = Stats()
        self._first_sync_done = False
        self.ready = asyncio.Event()
        self.callbacks = CallbackDialer(self, data / "callbacks.jsonl", options.callbacks)
        self.outbound = OutboundLegs(self, options.outbound)  # campaign calls (adapters/asterisk/outbound.py)

    # --- running -----------------------------------------------------------------------------------

    async def run(self) -> None:
        log.info(
            "recovered %d journal messages, %d log records (%d appended), %d timers pending",
            self.recovery.messages,
            self.recovery.records_replayed,
            self.recovery.records_appended,
            len(self.recovery.timers),
        )
        try:
            await self.stream.run()
        finally:
            for handle in [h for _, h in self.timers.values()]:
                handle.cancel()
            self.lanes.cancel()
            await self.ari.close()
            await self.ari_dial.close()
            self.journal.close()
            self.callbacks.close()
            self.log_file.close()

    def _job_failed(self, call_id: str, exc: BaseException) -> None:
        if isinstance(exc, (AriError, OSError)):  # AriError: Asterisk said no; OSError: timeouts too
            log.warning("call %s: %s", call_id, str(exc) or repr(exc))
        else:
            log.error("call %s: driver job failed", call_id, exc_info=exc)

    # --- feeding the core --------------------------------------------------------------------------

    async def feed(self, message) -> None:
        """Journal ``message`` and let the core handle it; the ARI work it asks for is queued in the calls'
        lanes (this returns before it is done)."""
        self.handle(message)

    def handle(self, message, strict: bool = False) -> list:
        """Journal, handle, dispatch the actions; returns them. Synchronous, so the core sees one message at
        a time. ``strict``: a command the core rejects raises ``CommandRejected`` to the requester (it changed
        nothing; replaying it is harmless)."""
        self.journal.append(message)
        if log.isEnabledFor(logging.INFO):  # -v: every message the core is given, with its call (JSON lines)
            call_id = getattr(message, "call_id", None)
            log.info("core <- %s %s", type(message).__name__, call_id or "", extra={"call_id": call_id})
        if isinstance(message, m.CallArrived):
            self.seen_calls.add(message.call_id)
        mark = len(self.log_file.records)
        try:
            actions = self.core.handle(message)
        except CommandRejected as exc:
            if strict:
                raise
            log.warning("core rejected %s: %s", type(message).__name__, exc)
            return []
        if self.observers:  # the new records are copied once, and only when someone looks
            records = self.log_file.records[mark:]
            for observe in self.observers:
                observe(message, actions, records)
        self._dispatch(actions)
        return actions

    async def in_lane(self, key: str, work: Callable[[], Awaitable[object]]) -> object:
        """Run ``work()`` as a job of the lane ``key`` (a call, or an agent's callback) and return its result:
        a person's request on a call is not interleaved with that call's own events."""
        done = asyncio.get_running_loop().create_future()

        async def job() -> None:
            try:
                done.set_result(await work())
            except Exception as exc:  # handed to the requester, not to the lane's error log
                done.set_exception(exc)

        self.lanes.submit(key, job)
        return await done

    def _handle_in_lane(self, call_id: str, make_message: Callable[[], object]) -> None:
        """Handle a message built when its turn in the call's lane comes (so ``now`` is that moment)."""

        async def job() -> None:
            self.handle(make_message())

        self.lanes.submit(call_id, job)

    def now(self) -> float:
        return self.clock()

    # --- actions -----------------------------------------------------------------------------------

    def _dispatch(self, actions: list) -> None:
        """Timers and pauses at once; the ARI work in its call's lane, an originate before the rest."""
        for action in sorted(actions, key=lambda a: type(a) is not m.RingAgent):
            kind = type(action)
            if kind is m.StartTimer:
                self._arm(action)
            elif kind is m.CancelTimer:
                entry = self.timers.get((action.timer.kind, action.timer.key))
                if entry and entry[0] == action.timer.token:
                    entry[1].cancel()
                    del self.timers[(action.timer.kind, action.timer.key)]
            elif kind in CALL_ACTIONS:
                self.lanes.submit(action.call_id, partial(call_legs.carry_out, self, action))
            elif kind is m.AgentPaused:
                log.info("agent %s paused by the core (%s)", action.agent_id, action.reason)
                if self.options.ready_after_pause is not None:
                    asyncio.get_running_loop().call_later(
                        self.options.ready_after_pause, self._ready_again, action.agent_id
                    )
            elif kind is m.DialCallback:
                self.lanes.submit(self.callbacks.lane(action.agent_id), partial(self.callbacks.dial, action))
            elif kind in OUTBOUND_ACTIONS:
                self.outbound.submit(action)
            else:
                log.warning("no live handling for %s", kind.__name__)

    def _arm(self, action: m.StartTimer) -> None:
        key = (action.timer.kind, action.timer.key)
        old = self.timers.pop(key, None)
        if old:
            old[1].cancel()
        delay = max(0.0, action.at - self.now())
        handle = asyncio.get_running_loop().call_later(delay, self._timer_due, action.timer)
        self.timers[key] = (action.timer.token, handle)

    def _timer_due(self, timer: m.Timer) -> None:
        entry = self.timers.get((timer.kind, timer.key))
        if entry and entry[0] == timer.token:
            del self.timers[(timer.kind, timer.key)]
        call_id = timer.key.partition("#")[0]  # a call's timers are keyed by the call ("<call>#<step>": overflow)
        if call_id in self.core.calls:  # in order with the call's events (e.g. its agent answering now)
            self._handle_in_lane(call_id, lambda: m.TimerFired(self.now(), timer))
        else:
            self.handle(m.TimerFired(self.now(), timer))

    def _ready_again(self, agent_id: str) -> None:
        agent = self.core.agents.get(agent_id)
        if agent is not None and agent.state == "paused":
            self.handle(m.MakeReady(self.now(), agent_id))

    def endpoint_of(self, agent_id: str) -> str:
        """The phone to ring for an agent: the extension they logged in at (hot-desking), else their own."""
        agent = self.core.agents.get(agent_id)
        return f"PJSIP/{(agent.extension if agent is not None else '') or agent_id}"

    # --- an agent's requests from the console (a supervisor's: supervisor.py, call_control.py) ---------

    async def transfer(self, call_id: str, agent_id: str, destination: str, context: str = "hotline-transfer") -> None:
        """Blind transfer asked for by the agent on the call; the core logs TRANSFER and frees the agent.
        Raises ``CommandRejected`` when the call is not in a conversation with that agent."""
        self.handle(m.TransferCall(self.now(), call_id, agent_id, destination, context), strict=True)

    async def complete_callback(self, agent_id: str, ticket_id: str, outcome: str) -> None:
        """The agent reports how their callback went (``core.tickets.OUTCOMES``); it ends the callback's legs.
        Raises ``CommandRejected`` when the ticket is not this agent's running callback or the outcome unknown."""
        await self.in_lane(
            self.callbacks.lane(agent_id), partial(self.callbacks.complete, agent_id, ticket_id, outcome)
        )

    # --- events ------------------------------------------------------------------------------------

    async def _on_event(self, event: dict) -> None:
        watcher = self._watchers.get(event.get("type"))
        if watcher is not None:
            watcher(event)
            return
        if self.callbacks.owns(event):
            self.lanes.submit(self.callbacks.lane_of(event), partial(self.callbacks.on_event, event))
            return
        if self.outbound.owns(event):
            self.lanes.submit(self.outbound.lane_of(event), partial(self.outbound.on_event, event))
            return
        handler = self._handlers.get(event.get("type"))
        if handler is not None:
            self.lanes.submit(self._call_of(event), partial(handler, event))

    def _call_of(self, event: dict) -> str:
        """The call an event is about: its lane."""
        cid = event["channel"]["id"]
        if cid in self.agent_legs:
            return self.agent_legs[cid].call_id
        if cid in self.listeners:
            return self.listeners[cid].call_id
        args = event.get("args") or []
        if len(args) > 1 and args[0] in ("agent", "supervisor", "snoop"):
            return args[1]
        return cid

    def is_live(self, call_id: str) -> bool:
        return call_id in self.core.calls

    # --- resynchronisation -------------------------------------------------------------------------

    async def _on_connect(self) -> None:
        try:
            await self.ari.filter_events([*self._handlers, *self._watchers])
        except AriError as exc:  # before Asterisk 16.3: every event comes, and the unread ones are skipped
            log.info("ARI event filter not taken (%s)", exc)
        await self.resync()
        if not self._first_sync_done:
            self._first_sync_done = True
            for key, action in self.recovery.timers.items():
                if key not in self.timers:  # the resync may have started a newer one already
                    self._arm(action)
            self.handle(m.Start(self.now()))  # surge timers from the airing schedule; a repeat changes nothing
            if self.options.login:
                for agent in self.core.agents.values():
                    if agent.state == "out":
                        self.handle(m.LogIn(self.now(), agent.agent_id))
            self.ready.set()
            if self.on_ready:
                self.on_ready()

    async def resync(self) -> None:
        """Compare the core with Asterisk's channels and bridges and repair. Runs alone: the jobs submitted
        before it are carried out first, the calls' lanes hold still until it is done (so not from a job)."""
        async with self.lanes.exclusive():
            await repair_from_asterisk(self)
