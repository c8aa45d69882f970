"""Durations as people write them in scenario files and schedules: ``90``, ``"90s"``, ``"15m"``, ``"1h30m"``."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$")


def parse_duration(value: object) -> object:
    """``90`` / ``"90s"`` / ``"15m"`` / ``"1h30m"`` -> seconds; anything else is left for the type check."""
    if isinstance(value, str):
        if re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
            return float(value)  # plain seconds, quoted
        match = _DURATION.match(value)
        if not value.strip() or not match or not any(match.groups()):
            raise ValueError(f"{value!r} is not a duration (use seconds, or e.g. 90s, 15m, 1h30m)")
        hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    return value
