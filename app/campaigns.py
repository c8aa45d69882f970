"""Outbound campaigns as use cases: create, edit (a draft) and approve a campaign, import its list (CSV / Excel rows, each
bad row named; good rows kept, or the whole file refused with ``strict``), add and remove single numbers,
re-use numbers by result in another campaign, the do-not-call list; what the live driver loads (only an
approved campaign); and the dialer's OUTBOUND_* records applied to the store (``apply_outbound_records``,
called by ``persist_core_records`` for both drivers' logs). Each change is one unit with its audit row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Collection, Iterable, Mapping, Protocol

from app.ports import AuditEntry, UnitOfWork
from core.campaigns import (
    BuiltList,
    Campaign,
    ListEntry,
    NumberZones,
    RowProblem,
    build_list,
    campaign_from_document,
    site_day,
)
from core.log import NONE, LogRecord, Verb
from core.phones import parse_phone


class CampaignConflict(ValueError):
    """The change does not fit the campaign's state (approved already, not approved, exists already)."""


class UnknownCampaign(ValueError, LookupError):
    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"no campaign {campaign_id!r}")


class UnknownListNumber(ValueError, LookupError):
    def __init__(self, campaign_id: str, number: str) -> None:
        super().__init__(f"campaign {campaign_id!r} has no number {number}")


class ListRefused(ValueError):
    """A strict import found bad rows: nothing was stored. ``problems`` names each."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} bad rows, nothing imported: " + "; ".join(map(str, problems[:5])))
        self.problems = problems
        self.fields = {"problems": [dict(row=p.row, field=p.field, kind=p.kind, message=p.message) for p in problems]}


@dataclass(frozen=True)
class StoredCampaign:
    campaign: Campaign  # approved_by is filled in once approved
    status: str  # draft, approved, stopped
    created_by: str
    created_at: float
    approved_at: float | None = None


class CampaignRepository(Protocol):
    def create(self, campaign: Campaign, by: str, now: float) -> StoredCampaign: ...

    def get(self, campaign_id: str) -> StoredCampaign: ...

    def replace(self, campaign: Campaign) -> StoredCampaign: ...

    def approve(self, campaign_id: str, by: str, now: float) -> StoredCampaign: ...

    def stop(self, campaign_id: str) -> StoredCampaign: ...

    def add_numbers(self, campaign_id: str, entries: Iterable[ListEntry], now: float) -> int: ...

    def remove_number(self, campaign_id: str, number: str) -> None: ...

    def numbers(self, campaign_id: str, last_results: Iterable[str] | None = None) -> list[dict]: ...

    def known_numbers(self, campaign_id: str) -> dict[str, int]: ...

    def entries(self, campaign_id: str) -> list[ListEntry]: ...

    def record_dial(
        self, attempt_id: str, campaign_id: str, number: str, agent_id: str, at: float, day: str
    ) -> bool: ...

    def record_result(
        self, attempt_id: str, result: str, at: float, *, agent_id: str = "", talk: float = 0.0
    ) -> bool: ...

    def record_code(self, attempt_id: str, code: str, at: float) -> bool: ...

    def record_number(self, campaign_id: str, number: str, result: str, at: float) -> bool: ...

    def add_do_not_call(self, number: str, reason: str, by: str, at: float) -> bool: ...

    def do_not_call(self) -> set[str]: ...


# --- commands -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class CreateCampaign:
    now: float
    by: str
    document: Mapping[str, object]  # core.campaigns.campaign_document's fields; approved_by is ignored


@dataclass(slots=True)
class EditCampaign:
    """A draft's new fields (the same document as ``CreateCampaign``); an approved campaign no longer changes."""

    now: float
    by: str
    document: Mapping[str, object]


@dataclass(slots=True)
class ApproveCampaign:
    now: float
    by: str
    campaign_id: str


@dataclass(slots=True)
class ImportNumbers:
    now: float
    by: str
    campaign_id: str
    rows: list[tuple[int, Mapping[str, object]]]  # (line, column -> value), as inputs.number_lists reads them
    strict: bool = False  # any bad row refuses the whole file
    source: str = ""  # the file's name, for the audit row
    default_area_code: str | None = None


@dataclass(slots=True)
class RemoveNumber:
    now: float
    by: str
    campaign_id: str
    number: str


