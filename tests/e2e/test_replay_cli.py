"""``hotline replay`` end to end: recorded live journals, a recorded day of the store, golden suites; JUnit XML
validated against the JUnit schema; the HTML report opened in real Chromium with its charts drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from tests.helpers import ROOT, hotline
from tests.unit.test_journal_replay import LINEAR, write_journal

JOURNALS = ROOT / "tests" / "data" / "journals"
BANK = ROOT / "tests" / "data" / "anonymous-bank" / "calls_one_day.csv"
SCHEMA = xmlschema.XMLSchema(ROOT / "tests" / "data" / "junit" / "junit.xsd")


def trace(day: str) -> tuple[str, ...]:
    """The options of ``hotline replay`` for a what-if on the recorded day ``day``, unchanged (in UTC)."""
    return (
        "--trace",
        day,
        "--zone",
        "UTC",
        "--scenario",
        str(ROOT / "scenarios" / "trace" / "anonymous_bank_unchanged.yaml"),
    )


@pytest.fixture(scope="module")
def bank_store(tmp_path_factory):
    """A SQLite store holding the imported real day."""
    folder = tmp_path_factory.mktemp("store")
    env = {"HOTLINE_DATA_DIR": str(folder), "HOTLINE_DATABASE_URL": ""}
    result = hotline("import", "anonymous-bank", str(BANK), "--zone", "UTC", env=env)  # the trace scenario is in UTC
    assert result.returncode == 0, result.stderr
    return env


@pytest.mark.parametrize("name", sorted(p.name for p in JOURNALS.iterdir()))
def test_live_journals_replayed_give_zero_differences(name, tmp_path):
    junit = tmp_path / "journal.xml"
    result = hotline("replay", "--journal", str(JOURNALS / name), "--junit", str(junit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 calls differ" in result.stdout
    SCHEMA.validate(str(junit))
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("failures") == "0" and suite.get("name") == name


def test_changed_strategy_reports_the_differences_as_junit_failures(tmp_path):
    write_journal(tmp_path, config=LINEAR)
    junit = tmp_path / "out.xml"
    result = hotline("replay", "--journal", str(tmp_path), "--strategy", "longestidle", "--junit", str(junit))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 calls differ" in result.stdout
    SCHEMA.validate(str(junit))
    failures = [f.get("message") for f in ET.parse(junit).getroot().iter("failure")]
    assert "c1: line 3 (CallArrived): recorded ring a1, replayed ring a2" in failures
    assert "c2: line 5 (CallArrived): recorded ring a2, replayed ring a1" in failures


def test_junit_schema_rejects_what_ci_servers_would(tmp_path):
    """The schema is not a rubber stamp: a report without the required attributes does not validate."""
    bad = tmp_path / "bad.xml"
    bad.write_text('<testsuites><testsuite name="x"><testcase name="a"/></testsuite></testsuites>', encoding="utf-8")
    assert not SCHEMA.is_valid(str(bad))


def test_truncated_and_foreign_journals_are_refused_naming_file_and_line(tmp_path):
    path = write_journal(tmp_path)
    path.write_text(path.read_text(encoding="utf-8")[:-20], encoding="utf-8")
    result = hotline("replay", "--journal", str(path))
    assert result.returncode == 2 and f"{path}:8:" in result.stderr and "truncated" in result.stderr
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text('{"type":"LogIn","now":1,"agent_id":"a1"}\n{"event":"StasisStart"}\n', encoding="utf-8")
    result = hotline("replay", "--journal", str(foreign))
    assert result.returncode == 2 and f"{foreign}:2:" in result.stderr


def test_trace_of_the_real_day_writes_junit_and_html(bank_store, tmp_path):
    junit, report = tmp_path / "trace.xml", tmp_path / "trace.html"
    result = hotline(
        "replay",
        *trace("1999-08-01"),
        "--junit",
        str(junit),
        "--html",
        str(report),
        env=bank_store,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1511" in result.stdout and "728" in result.stdout
    SCHEMA.validate(str(junit))
    assert "<script" in report.read_text(encoding="utf-8") and "http" not in _script_sources(report)


def test_trace_of_an_empty_day_is_refused(bank_store):
    result = hotline(
        "replay",
        *trace("2001-01-01"),
        env=bank_store,
    )
    assert result.returncode == 2 and "no calls arrived on 2001-01-01" in result.stderr


def test_golden_suite_pins_the_recorded_day(bank_store, tmp_path):
    junit = tmp_path / "golden.xml"
    result = hotline("replay", str(ROOT / "scenarios" / "qa-golden"), "--junit", str(junit), env=bank_store)
    assert result.returncode == 0, result.stdout + result.stderr
    SCHEMA.validate(str(junit))
    cases = {c.get("name") for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases == {"answered", "abandoned"}


def _script_sources(report: Path) -> str:
    import re

    return " ".join(re.findall(r'<script[^>]*src="([^"]*)"', report.read_text(encoding="utf-8")))


@pytest.mark.browser
def test_html_report_shows_the_charts_in_chromium(page, bank_store, tmp_path):
    from tests.browser import screenshot

    report = tmp_path / "report.html"
    result = hotline(
        "replay",
        *trace("1999-08-01"),
        "--html",
        str(report),
        env=bank_store,
    )
    assert result.returncode == 0, result.stderr
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:") else route.continue_())
    page.goto(report.as_uri())
    chart = page.locator(".js-plotly-plot")
    chart.first.wait_for(state="visible")
    assert page.locator(".js-plotly-plot .scatterlayer .trace").count() == 6  # 3 counts x recorded/twin
    assert "质量检查报告" in page.content()
    assert page.locator("td.pass").count() == 3 and page.locator("td.fail").count() == 0  # offered, answered, abandoned
    screenshot(page, "qa-report")


def test_journal_of_a_day_from_the_live_directory(tmp_path):
    """``--journal DAY`` replays the live directory's journal (HOTLINE_LIVE_DIR) up to that day's end."""
    from datetime import datetime, timedelta

    from core.config import SITE_ZONE
    from qa.journal_replay import read_journal

    live = JOURNALS / "three_calls_two_agents"
    first = read_journal(live / "journal.jsonl")[0].message.now
    day = datetime.fromtimestamp(first, SITE_ZONE).date()
    result = hotline("replay", "--journal", day.isoformat(), env={"HOTLINE_LIVE_DIR": str(live)})
    assert result.returncode == 0 and "3 calls" in result.stdout and "0 calls differ" in result.stdout, result.stdout
    later = (day + timedelta(days=1)).isoformat()
    result = hotline("replay", "--journal", later, env={"HOTLINE_LIVE_DIR": str(live)})
    assert result.returncode == 2 and f"no messages on {later}" in result.stderr and "journal.jsonl" in result.stderr
