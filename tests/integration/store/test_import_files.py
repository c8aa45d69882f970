"""Importing real records as a planner meets them: a wait that runs past midnight, a folder of files in one
command, the site's time zone (and a wrong one), and odd rows named rather than silently kept."""

from __future__ import annotations

import datetime as dt
import shutil
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from typer.testing import CliRunner

from adapters.store.anonymous_bank import ImportFormatErrors, day_start, import_file, import_files
from adapters.store.eventlog import SqlEventLog
from core.log import Verb
from entrypoints.store_cli import store_app
from reports.call_lives import call_lives
from reports.tables import agent_report, queue_report
from tests.integration.store.test_import import DATA

HEADER = "vru+line,call_id,type,vru_entry,vru_exit,vru_time,q_start,q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server,server_abv\n"
MIDNIGHT = HEADER + (
    "AA0101,1,PS,23:58:00,23:58:30,30,23:58:30,23:59:10,40,AGENT,23:59:10,0:03:10,240,AVI,AVI\n"
    "AA0101,2,PS,23:59:00,23:59:20,20,23:59:20,0:00:50,90,HANG,0:00:00,0:00:00,0,NO_SERVER,NO_\n"
    "AA0102,3,PS,23:59:30,23:59:50,20,23:59:50,0:02:00,130,AGENT,0:01:59,0:04:59,180,DORIT,DOR\n"
)


def test_a_wait_that_runs_past_midnight_is_imported_as_the_row_says(engine, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(MIDNIGHT)
    result = import_file(engine, path)
    assert result.by_outcome["answered"] == 2 and result.by_outcome["abandoned"] == 1
    lives = call_lives(SqlEventLog(engine).frame()).set_index("call_id")
    base = day_start(dt.date(1999, 8, 1))
    assert lives.loc["19990801-AA0101-2", "outcome"] == "abandoned" and lives.loc["19990801-AA0101-2", "wait"] == 90
    assert lives.loc["19990801-AA0101-2", "ended_at"] == base + 86400 + 50  # 00:00:50 the next day
    assert lives.loc["19990801-AA0102-3", "wait"] == 130 and lives.loc["19990801-AA0102-3", "talk"] == 180


def test_negative_vru_times_are_named_by_line(engine):
    result = import_file(engine, DATA)
    assert len(result.warnings) == 3
    assert all(":vru_time:" not in w and "vru_time: -" in w and "kept as it is" in w for w in result.warnings)
    assert any(w.startswith(f"{DATA}:") and "-87 s is negative" in w for w in result.warnings)


def _offered_per_day(frame, utc_offset_h=None) -> pd.Series:
    """Calls offered per local day of the queue report (its all-queues total row left out)."""
    days = queue_report(frame, interval_s=86400, utc_offset_h=utc_offset_h)
    return days.loc[days["interval"] != "all"].groupby("interval")["offered"].sum()


def _day_files(folder, days=("1999-08-01", "1999-08-02", "1999-08-03")):
    folder.mkdir()
    for day in days:
        shutil.copy(DATA, folder / f"calls_{day}.csv")
    return folder


def test_a_folder_of_files_in_one_command(engine, database, tmp_path, monkeypatch):
    folder = _day_files(tmp_path / "days")
    _, url = database
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    result = CliRunner().invoke(store_app(), ["import", "anonymous-bank", str(folder)])
    assert result.exit_code == 0, result.output
    assert "3 file(s), 7125 rows" in result.output and result.output.count("imported 2375 calls") == 3
    store = SqlEventLog(engine)
    sources = [f"anonymous-bank/calls_{d}/{d}" for d in ("1999-08-01", "1999-08-02", "1999-08-03")]
    counts = [store.count(source) for source in sources]
    assert counts[0] > 0 and counts == [counts[0]] * 3
    offered = _offered_per_day(store.frame())
    assert offered.to_dict() == {"1999-08-01 00:00": 2239, "1999-08-02 00:00": 2239, "1999-08-03 00:00": 2239}


def test_bad_files_in_a_folder_are_all_named_and_nothing_is_stored(engine, tmp_path):
    folder = _day_files(tmp_path / "days", ("1999-08-01", "1999-08-02"))
    lines = DATA.read_text().splitlines()
    for name, line in (("calls_1999-08-01.csv", 10), ("calls_1999-08-02.csv", 20)):
        broken = list(lines)
        broken[line - 1] = broken[line - 1].replace("PS,", "PS,x", 1)
        (folder / name).write_text("\n".join(broken) + "\n")
    (folder / "calls_1999-08-03.csv").write_text(DATA.read_text())
    with pytest.raises(ImportFormatErrors) as caught:
        import_files(engine, [folder])
    assert [(e.path.rsplit("/", 1)[-1], e.line) for e in caught.value.errors] == [
        ("calls_1999-08-01.csv", 10),
        ("calls_1999-08-02.csv", 20),
    ]
    assert SqlEventLog(engine).count() == 0


def test_the_site_zone_keeps_the_day_whole_and_a_wrong_zone_splits_it(engine):
    import_file(engine, DATA, source="site")
    import_file(engine, DATA, source="utc", zone=ZoneInfo("UTC"))
    store = SqlEventLog(engine)
    site_days = _offered_per_day(store.frame("site"))
    assert site_days.to_dict() == {"1999-08-01 00:00": 2239}
    # read as UTC, the same clock times fall 8 hours later in the site's zone: the day is cut in two
    utc_days = _offered_per_day(store.frame("utc"))
    assert sorted(utc_days.index) == ["1999-08-01 00:00", "1999-08-02 00:00"] and utc_days.sum() == 2239
    # and reported in the zone the records were imported in, it is whole again
    assert len(_offered_per_day(store.frame("utc"), utc_offset_h=0)) == 1
    agents = agent_report(store.frame("site"), "day")
    assert set(agents["period"]) == {"1999-08-01"}
    first = store.frame("site")
    enter = first.loc[first["verb"] == Verb.ENTERQUEUE, "time"].min()
    assert dt.datetime.fromtimestamp(enter, ZoneInfo("Asia/Shanghai")).strftime("%H:%M:%S") == "06:57:47"


def test_an_unknown_zone_is_refused(engine, database, monkeypatch):
    _, url = database
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    result = CliRunner().invoke(store_app(), ["import", "anonymous-bank", str(DATA), "--zone", "Mars/Olympus"])
    assert result.exit_code == 2 and "not a time zone name" in result.output
    assert SqlEventLog(engine).count() == 0
