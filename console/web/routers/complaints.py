"""Complaints: open one from a complaint call's record, take it, hand it over to someone else (with a note),
resolve it. Closing (the customer confirmed) is a supervisor's, as in the API."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from adapters.store.call_records import SqlCallRecords
from app.calls import OpenComplaint, ResolveComplaint, WorkOnComplaint, open_complaint, resolve_complaint
from app.calls import work_on_complaint as work_on
from console.deps import EngineDep, Now, UnitOfWorkDep, require
from console.models import AppUser
from console.web.forms import FieldProblem, FormDep, submit
from console.web.render import Labels, render

router = APIRouter()
Reader = Annotated[AppUser, require("complaints.read")]
Worker = Annotated[AppUser, require("complaints.work")]
Opener = Annotated[AppUser, require("complaints.create")]
ComplaintId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
SHOWN = ("open", "in_progress", "resolved")


class OpenForm(BaseModel):
    record_id: str = Field(min_length=1, max_length=32)
    description: str = Field(default="", max_length=2000)
    category: str = Field(default="", max_length=64)


class WorkForm(BaseModel):
    action: str = Field(pattern=r"^(take|hand_over|resolve|enter)$")
    handler: str = Field(default="", max_length=64, pattern=r"^([A-Za-z0-9_.@-]{1,64})?$")
    note: str = Field(default="", max_length=2000)
    resolution: str = Field(default="", max_length=2000)


def complaints_page(request: Request, user: AppUser, engine, **form):
    """``form``: what ``forms.submit`` gives a page (values, errors, notice, status_code)."""
    shown = [c for c in SqlCallRecords(engine).complaints() if c.status in SHOWN]
    return render(request, "complaints.html", user, complaints=shown, **form)


@router.get("/complaints")
def complaints(request: Request, user: Reader, engine: EngineDep):
    return complaints_page(request, user, engine)


@router.post("/complaints")
def open_one(request: Request, t: Labels, form: FormDep, user: Opener, engine: EngineDep, uow: UnitOfWorkDep, now: Now):
    def act(parsed: OpenForm) -> str:
        command = OpenComplaint(now, user.username, parsed.record_id, parsed.description, parsed.category)
        return t("complaints.changed", id=open_complaint(command, uow).complaint_id)

    # ValueError: no such record, a complaint of that call exists already
    page = partial(complaints_page, request, user, engine)
    return submit(form, OpenForm, t, act, page, {ValueError: "record_id"})


@router.post("/complaints/{complaint_id}")
def work(
    request: Request,
    t: Labels,
    complaint_id: ComplaintId,
    form: FormDep,
    user: Worker,
    engine: EngineDep,
    uow: UnitOfWorkDep,
    now: Now,
):
    """take: the user handles it; hand_over: ``handler`` does (with a note); resolve: with the resolution;
    enter (Enter pressed in a field): resolve if a resolution was typed, else hand over if a handler was."""

    def act(parsed: WorkForm) -> str:
        action = parsed.action
        if action == "enter":  # Enter in a field: what the typed fields ask for
            action = "resolve" if parsed.resolution.strip() else "hand_over" if parsed.handler else "take"
        if action == "hand_over" and not parsed.handler:
            raise FieldProblem("handler", t("field.required"))
        if action == "resolve" and not parsed.resolution.strip():
            raise FieldProblem("resolution", t("field.required"))
        if action == "resolve":
            resolve_complaint(ResolveComplaint(now, user.username, complaint_id, parsed.resolution), uow)
        else:
            handler = user.username if action == "take" else parsed.handler
            work_on(WorkOnComplaint(now, user.username, complaint_id, handler, parsed.note), uow)
        return t("complaints.changed", id=complaint_id)

    # ValueError: a step the core does not allow from this status
    page = partial(complaints_page, request, user, engine)
    return submit(form, WorkForm, t, act, page, {ValueError: "action"}, prefix=f"{complaint_id}.")
