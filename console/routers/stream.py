"""``/api/stream``: the live driver's events relayed to a browser over a WebSocket (what the screen pop and
the supervisor's wallboard use).

Connect to ``ws://<host>/api/stream?token=<bearer token>[&after=<seq>]``. Each message is one event as JSON:
``seq``, ``at``, ``kind`` (``ringing``, ``connected``, ``agent_state``, ``queue``), ``agent_id``, ``call_id``
and ``payload``. An agent gets only its own events, the caller's number masked and ``payload.customers``:
the customers that number matches (id and name). Supervisors get every event (numbers as their role may
see them). ``after`` resumes after the last ``seq`` a client saw (events are kept about an hour); without it
the stream starts with what happens next. A bad or expired token closes the socket with code 4401.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Optional

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from adapters.store.customers import SqlCustomers
from adapters.store.live_channel import SqlLiveEvents
from console.accounts import SqlAccounts
from console.permissions import can
from console.schemas import masked_text
from core.customers import find_customers

router = APIRouter(tags=["live stream"])
POLL_SECONDS = 0.2  # how often the console looks for new events in the store
CALL_KINDS = ("ringing", "connected")
UNAUTHORISED = 4401


def _screen_pop(event: dict, engine, settings, unmasked: bool) -> dict:
    payload = dict(event["payload"])
    caller = payload.get("caller") or ""
    if event["kind"] in CALL_KINDS and caller:
        try:
            found = find_customers(SqlCustomers(engine), caller, default_area_code=settings.default_area_code)
        except ValueError:  # a number no customer can have (withheld, internal)
            found = []
        payload["customers"] = [{"customer_id": c.customer_id, "name": c.name} for c in found]
    if caller:
        payload["caller"] = masked_text(caller, unmasked)
    return {**event, "payload": payload}


@router.websocket("/stream")
async def stream(websocket: WebSocket, token: Annotated[str, Query(max_length=256)] = "",
                 after: Annotated[Optional[int], Query(ge=0, le=2**62)] = None) -> None:
    app = websocket.app
    engine, settings = app.state.engine, app.state.settings
    user = await asyncio.to_thread(SqlAccounts(engine).user_for_token, token, float(app.state.clock()))
    if user is None or not can(user.role, "live.self"):
        await websocket.close(code=UNAUTHORISED, reason="log in first: ?token=<bearer token>")
        return
    await websocket.accept()
    events = SqlLiveEvents(engine)
    own = None if can(user.role, "live.agents") else user.username
    unmasked = can(user.role, "phones.unmasked")
    seq = after if after is not None else await asyncio.to_thread(events.last_seq)

    def next_batch(seq: int) -> list[dict]:
        return [_screen_pop(e, engine, settings, unmasked) for e in events.after(seq, own)]

    async def relay() -> None:
        nonlocal seq
        while True:
            batch = await asyncio.to_thread(next_batch, seq)
            for event in batch:
                await websocket.send_json(event)
                seq = event["seq"]
            if not batch:
                await asyncio.sleep(POLL_SECONDS)

    async def until_closed() -> None:  # an idle relay never sends, so it would not notice a closed socket
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    tasks = {asyncio.create_task(relay()), asyncio.create_task(until_closed())}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if not isinstance(task.exception(), (WebSocketDisconnect, type(None))):
                raise task.exception()
    finally:
        for task in tasks:
            task.cancel()