@dataclass(slots=True)
class ReuseNumbers:
    """Numbers of one campaign whose last result is one of ``results`` (e.g. no_answer) into another."""

    now: float
    by: str
    from_campaign: str
    results: tuple[str, ...]
    to_campaign: str


@dataclass(slots=True)
class AddDoNotCall:
    now: float
    by: str
    number: str
    reason: str = ""


@dataclass
class ImportReport:
    added: int = 0
    problems: list[RowProblem] = field(default_factory=list)


# --- handlers -------------------------------------------------------------------------------------------


def create_campaign(command: CreateCampaign, uow: UnitOfWork) -> StoredCampaign:
    campaign = campaign_from_document({**command.document, "approved_by": ""})
    with uow:
        stored = uow.campaigns.create(campaign, command.by, command.now)
        _audit(uow, command.now, command.by, "campaigns.create", campaign.campaign_id, campaign.mode)
        uow.commit()
    return stored


def edit_campaign(command: EditCampaign, uow: UnitOfWork) -> StoredCampaign:
    campaign = campaign_from_document({**command.document, "approved_by": ""})
    with uow:
        stored = uow.campaigns.replace(campaign)
        _audit(uow, command.now, command.by, "campaigns.edit", campaign.campaign_id, campaign.mode)
        uow.commit()
    return stored


def approve_campaign(command: ApproveCampaign, uow: UnitOfWork) -> StoredCampaign:
    """Four eyes: whoever created the campaign cannot approve it."""
    with uow:
        stored = uow.campaigns.get(command.campaign_id)
        if stored.created_by == command.by:
            raise CampaignConflict(f"{command.by} created campaign {command.campaign_id!r}; another person approves it")
        stored = uow.campaigns.approve(command.campaign_id, command.by, command.now)
        _audit(uow, command.now, command.by, "campaigns.approve", command.campaign_id)
        uow.commit()
    return stored


def import_numbers(
    command: ImportNumbers, uow: UnitOfWork, *, zones: NumberZones, blacklist: Collection[str] = ()
) -> ImportReport:
    """De-duplicated (within the file and against the list), checked against the do-not-call list and the
    blacklist; every left-out row is reported with its reason."""
    with uow:
        stored = uow.campaigns.get(command.campaign_id)
        if stored.status == "stopped":
            raise CampaignConflict(f"campaign {command.campaign_id!r} is stopped")
        report = _add_rows(
            uow,
            command.campaign_id,
            command.rows,
            command.now,
            zones=zones,
            blacklist=blacklist,
            strict=command.strict,
            default_area_code=command.default_area_code,
        )
        detail = f"{command.source}: {report.added} added, {len(report.problems)} left out"
        _audit(uow, command.now, command.by, "campaigns.import", command.campaign_id, detail)
        uow.commit()
    return report


def remove_number(command: RemoveNumber, uow: UnitOfWork) -> None:
    with uow:
        uow.campaigns.remove_number(command.campaign_id, parse_phone(command.number).key)
        _audit(uow, command.now, command.by, "campaigns.remove_number", command.campaign_id)
        uow.commit()


def reuse_numbers(command: ReuseNumbers, uow: UnitOfWork, *, blacklist: Collection[str] = ()) -> ImportReport:
    with uow:
        uow.campaigns.get(command.to_campaign)
        rows = uow.campaigns.numbers(command.from_campaign, command.results)
        source = [(r["row"], {"phone": r["number"], "name": r["name"]}) for r in rows]
        zones = _KnownZones({r["number"]: r["zone"] for r in rows})
        report = _add_rows(uow, command.to_campaign, source, command.now, zones=zones, blacklist=blacklist)
        detail = f"from {command.from_campaign} ({', '.join(command.results)}): {report.added} added"
        _audit(uow, command.now, command.by, "campaigns.reuse", command.to_campaign, detail)
        uow.commit()
    return report


def add_do_not_call(command: AddDoNotCall, uow: UnitOfWork) -> bool:
    number = parse_phone(command.number).key
    with uow:
        added = uow.campaigns.add_do_not_call(number, command.reason, command.by, command.now)
        _audit(uow, command.now, command.by, "do_not_call.add", number, command.reason)
        uow.commit()
    return added


