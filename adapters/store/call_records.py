"""``SqlCallRecords``: call records and complaints (``core.call_records``) in the database. Complaint steps
are the core's (``Complaint.assign/resolve/reopen/close``); every change is an optimistic update on
``version``, so two supervisors acting on one complaint at once cannot both win."""

from __future__ import annotations

import json
from typing import Callable, Sequence

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.store.models import CallRecordRow, ComplaintRow
from adapters.store.queries import in_period, one_row
from adapters.store.settings import StoreAccess
from core.call_records import CLOSED, CallRecord, CallRecordError, Complaint, ComplaintStep, unclosed

RECORD = CallRecordRow.__table__
COMPLAINT = ComplaintRow.__table__
_RECORD_FIELDS = (
    "call_id",
    "caller",
    "agent_id",
    "started_at",
    "ended_at",
    "answered_at",
    "call_type",
    "business_type",
    "summary",
    "customer_id",
    "order_id",
    "direction",
    "recording",
)


class UnknownRecord(CallRecordError, LookupError):
    pass


class ComplaintConflict(CallRecordError):
    """The complaint changed under us (someone else acted on it first)."""


def to_call_record(row) -> CallRecord:
    values = {name: getattr(row, name) for name in _RECORD_FIELDS}
    values["started_at"], values["ended_at"] = float(row.started_at), float(row.ended_at)
    values["answered_at"] = None if row.answered_at is None else float(row.answered_at)
    return CallRecord(record_id=row.id, **values)


def insert_call_record(connection: Connection, record: CallRecord) -> None:
    """Insert on an open connection (the caller owns the transaction)."""
    connection.execute(
        insert(RECORD).values(id=record.record_id, **{name: getattr(record, name) for name in _RECORD_FIELDS})
    )


# complaint fields stored as they are (the id is the row's id, the steps are JSON)
_COMPLAINT_FIELDS = (
    "record_id",
    "customer_id",
    "opened_at",
    "description",
    "order_id",
    "category",
    "status",
    "handler",
    "resolution",
    "closed_at",
)


def _complaint_columns(complaint: Complaint) -> dict:
    return dict(
        **{name: getattr(complaint, name) for name in _COMPLAINT_FIELDS},
        steps=json.dumps([[s.at, s.status, s.by, s.note] for s in complaint.steps], ensure_ascii=False),
    )


def _to_complaint(row) -> Complaint:
    return Complaint(
        row.id,
        row.record_id,
        row.customer_id,
        float(row.opened_at),
        row.description,
        order_id=row.order_id,
        category=row.category,
        status=row.status,
        handler=row.handler,
        resolution=row.resolution,
        closed_at=None if row.closed_at is None else float(row.closed_at),
        steps=[ComplaintStep(float(at), status, by, note) for at, status, by, note in json.loads(row.steps)],
    )


