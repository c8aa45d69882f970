"""The callback housekeeping task: reopen tickets whose retry is due and expire the ones past their
3 days, every ``every_s`` seconds. Run it in a thread (``run_housekeeping``) or an asyncio task
(``housekeeping_loop``, e.g. from the FastAPI service's lifespan); ``hotline callbacks expire`` does one
round from cron."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Callable

from adapters.store.tickets import SqlTickets

log = logging.getLogger(__name__)


def housekeeping_round(tickets: SqlTickets, now: float) -> tuple[int, int]:
    """One round; returns (reopened, expired)."""
    reopened, expired = tickets.housekeeping(now)
    if reopened or expired:
        log.info("callbacks: %d reopened for a retry, %d expired", len(reopened), len(expired))
    return len(reopened), len(expired)


def run_housekeeping(
    tickets: SqlTickets,
    every_s: float = 60.0,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
) -> None:
    """Run rounds until ``stop`` is set. A failing round is logged and retried at the next tick."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            housekeeping_round(tickets, clock())
        except Exception:  # keep the task alive across a database hiccup
            log.exception("callback housekeeping failed; trying again in %.0f s", every_s)
        stop.wait(every_s)


def start_housekeeping_thread(
    tickets: SqlTickets, every_s: float = 60.0, clock: Callable[[], float] = time.time
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_housekeeping, args=(tickets, every_s, stop, clock), name="callback-housekeeping", daemon=True
    )
    thread.start()
    return thread, stop


async def housekeeping_loop(tickets: SqlTickets, every_s: float = 60.0, clock: Callable[[], float] = time.time) -> None:
    """The same as an asyncio task (the database work runs in a worker thread); cancel it to stop."""
    while True:
        try:
            await asyncio.to_thread(housekeeping_round, tickets, clock())
        except Exception:
            log.exception("callback housekeeping failed; trying again in %.0f s", every_s)
        await asyncio.sleep(every_s)
