"""Log lines as JSON, one object per line, for the console and the live driver alike.

``JsonLines`` formats a record as ``{"ts", "level", "logger", "message", ...}`` plus the record's ``fields``
(``extra={"fields": {...}}``) and, in the live driver, the ``call_id`` of the call being worked on
(``CALL_ID``, a context variable the driver sets per call, so every line about a call names it).
``configure(fmt, level)`` installs it (or plain text) on the root logger.
"""

from __future__ import annotations

import contextvars
import json
import logging

CALL_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("hotline_call_id", default=None)
TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        call_id = getattr(record, "call_id", None) or CALL_ID.get()
        if call_id:
            line["call_id"] = call_id
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(fmt: str = "json", level: int = logging.INFO) -> None:
    """Standard error, one line per record: JSON (``fmt="json"``) or text."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
