"""Import the "Anonymous Bank" call records (Technion SEE Center; ``tests/data/anonymous-bank``) into the
event log as ``core.log.LogRecord`` rows.

One CSV row per call: voice-response unit (``vru_entry``/``vru_exit``), the agents' queue
(``q_start``/``q_exit``/``q_time``), the outcome (AGENT served, HANG hung up, PHANTOM left no trace) and the
service (``ser_start``/``ser_exit``/``ser_time``, agent ``server``). Clock times are of one day;
``0:00:00`` means "did not happen".

How rows become records (the choices are ours, and the import test holds the reports to them):

* **Date and zone**: the file has clock times only. They are put on a fixed day, ``DEFAULT_DATE``
  (1999-08-01), as clock times of the site's zone (``core.config.SITE_ZONE``), so the reports, which cut days
  and intervals in local time, see the file's day as one day. ``--date`` and ``--zone`` choose others (the
  records' own zone, e.g. Asia/Jerusalem, puts them at their true instants). A file whose name holds a date
  (``calls_1999-08-02.csv``) is put on that day.
* **Midnight**: a queue wait that runs past midnight (``q_exit`` earlier than ``q_start``) ends the next day:
  the wait is what ``q_time`` says. A negative ``vru_time`` (``vru_exit`` before ``vru_entry``: the two
  clocks differ) is kept, and named in the result's ``warnings`` by line.
* **Call id**: ``<date>-<vru+line>-<call_id>`` (the file's ``call_id`` alone repeats across VRU lines, and
  across days).
  Queue: the service ``type`` (PS, NW, NE, IN, PE, TT). Hotline (ENTERQUEUE hotline): the ``vru+line``.
  Caller: unknown (empty). Priority (ENTERQUEUE priority): ``normal``.
* **AGENT** (served): ENTERQUEUE at ``q_start``; CONNECT by ``server`` at ``q_start + q_time`` (= ``q_exit``);
  COMPLETECALLER ``ser_time`` seconds later (holdtime, calltime). The file's durations are
  kept exactly: ``ser_start`` is usually a second *before* ``q_exit`` (the two clocks differ), so the
  CONNECT is anchored on the queue's clock and the conversation lasts ``ser_time``. Which side hung up is
  not recorded: always COMPLETECALLER. A served call that skipped the queue (``q_start`` = 0:00:00) enters
  and is connected at ``vru_exit`` with no wait. One served row has no service times: talk time 0. Served
  rows with ``server`` = NO_SERVER are answered by an unnamed agent (agent ``NONE``).
* **HANG** after joining the queue: ENTERQUEUE at ``q_start``, ABANDON at ``q_exit`` (waittime =
  ``q_time``; short, the short-abandon flag, is left empty so reports apply their own threshold). Five such
  rows carry service times without an agent: the outcome column decides, they are abandoned.
* **HANG in the voice-response unit only** (``q_start`` = 0:00:00): the caller never reached the agents'
  queue, so -- as in Asterisk, whose queue_log never sees a caller leave the IVR before ``Queue()`` -- it is
  *not a call of the queue* (not offered, not abandoned). It is kept as one record ``VRU_HANGUP`` at
  ``vru_exit`` (vru_time, line = vru+line), which the KPI code ignores and the twin's
  calibration can count.
* **PHANTOM**: calls "that left no trace" (Brown et al. exclude them); likewise not a call of the queue,
  kept as one record ``PHANTOM`` at ``q_start`` (waittime ``q_time``, line = vru+line).

The whole file is parsed and checked before anything is written; a malformed row stops the import with
``file:line: column: problem`` and nothing is stored. The records go in in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func, select

from adapters.store.eventlog import insert_records
from adapters.store.models import EventRecord
from adapters.store.settings import write_transaction
from core.config import SITE_ZONE
from core.log import NONE, LogRecord, Verb

DEFAULT_DATE = dt.date(1999, 8, 1)
VRU_HANGUP = Verb.VRU_HANGUP
PHANTOM = Verb.PHANTOM
COLUMNS = (
    "vru+line",
    "call_id",
    "type",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
)
OUTCOMES = ("AGENT", "HANG", "PHANTOM")
NO_SERVER = "NO_SERVER"
_CLOCK = re.compile(r"^(\d{1,2}):([0-5]\d):([0-5]\d)$")
_DATE_IN_NAME = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
DAY = 86400
_CLOCKS: dict[str, int] = {}  # clock text -> seconds: a day has 86,400 of them, and calls repeat them
BATCH = 5000


class ImportFormatError(ValueError):
    """A row of the file is not in the expected format; ``line`` is its 1-based line number."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line = path, line


@dataclass
class ImportResult:
    source: str
    rows: int = 0
    records: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)  # answered / abandoned / vru_hangup / phantom
    warnings: list[str] = field(default_factory=list)  # rows kept as they are that look odd, by line


