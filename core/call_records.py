"""Call records (what each call was and how it went) and complaints, tracked from the call to closure."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.customers import IdSource

NORMAL = "normal"
SILENT = "silent"  # nobody spoke on the caller's side
DROPPED = "dropped"  # the line went before the business was done
CALL_TYPES = (NORMAL, SILENT, DROPPED)

CALLBACK = "callback"
ORDER = "order"
INQUIRY = "inquiry"
COMPLAINT = "complaint"
HARASSMENT = "harassment"
BUSINESS_TYPES = (CALLBACK, ORDER, INQUIRY, COMPLAINT, HARASSMENT)

INBOUND = "inbound"
OUTBOUND = "outbound"  # callbacks dialled by agents

# complaint statuses
OPEN = "open"
IN_PROGRESS = "in_progress"
RESOLVED = "resolved"
CLOSED = "closed"
COMPLAINT_STATUSES = (OPEN, IN_PROGRESS, RESOLVED, CLOSED)
COMPLAINT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OPEN: (IN_PROGRESS,),
    IN_PROGRESS: (RESOLVED,),
    RESOLVED: (CLOSED, IN_PROGRESS),  # the customer confirms, or it is reopened
    CLOSED: (),
}


class CallRecordError(ValueError):
    """A call record or complaint the rules forbid."""


@dataclass(frozen=True, slots=True)
class CallRecord:
    record_id: str
    call_id: str
    caller: str  # the normalised number's key, or "" when withheld
    agent_id: str
    started_at: float  # the call reached the center (or, outbound, was dialled)
    ended_at: float
    answered_at: float | None = None
    call_type: str = NORMAL
    business_type: str = INQUIRY
    summary: str = ""
    customer_id: str = ""
    order_id: str = ""
    direction: str = INBOUND
    recording: str = ""  # the recording's file name, when the call was recorded

    def __post_init__(self) -> None:
        if self.call_type not in CALL_TYPES:
            raise CallRecordError(f"call type {self.call_type!r} is not one of {', '.join(CALL_TYPES)}")
        if self.business_type not in BUSINESS_TYPES:
            raise CallRecordError(f"business type {self.business_type!r} is not one of {', '.join(BUSINESS_TYPES)}")
        if self.direction not in (INBOUND, OUTBOUND):
            raise CallRecordError(f"direction {self.direction!r} is not inbound or outbound")
        if self.ended_at < self.started_at:
            raise CallRecordError(f"call {self.call_id} ends ({self.ended_at}) before it starts ({self.started_at})")
        if self.answered_at is not None and not self.started_at <= self.answered_at <= self.ended_at:
            raise CallRecordError(f"call {self.call_id} is answered at {self.answered_at}, outside the call")
        if self.business_type != ORDER and not self.summary.strip():
            # an order speaks for itself; any other call is only worth something with a note of what was said
            raise CallRecordError(f"a {self.business_type} call needs a summary")

    @property
    def wait(self) -> float | None:
        return None if self.answered_at is None else self.answered_at - self.started_at

    @property
    def talk(self) -> float:
        return 0.0 if self.answered_at is None else self.ended_at - self.answered_at

    @property
    def duration(self) -> float:
        return self.ended_at - self.started_at


def record_call(ids: IdSource, **fields) -> CallRecord:
    """A call record with a new ID (fields as CallRecord's, without ``record_id``)."""
    return CallRecord(record_id=ids.new_id("R"), **fields)


@dataclass(frozen=True, slots=True)
class ComplaintStep:
    at: float
    status: str
    by: str
    note: str = ""


@dataclass(slots=True)
class Complaint:
    complaint_id: str
    record_id: str  # the call it came in on
    customer_id: str
    opened_at: float
    description: str
    order_id: str = ""
    category: str = ""  # e.g. delivery, quality, service
    status: str = OPEN
    handler: str = ""
    resolution: str = ""
    closed_at: float | None = None
    steps: list[ComplaintStep] = field(default_factory=list)

    @property
    def is_closed(self) -> bool:
        return self.status == CLOSED

    def _move(self, status: str, at: float, by: str, note: str) -> None:
        if status not in COMPLAINT_TRANSITIONS[self.status]:
            allowed = ", ".join(COMPLAINT_TRANSITIONS[self.status]) or "nothing (closed)"
            raise CallRecordError(
                f"complaint {self.complaint_id} is {self.status}; it cannot become {status} (allowed: {allowed})"
            )
        if self.steps and at < self.steps[-1].at:
            raise CallRecordError(f"complaint {self.complaint_id}: step at {at} is older than the last one")
        if not by.strip():
            raise CallRecordError(f"complaint {self.complaint_id}: say who does this")
        self.status = status
        self.steps.append(ComplaintStep(at, status, by, note))

    def assign(self, handler: str, at: float, by: str = "") -> None:
        """Someone takes the complaint on (from open, or again after it was reopened)."""
        if self.status == IN_PROGRESS:
            if not handler.strip():
                raise CallRecordError("name the handler")
            self.handler = handler  # handed over to someone else
            self.steps.append(ComplaintStep(at, IN_PROGRESS, by or handler, f"handed to {handler}"))
            return
        self._move(IN_PROGRESS, at, by or handler, f"assigned to {handler}")
        self.handler = handler

    def resolve(self, resolution: str, at: float, by: str) -> None:
        if not resolution.strip():
            raise CallRecordError(f"complaint {self.complaint_id}: a resolution says what was done")
        self._move(RESOLVED, at, by, resolution)
        self.resolution = resolution

    def reopen(self, reason: str, at: float, by: str) -> None:
        if not reason.strip():
            raise CallRecordError(f"complaint {self.complaint_id}: say why it is reopened")
        self._move(IN_PROGRESS, at, by, reason)

    def close(self, at: float, by: str, note: str = "customer confirmed") -> None:
        self._move(CLOSED, at, by, note)
        self.closed_at = at


def open_complaint(
    record: CallRecord, ids: IdSource, *, now: float, description: str = "", category: str = "", order_id: str = ""
) -> Complaint:
    """A complaint from a complaint call; its description defaults to the call's summary."""
    if record.business_type != COMPLAINT:
        raise CallRecordError(f"call record {record.record_id} is a {record.business_type} call, not a complaint")
    complaint = Complaint(
        complaint_id=ids.new_id("K"),
        record_id=record.record_id,
        customer_id=record.customer_id,
        opened_at=now,
        description=description.strip() or record.summary,
        order_id=order_id or record.order_id,
        category=category,
    )
    complaint.steps.append(ComplaintStep(now, OPEN, record.agent_id or "system", complaint.description))
    return complaint


def unclosed(complaints: list[Complaint], now: float, older_than: float = 0.0) -> list[Complaint]:
    """Complaints not closed and open longer than ``older_than`` seconds, oldest first: the follow-up list."""
    return sorted(
        (c for c in complaints if not c.is_closed and now - c.opened_at >= older_than),
        key=lambda c: (c.opened_at, c.complaint_id),
    )
