"""Free text from people: which control characters it may hold, and how a cell of an export is made safe.

* ``control_characters(text, multiline)`` -- the control characters in ``text`` (C0, DEL and C1; a multi-line
  text may keep tab, line feed and carriage return). The console refuses text holding any.
* ``export_cell(value)`` -- one cell of a CSV or Excel export: control characters that no spreadsheet can
  hold are dropped, and a text a spreadsheet would read as a formula (starting with ``= + - @``, tab or
  carriage return) gets a leading apostrophe, so it stays text. Numbers and other values pass unchanged.
  Every export calls it (``reports.export``), whatever was stored before input was checked.
"""

from __future__ import annotations

import re
from typing import Any

_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LAYOUT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def control_characters(text: str, multiline: bool = False) -> list[str]:
    """The distinct control characters of ``text``, as ``U+0001`` strings, in order of first appearance."""
    pattern = _CONTROL_BUT_LAYOUT if multiline else _ANY_CONTROL
    return list(dict.fromkeys(f"U+{ord(ch):04X}" for ch in pattern.findall(text)))


def export_cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = _CONTROL_BUT_LAYOUT.sub("", value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
