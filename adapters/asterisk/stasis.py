"""The live driver: the Stasis application ``hotline`` around the real core.

It holds no routing rule. It reports what Asterisk saw (StasisStart of a caller, an agent leg answering or
failing, hang-ups, DTMF) to the core with ``now = time.time()``, and carries out the core's actions over ARI:

* ``HoldCall``: answer, put the caller alone in a holding bridge ``hold-<call>`` with music on hold (or, with
  ``answer_while_queued=False``, only indicate ringing: the caller is answered when connected or prompted);
* ``RingAgent``: originate ``PJSIP/<agent>`` into this app with appArgs ``agent,<call>,<agent>`` and channel
  id ``hla-<call>-<agent>-<random>``; its StasisStart -> ``AgentAnswered``, once the caller is known to be
  still there (a ringing caller is answered now: Asterisk refuses when the caller hung up meanwhile, and
  that call is then an abandon, ``CallerHungUp``, whatever order the two channels' events arrive in);
  destroyed before that, or the originate refused -> ``AgentDidNotAnswer``;
* ``ConnectCall``: caller and agent leg into a mixing bridge ``talk-<call>`` (recorded if asked);
* ``StopRinging``: hang up that agent leg; ``HangUp``: hang up the caller and the call's agent legs;
* ``PlayCallbackPrompt``: answer if needed, play a prompt; DTMF ``1`` -> ``PromptFinished(.., "1")``, nothing
  within ``prompt_timeout`` -> ``PromptFinished(.., "")``, a hang-up -> ``CallerHungUp``;
* ``StartTimer`` / ``CancelTimer``: asyncio timers calling back ``TimerFired`` (stale ones the core ignores);
* ``AgentPaused``: logged (and ``MakeReady`` after ``ready_after_pause`` seconds if that is set);
* ``DialCallback``: ring the agent, dial the customer, bridge them (``callbacks.py``; its legs' events
  and their resync go there too, in the agent's callback lane);
* the dialer's actions (``DialNumber``, ``ConnectOutbound``, ``PlayDropMessage``, ``PlayBroadcast``, ...):
  ``outbound.py``, in each attempt's lane (resynchronised from the channels like the calls);
* ``PlaySurvey``: the agent hung up; the caller, alone, hears "press 1 / 2 / 3"; a digit or nothing within
  ``survey_timeout`` -> ``SurveyAnswered``, then the caller is hung up.

Every message is journalled (flushed; fsynced with ``fsync``) and handled by the core in one synchronous
step, so the core sees one message at a time, in the journal's order, and a restart that replays the journal
rebuilds the same core. The ARI work is not in that step: each event about a call and each action for a
call is a job in the call's lane (``lanes.py``), run in order per call and side by side across calls, with
an originate ahead of the same message's other actions. What a job learns (an originate refused, a caller
gone) goes back to the core as a new message.

After every websocket (re)connect the driver resynchronises from ``GET /channels`` and ``GET /bridges``:
calls the core thinks are live but whose channels are gone are hung up in the core (``CallerHungUp`` /
``AgentHungUp`` / ``AgentDidNotAnswer``); callers in Stasis the core never saw -> ``CallArrived``; bridged
calls are left to finish; waiting callers get their holding bridge and music again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Awaitable, Callable

from adapters.asterisk.ari import AriClient, AriError, AriSettings, EventStream, RequestTimeout
from adapters.asterisk.callbacks import CALLBACK_PREFIX, CallbackDialer, CallbackOptions
from adapters.asterisk.journal import EventLogFile, Journal, keep_start_config, recover
from adapters.asterisk.lanes import Lanes
from adapters.asterisk.outbound import OUTBOUND_PREFIX, OutboundLegs, OutboundOptions
from core import messages as m
from core.center import CallCenter, CommandRejected
from core.config import AgentProfile, CenterConfig, Hotline, Policy
from core.outbound_messages import OUTBOUND_ACTIONS

log = logging.getLogger("hotline.live")

AGENT_PREFIX = "hla-"
SNOOP_PREFIX = "hls-"  # snoop channel on a caller (supervisor listen / whisper)
SUPERVISOR_PREFIX = "hlv-"  # the supervisor's phone leg
LISTEN_MODES = ("listen", "whisper", "barge")
PROMPT_MEDIA = ("sound:if-correct-press", "sound:digits/1")
SURVEY_MEDIA = ("sound:queue-thankyou", "sound:digits/1", "sound:digits/2", "sound:digits/3")
CANCEL_CAUSE = 127  # Asterisk's hang-up cause for a SIP caller's CANCEL (487): it never had a 200 OK
ANSWER_SETTLE_S = 2.0  # how long to wait for the caller's channel events after answering it
SETTLED_EVENT = "hotline-settled"  # our marker on a caller's event stream
# the core's actions carried out over ARI, each in the lane of its call
CALL_ACTIONS = frozenset(
    (
        m.HoldCall,
        m.RingAgent,
        m.StopRinging,
        m.ConnectCall,
        m.PlayCallbackPrompt,
        m.HangUp,
        m.TransferCaller,
        m.PlaySurvey,
    )
)


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


def event_time(event: dict) -> float:
    """An ARI event's ``timestamp`` (e.g. ``2026-11-23T07:12:53.585+0000``) as epoch seconds; now if absent."""
    stamp = event.get("timestamp")
    if stamp:
        try:
            return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
        except ValueError:
            log.debug("unreadable event timestamp %r", stamp)
    return time.time()


