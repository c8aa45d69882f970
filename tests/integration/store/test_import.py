"""``hotline import anonymous-bank``: the real day of call records into the event log, on SQLite and
PostgreSQL. The reports computed from the log read back from the database must agree with figures computed
here straight from the raw CSV."""

from __future__ import annotations

import csv
import math
import os
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.store.anonymous_bank import (
    DEFAULT_DATE,
    PHANTOM,
    VRU_HANGUP,
    AlreadyImported,
    ImportFormatError,
    day_start,
    default_source,
    import_file,
)
from adapters.store.eventlog import SqlEventLog
from entrypoints.store_cli import store_app
from reports.call_lives import call_lives
from reports.conservation import check_conservation
from reports.kpi import interval_kpis, summary_kpis
from tests.integration.store.conftest import REPO

# the real day ships with the tests (a copy of ../shared/data/anonymous-bank), so a clone anywhere has it
DATA = Path(
    os.environ.get("HOTLINE_ANONYMOUS_BANK_CSV", REPO / "tests" / "data" / "anonymous-bank" / "calls_one_day.csv")
)
BASE = day_start(DEFAULT_DATE)


@pytest.fixture(scope="module")
def raw_rows() -> list[dict]:
    if not DATA.is_file():
        pytest.fail(f"the real day of call records is missing: {DATA} (set HOTLINE_ANONYMOUS_BANK_CSV)")
    with open(DATA, newline="") as handle:
        return list(csv.DictReader(handle))


