"""Persistence for the live core: an input journal and a queue_log-format event log.

The core is deterministic, so its state is a function of the messages it handled. ``Journal`` appends each
message (event or command) as one JSON line, flushed (optionally fsynced) before the core sees it. ``EventLogFile``
appends each ``LogRecord`` as one queue_log line (with millisecond time, ``as_text_row``), flushed per line.

``recover`` replays the journal into a fresh core. The records the replay regenerates must equal the
lines already in the event log file (a mismatch means the journal and the log disagree: refuse to
start). Records the log is missing (the process died between the journal write and the log write) are
appended, the others are not written twice. It also returns the timers the core still waits for, so the
driver can arm them again.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from core import messages as m
from core.campaigns import ListEntry, campaign_document, campaign_from_document
from core.center import CommandRejected
from core.config_codec import config_from_dict, config_to_dict
from core.log import LogRecord
from core.outbound_messages import LoadCampaign

log = logging.getLogger("hotline.journal")

START_CONFIG = "journal-config.json"  # beside the journal: the configuration it started from (for replays)


class JournalError(RuntimeError):
    pass


def encode(message) -> str:
    body = {f.name: getattr(message, f.name) for f in dataclasses.fields(message)}
    if isinstance(message, m.TimerFired):
        body["timer"] = dataclasses.asdict(message.timer)
    elif isinstance(message, m.ApplyConfig):
        body["config"] = config_to_dict(message.config)
    elif isinstance(message, LoadCampaign):
        body["campaign"] = campaign_document(message.campaign)
        body["entries"] = [dataclasses.asdict(entry) for entry in message.entries]
    return json.dumps({"type": type(message).__name__, **body}, separators=(",", ":"))


def decode(line: str):
    data = json.loads(line)
    cls = m.MESSAGE_TYPES.get(data.pop("type", None))
    if cls is None:
        raise JournalError(f"unknown message in journal: {line[:200]!r}")
    if cls is m.TimerFired:
        data["timer"] = m.Timer(**data["timer"])
    elif cls is m.ApplyConfig:
        data["config"] = config_from_dict(data["config"])
    elif cls is LoadCampaign:
        data["campaign"] = campaign_from_document(data["campaign"])
        data["entries"] = tuple(ListEntry(**{**e, "fields": tuple(map(tuple, e["fields"]))}) for e in data["entries"])
    return cls(**data)


def keep_start_config(journal: Path, config) -> None:
    """Note the configuration a new journal starts from beside it, so a replay (``hotline replay --journal``)
    can rebuild the core it fed. Only for a journal that starts now: an existing one started from the
    configuration its note (if any) names, not necessarily this one."""
    path = Path(journal).parent / START_CONFIG
    if Path(journal).exists() and Path(journal).stat().st_size > 0:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"config": config_to_dict(config)}), encoding="utf-8")
    temporary.replace(path)


def record_line(record: LogRecord) -> str:
    """One queue_log line with the time to the millisecond (Asterisk's layout otherwise)."""
    return "|".join(record.as_text_row())


class Journal:
    def __init__(self, path: Path, fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync  # flush survives a crash of the process; fsync also one of the machine
        self._fh = None

    def read(self) -> list:
        if not self.path.exists():
            return []
        out = []
        with open(self.path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                out.append(decode(line))
            except ValueError:
                if i == len(lines) - 1:  # a torn last line (killed mid-write): never handled by the core
                    break
                raise
        return out

    def open(self) -> None:
        self._truncate_torn_tail()
        self._fh = open(self.path, "a", encoding="utf-8")

    def _truncate_torn_tail(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as fh:
                fh.truncate(cut)

    def append(self, message) -> None:
        self._fh.write(encode(message) + "\n")
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh:
            self._fh.close()
            self._fh = None


class EventLogFile:
    """An EventSink that appends queue_log lines; ``skip`` records are already on disk (replay)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = None
        self.records: list[LogRecord] = []
        self.on_append: Callable[[], None] | None = None  # e.g. wake the store's shipper

    def existing_lines(self) -> list[str]:
        if not self.path.exists():
            return []
        text = self.path.read_text(encoding="utf-8")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        elif lines:  # torn last line
            lines.pop()
            with open(self.path, "r+b") as fh:
                fh.truncate(len(("\n".join(lines) + "\n").encode()) if lines else 0)
        return lines

    def open(self) -> None:
        self._fh = open(self.path, "a", encoding="utf-8")

    def append(self, record: LogRecord) -> None:
        self.records.append(record)
        self._fh.write(record_line(record) + "\n")
        self._fh.flush()
        if self.on_append is not None:
            self.on_append()

    def close(self) -> None:
        if self._fh:
            self._fh.close()
            self._fh = None


@dataclass
class Recovery:
    messages: int = 0
    records_replayed: int = 0
    records_appended: int = 0
    timers: dict = field(default_factory=dict)  # (kind, key) -> StartTimer still pending


def recover(make_core: Callable, journal: Journal, log_file: EventLogFile):
    """Replay the journal into a fresh core; returns (core, Recovery). The core's sink is ``log_file``."""
    replay_sink: list[LogRecord] = []
    core = make_core(replay_sink)
    rec = Recovery()
    pending: dict = {}
    for message in journal.read():
        rec.messages += 1
        try:
            actions = core.handle(message)
        except CommandRejected:
            continue  # rejected live too: nothing changed then, nothing changes now
        except Exception:  # a core bug hit live too (the driver logged it and went on): the same again
            log.exception("replaying %s raised, as it did live", type(message).__name__)
            continue
        if isinstance(message, m.TimerFired):
            t = message.timer
            if (t.kind, t.key) in pending and pending[(t.kind, t.key)].timer.token == t.token:
                del pending[(t.kind, t.key)]
        for action in actions:
            if isinstance(action, m.StartTimer):
                pending[(action.timer.kind, action.timer.key)] = action
            elif isinstance(action, m.CancelTimer):
                old = pending.get((action.timer.kind, action.timer.key))
                if old is not None and old.timer.token == action.timer.token:
                    del pending[(action.timer.kind, action.timer.key)]
    on_disk = log_file.existing_lines()
    regenerated = [record_line(r) for r in replay_sink]
    if on_disk != regenerated[: len(on_disk)]:
        for i, (a, b) in enumerate(zip(on_disk, regenerated)):
            if a != b:
                raise JournalError(
                    f"event log {log_file.path} line {i + 1} differs from the journal's replay:\n"
                    f"  file:   {a}\n  replay: {b}"
                )
        raise JournalError(
            f"event log {log_file.path} has {len(on_disk)} lines, the replay only "
            f"{len(regenerated)}: they do not belong together"
        )
    log_file.open()
    missing = replay_sink[len(on_disk) :]
    for record in missing:
        log_file.append(record)
    log_file.records = list(replay_sink)
    rec.records_replayed = len(on_disk)
    rec.records_appended = len(missing)
    rec.timers = pending
    core.log = log_file
    return core, rec
