"""Journal replay: a recorded live journal through the current core, and where its decisions differ.

The live driver journals every message it hands the core (``adapters/asterisk/journal.py``), with the
configuration the journal started from kept beside it (``journal-config.json``, or the live root's
``site.json``). The replay feeds the same messages, in order and with their times, to two cores:

* the **recorded** one, built from the journal's own configuration: its decisions are what the live core
  decided, provided the current core still behaves as the recorded one did -- checked against the event log
  written live (``queue_log`` beside the journal): its first differing line is reported;
* the **candidate**, built from the recorded configuration changed (another strategy, a site file's
  configuration); every configuration the journal applies later is changed the same way.

A *decision* is an action that routes: an agent rung (``RingAgent``), a callback prompt played
(``PlayCallbackPrompt``), a ticket dispatched to an agent (``DialCallback``). For every call (or ticket) whose
decisions differ, the report names the first diverging message: its line in the journal, its type, and what each
core decided there. Once a call diverged, the journal's later messages about it (an answer by the agent the
candidate did not ring) describe the recorded world only; the candidate may refuse them, which is counted.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from adapters.asterisk.journal import START_CONFIG, JournalError, decode, record_line
from core import messages as m
from core.center import CallCenter, CommandRejected
from core.config import CenterConfig
from core.config_codec import config_from_dict
from core.log import LogRecord
from inputs.problems import InputFileError, Problem

SITE_FILE = "site.json"  # the live composition root's copy of the stored configuration the journal started from


@dataclass(frozen=True)
class JournalLine:
    line: int
    message: object


@dataclass(frozen=True)
class Decision:
    kind: str  # ring | callback_prompt | dispatch
    detail: str  # the agent rung, the agent a ticket went to

    def __str__(self) -> str:
        return f"{self.kind} {self.detail}".strip()


@dataclass(frozen=True)
class Difference:
    key: str  # call id, or "ticket <id>"
    line: int  # the first diverging message's line in the journal
    message: str  # its type
    recorded: tuple[Decision, ...]
    replayed: tuple[Decision, ...]

    def describe(self) -> str:
        def show(ds):
            return ", ".join(map(str, ds)) or "nothing"

        return f"{self.key}: line {self.line} ({self.message}): recorded {show(self.recorded)}, replayed {show(self.replayed)}"


@dataclass
class ReplayReport:
    journal: str
    messages: int = 0
    calls: int = 0
    decisions: int = 0
    differences: list[Difference] = field(default_factory=list)
    log_mismatch: str | None = None  # the first line where the recorded core's log differs from queue_log
    refused_by_candidate: int = 0  # messages the candidate core refused (about calls that diverged)

    @property
    def ok(self) -> bool:
        return not self.differences and self.log_mismatch is None


def read_journal(path: Path) -> list[JournalLine]:
    """Every message of the journal with its line; a line that is not one (torn, foreign) is refused with
    the file and line: the live driver drops a torn last line silently, a QA replay says so."""
    lines: list[JournalLine] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputFileError([Problem(str(path), None, "", f"cannot read the journal: {error}")]) from None
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            message = decode(raw)
        except json.JSONDecodeError as error:
            torn = (
                "truncated (the line ends mid-message)"
                if not text.endswith("\n") and raw == text.split("\n")[-1]
                else f"not JSON ({error.msg})"
            )
            raise InputFileError([Problem(str(path), number, "", f"{torn}: not a journal message")]) from None
        except (JournalError, TypeError, KeyError, AttributeError, ValueError) as error:
            raise InputFileError(
                [Problem(str(path), number, "type", f"not a Hotline journal message ({error})")]
            ) from None
        lines.append(JournalLine(number, message))
    if not lines:
        raise InputFileError([Problem(str(path), None, "", "the journal holds no messages")])
    return lines


def journal_path(path_or_dir: Path) -> Path:
    path = Path(path_or_dir)
    return path / "journal.jsonl" if path.is_dir() else path


def recorded_config(journal: Path) -> CenterConfig:
    """The configuration the journal started from, kept beside it by the live driver."""
    for name in (START_CONFIG, SITE_FILE):
        candidate = journal.parent / name
        if candidate.exists():
            try:
                return config_from_dict(json.loads(candidate.read_text(encoding="utf-8"))["config"])
            except (ValueError, KeyError, TypeError) as error:
                raise InputFileError(
                    [Problem(str(candidate), None, "config", f"not a configuration document: {error}")]
                ) from None
    raise InputFileError(
        [
            Problem(
                str(journal),
                None,
                "",
                f"no {START_CONFIG} or {SITE_FILE} beside the journal: "
                "give the configuration it started from (--recorded-config)",
            )
        ]
    )


def decisions(actions: list) -> dict[str, list[Decision]]:
    out: dict[str, list[Decision]] = {}
    for action in actions:
        if isinstance(action, m.RingAgent):
            out.setdefault(action.call_id, []).append(Decision("ring", action.agent_id))
        elif isinstance(action, m.PlayCallbackPrompt):
            out.setdefault(action.call_id, []).append(Decision("callback_prompt", ""))
        elif isinstance(action, m.DialCallback):
            out.setdefault(f"ticket {action.ticket_id}", []).append(Decision("dispatch", action.agent_id))
    return out


class _Runner:
    """One core fed the journal; ``timers`` are its pending timers, by kind and key."""

    def __init__(self, config: CenterConfig, seed: int) -> None:
        self.log: list[LogRecord] = []
        self.core = CallCenter(config, log=self.log, rng=random.Random(seed))
        self.refused = 0
        self.timers: dict[tuple[str, str], int] = {}  # (kind, key) -> the token of this core's pending timer

    def handle(self, message) -> list:
        try:
            actions = self.core.handle(message)
        except CommandRejected:
            self.refused += 1
            return []
        for action in actions:
            if isinstance(action, m.StartTimer):
                self.timers[(action.timer.kind, action.timer.key)] = action.timer.token
            elif isinstance(action, m.CancelTimer):
                if self.timers.get((action.timer.kind, action.timer.key)) == action.timer.token:
                    del self.timers[(action.timer.kind, action.timer.key)]
        return actions


def replay_journal(
    lines: list[JournalLine],
    recorded: CenterConfig,
    change: Callable[[CenterConfig], CenterConfig],
    *,
    where: str = "journal",
    queue_log: Path | None = None,
    seed: int = 0,
    report_from_line: int = 0,
    partial: bool = False,
    progress=None,
) -> ReplayReport:
    """Feed ``lines`` to a core of the recorded configuration and one of ``change(recorded)``; a configuration
    the journal applies later (``ApplyConfig``) reaches the candidate changed the same way, so a changed
    strategy outlives a site update. The per-call first differences (of the calls whose
    first diverging message is at ``report_from_line`` or later). ``partial``: ``lines`` are the start of the
    journal only, so the event log is compared as far as they go."""
    report = ReplayReport(where, messages=len(lines))
    before, after = _Runner(recorded, seed), _Runner(change(recorded), seed)
    diverged: set[str] = set()
    for i, entry in enumerate(lines):
        message = entry.message
        if isinstance(message, m.CallArrived):
            report.calls += 1
        changed = message
        if isinstance(message, m.ApplyConfig):
            changed = m.ApplyConfig(message.now, change(message.config), message.label)
        elif isinstance(message, m.TimerFired):
            changed = _candidate_timer(message, before, after)
        a, b = decisions(before.handle(message)), decisions(after.handle(changed))
        report.decisions += sum(len(v) for v in a.values())
        for key in sorted(set(a) | set(b)):
            if key not in diverged and a.get(key, []) != b.get(key, []) and entry.line >= report_from_line:
                diverged.add(key)
                report.differences.append(
                    Difference(key, entry.line, type(message).__name__, tuple(a.get(key, [])), tuple(b.get(key, [])))
                )
        if progress and (i % 500 == 0 or i == len(lines) - 1):
            progress(i + 1, len(lines))
    report.refused_by_candidate = max(0, after.refused - before.refused)
    if queue_log is not None and queue_log.exists():
        report.log_mismatch = _compare_log(before.log, queue_log, whole=not partial)
    return report


def _candidate_timer(fired: m.TimerFired, before: _Runner, after: _Runner) -> m.TimerFired:
    """A recorded timer that was live reaches the candidate as its own timer of that kind and key (tokens count
    every timer a core started: a candidate that started one more, a wrap-up timer say, would otherwise take
    every later recorded timer for a stale one, on calls its change never touched); a stale one stays stale."""
    t = fired.timer
    live = before.timers.get((t.kind, t.key)) == t.token
    token = after.timers.get((t.kind, t.key), -1) if live else -1
    return m.TimerFired(fired.now, m.Timer(t.kind, t.key, token))


def _compare_log(records: list[LogRecord], queue_log: Path, whole: bool) -> str | None:
    on_disk = [line for line in queue_log.read_text(encoding="utf-8").split("\n") if line]
    regenerated = [record_line(r) for r in records]
    for i, (a, b) in enumerate(zip(on_disk, regenerated)):
        if a != b:
            return f"{queue_log}:{i + 1}: recorded {a!r}, the current core wrote {b!r}"
    if len(on_disk) < len(regenerated) or (whole and len(on_disk) != len(regenerated)):
        return f"{queue_log}: {len(on_disk)} lines recorded, the current core wrote {len(regenerated)} from the journal"
    return None


def unchanged(config: CenterConfig) -> CenterConfig:
    return config