def _clock(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else math.nan


def raw_figures(rows: list[dict]) -> dict:
    """Straight from the file: a served call (AGENT) is answered; a HANG that reached the queue (q_start
    given) is abandoned; queue time is q_time, service time ser_time; the hour is that of queue entry (of
    leaving the VRU for the served calls that skipped the queue)."""
    answered = [r for r in rows if r["outcome"] == "AGENT"]
    abandoned = [r for r in rows if r["outcome"] == "HANG" and r["q_start"] != "0:00:00"]

    def hour(r):
        start = r["q_start"] if r["q_start"] != "0:00:00" else r["vru_exit"]
        return _clock(start) // 3600

    per_hour = defaultdict(lambda: {"answered": [], "abandoned": []})
    for r in answered:
        per_hour[hour(r)]["answered"].append(r)
    for r in abandoned:
        per_hour[hour(r)]["abandoned"].append(r)
    return {
        "answered": len(answered),
        "abandoned": len(abandoned),
        "vru_only": sum(r["outcome"] == "HANG" and r["q_start"] == "0:00:00" for r in rows),
        "phantom": sum(r["outcome"] == "PHANTOM" for r in rows),
        "mean_queue_answered": _mean(int(r["q_time"]) for r in answered),
        "mean_queue_abandoned": _mean(int(r["q_time"]) for r in abandoned),
        "mean_service": _mean(int(r["ser_time"]) for r in answered),
        "longest_queue": max(int(r["q_time"]) for r in answered + abandoned),
        "per_hour": {
            h: {
                "answered": len(v["answered"]),
                "abandoned": len(v["abandoned"]),
                "mean_queue_answered": _mean(int(r["q_time"]) for r in v["answered"]),
                "mean_service": _mean(int(r["ser_time"]) for r in v["answered"]),
            }
            for h, v in per_hour.items()
        },
        "answered_by_type": {t: sum(r["type"] == t for r in answered) for t in {r["type"] for r in answered}},
    }


def test_reports_from_the_imported_log_agree_with_the_raw_file(engine, raw_rows):
    raw = raw_figures(raw_rows)
    progress = []
    result = import_file(engine, DATA, progress=lambda done, total: progress.append((done, total)))
    assert result.rows == len(raw_rows)
    assert progress[0][0] == 0 and progress[-1] == (result.records, result.records)

    store = SqlEventLog(engine)
    log = store.frame(default_source(DATA))  # read back from the database
    assert len(log) == result.records == store.count()
    assert check_conservation(log) == []

    total = summary_kpis(log).iloc[0]
    assert total["answered"] == raw["answered"] == result.by_outcome["answered"]
    assert total["abandoned"] == raw["abandoned"] == result.by_outcome["abandoned"]
    assert total["offered"] == raw["answered"] + raw["abandoned"]
    assert total["to_callback"] == total["rejected"] == total["in_progress"] == 0
    assert total["asa"] == pytest.approx(raw["mean_queue_answered"], rel=1e-12)
    assert total["att"] == pytest.approx(raw["mean_service"], rel=1e-12)
    assert total["longest_wait"] == raw["longest_queue"]
    lives = call_lives(log)
    abandoned_wait = lives.loc[lives["outcome"] == "abandoned", "wait"].mean()
    assert abandoned_wait == pytest.approx(raw["mean_queue_abandoned"], rel=1e-12)
    verbs = log["verb"].value_counts()
    assert verbs[VRU_HANGUP] == raw["vru_only"] and verbs[PHANTOM] == raw["phantom"]

    hourly = interval_kpis(log, interval_s=3600, by_queue=False)
    hourly = hourly.loc[hourly["offered"] > 0]
    got = {int((row.interval_start - BASE) // 3600): row for row in hourly.itertuples()}
    assert sorted(got) == sorted(raw["per_hour"])
    for hour, want in raw["per_hour"].items():
        row = got[hour]
        assert (row.answered, row.abandoned) == (want["answered"], want["abandoned"]), hour
        for name, key in (("asa", "mean_queue_answered"), ("att", "mean_service")):
            value = getattr(row, name)
            assert (math.isnan(value) and math.isnan(want[key])) or value == pytest.approx(want[key], rel=1e-12), (
                hour,
                name,
            )

    by_queue = summary_kpis(log, by_queue=True)
    assert dict(zip(by_queue["queue"], by_queue["answered"])) == pytest.approx(
        {q: raw["answered_by_type"].get(q, 0) for q in by_queue["queue"]}
    )


def test_the_day_is_fixed_and_times_are_clock_times(engine, raw_rows):
    import_file(engine, DATA)
    log = SqlEventLog(engine).frame()
    first_enter = log.loc[log["verb"] == "ENTERQUEUE", "time"].min()
    first_queued = min(_clock(r["q_start"]) for r in raw_rows if r["q_start"] != "0:00:00")
    first_direct = min(_clock(r["vru_exit"]) for r in raw_rows if r["q_start"] == "0:00:00" and r["outcome"] == "AGENT")
    assert first_enter == BASE + min(first_queued, first_direct)
    assert BASE == 933436800.0  # 1999-08-01 00:00 in the site's zone (UTC+8)


def test_a_source_is_imported_once_unless_replaced(engine):
    first = import_file(engine, DATA)
    with pytest.raises(AlreadyImported):
        import_file(engine, DATA)
    import_file(engine, DATA, replace=True)
    assert SqlEventLog(engine).count() == first.records
    import_file(engine, DATA, source="again")
    assert SqlEventLog(engine).count() == 2 * first.records


def _copy_with(tmp_path: Path, line: int, text: str | None) -> Path:
    lines = DATA.read_text().splitlines()
    if text is None:
        lines.insert(line - 1, lines[line - 1])  # a repeated row
    else:
        lines[line - 1] = text
    path = tmp_path / "calls.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


LAST = 2376  # the file's last line


@pytest.mark.parametrize(
    "line, text, problem",
    [
        (LAST, "AA0105,9,PS,7:43:41,7:43:47,6,7:43:47,7:45:1x,83,AGENT,7:45:09,7:46:24,75,NAAMA,NAA", "q_exit"),
        (LAST, "AA0105,9,PS,7:43:41,7:43:47,6,7:43:47,7:45:10,83,SERVED,7:45:09,7:46:24,75,NAAMA,NAA", "outcome"),
        (LAST, "AA0105,9,PS,7:43:41,7:43:47,six,7:43:47,7:45:10,83,AGENT,7:45:09,7:46:24,75,NAAMA,NAA", "vru_time"),
        (LAST, "AA0105,9,PS,7:43:41,7:43:47,6,7:43:47,7:45:10,80,AGENT,7:45:09,7:46:24,75,NAAMA,NAA", "q_time"),
        (1000, "AA0105,9,PS,7:43:41", "fields"),
        (1, "vru+line,call_id,type", "header"),
        (2000, None, "repeats line 2000"),
    ],
)
def test_a_malformed_row_is_named_and_nothing_is_imported(engine, tmp_path, line, text, problem):
    path = _copy_with(tmp_path, line, text)
    bad_line = line + 1 if text is None else line
    with pytest.raises(ImportFormatError) as caught:
        import_file(engine, path)
    assert caught.value.line == bad_line
    assert f"{path}:{bad_line}: " in str(caught.value) and problem in str(caught.value)
    assert SqlEventLog(engine).count() == 0


def test_import_command_shows_progress_and_figures_and_refuses_bad_files(engine, database, tmp_path, monkeypatch):
    _, url = database
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(store_app(), ["import", "anonymous-bank", str(DATA)])
    assert result.exit_code == 0, result.output
    assert "imported 2375 calls" in result.output and "1511 answered, 728 abandoned" in result.output
    bad = _copy_with(tmp_path, LAST, "AA0105,9,PS,7:43:41,7:43:47,6,7:43:47,7:45:1x,83,AGENT,7:45:09,7:46:24,75,X,X")
    result = runner.invoke(store_app(), ["import", "anonymous-bank", str(bad), "--source", "bad"])
    assert result.exit_code == 2
    assert f":{LAST}: q_exit" in result.output and "nothing was imported" in result.output
    assert SqlEventLog(engine).count("bad") == 0
