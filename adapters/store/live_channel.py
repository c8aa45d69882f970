"""The live channel in the store: the command queue from console users to the live driver, the driver's
event stream for screens, and the agent and queue states it publishes (tables of migration 0006).

Commands: the console ``submit``s (status ``pending``, with a deadline ``expires_at``); the driver ``claim``s
with a conditional ``UPDATE ... WHERE status = 'pending'`` (one winner, whichever process asks), marks the
command ``started`` before it acts and ``finish``es it (``done`` / ``rejected``). Nobody claims a command
after its deadline: the console ``withdraw``s it (``expired``) and the driver ``expire_stale``s what is left.
"""

from __future__ import annotations

import json
from typing import Iterable, Sequence

from sqlalchemy import Engine, delete, insert, select, update

from adapters.store.models import LiveAgentStateRow, LiveCommandRow, LiveDriverRow, LiveEventRow, LiveQueueStateRow
from adapters.store.settings import write_transaction
from app.live import CLAIMED, DONE, EXPIRED, PENDING, REJECTED, AgentStatus, CommandRequest, LiveCommand, QueueStatus

C = LiveCommandRow.__table__
E = LiveEventRow.__table__
A = LiveAgentStateRow.__table__
Q = LiveQueueStateRow.__table__
D = LiveDriverRow.__table__
DRIVER = "live"  # one live core per call center


def _command(row) -> LiveCommand:
    return LiveCommand(
        id=row.id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        actor=row.actor,
        kind=row.kind,
        agent_id=row.agent_id,
        call_id=row.call_id,
        payload=json.loads(row.payload),
        status=row.status,
        claimed_at=row.claimed_at,
        started=row.started,
        result=row.result,
        done_at=row.done_at,
    )


