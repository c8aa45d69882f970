"""The supervisor's back-office pages in a real Chromium: the airing schedule and the site configuration
(a bad file is refused whole, every problem shown with its line, nothing stored changes; a good one is stored)
and the reports with the Excel workbook."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from adapters.store.airings import SqlAirings
from adapters.store.eventlog import SqlEventLog
from adapters.store.site import SqlSiteConfigs
from core.config import SITE_ZONE
from core.log import NONE, LogRecord, Verb
from tests.browser import screenshot
from tests.integration.web.conftest import log_in

pytestmark = pytest.mark.browser
LIVE = Path(__file__).resolve().parents[3] / "scenarios" / "live_program.yaml"


def upload(page, form: str, tmp_path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    page.set_input_files(f"{form} input[type=file]", str(path))
    page.click(f"{form} button[type=submit]")
    page.wait_for_load_state()


def problem_rows(page) -> list[list[str]]:
    return [row.locator("td").all_inner_texts() for row in page.locator("#problems tbody tr").all()]


def test_a_schedule_upload_shows_every_problem_with_its_line_and_stores_nothing(site, page, tmp_path):
    tonight = (datetime.now(SITE_ZONE) + timedelta(days=1)).strftime("%Y-%m-%d")
    log_in(page, site.url, "sup", next_path="/office/airings")
    bad = (
        "id,channel,start,length,hotline,kind,cost\n"
        f"A1,CCTV-2,{tonight} 20:00,30m,4008001234,live,20000\n"
        "A2,CCTV-2,tonight,30m,4008001234,live,100\n"
        f"A3,Hunan,{tonight} 21:00,-5,4008001234,movie,lots\n"
    )
    upload(page, "#airings-upload", tmp_path, "schedule.csv", bad)
    rows = problem_rows(page)
    assert {r[0] for r in rows} >= {"schedule.csv:3", "schedule.csv:4"}
    assert {r[1] for r in rows} >= {"start", "length", "cost"}
    assert SqlAirings(site.engine).list() == []
    screenshot(page, "airings-refused")

    good = (
        bad.splitlines()[0] + "\n" + bad.splitlines()[1] + "\n" + f"A4,Hunan,{tonight} 21:00,15m,4008001234,spot,5000\n"
    )
    upload(page, "#airings-upload", tmp_path, "schedule.csv", good)
    assert page.locator("#problems").count() == 0
    assert page.locator("#airings tbody tr[data-airing]").evaluate_all("rows => rows.map(r => r.dataset.airing)") == [
        "A1",
        "A4",
    ]
    assert [a.airing_id for a in SqlAirings(site.engine).list()] == ["A1", "A4"]


def test_the_site_configuration_is_imported_from_the_page_and_a_bad_file_changes_nothing(site, page, tmp_path):
    log_in(page, site.url, "sup", next_path="/office/site")
    assert page.get_attribute("#site-version", "data-version") == "0"
    upload(page, "#site-import", tmp_path, "live_program.yaml", LIVE.read_text())
    assert page.get_attribute("#site-version", "data-version") == "1"
    assert "hotlines:" in page.inner_text("#site-yaml")

    text = LIVE.read_text().replace("wrapup: 15", "wrapup: soon")
    upload(page, "#site-import", tmp_path, "bad.yaml", text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "wrapup:" in row)
    assert ["bad.yaml:%d" % line, "policy.wrapup"] in [r[:2] for r in problem_rows(page)]
    assert page.get_attribute("#site-version", "data-version") == "1"
    assert SqlSiteConfigs(site.engine).latest().version == 1
    screenshot(page, "site-refused")


def test_reports_show_the_queue_table_and_offer_the_workbook(site, page):
    start = datetime(2026, 11, 23, 9, 0, tzinfo=SITE_ZONE).timestamp()
    SqlEventLog(site.engine).append(
        [
            LogRecord(start, "c1", "orders", NONE, Verb.ENTERQUEUE, "", "13800000000", 1, "4008001234", "normal"),
            LogRecord(start + 10, "c1", "orders", "agent001", Verb.CONNECT, 10, "c1", 1.0),
            LogRecord(start + 100, "c1", "orders", "agent001", Verb.COMPLETECALLER, 10, 90, 1),
            LogRecord(start + 200, "c2", "orders", NONE, Verb.ENTERQUEUE, "", "13800000001", 1, "4008001234", "normal"),
            LogRecord(start + 230, "c2", "orders", NONE, Verb.ABANDON, 1, 1, 30, 0),
        ]
    )
    log_in(page, site.url, "sup", next_path="/office/reports?kind=queues&interval=60")
    table = page.locator("section[data-report=queues] table")
    header = table.locator("thead th").all_inner_texts()
    row = dict(zip(header, table.locator("tbody tr").first.locator("td").all_inner_texts()))
    assert (row["interval"], row["queue"], row["offered"], row["answered"], row["abandoned"]) == (
        "2026-11-23 09:00",
        "orders",
        "2",
        "1",
        "1",
    )
    assert row["abandon_rate"] == "0.500"
    response = page.request.get(site.url + page.get_attribute("#workbook", "href"))
    assert response.status == 200 and response.body()[:2] == b"PK"  # an xlsx is a zip file
    screenshot(page, "reports")


def test_agents_may_not_open_the_back_office(site, page):
    log_in(page, site.url, "agent001", next_path="/agent")
    for path in ("/office/airings", "/office/site", "/office/reports"):
        assert page.request.get(site.url + path).status == 403