def day_start(date: dt.date, zone: dt.tzinfo = SITE_ZONE) -> float:
    """Epoch seconds of local midnight starting ``date`` in ``zone``."""
    return dt.datetime(date.year, date.month, date.day, tzinfo=zone).timestamp()


def date_of(path: str | os.PathLike, default: dt.date) -> dt.date:
    """The date a file's name holds (``calls_1999-08-02.csv``, ``19990802.csv``), else ``default``."""
    match = _DATE_IN_NAME.search(os.path.basename(os.fspath(path)))
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    return default


def _clock(value: str, column: str, fail) -> int | None:
    known = _CLOCKS.get(value)
    if known is not None:
        return known or None
    match = _CLOCK.match(value.strip())
    if not match:
        fail(f"{column}: {value!r} is not a clock time H:MM:SS")
    h, m, s = (int(g) for g in match.groups())
    if h > 23:
        fail(f"{column}: {value!r} is not a clock time of one day")
    seconds = h * 3600 + m * 60 + s
    if len(_CLOCKS) < 200_000:
        _CLOCKS[value] = seconds
    return None if seconds == 0 else seconds


def _seconds(value: str, column: str, fail) -> int:
    try:
        return int(value.strip())
    except ValueError:
        fail(f"{column}: {value!r} is not a whole number of seconds")
        raise  # unreachable


