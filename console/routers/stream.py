"""``/api/stream``: the live driver's events relayed to a browser over a WebSocket (what the screen pop and
the supervisor's wallboard use).

Connect to ``ws://<host>/api/stream?token=<bearer token>[&after=<seq>]`` (the web console's pages send their
login cookie instead of ``token``). Each message is one event as JSON:
``seq``, ``at``, ``kind`` (``ringing``, ``connected``, ``agent_state``, ``queue``), ``agent_id``, ``call_id``
and ``payload``. An agent gets only its own events, the caller's number masked and ``payload.customers``:
the customers that number matches (id and name). Supervisors get every event (numbers as their role may
see them). ``after`` resumes after the last ``seq`` a client saw (events are kept about an hour); without it
the stream starts with what happens next. A bad or expired token closes the socket with code 4401.

One ``StreamHub`` per console process reads new events from the store (one query per poll, however many
screens are open) and hands them to every connected socket; a socket first catches up from the store.
``seq`` is gap-free for readers because one process, the live driver, writes the events in order.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Optional

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from adapters.store.customers import SqlCustomers
from adapters.store.live_channel import SqlLiveEvents
from console.accounts import SqlAccounts
from console.deps import TOKEN_COOKIE
from console.permissions import can
from console.routers.agents import agent_id_of
from console.schemas import masked_text
from core.customers import find_customers

router = APIRouter(tags=["live stream"])
POLL_SECONDS = 0.05  # how often a console process looks for new events in the store (one indexed query)
CALL_KINDS = ("ringing", "connected")
UNAUTHORISED = 4401


def with_customers(events: list[dict], engine, default_area_code: str | None) -> list[dict]:
    """Ringing and connected events get ``payload.customers``: who the caller's number belongs to."""
    for event in events:
        caller = event["payload"].get("caller") or ""
        if event["kind"] in CALL_KINDS and caller:
            try:
                found = find_customers(SqlCustomers(engine), caller, default_area_code=default_area_code)
            except ValueError:  # a number no customer can have (withheld, internal)
                found = []
            event["payload"]["customers"] = [{"customer_id": c.customer_id, "name": c.name} for c in found]
    return events


class StreamHub:
    def __init__(self, engine, default_area_code: str | None, poll: float = POLL_SECONDS) -> None:
        self.engine = engine
        self.area = default_area_code
        self.events = SqlLiveEvents(engine)
        self.poll = poll
        self.queues: set[asyncio.Queue] = set()
        self.task: asyncio.Task | None = None

    def read(self, seq: int, agent_id: str | None = None) -> list[dict]:
        return with_customers(self.events.after(seq, agent_id), self.engine, self.area)

    async def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self.queues.add(queue)
        if self.task is None or self.task.done():
            seq = await asyncio.to_thread(self.events.last_seq)
            self.task = asyncio.create_task(self._relay(seq))
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.queues.discard(queue)

    async def _relay(self, seq: int) -> None:
        while self.queues:  # ends with the last socket; the next one starts it again
            batch = await asyncio.to_thread(self.read, seq)
            for queue in self.queues:
                for event in batch:
                    queue.put_nowait(event)
            if batch:
                seq = batch[-1]["seq"]
            else:
                await asyncio.sleep(self.poll)


def _hub(app) -> StreamHub:
    if getattr(app.state, "stream_hub", None) is None:
        app.state.stream_hub = StreamHub(app.state.engine, app.state.settings.default_area_code)
    return app.state.stream_hub


@router.websocket("/stream")
async def stream(
    websocket: WebSocket,
    token: Annotated[str, Query(max_length=256)] = "",
    after: Annotated[Optional[int], Query(ge=0, le=2**62)] = None,
) -> None:
    app = websocket.app
    token = token or websocket.cookies.get(TOKEN_COOKIE, "")
    user = await asyncio.to_thread(SqlAccounts(app.state.engine).user_for_token, token, float(app.state.clock()))
    if user is None or not can(user.role, "live.self"):
        await websocket.close(code=UNAUTHORISED, reason="log in first: ?token=<bearer token>")
        return
    await websocket.accept()
    hub = _hub(app)
    # an agent follows the agent id the site configuration links to its user name (the desk's, the commands')
    own = (
        None if can(user.role, "live.agents") else await asyncio.to_thread(agent_id_of, user.username, app.state.engine)
    )
    unmasked = can(user.role, "phones.unmasked")
    queue = await hub.subscribe()  # before catching up: nothing falls between the two

    async def send(event: dict) -> None:
        if own is None or event["agent_id"] == own:
            caller = event["payload"].get("caller")
            payload = {**event["payload"], "caller": masked_text(caller, unmasked)} if caller else event["payload"]
            await websocket.send_json({**event, "payload": payload})

    async def relay() -> None:
        seq = after if after is not None else await asyncio.to_thread(hub.events.last_seq)
        while backlog := await asyncio.to_thread(hub.read, seq, own):
            for event in backlog:
                await send(event)
                seq = event["seq"]
        while True:
            event = await queue.get()
            if event["seq"] > seq:  # the hub may repeat what the catch-up sent
                await send(event)
                seq = event["seq"]

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
        hub.unsubscribe(queue)
        for task in tasks:
            task.cancel()
