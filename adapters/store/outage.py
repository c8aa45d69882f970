"""``StoreOutage``: tell the operator once when the store stops answering and once when it answers again.

The live driver's parts that write to the store (the shipper, the console's command pump and the screens'
publisher) retry every few milliseconds while the database is away; a line per retry would bury the one
that matters.
"""

from __future__ import annotations

import logging


class StoreOutage:
    def __init__(self, log: logging.Logger, who: str, back_level: int = logging.WARNING) -> None:
        self.log = log
        self.who = who
        self.back_level = back_level
        self.down = False
        self.count = 0  # outages so far

    def failed(self, error: BaseException, doing: str = "", traceback: bool = False) -> None:
        """A store call failed: the first failure of an outage is logged, the retries are not."""
        if self.down:
            return
        self.down = True
        self.count += 1
        first_line = str(error).splitlines()[0] if str(error) else ""
        self.log.warning(
            "%s: store unavailable (%s%s: %s); retrying",
            self.who,
            f"{doing} failed: " if doing else "",
            type(error).__name__,
            first_line,
            exc_info=traceback,
        )

    def answered(self, detail: str = "") -> None:
        """A store call succeeded: ends an outage, if there was one."""
        if self.down:
            self.down = False
            self.log.log(self.back_level, "%s: store available again%s", self.who, f": {detail}" if detail else "")