@dataclass
class CallerLeg:
    call_id: str
    hold_bridge: str | None = None
    talk_bridge: str | None = None
    prompt: bool = False
    prompt_timer: asyncio.TimerHandle | None = None
    ended: bool = False  # the core ended the call; its StasisEnd is no news
    answered: bool = False  # Asterisk answered the caller's channel (SIP 200 OK)
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # our marker came back, or a hang-up request
    cancelled: bool = False  # a hang-up request with the CANCEL's cause
    survey: m.PlaySurvey | None = None  # the after-call survey is asking this caller


@dataclass
class AgentLeg:
    channel: str
    call_id: str
    agent_id: str
    answered: bool = False
    dropped: bool = False  # we hung it up (StopRinging / HangUp)
    done: bool = False  # reported to the core


@dataclass
class Listener:
    call_id: str
    snoop: str  # "" when barging (no snoop channel)
    supervisor: str
    bridge: str
    mode: str = "listen"


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
        self._handlers = self._event_handlers()
        self._watchers = self._event_watchers()
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
        self._handle(message)

    def _handle(self, message, strict: bool = False) -> list:
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
            self._handle(make_message())

        self.lanes.submit(call_id, job)

    def _now(self) -> float:
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
                self.lanes.submit(action.call_id, partial(self._carry_out, action))
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

    async def _carry_out(self, action) -> None:
        kind = type(action)
        try:
            if kind is m.HoldCall:
                await self._hold(action.call_id)
            elif kind is m.RingAgent:
                await self._ring(action)
            elif kind is m.StopRinging:
                await self._drop_agent_legs(action.call_id, action.agent_id)
            elif kind is m.ConnectCall:
                await self._connect(action.call_id, action.agent_id)
            elif kind is m.PlayCallbackPrompt:
                await self._prompt(action.call_id)
            elif kind is m.HangUp:
                await self._hang_up(action.call_id, action.reason)
            elif kind is m.PlaySurvey:
                await self._survey(action)
            elif kind is m.TransferCaller:
                await self._transfer(action)
        except (AriError, OSError) as exc:  # AriError: Asterisk said no; OSError: timeouts too
            log.warning("%s failed: %s", kind.__name__, str(exc) or repr(exc))

    def _arm(self, action: m.StartTimer) -> None:
        key = (action.timer.kind, action.timer.key)
        old = self.timers.pop(key, None)
        if old:
            old[1].cancel()
        delay = max(0.0, action.at - self._now())
        handle = asyncio.get_running_loop().call_later(delay, self._timer_due, action.timer)
        self.timers[key] = (action.timer.token, handle)

    def _timer_due(self, timer: m.Timer) -> None:
        entry = self.timers.get((timer.kind, timer.key))
        if entry and entry[0] == timer.token:
            del self.timers[(timer.kind, timer.key)]
        call_id = timer.key.partition("#")[0]  # a call's timers are keyed by the call ("<call>#<step>": overflow)
        if call_id in self.core.calls:  # in order with the call's events (e.g. its agent answering now)
            self._handle_in_lane(call_id, lambda: m.TimerFired(self._now(), timer))
        else:
            self._handle(m.TimerFired(self._now(), timer))

    def _ready_again(self, agent_id: str) -> None:
        agent = self.core.agents.get(agent_id)
        if agent is not None and agent.state == "paused":
            self._handle(m.MakeReady(self._now(), agent_id))

    def endpoint_of(self, agent_id: str) -> str:
        """The phone to ring for an agent: the extension they logged in at (hot-desking), else their own."""
        agent = self.core.agents.get(agent_id)
        return f"PJSIP/{(agent.extension if agent is not None else '') or agent_id}"

    def _caller(self, call_id: str) -> CallerLeg:
        leg = self.callers.get(call_id)
        if leg is None:
            leg = self.callers[call_id] = CallerLeg(call_id)
        return leg

    async def _hold(self, call_id: str) -> None:
        leg = self._caller(call_id)
        if leg.hold_bridge:
            return
        if not self.options.answer_while_queued:  # the caller hears ringing, unanswered, until an agent answers
            await self.ari.ring(call_id)
            return
        leg.answered = await self.ari.answer(call_id)
        bridge = f"hold-{call_id}"
        await self.ari.create_bridge(bridge, "holding")
        leg.hold_bridge = bridge
        await self.ari.add_channel(bridge, [call_id])
        await self.ari.bridge_moh(bridge)

    async def _leave_hold(self, leg: CallerLeg) -> None:
        if leg.hold_bridge:
            bridge, leg.hold_bridge = leg.hold_bridge, None
            await self.ari.destroy_bridge(bridge)

    async def _ring(self, action: m.RingAgent) -> None:
        channel = f"{AGENT_PREFIX}{action.call_id}-{action.agent_id}-{uuid.uuid4().hex[:8]}"
        self.agent_legs[channel] = AgentLeg(channel, action.call_id, action.agent_id)
        arrived = self.arrived_at.pop(action.call_id, None)
        try:
            await self.ari_dial.originate(
                f"PJSIP/{action.extension or action.agent_id}",
                channel_id=channel,
                app_args=f"agent,{action.call_id},{action.agent_id}",
                caller_id=action.caller,
                timeout=self.options.originate_timeout,
            )
        except RequestTimeout as exc:
            # sent, and Asterisk slow to answer: the leg's own events tell, or else the ring timer
            log.warning("originate to %s: no answer from ARI yet (%r)", action.agent_id, exc)
            return
        except (AriError, OSError) as exc:
            log.warning("originate to %s failed: %s", action.agent_id, str(exc) or repr(exc))
            self.agent_legs.pop(channel).done = True
            self._handle(m.AgentDidNotAnswer(self._now(), action.call_id, action.agent_id))
            return
        if arrived is not None:
            self.stats.stasis_to_originate.append(time.time() - arrived)

    async def _drop_agent_legs(self, call_id: str, agent_id: str | None = None) -> None:
        for leg in list(self.agent_legs.values()):
            if leg.call_id == call_id and (agent_id is None or leg.agent_id == agent_id) and not leg.dropped:
                leg.dropped = True
                leg.done = True
                await self.ari.hangup(leg.channel)

    async def _connect(self, call_id: str, agent_id: str) -> None:
        caller = self._caller(call_id)
        agent_leg = next(
            (
                a
                for a in self.agent_legs.values()
                if a.call_id == call_id and a.agent_id == agent_id and a.answered and not a.dropped
            ),
            None,
        )
        if agent_leg is None:
            log.warning("ConnectCall %s: no answered leg of %s", call_id, agent_id)
            return
        await self._leave_hold(caller)
        if not caller.answered:  # answered when its agent answered; not after a restart, say
            caller.answered = await self.ari.answer(call_id)
        bridge = f"talk-{call_id}"
        await self.ari.create_bridge(bridge, "mixing")
        caller.talk_bridge = bridge
        try:
            await self.ari.add_channel(bridge, [call_id, agent_leg.channel])
        except AriError as exc:
            # One side hung up after the caller was answered: an answered call (the caller had the 200 OK),
            # over at once. Both legs go, and their hang-up events end it in the core.
            log.info("ConnectCall %s: %s; ending the call", call_id, exc)
            await self.ari.hangup(call_id)
            await self.ari.hangup(agent_leg.channel)
            return
        if self.options.record:
            name = f"hotline-{call_id}"
            try:  # a call goes on without its recording
                await self.ari.record_bridge(bridge, name)
            except (AriError, OSError) as exc:
                log.warning(
                    "recording %s failed (does Asterisk's /var/spool/asterisk/recording exist?): %s", call_id, exc
                )
            else:
                self._handle(m.CallRecorded(self._now(), call_id, f"{name}.wav"))

    async def _prompt(self, call_id: str) -> None:
        leg = self._caller(call_id)
        await self._leave_hold(leg)
        leg.answered = await self.ari.answer(call_id)
        leg.prompt = True
        await self.ari.play(call_id, list(PROMPT_MEDIA), playback_id=f"prompt-{call_id}-{uuid.uuid4().hex[:6]}")
        if leg.prompt_timer:
            leg.prompt_timer.cancel()
        leg.prompt_timer = asyncio.get_running_loop().call_later(
            self.options.prompt_timeout, self.lanes.submit, call_id, partial(self._prompt_timeout, call_id)
        )

    async def _prompt_timeout(self, call_id: str) -> None:
        leg = self.callers.get(call_id)
        if leg is not None and leg.prompt and not leg.ended:
            self._handle(m.PromptFinished(self._now(), call_id, ""))

    async def _hang_up(self, call_id: str, reason: str) -> None:
        leg = self._caller(call_id)
        leg.ended = True
        leg.prompt = False
        if leg.prompt_timer:
            leg.prompt_timer.cancel()
        await self._drop_agent_legs(call_id)
        await self.ari.hangup(call_id)
        await self._cleanup_bridges(leg)
        self.callers.pop(call_id, None)
        await self._end_listeners(call_id)

    async def _survey(self, action: m.PlaySurvey) -> None:
        """The agent hung up: the caller, alone now, hears the survey; a digit or the timeout ends it."""
        leg = self.callers.get(action.call_id)
        if leg is None:
            return  # the caller is gone as well: no answer
        leg.ended = True  # for the queue the call is over
        await self._drop_agent_legs(action.call_id)
        await self._cleanup_bridges(leg)
        leg.survey = action
        try:
            await self.ari.play(action.call_id, list(SURVEY_MEDIA), playback_id=f"survey-{action.call_id}")
        except (AriError, OSError) as exc:
            log.info("call %s: survey not played: %s", action.call_id, exc)
        leg.prompt_timer = asyncio.get_running_loop().call_later(
            self.options.survey_timeout,
            self.lanes.submit,
            action.call_id,
            partial(self._survey_done, action.call_id, ""),
        )

    async def _survey_done(self, call_id: str, digit: str) -> None:
        leg = self.callers.get(call_id)
        if leg is None or leg.survey is None:
            return
        survey, leg.survey = leg.survey, None
        self._handle(m.SurveyAnswered(self._now(), call_id, survey.agent_id, survey.queue, digit))
        await self._hang_up(call_id, "survey done")

    async def _transfer(self, action: m.TransferCaller) -> None:
        leg = self._caller(action.call_id)
        leg.ended = True
        await self._drop_agent_legs(action.call_id)
        await self._cleanup_bridges(leg)
        self.callers.pop(action.call_id, None)
        await self._end_listeners(action.call_id)
        # the caller leaves Stasis: its StasisEnd is no news to the core, which ended the call already
        await self.ari.continue_in_dialplan(action.call_id, action.context, action.destination)
        log.info(
            "call %s transferred by %s to %s@%s", action.call_id, action.agent_id, action.destination, action.context
        )

    async def _cleanup_bridges(self, leg: CallerLeg) -> None:
        for bridge in (leg.hold_bridge, leg.talk_bridge):
            if bridge:
                await self.ari.destroy_bridge(bridge)
        leg.hold_bridge = leg.talk_bridge = None

    # --- agent and supervisor requests from the console --------------------------------------------

    async def transfer(self, call_id: str, agent_id: str, destination: str, context: str = "hotline-transfer") -> None:
        """Blind transfer asked for by the agent on the call; the core logs TRANSFER and frees the agent.
        Raises ``CommandRejected`` when the call is not in a conversation with that agent."""
        self._handle(m.TransferCall(self._now(), call_id, agent_id, destination, context), strict=True)

    async def complete_callback(self, agent_id: str, ticket_id: str, outcome: str) -> None:
        """The agent reports how their callback went (``core.tickets.OUTCOMES``); it ends the callback's legs.
        Raises ``CommandRejected`` when the ticket is not this agent's running callback or the outcome unknown."""
        await self.in_lane(
            self.callbacks.lane(agent_id), partial(self.callbacks.complete, agent_id, ticket_id, outcome)
        )

    async def force_hang_up(self, call_id: str, supervisor: str) -> None:
        """A supervisor ends a conversation: the agent's leg is hung up, so the core ends the call as
        COMPLETEAGENT and hangs up the caller (the event log does not tell it from the agent hanging up)."""
        call = self.core.calls.get(call_id)
        if call is None or call.state != "talking":
            raise ValueError(f"no conversation {call_id}")
        log.warning("supervisor %s forces call %s (agent %s) to end", supervisor, call_id, call.agent_id)
        leg = next((a for a in self.agent_legs.values() if a.call_id == call_id and a.answered), None)
        if leg is not None:
            await self.ari.hangup(leg.channel)
        else:  # no agent leg known (e.g. just after a restart): end the caller's side
            await self.ari.hangup(call_id)

    # --- supervisor listen / whisper / barge (not routing: nothing here goes through the core) --------

    async def listen(self, call_id: str, endpoint: str, mode: str = "listen") -> str:
        """Ring ``endpoint`` (e.g. ``PJSIP/agent004``) and join it to a conversation:

        * ``listen``: hears the caller and the agent (a snoop on the caller, spying both ways);
        * ``whisper``: also speaks to the agent only, the caller hears nothing (a snoop on the agent's leg
          whispering outwards, into the agent's ear);
        * ``barge``: joins the conversation's bridge, heard by both.

        Returns the supervisor leg's channel id; it is dropped when the call ends."""
        if mode not in LISTEN_MODES:
            raise ValueError(f"mode must be one of {', '.join(LISTEN_MODES)}, not {mode!r}")
        call = self.core.calls.get(call_id)
        if call is None:
            raise ValueError(f"no live call {call_id}")
        tag = uuid.uuid4().hex[:8]
        snoop, supervisor = f"{SNOOP_PREFIX}{call_id}-{tag}", f"{SUPERVISOR_PREFIX}{call_id}-{tag}"
        if mode == "barge":
            bridge = self.callers[call_id].talk_bridge if call_id in self.callers else None
            if call.state != "talking" or not bridge:
                raise ValueError(f"call {call_id} is not in a conversation to barge into")
            self.listeners[supervisor] = Listener(call_id, "", supervisor, bridge, mode)
        else:
            target = call_id
            if mode == "whisper":
                leg = next((a for a in self.agent_legs.values() if a.call_id == call_id and a.answered), None)
                if call.state != "talking" or leg is None:
                    raise ValueError(f"call {call_id} has no agent to whisper to")
                target = leg.channel
            self.listeners[supervisor] = Listener(call_id, snoop, supervisor, f"listen-{call_id}-{tag}", mode)
            await self.ari.snoop(
                target,
                spy="both",
                whisper="out" if mode == "whisper" else "none",
                app_args=f"snoop,{call_id}",
                snoop_id=snoop,
            )
        await self.ari.originate(
            endpoint, channel_id=supervisor, app_args=f"supervisor,{call_id}", timeout=self.options.originate_timeout
        )
        log.info("supervisor leg %s: %s on call %s", supervisor, mode, call_id)
        return supervisor

    async def _supervisor_answered(self, channel: str) -> None:
        listener = self.listeners.get(channel)
        if listener is None or listener.call_id not in self.core.calls:
            await self.ari.hangup(channel)
            return
        if listener.mode == "barge":  # the conversation's own bridge
            await self.ari.add_channel(listener.bridge, [listener.supervisor])
            return
        await self.ari.create_bridge(listener.bridge, "mixing")
        await self.ari.add_channel(listener.bridge, [listener.snoop, listener.supervisor])

    async def _end_listener(self, listener: Listener) -> None:
        self.listeners.pop(listener.supervisor, None)
        for channel in (listener.supervisor, listener.snoop):
            if channel:
                await self.ari.hangup(channel)
        if listener.mode != "barge":
            await self.ari.destroy_bridge(listener.bridge)

    async def _end_listeners(self, call_id: str) -> None:
        for listener in [x for x in self.listeners.values() if x.call_id == call_id]:
            await self._end_listener(listener)

    # --- events ------------------------------------------------------------------------------------

    def _event_handlers(self) -> dict:
        """The ARI events the driver reads (Asterisk is asked to send only these)."""
        return {
            "StasisStart": self._stasis_start,
            "StasisEnd": self._stasis_end,
            "ChannelDestroyed": self._channel_destroyed,
            "ChannelDtmfReceived": self._dtmf,
        }

    def _event_watchers(self) -> dict:
        """Events read at once, outside the lanes: a job may be waiting for them."""
        return {
            "ChannelHangupRequest": self._hangup_requested,
            "ChannelUserevent": self._user_event,
        }

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

    def _is_live(self, call_id: str) -> bool:
        return call_id in self.core.calls

    async def _stasis_start(self, event: dict) -> None:
        channel = event["channel"]
        cid = channel["id"]
        args = event.get("args") or []
        if args and args[0] == "agent":
            await self._agent_answered(cid)
            return
        if args and args[0] == "supervisor":
            await self._supervisor_answered(cid)
            return
        if cid.startswith((AGENT_PREFIX, SNOOP_PREFIX, SUPERVISOR_PREFIX)) or (args and args[0] == "snoop"):
            return
        if cid in self.seen_calls:
            return  # resync already reported it
        # from Asterisk's stamp, not from when we got to the event: a backlog in the driver counts too
        self.arrived_at[cid] = event_time(event)
        number = args[0] if args else channel.get("dialplan", {}).get("exten", "")
        caller = (channel.get("caller") or {}).get("number", "")
        actions = self._handle(m.CallArrived(self._now(), cid, caller, number))
        if not any(type(a) is m.RingAgent for a in actions):
            self.arrived_at.pop(cid, None)  # not rung at once: it waits, and its wait is not this latency

    async def _agent_answered(self, channel: str) -> None:
        leg = self.agent_legs.get(channel)
        if leg is None or leg.dropped:
            await self.ari.hangup(channel)
            return
        if leg.answered:
            return  # a resync reported it already
        leg.answered = leg.done = True
        call = self.core.calls.get(leg.call_id)
        if (
            call is not None
            and call.state == "ringing"
            and call.agent_id == leg.agent_id
            and not await self._caller_still_there(leg.call_id)
        ):
            # The caller hung up while this agent answered (Asterisk has seen it; the caller's StasisEnd may
            # still be on its way): an abandon, and the agent's leg is dropped.
            self._handle(m.CallerHungUp(self._now(), leg.call_id))
            return
        self._handle(m.AgentAnswered(self._now(), leg.call_id, leg.agent_id))

    async def _caller_still_there(self, call_id: str) -> bool:
        """Answer a ringing caller (the connection needs it anyway; Asterisk refuses once the caller hung
        up), or look an answered one (music on hold) up."""
        caller = self._caller(call_id)
        if caller.answered:
            return await self.ari.channel(call_id) is not None
        caller.answered = await self.ari.answer(call_id)
        if caller.answered:
            # Asterisk also says yes when the caller's CANCEL got there just before (chan_pjsip: "Session
            # already DISCONNECTED") and sends no 200 OK; the channel's end, with the CANCEL's cause, follows on
            # the call's SIP serializer. Reading a PJSIP value waits for that serializer, so by then that end
            # has been published; a marker published after it on the channel's own (ordered) event stream
            # comes back after that hang-up request. A BYE's hang-up request means it was answered.
            await self.ari.variable(call_id, "CHANNEL(pjsip,call-id)")
            await self.ari.user_event(SETTLED_EVENT, call_id)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(ANSWER_SETTLE_S):
                    await caller.settled.wait()
            caller.answered = not caller.cancelled
        if not caller.answered:
            await self.ari.hangup(call_id)  # going already; if Asterisk refused for another reason, it goes now
        return caller.answered

    def _hangup_requested(self, event: dict) -> None:
        caller = self.callers.get(event["channel"]["id"])
        if caller is not None:
            caller.cancelled = event.get("cause") == CANCEL_CAUSE
            caller.settled.set()

    def _user_event(self, event: dict) -> None:
        caller = self.callers.get((event.get("channel") or {}).get("id", ""))
        if caller is not None and event.get("eventname") == SETTLED_EVENT:
            caller.settled.set()

    async def _stasis_end(self, event: dict) -> None:
        cid = event["channel"]["id"]
        leg = self.agent_legs.get(cid)
        if leg is not None:
            await self._agent_leg_gone(leg)
            return
        if self._is_live(cid):
            self._handle(m.CallerHungUp(self._now(), cid))
        caller = self.callers.pop(cid, None)
        if caller is not None:
            if caller.prompt_timer:
                caller.prompt_timer.cancel()
            await self._cleanup_bridges(caller)

    async def _channel_destroyed(self, event: dict) -> None:
        cid = event["channel"]["id"]
        listener = self.listeners.get(cid)
        if listener is not None:  # the supervisor hung up (or never answered)
            await self._end_listener(listener)
            return
        leg = self.agent_legs.get(cid)
        if leg is not None:
            await self._agent_leg_gone(leg)

    async def _agent_leg_gone(self, leg: AgentLeg) -> None:
        self.agent_legs.pop(leg.channel, None)
        if leg.dropped:
            return
        now = self._now()
        if leg.answered:
            call = self.core.calls.get(leg.call_id)
            if call is not None and call.state == "talking" and call.agent_id == leg.agent_id:
                self._handle(m.AgentHungUp(now, leg.call_id))
        elif not leg.done:
            leg.done = True
            self._handle(m.AgentDidNotAnswer(now, leg.call_id, leg.agent_id))

    async def _dtmf(self, event: dict) -> None:
        cid = event["channel"]["id"]
        leg = self.callers.get(cid)
        if leg is not None and leg.survey is not None and event.get("digit") in ("1", "2", "3"):
            await self._survey_done(cid, event["digit"])
            return
        if leg is None or not leg.prompt or leg.ended:
            return
        if event.get("digit") == "1":
            leg.prompt = False
            if leg.prompt_timer:
                leg.prompt_timer.cancel()
            self._handle(m.PromptFinished(self._now(), cid, "1"))

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
            self._handle(m.Start(self._now()))  # surge timers from the airing schedule; a repeat changes nothing
            if self.options.login:
                for agent in self.core.agents.values():
                    if agent.state == "out":
                        self._handle(m.LogIn(self._now(), agent.agent_id))
            self.ready.set()
            if self.on_ready:
                self.on_ready()

    async def resync(self) -> None:
        """Compare the core with Asterisk's channels and bridges and repair. Runs alone: the jobs submitted
        before it are carried out first, the calls' lanes hold still until it is done (so not from a job)."""
        async with self.lanes.exclusive():
            await self._resync()

    async def _resync(self) -> None:
        self.stats.resyncs += 1
        channels = {c["id"]: c for c in await self.ari.channels()}
        bridges = {b["id"]: b for b in await self.ari.bridges()}
        in_bridge = {ch: b["id"] for b in bridges.values() for ch in b.get("channels", ())}

        def agent_channel(call_id: str, agent_id: str) -> dict | None:
            prefix = f"{AGENT_PREFIX}{call_id}-{agent_id}-"
            return next((c for i, c in channels.items() if i.startswith(prefix)), None)

        # agent legs we track but Asterisk no longer has: their end was an event we missed
        for leg in list(self.agent_legs.values()):
            if leg.channel not in channels:
                await self._agent_leg_gone(leg)

        snapshot = [(call, call.state, call.agent_id) for call in self.core.calls.values()]
        for call, state, agent_id in snapshot:
            cid = call.call_id
            if self.core.calls.get(cid) is not call or call.state != state or call.agent_id != agent_id:
                continue  # changed by an earlier step of this resync: what it did is fresh, not stale
            if cid not in channels:
                self._handle(m.CallerHungUp(self._now(), cid))
                continue
            leg = self._caller(cid)
            if call.state == "talking":
                ch = agent_channel(cid, call.agent_id)
                if ch is None:
                    self._handle(m.AgentHungUp(self._now(), cid))
                    continue
                self.agent_legs.setdefault(ch["id"], AgentLeg(ch["id"], cid, call.agent_id, answered=True, done=True))
                talk = f"talk-{cid}"
                leg.talk_bridge = talk
                leg.hold_bridge = None
                if in_bridge.get(cid) != talk or in_bridge.get(ch["id"]) != talk:
                    if in_bridge.get(cid, "").startswith("hold-"):
                        await self.ari.destroy_bridge(in_bridge[cid])
                    if talk not in bridges:
                        await self.ari.create_bridge(talk, "mixing")
                    await self.ari.add_channel(talk, [cid, ch["id"]])
            elif call.state == "ringing":
                await self._ensure_hold(leg, in_bridge, bridges)
                ch = agent_channel(cid, call.agent_id)
                if ch is None:
                    self._handle(m.AgentDidNotAnswer(self._now(), cid, call.agent_id))
                    continue
                agent_leg = self.agent_legs.setdefault(ch["id"], AgentLeg(ch["id"], cid, call.agent_id))
                if ch.get("state") == "Up" and not agent_leg.answered:
                    agent_leg.answered = agent_leg.done = True
                    self._handle(m.AgentAnswered(self._now(), cid, call.agent_id))
            elif call.state == "queued":
                await self._ensure_hold(leg, in_bridge, bridges)
            elif call.state == "prompt":
                if not leg.prompt:
                    await self._prompt(cid)

        # channels in Stasis the core does not know
        for cid, ch in channels.items():
            if cid.startswith((CALLBACK_PREFIX, OUTBOUND_PREFIX)):
                continue  # the callbacks' and the campaigns' resync below
            if cid.startswith((SNOOP_PREFIX, SUPERVISOR_PREFIX)):
                if not any(
                    cid in (x.snoop, x.supervisor) and self._is_live(x.call_id) for x in self.listeners.values()
                ):
                    await self.ari.hangup(cid)
                continue
            if cid.startswith(AGENT_PREFIX):
                leg = self.agent_legs.get(cid)
                if leg is None or leg.dropped:
                    await self.ari.hangup(cid)
                continue
            dialplan = ch.get("dialplan") or {}
            data = (dialplan.get("app_data") or "").split(",")
            if dialplan.get("app_name") != "Stasis" or data[0] != self.settings.app:
                continue
            if len(data) > 1 and data[1] in ("agent", "snoop", "supervisor"):
                continue
            if self._is_live(cid):
                continue
            if cid in self.seen_calls:
                await self.ari.hangup(cid)  # the core already ended it; the hang-up was lost in a crash
                continue
            number = data[1] if len(data) > 1 else dialplan.get("exten", "")
            caller = (ch.get("caller") or {}).get("number", "")
            self._handle(m.CallArrived(self._now(), cid, caller, number))

        # bridges of calls that are over
        for bid in bridges:
            for prefix in ("hold-", "talk-"):  # hold-<call>, hold-<call>-<tag> (a supervisor's hold), talk-<call>
                if bid.startswith(prefix) and not self._is_live(bid[len(prefix) :].split("-")[0]):
                    await self.ari.destroy_bridge(bid)
            if bid.startswith("listen-") and not any(x.bridge == bid for x in self.listeners.values()):
                await self.ari.destroy_bridge(bid)
        await self.callbacks.resync(channels, bridges)
        await self.outbound.resync(channels)

    async def _ensure_hold(self, leg: CallerLeg, in_bridge: dict, bridges: dict) -> None:
        hold = f"hold-{leg.call_id}"
        if in_bridge.get(leg.call_id) == hold:
            leg.hold_bridge = hold
            await self.ari.bridge_moh(hold)
            return
        if hold in bridges:
            await self.ari.destroy_bridge(hold)
        leg.hold_bridge = None
        await self._hold(leg.call_id)
