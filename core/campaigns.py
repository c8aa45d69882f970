"""Outbound campaigns as data: the campaign, its number list and when a number may be called.

A campaign runs on the days ``first_day``..``last_day`` inside a daily window in the site's time zone, and
each number only inside the calling hours of the callee's own time zone (China has one official zone, but
Xinjiang keeps Urumqi time): the zone comes from the number through the ``NumberZones`` port, which
adapters/geo implements from the phone-region data. Nothing runs before someone approved the campaign.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Container, Iterable, Mapping, Protocol
from zoneinfo import ZoneInfo

from core.config import SITE_ZONE
from core.phones import SERVICE, InvalidPhoneNumber, PhoneNumber, parse_phone

MANUAL, PREVIEW, PROGRESSIVE, PREDICTIVE, BROADCAST = "manual", "preview", "progressive", "predictive", "broadcast"
MODES = (MANUAL, PREVIEW, PROGRESSIVE, PREDICTIVE, BROADCAST)

# how a dial can end without a person (the driver's answer detection reports a machine as such)
BUSY, NO_ANSWER, UNREACHABLE, MACHINE = "busy", "no_answer", "unreachable", "machine"
DIAL_FAILURES = (BUSY, NO_ANSWER, UNREACHABLE, MACHINE)
DROPPED = "dropped"  # answered, but no agent was free in time: the drop message played
RETRYABLE = DIAL_FAILURES + (DROPPED,)

DEFAULT_RETRY_AFTER = ((BUSY, 600.0), (NO_ANSWER, 3600.0), (UNREACHABLE, 7200.0), (MACHINE, 7200.0), (DROPPED, 3600.0))
DEFAULT_RESULT_CODES = ("sale", "not_interested", "call_again", "wrong_number")

PHONE_COLUMNS = ("phone", "number", "电话", "号码")
NAME_COLUMNS = ("name", "姓名")


class NumberZones(Protocol):
    """The IANA time zone a number's subscriber lives in ("Asia/Shanghai", "Asia/Urumqi")."""

    def zone_of(self, number: PhoneNumber) -> str: ...


class SiteZone:
    """Every number in the site's zone: for tests, and where no phone-region data is at hand."""

    def zone_of(self, number: PhoneNumber) -> str:
        return str(SITE_ZONE)


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    mode: str
    first_day: date
    last_day: date
    window: tuple[float, float] = (9 * 3600.0, 18 * 3600.0)  # seconds of the site's day, [start, end)
    calling_hours: tuple[float, float] = (9 * 3600.0, 21 * 3600.0)  # seconds of the callee's local day
    agents: tuple[str, ...] = ()
    skill_group: str = ""  # or every agent with this skill
    script: str = ""
    result_codes: tuple[str, ...] = DEFAULT_RESULT_CODES
    max_attempts: int = 3
    retry_after: tuple[tuple[str, float], ...] = DEFAULT_RETRY_AFTER
    drop_cap: float = 0.03  # dropped / answered, per campaign per day
    ring_timeout: float = 30.0
    connect_within: float = 2.0  # an answered callee waits this long for an agent before the drop message
    caller_id: str = ""
    recording: str = ""  # the notice of a voice broadcast
    broadcast_lines: int = 10  # calls at once in a voice broadcast
    order_line: str = ""  # blending: the inbound queue that has priority
    inbound_threshold: int = 0  # pause while more calls than this wait on the order line
    approved_by: str = ""

    def problems(self) -> list[str]:
        """What makes this campaign unusable, each naming its field."""
        found = []
        if self.mode not in MODES:
            found.append(f"mode: {self.mode!r} is not one of {', '.join(MODES)}")
        if self.last_day < self.first_day:
            found.append(f"last_day: {self.last_day} is before first_day {self.first_day}")
        for name in ("window", "calling_hours"):
            start, end = getattr(self, name)
            if not 0 <= start < end <= 86400:
                found.append(f"{name}: ({start}, {end}) is not a span within one day")
        if self.mode not in (MANUAL, BROADCAST) and not (self.agents or self.skill_group):
            found.append("agents: name agents or a skill_group for this mode")
        if self.max_attempts < 1:
            found.append("max_attempts: must be at least 1")
        if not 0 < self.drop_cap < 1:
            found.append(f"drop_cap: {self.drop_cap} is not a fraction between 0 and 1")
        for result, seconds in self.retry_after:
            if result not in RETRYABLE or seconds < 0:
                found.append(f"retry_after: {result}={seconds} (results: {', '.join(RETRYABLE)}; seconds >= 0)")
        if self.mode == BROADCAST and not self.recording:
            found.append("recording: a voice broadcast needs its notice")
        if not self.result_codes:
            found.append("result_codes: at least one")
        return found

    def retry_delay(self, result: str) -> float | None:
        return dict(self.retry_after).get(result)

    def serves(self, agent_id: str, skills: Mapping[str, int]) -> bool:
        if not self.agents and not self.skill_group:
            return True  # a manual or broadcast campaign open to every agent
        return agent_id in self.agents or (bool(self.skill_group) and self.skill_group in skills)


@dataclass(frozen=True)
class ListEntry:
    """One number of a campaign's list: ``number`` is its E.164 key, ``row`` the line it came from."""

    number: str
    name: str = ""
    row: int = 0
    zone: str = str(SITE_ZONE)
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RowProblem:
    """A row left out of a list, and why. ``kind``: missing, invalid, duplicate, do_not_call, blacklist."""

    row: int
    field: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


REFUSING_KINDS = ("missing", "invalid", "duplicate")  # faults of the file; the other kinds are only excluded


@dataclass
class BuiltList:
    entries: list[ListEntry] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def faulty(self) -> list[RowProblem]:
        return [p for p in self.problems if p.kind in REFUSING_KINDS]


