"""Local time for reports: the site's zone (or a fixed UTC offset asked for), its offset at an instant, and the
calendar days, ISO weeks and months a stretch of time overlaps."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

from core.config import SITE_ZONE

PERIODS = ("day", "week", "month")


def local_zone(utc_offset_h: float | None = None) -> tzinfo:
    """The site's time zone (``core.config.SITE_ZONE``), or a fixed ``UTC + utc_offset_h`` when one is asked for."""
    return SITE_ZONE if utc_offset_h is None else timezone(timedelta(hours=utc_offset_h))


def local_shift(epoch: float, utc_offset_h: float | None = None) -> float:
    """Seconds east of UTC of the local zone (``local_zone``) at ``epoch``."""
    offset = datetime.fromtimestamp(epoch, local_zone(utc_offset_h)).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def period_bounds(
    start: float, end: float, period: str, utc_offset_h: float | None = None
) -> list[tuple[float, float, str]]:
    """(start, end, label) of every calendar day, ISO week or month, in local time (``local_zone``), that
    overlaps [start, end]."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    zone = local_zone(utc_offset_h)
    lo = datetime.fromtimestamp(start, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        lo -= timedelta(days=lo.weekday())
    elif period == "month":
        lo = lo.replace(day=1)
    out = []
    while lo.timestamp() <= end:
        if period == "day":
            hi, label = lo + timedelta(days=1), lo.strftime("%Y-%m-%d")
        elif period == "week":
            year, week, _ = lo.isocalendar()
            hi, label = lo + timedelta(days=7), f"{year}-W{week:02d}"
        else:
            hi, label = (lo.replace(day=28) + timedelta(days=4)).replace(day=1), lo.strftime("%Y-%m")
        out.append((lo.timestamp(), hi.timestamp(), label))
        lo = hi
    return out