class SqlCallRecords:
    """Call records and complaints.

    Records: ``add(record)`` (``CallRecordError`` if the ID exists), ``get(record_id) -> CallRecord``
    (``UnknownRecord``), ``for_customer(customer_id) -> list[CallRecord]`` and ``for_caller(key)`` newest first;
    ``recorded(caller=, agent_id=, since=, until=, limit=, offset=)`` a page of the records with a recording,
    newest first, and ``by_recording(name)`` the record of one recording file (``UnknownRecord``).

    Complaints: ``add_complaint(complaint)`` (its call record must be stored), ``get_complaint(id) ->
    Complaint`` (``UnknownRecord``), ``complaints(status=None, customer_ids=None) -> list[Complaint]`` oldest first,
    ``unclosed(now, older_than=0.0)`` (the follow-up list, ``core.call_records.unclosed``), and the steps
    ``assign(id, handler, at, by="")``, ``resolve(id, resolution, at, by)``, ``reopen(id, reason, at, by)``,
    ``close(id, at, by, note="customer confirmed")``, each returning the changed ``Complaint``.
    """

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)

    # --- call records ----------------------------------------------------------------------------

    def record_survey(self, call_id: str, score: int) -> bool:
        """The after-call survey's answer (1-3) on the record of call ``call_id``; False: no such record."""
        with self.db.write() as connection:
            return bool(
                connection.execute(update(RECORD).where(RECORD.c.call_id == call_id).values(survey=score)).rowcount
            )

    def survey_of(self, call_id: str) -> int | None:
        with self.db.read() as connection:
            return connection.execute(select(RECORD.c.survey).where(RECORD.c.call_id == call_id)).scalar()

    def add(self, record: CallRecord) -> None:
        try:
            with self.db.guarded() as connection:
                insert_call_record(connection, record)
        except IntegrityError:
            raise CallRecordError(f"call record {record.record_id} exists already") from None

    def get(self, record_id: str) -> CallRecord:
        query = select(RECORD).where(RECORD.c.id == record_id)
        with self.db.read() as connection:
            row = one_row(connection, query, UnknownRecord(f"no call record {record_id!r}"))
        return to_call_record(row)

    def _records(self, where) -> list[CallRecord]:
        query = select(RECORD).where(where).order_by(RECORD.c.started_at.desc(), RECORD.c.id.desc())
        with self.db.read() as connection:
            return [to_call_record(row) for row in connection.execute(query)]

    def for_customer(self, customer_id: str) -> list[CallRecord]:
        return self._records(RECORD.c.customer_id == customer_id)

    def for_caller(self, key: str) -> list[CallRecord]:
        """Records of a caller by normalised number key (``PhoneNumber.key``)."""
        return self._records(RECORD.c.caller == key)

    def recorded(
        self,
        *,
        caller: str = "",
        agent_id: str = "",
        since: float | None = None,
        until: float | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CallRecord]:
        """Records with a recording: of the caller's number key, the agent, started in ``[since, until)``."""
        query = select(RECORD).where(RECORD.c.recording != "")
        if caller:
            query = query.where(RECORD.c.caller == caller)
        if agent_id:
            query = query.where(RECORD.c.agent_id == agent_id)
        query = in_period(query, RECORD.c.started_at, since, until)
        query = query.order_by(RECORD.c.started_at.desc(), RECORD.c.id.desc()).limit(limit).offset(offset)
        with self.db.read() as connection:
            return [to_call_record(row) for row in connection.execute(query)]

    def by_recording(self, name: str) -> CallRecord:
        if not name:  # "" is every unrecorded call's
            raise UnknownRecord("no recording name")
        query = select(RECORD).where(RECORD.c.recording == name).order_by(RECORD.c.started_at.desc()).limit(1)
        with self.db.read() as connection:
            row = one_row(connection, query, UnknownRecord(f"no call record has the recording {name!r}"))
        return to_call_record(row)

    # --- complaints ------------------------------------------------------------------------------

    def add_complaint(self, complaint: Complaint) -> None:
        try:
            with self.db.guarded() as connection:
                connection.execute(
                    insert(COMPLAINT).values(id=complaint.complaint_id, version=1, **_complaint_columns(complaint))
                )
        except IntegrityError:
            raise CallRecordError(
                f"complaint {complaint.complaint_id} exists already, or its call record "
                f"{complaint.record_id} is not stored"
            ) from None

    @staticmethod
    def _complaint_row(connection: Connection, complaint_id: str):
        query = select(COMPLAINT).where(COMPLAINT.c.id == complaint_id)
        return one_row(connection, query, UnknownRecord(f"no complaint {complaint_id!r}"))

    def get_complaint(self, complaint_id: str) -> Complaint:
        with self.db.read() as connection:
            return _to_complaint(self._complaint_row(connection, complaint_id))

    def complaints(
        self,
        status: str | None = None,
        customer_ids: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Complaint]:
        query = select(COMPLAINT).order_by(COMPLAINT.c.opened_at, COMPLAINT.c.id).limit(limit).offset(offset)
        if status is not None:
            query = query.where(COMPLAINT.c.status == status)
        if customer_ids is not None:
            query = query.where(COMPLAINT.c.customer_id.in_(list(customer_ids)))
        with self.db.read() as connection:
            return [_to_complaint(row) for row in connection.execute(query)]

    def unclosed(self, now: float, older_than: float = 0.0) -> list[Complaint]:
        query = select(COMPLAINT).where(COMPLAINT.c.status != CLOSED)
        with self.db.read() as connection:
            open_ones = [_to_complaint(row) for row in connection.execute(query)]
        return unclosed(open_ones, now, older_than)

    def change_complaint(self, complaint_id: str, step: Callable[[Complaint], object]) -> Complaint:
        """Run ``step`` (one of the core's ``Complaint`` transitions) on the stored complaint and store the
        result; ``ComplaintConflict`` if it changed meanwhile."""
        with self.db.write() as connection:
            row = self._complaint_row(connection, complaint_id)
            complaint = _to_complaint(row)
            step(complaint)  # the core's rules; raises CallRecordError
            changed = connection.execute(
                update(COMPLAINT)
                .where(COMPLAINT.c.id == complaint_id, COMPLAINT.c.version == row.version)
                .values(version=row.version + 1, **_complaint_columns(complaint))
            ).rowcount
            if changed != 1:
                raise ComplaintConflict(f"complaint {complaint_id} changed while it was being updated")
        return complaint
