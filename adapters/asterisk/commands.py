"""The live driver's side of the command channel: a pump that takes console users' commands from the store
(adapters/store/live_channel.py) and carries them out through the core or the driver's supervisor features.

Rules, so that a command is applied at most once and never late:

* it claims only pending commands within their deadline (``expires_at``); a conditional update decides
  the one claimer, however many processes ask;
* before it acts it marks the command ``started``: for a core command, with the exact journal line it is
  about to feed; for a supervisor action, with the action's kind;
* after a crash (``recover``, at start): a claimed command not started goes back to pending (or expires,
  if its deadline passed); a started core command is done if its line is in the journal (the core had it)
  and pending again if not; a started supervisor action is expired, never repeated (Asterisk may have done it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Callable

import httpx

from adapters.asterisk import call_control, supervisor
from adapters.asterisk.ari import AriError
from adapters.asterisk.journal import encode
from adapters.asterisk.outbound import campaign_message
from adapters.store.live_channel import SqlLiveCommands
from adapters.store.outage import StoreOutage
from app.live import AGENT_KINDS, CAMPAIGN_KINDS, DONE, EXPIRED, REJECTED, LiveCommand
from core import messages as m
from core.center import CommandRejected

log = logging.getLogger("hotline.live.commands")


def core_message(command: LiveCommand, now: float):
    """The core command an agent-state command becomes."""
    kind, agent = command.kind, command.agent_id
    if kind == "log_in":
        return m.LogIn(now, agent, extension=command.payload.get("extension") or "")
    if kind == "log_out":
        return m.LogOut(now, agent)
    if kind == "ready":
        return m.MakeReady(now, agent)
    if kind == "pause":
        return m.MakeNotReady(now, agent, command.payload.get("reason") or "break")
    if kind == "end_wrapup":
        return m.EndWrapUp(now, agent)
    raise ValueError(f"{kind} is not an agent-state command")


def agent_state(core, agent_id: str) -> dict:
    agent = core.agents.get(agent_id)
    if agent is None:
        return {"agent_id": agent_id}
    return {"agent_id": agent_id, "state": agent.state, "reason": agent.reason, "call_id": agent.call_id or ""}


class CommandPump:
    def __init__(
        self,
        driver,
        commands: SqlLiveCommands,
        *,
        poll: float = 0.05,
        batch: int = 20,
        retention: float = 86400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.driver = driver
        self.commands = commands
        self.poll = poll
        self.batch = batch
        self.retention = retention  # finished commands are kept this long, then pruned
        self.clock = clock
        self.handled = 0

    async def run(self) -> None:
        await self.driver.ready.wait()  # after the first resync: the core and the channels agree
        recovered = False
        outage = StoreOutage(log, "command pump")
        last_prune = last_expiry = 0.0
        while True:
            now = self.clock()
            try:
                if not recovered:
                    await asyncio.to_thread(self.recover)
                    recovered = True
                if now - last_expiry >= 1.0:  # a write: not on every poll (nobody claims a stale one anyway)
                    last_expiry = now
                    await asyncio.to_thread(self.commands.expire_stale, now)
                claimed = await asyncio.to_thread(self.commands.claim, now, self.batch)
                for command in claimed:
                    await self.execute(command)
                if now - last_prune > 60:
                    last_prune = now
                    await asyncio.to_thread(self.commands.prune, now - self.retention)
            except Exception as exc:  # the store is down for a moment: commands wait there, try again
                outage.failed(exc)
                claimed = []
                await asyncio.sleep(1.0)
            else:
                outage.answered()
            if not claimed:
                await asyncio.sleep(self.poll)

    def recover(self) -> None:
        """Settle what a previous driver claimed and did not finish (see the module's rules)."""
        left = self.commands.claimed()
        if not left:
            return
        journal = (
            set(self.driver.journal.path.read_text(encoding="utf-8").splitlines())
            if self.driver.journal.path.exists()
            else set()
        )
        now = self.clock()
        for command in left:
            if not command.started:
                self.commands.release(command.id)
            elif command.started.startswith("{"):
                if command.started in journal:
                    self.commands.finish(
                        command.id,
                        DONE,
                        json.dumps({"message": "handled by the core before the live driver restarted"}),
                        now,
                    )
                else:  # the core never saw it: as if never claimed
                    self.commands.release(command.id, started_too=True)
            else:
                self.commands.finish(
                    command.id,
                    EXPIRED,
                    json.dumps(
                        {"message": f"the live driver restarted while carrying out {command.kind}; not repeated"}
                    ),
                    now,
                )
            log.warning("command %d (%s) left by a previous run settled", command.id, command.kind)

    async def execute(self, command: LiveCommand) -> None:
        try:
            answer = await self._carry_out(command)
            status, result = DONE, json.dumps(answer)
        except CommandRejected as exc:  # before ValueError: it is one
            status, result = REJECTED, json.dumps({"message": str(exc)})
        except ValueError as exc:  # the driver's own refusals (no such call, not in a conversation)
            status, result = REJECTED, json.dumps({"message": str(exc)})
        except (AriError, httpx.HTTPError, OSError) as exc:
            status, result = REJECTED, json.dumps({"message": f"Asterisk did not carry it out: {exc}"})
        except Exception as exc:  # a bug: answer the console rather than leave the command claimed
            log.exception("command %d (%s) failed", command.id, command.kind)
            status, result = REJECTED, json.dumps({"message": f"the live driver failed: {type(exc).__name__}: {exc}"})
        self.handled += 1
        log.info(
            "command %d %s %s/%s by %s: %s",
            command.id,
            command.kind,
            command.agent_id,
            command.call_id,
            command.actor,
            status,
        )
        await asyncio.to_thread(self.commands.finish, command.id, status, result, self.clock())

    async def _carry_out(self, command: LiveCommand) -> dict:
        driver = self.driver
        if command.kind in AGENT_KINDS:
            message = core_message(command, driver.now())
            await asyncio.to_thread(self.commands.mark_started, command.id, encode(message))
            driver.handle(message, strict=True)
            return agent_state(driver.core, command.agent_id)
        if command.kind in CAMPAIGN_KINDS:
            message = await asyncio.to_thread(campaign_message, command, driver, self.commands.engine)
            await asyncio.to_thread(self.commands.mark_started, command.id, encode(message))
            driver.handle(message, strict=True)
            return {"campaign_id": command.payload.get("campaign_id", ""), "attempt_id": command.call_id}
        await asyncio.to_thread(self.commands.mark_started, command.id, f"action:{command.kind}")
        payload, call_id = command.payload, command.call_id
        if command.kind in ("listen", "whisper", "barge"):
            leg = await supervisor.listen(driver, call_id, payload["endpoint"], mode=command.kind)
            return {"call_id": call_id, "leg": leg}
        if command.kind == "hang_up":
            await supervisor.force_hang_up(driver, call_id, command.actor)
            return {"call_id": call_id}
        if command.kind == "transfer":
            await driver.transfer(
                call_id, _agent_of(driver, call_id), payload["extension"], payload.get("context") or "hotline-transfer"
            )
            return {"call_id": call_id}
        action = getattr(call_control, command.kind)  # hold, resume, consult, complete_transfer, cancel_transfer
        return await action(driver, call_id, **payload)


def _agent_of(driver, call_id: str) -> str:
    call = driver.core.calls.get(call_id)
    if call is None or not call.agent_id:
        raise ValueError(f"no conversation {call_id}")
    return call.agent_id


class LiveChannel:
    """The pump and the publisher of one driver, as tasks beside the driver's ``run`` (the composition root
    starts and stops them); the publisher watches every message the core handles (``driver.observers``)."""

    def __init__(self, driver, engine, *, poll: float = 0.05) -> None:
        from adapters.asterisk.publisher import Publisher
        from adapters.store.live_channel import SqlLiveEvents, SqlLiveStates

        self.pump = CommandPump(driver, SqlLiveCommands(engine), poll=poll)
        self.publisher = Publisher(driver, SqlLiveEvents(engine), SqlLiveStates(engine))
        self._tasks: list[asyncio.Task] = []

    def start(self) -> "LiveChannel":
        loop = asyncio.get_running_loop()
        self.pump.driver.observers.append(self.publisher.observe)
        self._tasks = [loop.create_task(self.pump.run()), loop.create_task(self.publisher.run())]
        return self

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("live channel task failed")
        await self.publisher.flush()
