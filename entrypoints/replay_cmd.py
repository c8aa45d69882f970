"""``hotline replay``: QA suites, recorded live journals and recorded days, with JUnit XML and an HTML report.

* ``hotline replay SUITE`` -- every scenario's KPI bands and every golden day of the suite;
* ``hotline replay --journal PATH_OR_DAY`` -- a live journal through the current core (and ``--strategy`` /
  ``--config``): where the decisions differ, call by call;
* ``hotline replay --trace DAY --scenario FILE`` -- a recorded day's calls through the twin under the scenario.
"""

from __future__ import annotations

import logging
import os
import re
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.table import Table

from entrypoints.terminal import console, fail, fail_on_input, open_store_or_exit, progress_bar
from inputs.problems import InputFileError, Problem
from qa.checks import CaseResult, Check

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
log = logging.getLogger("hotline.qa")


def _journal_source(path_or_day: str) -> Path:
    """A journal file or live directory; a day names the live directory's journal (HOTLINE_LIVE_DIR/live)."""
    if DAY.match(path_or_day):
        return Path(os.environ.get("HOTLINE_LIVE_DIR") or "live") / "journal.jsonl"
    return Path(path_or_day)


def journal_case(path_or_day: str, strategy: str | None, config_file: Path | None) -> CaseResult:
    import dataclasses

    from qa.journal_replay import journal_path, read_journal, recorded_config, replay_journal

    journal = journal_path(_journal_source(path_or_day))
    if not journal.exists():
        raise InputFileError([Problem(str(journal), None, "", "no such journal")])
    lines = read_journal(journal)
    whole = len(lines)
    first_line = 0
    if DAY.match(path_or_day):  # the journal up to the day's end (state carries over days), the day's calls
        lines, first_line = _up_to_day(lines, date.fromisoformat(path_or_day), journal)
    recorded = recorded_config(journal)
    replacement = None if config_file is None else _config_of(config_file)

    def change(config):
        config = replacement or config
        if strategy is not None:
            config = dataclasses.replace(config, policy=dataclasses.replace(config.policy, strategy=strategy))
        return config

    candidate = change(recorded)
    log.info(
        "replaying %d journal messages of %s (strategy %s -> %s)",
        len(lines),
        journal,
        recorded.policy.strategy,
        candidate.policy.strategy,
    )
    started = time.monotonic()
    with progress_bar() as progress:
        task = progress.add_task(f"{journal.name}: messages", total=len(lines))
        report = replay_journal(
            lines,
            recorded,
            change,
            where=str(journal),
            queue_log=journal.parent / "queue_log",
            report_from_line=first_line,
            partial=len(lines) < whole,
            progress=lambda done, total: progress.update(task, completed=done),
        )
    case = CaseResult(journal.parent.name or str(journal), "journal", seconds=time.monotonic() - started)
    case.checks.append(
        Check(
            case.name,
            "recorded log reproduced",
            "the queue_log, line for line",
            "identical" if report.log_mismatch is None else "differs",
            report.log_mismatch is None,
            report.log_mismatch or "",
        )
    )
    for d in report.differences:
        case.checks.append(
            Check(
                case.name,
                f"decisions of {d.key}",
                ", ".join(map(str, d.recorded)) or "nothing",
                ", ".join(map(str, d.replayed)) or "nothing",
                False,
                d.describe(),
            )
        )
    case.checks.append(
        Check(
            case.name,
            "calls with differing decisions",
            "0",
            str(len(report.differences)),
            not report.differences,
            f"{len(report.differences)} of {report.calls} calls decided differently",
        )
    )
    console.print(
        f"{journal}: {report.messages} messages, {report.calls} calls, {report.decisions} recorded "
        f"decisions, {len(report.differences)} calls differ"
    )
    return case


def _up_to_day(lines, day: date, journal: Path):
    """The messages up to the end of ``day`` (site time zone) and the journal line where the day begins."""
    from core.config import SITE_ZONE
    from qa.trace import day_bounds

    start, end = day_bounds(day, SITE_ZONE)
    of_day = [e.line for e in lines if start <= getattr(e.message, "now", 0) < end]
    if not of_day:
        raise InputFileError([Problem(str(journal), None, "", f"no messages on {day} ({SITE_ZONE})")])
    return [e for e in lines if getattr(e.message, "now", 0) < end], of_day[0]


def _config_of(path: Path):
    """A site or scenario file's routing configuration."""
    from twin.site import center_config, load_scenario

    return center_config(load_scenario(path))


def trace_cases(
    day: str, scenario: Path, zone: str, source: Optional[str], replications: Optional[int], tolerance: float
) -> CaseResult:
    from adapters.store.eventlog import SqlEventLog
    from adapters.store.settings import StoreSettings
    from qa.suite import trace_case
    from qa.trace import trace_of_day

    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise InputFileError([Problem("--trace", None, "day", f"{day!r} is not a date YYYY-MM-DD")]) from None
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputFileError([Problem("--zone", None, "zone", f"{zone!r} is not a time zone")]) from None
    settings = StoreSettings()
    engine = open_store_or_exit(settings)
    records = SqlEventLog(engine).frame(source)
    trace = trace_of_day(records, when, tz, where=f"the store {settings.redacted_url()}")
    tolerances = {"answered": tolerance, "abandoned": tolerance, "offered": 0.0}
    log.info("trace %s: %d calls from %s", day, len(trace.lives), settings.redacted_url())
    with progress_bar() as progress:
        task = progress.add_task(f"{day}: replications", total=replications)
        case, result = trace_case(
            f"{day} under {scenario.stem}",
            trace,
            scenario,
            tolerances,
            replications,
            on_done=lambda _r: progress.advance(task),
        )
    table = Table(title=f"{day}: recorded vs twin ({result.scenario.replications} replications)")
    for header in ("count", "recorded", "twin (mean)", "difference"):
        table.add_column(header, justify="right")
    for metric, (recorded, twin, rel) in result.closeness().items():
        table.add_row(metric, f"{recorded:g}", f"{twin:.1f}", f"{rel:+.2%}")
    console.print(table)
    console.print(
        f"calls with their recorded outcome: {result.agreement():.1%} (the rest were served in another "
        "order, or gave up waiting longer than recorded)"
    )
    return case