def campaign_to_run(campaign_id: str, uow: UnitOfWork) -> tuple[Campaign, list[ListEntry]]:
    """What a driver loads into the dialer: refused unless the campaign is approved."""
    with uow:
        stored = uow.campaigns.get(campaign_id)
        if stored.status != "approved" or not stored.campaign.approved_by:
            raise CampaignConflict(f"campaign {campaign_id!r} is {stored.status}; only an approved campaign runs")
        return stored.campaign, uow.campaigns.entries(campaign_id)


OUTBOUND_VERBS = frozenset(
    {
        Verb.OUTBOUND_DIAL,
        Verb.OUTBOUND_FAIL,
        Verb.OUTBOUND_DROP,
        Verb.OUTBOUND_COMPLETE,
        Verb.OUTBOUND_BROADCAST,
        Verb.OUTBOUND_RESULT,
        Verb.OUTBOUND_DONE,
        Verb.OUTBOUND_CONNECT,
    }
)


def apply_outbound_records(records: Iterable[LogRecord], uow: UnitOfWork) -> int:
    """Inside the caller's unit: the dialer's records as dial results on the campaigns' lists."""
    applied = 0
    repo = uow.campaigns
    for r in records:
        verb, at = r.verb, float(r.time)
        if verb == Verb.OUTBOUND_DIAL:
            ok = repo.record_dial(
                r.call_id, r.queue, str(r.field("number")), "" if r.agent == NONE else r.agent, at, site_day(at)
            )
        elif verb == Verb.OUTBOUND_CONNECT:
            ok = repo.record_result(r.call_id, "connected", at, agent_id=r.agent)
        elif verb == Verb.OUTBOUND_FAIL:
            ok = repo.record_result(r.call_id, str(r.field("result")), at)
        elif verb == Verb.OUTBOUND_DROP:
            ok = repo.record_result(r.call_id, "dropped", at)
        elif verb == Verb.OUTBOUND_COMPLETE:
            ok = repo.record_result(r.call_id, "contacted", at, agent_id=r.agent, talk=float(str(r.field("talk"))))
        elif verb == Verb.OUTBOUND_BROADCAST:
            ok = repo.record_result(r.call_id, "heard" if r.field("result") != "agent" else "connected", at)
        elif verb == Verb.OUTBOUND_RESULT:
            ok = repo.record_code(r.call_id, str(r.field("code")), at)
        elif verb == Verb.OUTBOUND_DONE:
            ok = repo.record_number(r.queue, str(r.field("number")), str(r.field("result")), at)
        else:
            continue
        applied += ok
    return applied


class _KnownZones:
    def __init__(self, zones: Mapping[str, str]) -> None:
        self.zones = zones

    def zone_of(self, number) -> str:
        return self.zones.get(number.key, "Asia/Shanghai")


def _add_rows(
    uow: UnitOfWork,
    campaign_id: str,
    rows: Iterable[tuple[int, Mapping[str, object]]],
    now: float,
    *,
    zones: NumberZones,
    blacklist: Collection[str],
    strict: bool = False,
    default_area_code: str | None = None,
) -> ImportReport:
    """Put ``rows`` on the campaign's list: de-duplicated (within the rows and against the list), checked against
    the do-not-call list and the blacklist; ``strict``: any faulty row refuses them all (``ListRefused``)."""
    built: BuiltList = build_list(
        rows,
        zones=zones,
        do_not_call=uow.campaigns.do_not_call(),
        blacklist=_keys(blacklist),
        already=uow.campaigns.known_numbers(campaign_id),
        default_area_code=default_area_code,
    )
    if strict and built.faulty:
        raise ListRefused(built.faulty)
    return ImportReport(uow.campaigns.add_numbers(campaign_id, built.entries, now), built.problems)


def _keys(numbers: Collection[str]) -> set[str]:
    out = set()
    for text in numbers:
        try:
            out.add(parse_phone(text).key)
        except ValueError:
            continue  # a blacklist entry that is no phone number cannot match one
    return out


def _audit(uow: UnitOfWork, now: float, by: str, action: str, entity_id: str, detail: str = "") -> None:
    uow.audit.add(AuditEntry(now, by, action, "campaign", (entity_id,), detail))
