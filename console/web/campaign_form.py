"""The campaign form: what a person types (times as HH:MM, the drop cap in percent, retries in minutes, lists
separated by commas) to and from the campaign document the core reads (``core.campaigns``). The form checks
only the shape of each field; the campaign's rules are the core's, and ``core_errors`` puts each refusal it
names ("drop_cap: ...") beside the field that holds it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from core.campaigns import DEFAULT_RETRY_AFTER, DIAL_FAILURES, DROPPED, MODES, Campaign

CLOCK = r"^([01]?\d|2[0-4]):[0-5]\d$"
RETRIES = DIAL_FAILURES + (DROPPED,)
# the core's field -> the form field its message goes beside
FIELD_OF = {"window": "window_start", "calling_hours": "hours_start", "retry_after": "retry_busy"}


class CampaignForm(BaseModel):
    campaign_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    mode: Literal[MODES]  # type: ignore[valid-type]
    first_day: date
    last_day: date
    window_start: str = Field(pattern=CLOCK)
    window_end: str = Field(pattern=CLOCK)
    hours_start: str = Field(pattern=CLOCK)
    hours_end: str = Field(pattern=CLOCK)
    agents: str = Field(default="", max_length=2000)
    skill_group: str = Field(default="", max_length=64)
    script: str = Field(default="", max_length=8000)
    result_codes: str = Field(min_length=1, max_length=1000)
    max_attempts: int = Field(ge=1, le=20)
    drop_cap: float = Field(gt=0, lt=100)  # percent
    retry_busy: float = Field(ge=0, le=10080)  # minutes
    retry_no_answer: float = Field(ge=0, le=10080)
    retry_unreachable: float = Field(ge=0, le=10080)
    retry_machine: float = Field(ge=0, le=10080)
    retry_dropped: float = Field(ge=0, le=10080)
    caller_id: str = Field(default="", max_length=32)
    recording: str = Field(default="", max_length=200)


def _seconds(clock: str) -> float:
    hours, minutes = clock.split(":")
    return int(hours) * 3600.0 + int(minutes) * 60.0


def clock_of(seconds: float) -> str:
    return f"{int(seconds) // 3600:02d}:{int(seconds) % 3600 // 60:02d}"


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,，、;；]+", text) if word]


def document_of(form: CampaignForm) -> dict:
    """The campaign document (``core.campaigns.campaign_from_document``'s fields) of a checked form."""
    return dict(
        campaign_id=form.campaign_id,
        name=form.name,
        mode=form.mode,
        first_day=form.first_day.isoformat(),
        last_day=form.last_day.isoformat(),
        window=[_seconds(form.window_start), _seconds(form.window_end)],
        calling_hours=[_seconds(form.hours_start), _seconds(form.hours_end)],
        agents=_words(form.agents),
        skill_group=form.skill_group.strip(),
        script=form.script,
        result_codes=_words(form.result_codes),
        max_attempts=form.max_attempts,
        drop_cap=round(form.drop_cap / 100, 6),
        retry_after={result: getattr(form, "retry_" + result) * 60 for result in RETRIES},
        caller_id=form.caller_id.strip(),
        recording=form.recording.strip(),
    )


def campaign_values(campaign: Campaign | None, today: date | None) -> dict[str, str]:
    """The form's fields of a stored campaign, or of a new one (the core's defaults) starting ``today``."""
    if campaign is None:
        assert today is not None
        campaign = Campaign("", "", "preview", today, today + timedelta(days=6))
    retry = dict(campaign.retry_after) or dict(DEFAULT_RETRY_AFTER)
    return dict(
        campaign_id=campaign.campaign_id,
        name=campaign.name,
        mode=campaign.mode,
        first_day=campaign.first_day.isoformat(),
        last_day=campaign.last_day.isoformat(),
        window_start=clock_of(campaign.window[0]),
        window_end=clock_of(campaign.window[1]),
        hours_start=clock_of(campaign.calling_hours[0]),
        hours_end=clock_of(campaign.calling_hours[1]),
        agents=", ".join(campaign.agents),
        skill_group=campaign.skill_group,
        script=campaign.script,
        result_codes=", ".join(campaign.result_codes),
        max_attempts=str(campaign.max_attempts),
        drop_cap=f"{campaign.drop_cap * 100:g}",
        caller_id=campaign.caller_id,
        recording=campaign.recording,
        **{"retry_" + result: f"{retry.get(result, 0) / 60:g}" for result in RETRIES},
    )


def core_errors(message: str) -> dict[str, str]:
    """The core's refusal ("field: why; other: why") as the form's errors; the rest goes on top of the form."""
    errors: dict[str, str] = {}
    for part in message.split("; "):
        name, _, why = part.partition(": ")
        field = FIELD_OF.get(name, name)
        if why and field in CampaignForm.model_fields:
            errors.setdefault(field, why)
        else:
            errors["form"] = f"{errors['form']}; {part}" if "form" in errors else part
    return errors