class SqlLiveCommands:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- the console's side ----------------------------------------------------------------------

    def submit(self, request: CommandRequest, now: float, expires_at: float) -> int:
        with self.engine.begin() as connection:
            return connection.execute(
                insert(C).returning(C.c.id),
                dict(
                    created_at=now,
                    expires_at=expires_at,
                    actor=request.actor,
                    kind=request.kind,
                    agent_id=request.agent_id,
                    call_id=request.call_id,
                    payload=json.dumps(request.payload, ensure_ascii=False),
                    status=PENDING,
                    started="",
                    result="",
                ),
            ).scalar_one()

    def get(self, command_id: int) -> LiveCommand | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(C).where(C.c.id == command_id)).first()
        return _command(row) if row is not None else None

    def withdraw(self, command_id: int, now: float) -> bool:
        with self.engine.begin() as connection:
            return (
                connection.execute(
                    update(C)
                    .where(C.c.id == command_id, C.c.status == PENDING)
                    .values(status=EXPIRED, result="withdrawn: the live driver did not take it in time", done_at=now)
                ).rowcount
                == 1
            )

    # --- the driver's side -----------------------------------------------------------------------

    def expire_stale(self, now: float) -> int:
        """Pending commands past their deadline become ``expired`` (never applied)."""
        with self.engine.begin() as connection:
            return connection.execute(
                update(C)
                .where(C.c.status == PENDING, C.c.expires_at <= now)
                .values(status=EXPIRED, result="expired before the live driver took it", done_at=now)
            ).rowcount

    def claim(self, now: float, limit: int = 20) -> list[LiveCommand]:
        """Pending commands within their deadline, oldest first, each claimed by a conditional update: a
        command another claimer took in between is skipped."""
        with self.engine.connect() as connection:
            ids = (
                connection.execute(
                    select(C.c.id).where(C.c.status == PENDING, C.c.expires_at > now).order_by(C.c.id).limit(limit)
                )
                .scalars()
                .all()
            )
        claimed = []
        for command_id in ids:
            with self.engine.begin() as connection:
                won = (
                    connection.execute(
                        update(C)
                        .where(C.c.id == command_id, C.c.status == PENDING, C.c.expires_at > now)
                        .values(status=CLAIMED, claimed_at=now)
                    ).rowcount
                    == 1
                )
            if won:
                claimed.append(self.get(command_id))
        return claimed

    def mark_started(self, command_id: int, started: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(C).where(C.c.id == command_id, C.c.status == CLAIMED).values(started=started))

    def finish(self, command_id: int, status: str, result: str, now: float) -> None:
        if status not in (DONE, REJECTED, EXPIRED):
            raise ValueError(f"a command finishes done, rejected or expired, not {status!r}")
        with self.engine.begin() as connection:
            connection.execute(
                update(C)
                .where(C.c.id == command_id, C.c.status == CLAIMED)
                .values(status=status, result=result, done_at=now)
            )

    def release(self, command_id: int, started_too: bool = False) -> None:
        """A claimed command goes back to pending (a driver restarted before acting); one marked started only
        with ``started_too`` (the driver checked that it was not carried out)."""
        query = update(C).where(C.c.id == command_id, C.c.status == CLAIMED)
        if not started_too:
            query = query.where(C.c.started == "")
        with self.engine.begin() as connection:
            connection.execute(query.values(status=PENDING, claimed_at=None, started=""))

    def claimed(self) -> list[LiveCommand]:
        """Commands claimed but not finished: left by a driver that stopped in between."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(C).where(C.c.status == CLAIMED).order_by(C.c.id)).all()
        return [_command(r) for r in rows]

    def prune(self, before: float) -> int:
        with self.engine.begin() as connection:
            return connection.execute(
                delete(C).where(C.c.status.in_((DONE, REJECTED, EXPIRED)), C.c.created_at < before)
            ).rowcount


class SqlLiveEvents:
    """The stream: ``publish`` appends (``seq`` increases), ``after`` reads on from a seq."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def publish(self, events: Sequence[dict]) -> None:
        """Rows of ``at``, ``kind``, ``agent_id``, ``call_id`` and ``payload`` (a dict)."""
        if not events:
            return
        with write_transaction(self.engine) as connection:
            connection.execute(
                insert(E),
                [
                    dict(
                        at=e["at"],
                        kind=e["kind"],
                        agent_id=e.get("agent_id", ""),
                        call_id=e.get("call_id", ""),
                        payload=json.dumps(e.get("payload", {}), ensure_ascii=False),
                    )
                    for e in events
                ],
            )

    def after(self, seq: int, agent_id: str | None = None, limit: int = 500) -> list[dict]:
        """Events with a larger ``seq``, in order; with ``agent_id``, only that agent's."""
        query = select(E).where(E.c.seq > seq)
        if agent_id is not None:
            query = query.where(E.c.agent_id == agent_id)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(E.c.seq).limit(limit)).all()
        return [
            dict(seq=r.seq, at=r.at, kind=r.kind, agent_id=r.agent_id, call_id=r.call_id, payload=json.loads(r.payload))
            for r in rows
        ]

    def last_seq(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(E.c.seq).order_by(E.c.seq.desc()).limit(1)).scalar() or 0

    def prune(self, before: float) -> int:
        with self.engine.begin() as connection:
            return connection.execute(delete(E).where(E.c.at < before)).rowcount


class SqlLiveStates:
    """The agents' and queues' states: the driver ``put``s the ones that changed, the console reads them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put_agents(self, agents: Iterable[AgentStatus]) -> None:
        self._upsert(A, "agent_id", [vars(a) for a in agents])

    def put_queues(self, queues: Iterable[QueueStatus]) -> None:
        self._upsert(Q, "queue", [vars(q) for q in queues])

    def _upsert(self, table, key: str, rows: list[dict]) -> None:
        if not rows:
            return
        with write_transaction(self.engine) as connection:
            for row in rows:
                values = {k: v for k, v in row.items() if k != key}
                if connection.execute(update(table).where(table.c[key] == row[key]).values(**values)).rowcount == 0:
                    connection.execute(insert(table).values(**row))

    def beat(self, now: float, started_at: float) -> None:
        self._upsert(D, "name", [dict(name=DRIVER, started_at=started_at, beat_at=now)])

    def heartbeat(self) -> float | None:
        with self.engine.connect() as connection:
            return connection.execute(select(D.c.beat_at).where(D.c.name == DRIVER)).scalar()

    def agents(self) -> list[AgentStatus]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(A).order_by(A.c.agent_id)).all()
        return [AgentStatus(r.agent_id, r.state, r.reason, r.call_id, r.caller, r.since) for r in rows]

    def queues(self) -> list[QueueStatus]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(Q).order_by(Q.c.queue)).all()
        return [QueueStatus(r.queue, r.waiting, r.oldest_since, r.at) for r in rows]