def suite_cases(suite: Path, workers: Optional[int]) -> list[CaseResult]:
    from adapters.store.eventlog import SqlEventLog
    from adapters.store.settings import StoreSettings
    from qa.suite import golden_case, load_suite, scenario_case

    scenarios, golden = load_suite(suite)
    cases = []
    with progress_bar() as progress:
        for path, scenario in scenarios:
            task = progress.add_task(f"{path.stem}: replications", total=scenario.replications)
            cases.append(scenario_case(path, scenario, workers, on_done=lambda _r: progress.advance(task)))
        if golden:
            engine = open_store_or_exit(StoreSettings())
            for g in golden:
                task = progress.add_task(f"{g['path'].name}: replications", total=None)
                cases.append(golden_case(g, SqlEventLog(engine).frame, on_done=lambda _r: progress.advance(task)))
    log.info("suite %s: %d scenario cases, %d golden days", suite, len(scenarios), len(golden))
    return cases


def show(cases: list[CaseResult], title: str) -> bool:
    table = Table(title=title)
    for header in ("case", "check", "expected", "measured", "result"):
        table.add_column(header)
    for case in cases:
        for check in case.checks:
            table.add_row(
                case.name, check.name, check.expected, check.measured, "[green]pass[/]" if check.ok else "[red]FAIL[/]"
            )
    console.print(table)
    failures = sum(c.failures for c in cases)
    console.print("[green]all expectations hold[/]" if not failures else f"[red]{failures} expectation(s) failed[/]")
    return failures == 0


def replay(
    suite: Annotated[
        Optional[Path],
        typer.Argument(
            help="Directory of scenario files that declare 'expect:' KPI bands, and golden days (*.golden.yaml)."
        ),
    ] = None,
    journal: Annotated[
        Optional[str],
        typer.Option(
            help="A live journal (file or live data directory), or a day "
            "YYYY-MM-DD of the live directory's journal "
            "(HOTLINE_LIVE_DIR, default ./live)."
        ),
    ] = None,
    strategy: Annotated[
        Optional[str],
        typer.Option(help="With --journal: replay under this agent-selection strategy instead of the recorded one."),
    ] = None,
    config: Annotated[
        Optional[Path], typer.Option(help="With --journal: replay under this site or scenario file's configuration.")
    ] = None,
    trace: Annotated[
        Optional[str],
        typer.Option(
            help="A recorded day YYYY-MM-DD of the store's event log to run through the twin under --scenario."
        ),
    ] = None,
    scenario: Annotated[
        Optional[Path], typer.Option(help="With --trace: the staffing and policy of the what-if.")
    ] = None,
    zone: Annotated[str, typer.Option(help="With --trace: the day's time zone.")] = "Asia/Shanghai",
    source: Annotated[Optional[str], typer.Option(help="With --trace: only this source's records.")] = None,
    tolerance: Annotated[
        float, typer.Option(help="With --trace: allowed relative difference of the answered and abandoned counts.")
    ] = 0.02,
    replications: Annotated[Optional[int], typer.Option(min=1, help="With --trace: replications.")] = None,
    junit: Annotated[Optional[Path], typer.Option(help="Write the results as JUnit XML (for CI).")] = None,
    html: Annotated[Optional[Path], typer.Option(help="Write a self-contained HTML report with charts.")] = None,
    workers: Annotated[Optional[int], typer.Option(min=1, help="Parallel processes (default: one per CPU).")] = None,
):
    """QA: check KPI bands of a suite, replay a recorded live journal through the current core (the calls
    whose decisions differ, with their first diverging message), or run a recorded day's calls through the
    twin under another staffing or policy. Exits 1 if a check fails, 2 on bad input."""
    chosen = [x for x in (suite, journal, trace) if x is not None]
    if len(chosen) != 1:
        fail("give one of SUITE, --journal or --trace", 2)
    if trace is not None and scenario is None:
        fail("--trace needs --scenario FILE", 2)
    try:
        if suite is not None:
            cases, title = suite_cases(suite, workers), f"QA suite {suite}"
        elif journal is not None:
            cases, title = [journal_case(journal, strategy, config)], f"journal {journal}"
        else:
            assert trace is not None and scenario is not None
            cases, title = [trace_cases(trace, scenario, zone, source, replications, tolerance)], f"trace {trace}"
    except InputFileError as error:
        fail_on_input(error)
    ok = show(cases, title)
    if junit is not None:
        from qa.junit import write_junit

        write_junit(junit, title, cases)
        console.print(f"wrote {junit}")
    if html is not None:
        from core.config import SITE_ZONE
        from qa.html_report import write_report

        write_report(html, title, cases, ZoneInfo(zone) if trace is not None else SITE_ZONE)
        console.print(f"wrote {html}")
    raise typer.Exit(0 if ok else 1)