def parse(
    path: str | os.PathLike, date: dt.date = DEFAULT_DATE, zone: dt.tzinfo = SITE_ZONE
) -> tuple[list[LogRecord], ImportResult]:
    """Read the whole file into records (time order); raise ``ImportFormatError`` on the first bad row."""
    path = os.fspath(path)
    base = day_start(date, zone)
    result = ImportResult(source="")
    counts = {"answered": 0, "abandoned": 0, "vru_hangup": 0, "phantom": 0}
    keyed: list[tuple[float, int, int, LogRecord]] = []
    seen: dict[str, int] = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFormatError(path, 1, "the file is empty (expected a header line)") from None
        header = [h.strip() for h in header]
        missing = [name for name in COLUMNS if name not in header]
        if missing:
            raise ImportFormatError(path, 1, f"header lacks column(s) {', '.join(missing)}")
        index = {name: header.index(name) for name in COLUMNS}
        for cells in reader:
            line = reader.line_num

            def fail(message: str) -> None:
                raise ImportFormatError(path, line, message)

            if not cells or all(not cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                fail(f"{len(cells)} fields, the header has {len(header)}")
            row = {name: cells[i].strip() for name, i in index.items()}
            vru_line, kind, outcome = row["vru+line"], row["type"], row["outcome"]
            if not vru_line:
                fail("vru+line: empty")
            if not row["call_id"]:
                fail("call_id: empty")
            if not kind:
                fail("type: empty")
            if outcome not in OUTCOMES:
                fail(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
            vru_exit = _clock(row["vru_exit"], "vru_exit", fail)
            _clock(row["vru_entry"], "vru_entry", fail)
            q_start = _clock(row["q_start"], "q_start", fail)
            q_exit = _clock(row["q_exit"], "q_exit", fail)
            _clock(row["ser_start"], "ser_start", fail)
            _clock(row["ser_exit"], "ser_exit", fail)
            vru_time = _seconds(row["vru_time"], "vru_time", fail)
            q_time = _seconds(row["q_time"], "q_time", fail)
            ser_time = _seconds(row["ser_time"], "ser_time", fail)
            if q_time < 0:
                fail(f"q_time: {q_time} is negative")
            if ser_time < 0:
                fail(f"ser_time: {ser_time} is negative")
            if q_start is not None and q_exit is not None and q_exit < q_start:
                q_exit += DAY  # the wait ran past midnight
            if q_start is not None and q_exit is not None and q_exit - q_start != q_time:
                fail(f"q_time: {q_time} s, but q_exit - q_start is {q_exit - q_start} s")
            if vru_time < 0:
                result.warnings.append(
                    f"{path}:{line}: vru_time: {vru_time} s is negative (vru_exit "
                    f"{row['vru_exit']} before vru_entry {row['vru_entry']}); kept as it is"
                )
            call_id = f"{date:%Y%m%d}-{vru_line}-{row['call_id']}"
            if call_id in seen:
                fail(f"call {row['call_id']} of {vru_line} repeats line {seen[call_id]}")
            seen[call_id] = line
            n = len(keyed)

            def add(at: float, step: int, verb: str, agent: str = NONE, *data) -> None:
                keyed.append((base + at, line, step, LogRecord(base + at, call_id, kind, agent, verb, *data)))

            if outcome == "PHANTOM":
                at = q_start if q_start is not None else vru_exit
                if at is None:
                    fail("q_start and vru_exit: both empty (0:00:00)")
                add(at, 0, PHANTOM, NONE, q_time, vru_line)
                counts["phantom"] += 1
            elif outcome == "HANG" and q_start is None:
                if vru_exit is None:
                    fail("vru_exit: empty (0:00:00) for a call that hung up in the VRU")
                add(vru_exit, 0, VRU_HANGUP, NONE, vru_time, vru_line)
                counts["vru_hangup"] += 1
            elif outcome == "HANG":
                if q_exit is None:
                    fail("q_exit: empty (0:00:00) for a call that hung up in the queue")
                add(q_start, 0, Verb.ENTERQUEUE, NONE, "", "", "", vru_line, "normal")
                add(q_start + q_time, 1, Verb.ABANDON, NONE, "", "", q_time, "")
                counts["abandoned"] += 1
            else:  # AGENT
                server = row["server"]
                if not server or server == NO_SERVER:
                    server = NONE  # served, by an agent the file does not name (6 rows of the real day)
                if q_start is None:
                    if vru_exit is None:
                        fail("q_start and vru_exit: both empty (0:00:00) for a served call")
                    arrive, wait = vru_exit, 0
                else:
                    arrive, wait = q_start, q_time
                add(arrive, 0, Verb.ENTERQUEUE, NONE, "", "", "", vru_line, "normal")
                add(arrive + wait, 1, Verb.CONNECT, server, wait, "", 0)
                add(arrive + wait + ser_time, 2, Verb.COMPLETECALLER, server, wait, ser_time, 1)
                counts["answered"] += 1
            assert len(keyed) > n
            result.rows += 1
    keyed.sort(key=lambda k: (k[0], k[1], k[2]))
    records = [k[3] for k in keyed]
    result.records = len(records)
    result.by_outcome = counts
    return records, result


def default_source(path: str | os.PathLike, date: dt.date = DEFAULT_DATE) -> str:
    return f"anonymous-bank/{os.path.splitext(os.path.basename(os.fspath(path)))[0]}/{date.isoformat()}"


class AlreadyImported(RuntimeError):
    pass


class ImportFormatErrors(ValueError):
    """Malformed rows in several files (one ``ImportFormatError`` per file): nothing was imported."""

    def __init__(self, errors: list[ImportFormatError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def csv_files(paths: list[str | os.PathLike]) -> list[str]:
    """The files named, a folder standing for the ``*.csv`` files in it (sorted by name)."""
    found: list[str] = []
    for path in map(os.fspath, paths):
        if os.path.isdir(path):
            found += sorted(os.path.join(path, n) for n in os.listdir(path) if n.lower().endswith(".csv"))
        else:
            found.append(path)
    return found


def import_file(
    engine: Engine,
    path: str | os.PathLike,
    *,
    date: dt.date = DEFAULT_DATE,
    source: str | None = None,
    replace: bool = False,
    zone: dt.tzinfo = SITE_ZONE,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Parse ``path`` and store its records under ``source`` in one transaction. ``progress(done, total)``
    is called as records are written. A source that has records already is refused unless ``replace``
    (its old records are then deleted in the same transaction)."""
    return import_files(
        engine,
        [path],
        date=date,
        sources=None if source is None else [source],
        replace=replace,
        zone=zone,
        progress=progress,
        date_from_name=False,
    )[0]


def import_files(
    engine: Engine,
    paths: list[str | os.PathLike],
    *,
    date: dt.date = DEFAULT_DATE,
    sources: list[str] | None = None,
    replace: bool = False,
    zone: dt.tzinfo | str = SITE_ZONE,
    progress: Callable[[int, int], None] | None = None,
    date_from_name: bool = True,
) -> list[ImportResult]:
    """Parse every file (folders stand for their ``*.csv``), then store them all in one transaction, each
    under its own source: all or nothing. Malformed rows of all files are reported together
    (``ImportFormatErrors``; one file: ``ImportFormatError``) and nothing is stored."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    files = csv_files(list(paths))
    parsed, failures = [], []
    for i, path in enumerate(files):
        day = date_of(path, date) if date_from_name else date
        try:
            records, result = parse(path, day, zone)
        except ImportFormatError as error:
            failures.append(error)
            continue
        result.source = sources[i] if sources is not None else default_source(path, day)
        parsed.append((records, result))
    if failures:
        raise failures[0] if len(failures) == 1 and len(files) == 1 else ImportFormatErrors(failures)
    table = EventRecord.__table__
    total = sum(len(records) for records, _ in parsed)
    done = 0
    with write_transaction(engine) as connection:
        if progress:
            progress(0, total)
        for records, result in parsed:
            existing = connection.execute(
                select(func.count()).select_from(table).where(table.c.source == result.source)
            ).scalar_one()
            if existing and not replace:
                raise AlreadyImported(
                    f"source {result.source!r} has {existing} records already "
                    f"(use --replace to import again, or another --source)"
                )
            if existing:
                connection.execute(delete(table).where(table.c.source == result.source))
            for start in range(0, len(records), BATCH):
                chunk = records[start : start + BATCH]
                insert_records(connection, chunk, result.source)
                done += len(chunk)
                if progress:
                    progress(done, total)
    return [result for _, result in parsed]