def build_list(
    rows: Iterable[tuple[int, Mapping[str, object]]],
    *,
    zones: NumberZones,
    do_not_call: Container[str] = (),
    blacklist: Container[str] = (),
    already: Mapping[str, int] | None = None,
    default_area_code: str | None = None,
) -> BuiltList:
    """Rows (line number, column -> value) -> the list's entries, de-duplicated (also against ``already``:
    number -> row of numbers the list holds), each bad or excluded row named with its reason."""
    built = BuiltList()
    seen: dict[str, int] = dict(already or {})
    for row, values in rows:
        column = next((c for c in PHONE_COLUMNS if c in values), None)
        if column is None:
            built.problems.append(
                RowProblem(row, "phone", "missing", f"no phone column (one of {', '.join(PHONE_COLUMNS)})")
            )
            continue
        raw = values[column]
        try:
            phone = parse_phone(str(raw if raw is not None else ""), default_area_code=default_area_code)
        except InvalidPhoneNumber as error:
            built.problems.append(RowProblem(row, column, "invalid", error.reason))
            continue
        if phone.kind == SERVICE:
            built.problems.append(RowProblem(row, column, "invalid", f"{phone} is a service number, not a customer's"))
            continue
        key = phone.key
        if key in seen:
            built.problems.append(RowProblem(row, column, "duplicate", f"{phone} is already on row {seen[key]}"))
            continue
        seen[key] = row
        if key in do_not_call:
            built.problems.append(RowProblem(row, column, "do_not_call", f"{phone} is on the do-not-call list"))
            continue
        if key in blacklist:
            built.problems.append(RowProblem(row, column, "blacklist", f"{phone} is blacklisted"))
            continue
        name = next((str(values[c] or "") for c in NAME_COLUMNS if c in values), "")
        extra = tuple(
            (str(k), str(v if v is not None else ""))
            for k, v in values.items()
            if k != column and k not in NAME_COLUMNS
        )
        built.entries.append(ListEntry(key, name, row, zones.zone_of(phone), extra))
    return built


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _second_of_day(moment: datetime) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def may_call(campaign: Campaign, zone: str, now: float) -> bool:
    """Inside the campaign's days and daily window (site time) and the callee's calling hours (their time)."""
    site = datetime.fromtimestamp(now, SITE_ZONE)
    if not campaign.first_day <= site.date() <= campaign.last_day:
        return False
    start, end = campaign.window
    if not start <= _second_of_day(site) < end:
        return False
    start, end = campaign.calling_hours
    return start <= _second_of_day(datetime.fromtimestamp(now, _zone(zone))) < end


def next_calling_time(campaign: Campaign, zone: str, now: float) -> float | None:
    """The first moment at or after ``now`` at which ``may_call`` holds, None when the campaign is over.

    Two daily spans meet at the later of their starts, so only ``now`` and the starts of both spans on
    the days around the campaign's need checking."""
    if may_call(campaign, zone, now):
        return now
    candidates = []
    callee = _zone(zone)
    day = max(campaign.first_day, datetime.fromtimestamp(now, SITE_ZONE).date()) - timedelta(days=1)
    while day <= campaign.last_day + timedelta(days=1):
        for tz, seconds in ((SITE_ZONE, campaign.window[0]), (callee, campaign.calling_hours[0])):
            midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
            candidates.append((midnight + timedelta(seconds=seconds)).timestamp())
        day += timedelta(days=1)
    for moment in sorted(candidates):
        if moment >= now and may_call(campaign, zone, moment):
            return moment
    return None


def site_day(now: float) -> str:
    """The site's calendar day of a moment: the unit the drop cap is counted in."""
    return datetime.fromtimestamp(now, SITE_ZONE).date().isoformat()


# --- the campaign as JSON data (the store keeps it so; the console and CLI send it) -------------------

_TUPLES = ("window", "calling_hours", "agents", "result_codes")


def campaign_document(campaign: Campaign) -> dict:
    out = {}
    for name in Campaign.__dataclass_fields__:
        value = getattr(campaign, name)
        if isinstance(value, date):
            value = value.isoformat()
        elif name == "retry_after":
            value = {result: seconds for result, seconds in value}
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def campaign_from_document(document: Mapping[str, Any]) -> Campaign:
    """A campaign from JSON data; ``ValueError`` naming the field for anything unusable (problems() too)."""
    known = Campaign.__dataclass_fields__
    unknown = sorted(set(document) - set(known))
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown field (fields: {', '.join(known)})")
    values: dict = {}
    for name, raw in document.items():
        try:
            if name in ("first_day", "last_day"):
                values[name] = date.fromisoformat(str(raw))
            elif name == "retry_after":
                values[name] = tuple((str(k), float(v)) for k, v in dict(raw).items())
            elif name in _TUPLES:
                values[name] = (
                    tuple(float(v) for v in raw) if name in ("window", "calling_hours") else tuple(str(v) for v in raw)
                )
            elif name in ("max_attempts", "broadcast_lines", "inbound_threshold"):
                values[name] = int(raw)
            elif name in ("drop_cap", "ring_timeout", "connect_within"):
                values[name] = float(raw)
            else:
                values[name] = str(raw)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name}: {raw!r} cannot be used ({error})") from None
    for name in ("campaign_id", "name", "mode", "first_day", "last_day"):
        if name not in values:
            raise ValueError(f"{name}: required")
    if any(len(values.get(n, (0, 1))) != 2 for n in ("window", "calling_hours")):
        raise ValueError("window: give [start, end] seconds of the day")
    campaign = Campaign(**values)
    problems = campaign.problems()
    if problems:
        raise ValueError("; ".join(problems))
    return campaign
