"""Per-call ordered work for the live driver.

Every ARI event about a call and every action the core asked for that call is a *job* in the call's lane: a
lane runs its jobs one after another, in the order they were submitted, and lanes run side by side. So one
call's answer, bridge and hang-up requests happen in order, while a new caller's originate does not wait
behind another call's requests (the single lock this replaces made it wait).

``exclusive()`` stops the world for a resynchronisation: the jobs submitted so far are carried out, the ones
submitted meanwhile wait until it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import AsyncIterator, Awaitable, Callable

from adapters.json_logs import CALL_ID

log = logging.getLogger("hotline.live")

Job = Callable[[], Awaitable[None]]


class Lanes:
    def __init__(self, on_error: Callable[[str, BaseException], None] | None = None) -> None:
        self._waiting: dict[str, deque[Job]] = {}
        self._tasks: dict[str, asyncio.Task] = {}
        self._on_error = on_error or (lambda key, exc: log.error("job of %s failed", key, exc_info=exc))
        self._gate = asyncio.Event()  # cleared while ``exclusive`` holds the world still
        self._gate.set()
        self._changed = asyncio.Event()  # set whenever a lane ends

    def submit(self, key: str, job: Job) -> None:
        """Run ``job`` after the jobs already submitted for ``key``."""
        self._waiting.setdefault(key, deque()).append(job)
        if key not in self._tasks:
            self._tasks[key] = asyncio.get_running_loop().create_task(self._run(key))

    def __len__(self) -> int:
        return len(self._tasks)

    async def _run(self, key: str) -> None:
        CALL_ID.set(key)  # this lane's task only: every log line of its jobs names the call
        try:
            while True:
                await self._gate.wait()
                queue = self._waiting.get(key)
                if not queue:
                    break
                job = queue.popleft()
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # one failed job must not stop the call's later ones
                    self._on_error(key, exc)
        finally:
            self._waiting.pop(key, None)
            self._tasks.pop(key, None)
            self._changed.set()

    async def idle(self) -> None:
        """Until no job is waiting or running."""
        while self._tasks:
            self._changed.clear()
            await self._changed.wait()

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Jobs submitted before are carried out first; jobs submitted meanwhile start when the block ends.
        Not from a job: it would wait for itself."""
        await self.idle()
        self._gate.clear()  # no await since idle: nothing started in between
        try:
            yield
        finally:
            self._gate.set()

    def cancel(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()


class PrefixedLegs:
    """Legs of one kind beside the calls' (a callback's, a campaign attempt's): their channel ids start with
    ``PREFIX``, and an event about one runs in the lane of what the leg belongs to (``lane(key_of(owner))``),
    a leg nobody knows in a lane of its own. A subclass names ``PREFIX`` and ``key_of``."""

    PREFIX = ""

    def __init__(self, driver) -> None:
        self.driver = driver
        self.by_channel: dict = {}  # live legs -> their owner

    @property
    def ari(self):
        return self.driver.ari

    def owns(self, event: dict) -> bool:
        return (event.get("channel") or {}).get("id", "").startswith(self.PREFIX)

    def lane(self, key: str) -> str:
        return f"{self.PREFIX}{key}"

    def lane_of(self, event: dict) -> str:
        channel = event["channel"]["id"]
        owner = self.by_channel.get(channel)
        return self.lane(self.key_of(owner)) if owner is not None else channel

    def key_of(self, owner) -> str:
        raise NotImplementedError
