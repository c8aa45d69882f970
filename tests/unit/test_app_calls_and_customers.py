"""Use cases of call records, complaints and customers (``app.calls``, ``app.customers``, ``app.audit``) on the
in-memory unit of work; and every use case stores nothing when its audit row cannot be written."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from app.audit import note_access
from app.calls import (
    CloseComplaint,
    OpenComplaint,
    RecordCall,
    ResolveComplaint,
    WorkOnComplaint,
    close_complaint,
    open_complaint,
    record_call,
    resolve_complaint,
    work_on_complaint,
)
from app.customers import RegisterCustomer, UpdateCustomer, register_customer, update_customer
from app.ports import AuditEntry
from core.call_records import CallRecordError
from core.customers import Customer, CustomerError
from core.phones import InvalidPhoneNumber, parse_phone
from tests.unit.app_fakes import HOME, T0, AuditFailure, FailingAudit, FakeUnitOfWork

APP = Path(__file__).resolve().parents[2] / "app"


def fake_uow() -> FakeUnitOfWork:
    """A unit of work whose store knows customer C1 (a call record must name a customer that exists)."""
    uow = FakeUnitOfWork()
    uow.customers.add(Customer("C1", "王女士", [parse_phone("13800138000")], T0))
    return uow


def complaint_call(uow: FakeUnitOfWork, **overrides):
    fields = dict(
        now=T0 + 300,
        agent_id="agent",
        call_id="c1",
        started_at=T0,
        ended_at=T0 + 240,
        caller="010-6234 5678",
        answered_at=T0 + 10,
        business_type="complaint",
        summary="parcel arrived broken",
        customer_id="C1",
    )
    return record_call(RecordCall(**{**fields, **overrides}), uow)


# --- call records and complaints -----------------------------------------------------------------------


def test_a_call_record_keeps_the_callers_normalised_number_and_is_audited():
    uow = fake_uow()
    record = complaint_call(uow, caller="6234 5678", default_area_code="10")
    assert record.caller == parse_phone("010 6234 5678").key and record.agent_id == "agent"
    assert uow.call_records.get(record.record_id) == record
    (entry,) = uow.audit.entries
    assert (entry.action, entry.entity_ids) == ("calls.create", ("C1",))
    assert entry.detail == f"call record {record.record_id}"


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"customer_id": "C404"}, CallRecordError),
        ({"summary": ""}, CallRecordError),
        ({"ended_at": T0 - 1}, CallRecordError),
        ({"business_type": "gossip"}, CallRecordError),
        ({"caller": "not a number"}, InvalidPhoneNumber),
    ],
)
def test_a_bad_call_record_is_refused_and_nothing_is_stored(overrides, error):
    uow = fake_uow()
    before = uow.state()
    with pytest.raises(error):
        complaint_call(uow, **overrides)
    assert uow.state() == before


def test_a_complaint_from_the_call_to_closure_with_an_audit_row_per_step():
    uow = fake_uow()
    record = complaint_call(uow)
    complaint = open_complaint(OpenComplaint(T0 + 400, "agent", record.record_id, category="delivery"), uow)
    cid = complaint.complaint_id
    assert complaint.description == "parcel arrived broken"
    assert work_on_complaint(WorkOnComplaint(T0 + 500, "sup", cid, handler="qa1"), uow).handler == "qa1"
    assert work_on_complaint(WorkOnComplaint(T0 + 550, "sup", cid, handler="qa2"), uow).handler == "qa2"  # handed over
    resolve_complaint(ResolveComplaint(T0 + 600, "qa2", cid, "sent a new one"), uow)
    reopened = work_on_complaint(WorkOnComplaint(T0 + 700, "sup", cid, note="the new one is broken too"), uow)
    assert reopened.status == "in_progress" and reopened.steps[-1].note == "the new one is broken too"
    resolve_complaint(ResolveComplaint(T0 + 800, "qa2", cid, "refunded"), uow)
    closed = close_complaint(CloseComplaint(T0 + 900, "sup", cid), uow)
    assert closed.status == "closed" and closed.closed_at == T0 + 900
    assert uow.audit.actions() == [
        "calls.create",
        "complaints.create",
        "complaints.in_progress",
        "complaints.in_progress",
        "complaints.resolved",
        "complaints.in_progress",
        "complaints.resolved",
        "complaints.closed",
    ]


def test_only_a_complaint_call_opens_a_complaint_and_a_step_out_of_order_changes_nothing():
    uow = fake_uow()
    inquiry = complaint_call(uow, business_type="inquiry")
    with pytest.raises(CallRecordError, match="not a complaint"):
        open_complaint(OpenComplaint(T0 + 400, "agent", inquiry.record_id), uow)
    complaint = open_complaint(OpenComplaint(T0 + 400, "agent", complaint_call(uow, call_id="c2").record_id), uow)
    before = uow.state()
    with pytest.raises(CallRecordError, match="cannot become closed"):
        close_complaint(CloseComplaint(T0 + 500, "sup", complaint.complaint_id), uow)
    assert uow.state() == before


# --- customers -----------------------------------------------------------------------------------------


def test_a_registered_customer_gets_an_id_and_an_audit_row():
    uow = fake_uow()
    customer = register_customer(
        RegisterCustomer(T0, "agent", " 王女士 ", ["138-0013-8000", "+86 138 0013 8000"], HOME), uow
    )
    assert customer.name == "王女士" and len(customer.phones) == 1 and customer.addresses == [HOME]
    assert uow.customers.get(customer.customer_id) == customer
    assert [(e.action, e.entity_ids) for e in uow.audit.entries] == [("customers.create", (customer.customer_id,))]


def test_an_update_changes_only_what_it_names_and_audits_those_names():
    uow = fake_uow()
    cid = register_customer(RegisterCustomer(T0, "agent", "王女士", ["13800138000"]), uow).customer_id
    changed = update_customer(
        UpdateCustomer(
            T0 + 60, "agent", cid, notes="prefers evenings", add_phones=["6234 5678"], default_area_code="10"
        ),
        uow,
    )
    assert changed.name == "王女士" and changed.notes == "prefers evenings" and len(changed.phones) == 2
    assert (uow.audit.entries[-1].action, uow.audit.entries[-1].detail) == ("customers.update", "notes, add_phones")


def test_an_update_that_fails_half_way_leaves_the_customer_as_it_was():
    uow = fake_uow()
    cid = register_customer(RegisterCustomer(T0, "agent", "王女士", ["13800138000"]), uow).customer_id
    before = uow.state()
    with pytest.raises(CustomerError, match="at least one"):  # the name changes first, then this fails
        update_customer(UpdateCustomer(T0 + 60, "agent", cid, name="李先生", remove_phones=["13800138000"]), uow)
    assert uow.state() == before and uow.customers.get(cid).name == "王女士"


def test_a_read_is_audited_once_per_id_and_a_read_of_nothing_writes_nothing():
    uow = fake_uow()
    note_access(AuditEntry(T0, "agent", "customers.lookup", "customer", ("C1", "C2")), uow)
    note_access(AuditEntry(T0, "agent", "customers.lookup", "customer", ()), uow)
    assert [e.entity_ids for e in uow.audit.entries] == [("C1", "C2")] and uow.commits == 1


# --- every use case: the data and its audit row together, or neither -------------------------------------


def _customer(uow) -> str:
    return register_customer(RegisterCustomer(T0, "agent", "王女士", ["13800138000"]), uow).customer_id


def _complaint(uow) -> str:
    return open_complaint(OpenComplaint(T0 + 400, "agent", complaint_call(uow).record_id), uow).complaint_id


# name: (what is stored first, the use case on it)
USE_CASES = {
    "record_call": (lambda uow: None, lambda uow, _: complaint_call(uow)),
    "open_complaint": (
        lambda uow: complaint_call(uow).record_id,
        lambda uow, record_id: open_complaint(OpenComplaint(T0 + 400, "agent", record_id), uow),
    ),
    "work_on_complaint": (_complaint, lambda uow, cid: work_on_complaint(WorkOnComplaint(T0 + 500, "sup", cid), uow)),
    "resolve_complaint": (
        lambda uow: work_on_complaint(WorkOnComplaint(T0 + 500, "sup", _complaint(uow)), uow).complaint_id,
        lambda uow, cid: resolve_complaint(ResolveComplaint(T0 + 600, "sup", cid, "done"), uow),
    ),
    "register_customer": (lambda uow: None, lambda uow, _: _customer(uow)),
    "update_customer": (_customer, lambda uow, cid: update_customer(UpdateCustomer(T0, "agent", cid, notes="x"), uow)),
    "note_access": (
        lambda uow: None,
        lambda uow, _: note_access(AuditEntry(T0, "agent", "customers.read", "customer", ("C1",)), uow),
    ),
}


@pytest.mark.parametrize("use_case", USE_CASES)
def test_a_use_case_whose_audit_row_fails_stores_nothing(use_case):
    setup, run = USE_CASES[use_case]
    uow = fake_uow()
    given = setup(uow)
    uow.audit = FailingAudit()
    before, commits = uow.state(), uow.commits
    with pytest.raises(AuditFailure):
        run(uow, given)
    assert uow.state() == before and uow.commits == commits


# --- the layer's own rule --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(APP.glob("*.py")), ids=lambda p: p.name)
def test_the_application_layer_imports_only_the_standard_library_the_core_and_itself(path):
    allowed = set(sys.stdlib_module_names) | {"core", "app", "__future__"}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    names += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and not node.level]
    assert [n for n in names if n.split(".")[0] not in allowed] == []
