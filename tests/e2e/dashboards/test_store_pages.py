"""The live, media and history pages on a store with real records, and bad uploads, in a real browser."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from adapters.store.eventlog import SqlEventLog
from adapters.store.plans import SqlPlans
from core.log import NONE, LogRecord
from core.orders import ORDER_PLACED
from dashboards import plan_data
from reports.eventlog import frame_to_records
from tests.browser import screenshot
from tests.helpers import ROOT, hotline, hotline_env
from twin.run import run_replication

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("dashboards")]  # one server per module, in order
BANK = ROOT / "tests" / "data" / "anonymous-bank" / "calls_one_day.csv"
LIVE_PROGRAM = ROOT / "scenarios" / "live_program.yaml"
SCHEDULE = (
    "id,channel,start,length,hotline,product,kind,cost\n"
    "live-2000-blender,Shopping TV 1,2026-11-23 20:00,60m,4008200200,BL-900 blender,live,80000\n"
)
BAD_SCHEDULE = (
    "id,channel,start,length,hotline\n"
    "a,Shopping TV 1,not a time,60m,4008200200\n"
    "b,Shopping TV 1,2026-11-23 21:00,-5m,4008200200\n"
)
BAD_SCENARIO = (
    Path(LIVE_PROGRAM)
    .read_text(encoding="utf-8")
    .replace("horizon: 90m", "horizon: soon")
    .replace("replications: 10", "replications: 10\nstaff: 3")
)


def save_plan(served, name: str) -> int:
    text = LIVE_PROGRAM.read_text(encoding="utf-8")
    results = plan_data.run_plan(text, name, replications=2)
    plan = SqlPlans(served.engine()).save(
        name, text, results, replications=2, seed=results["seed"], by="test", now=time.time()
    )
    return plan.id


def twin_day_with_orders(served) -> int:
    """One replication of the live program in the store, with an order on every third answered call."""
    scenario = plan_data.read_scenario(LIVE_PROGRAM.read_text(encoding="utf-8"), "live_program.yaml")
    records = frame_to_records(run_replication(scenario, 0).log)
    connects = [r for r in records if r.verb == "CONNECT"][::3]
    orders = [
        LogRecord(
            r.time + 120,
            r.call_id,
            NONE,
            r.agent,
            ORDER_PLACED,
            f"O{i}",
            399.0,
            "4008200200",
            "live-2000-blender",
            "C1",
        )
        for i, r in enumerate(connects)
    ]
    return SqlEventLog(served.engine()).append(records + orders, source="twin")


def upload(page, selector: str, name: str, text: str) -> None:
    page.set_input_files(
        f"{selector} input[type=file]", files=[{"name": name, "mimeType": "text/plain", "buffer": text.encode()}]
    )


@pytest.fixture(scope="module")
def bank_day(served) -> str:
    """The Anonymous Bank's day, imported with ``hotline import anonymous-bank``."""
    imported = hotline("import", "anonymous-bank", str(BANK), env=hotline_env(served.data_dir))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    return "1999-08-01"


def test_the_live_page_shows_an_imported_day_against_a_saved_plan(served, bank_day, page):
    plan_id = save_plan(served, "bank night")
    served.login(page, "admin")
    page.goto(f"{served.base}/dash/live")
    page.wait_for_selector("#live-totals")
    page.click("#live-day")
    page.click("text=1999-08-01")
    page.wait_for_function("() => document.querySelector('#live-totals').textContent.startsWith('1999-08-01')")
    traces = page.evaluate("""() => document.querySelector('#live-graph-offered .js-plotly-plot').data
                              .map(t => ({name: t.name, live: !!(t.meta && t.meta.live), n: (t.y || []).length,
                                          total: (t.y || []).reduce((a, b) => a + (b || 0), 0)}))""")
    live = [t for t in traces if t["live"]]
    assert live and live[0]["total"] == pytest.approx(
        int(page.inner_text("#live-totals").split(": ")[1].split(" calls")[0].replace(",", ""))
    )
    assert any("bank night" in (t["name"] or "") for t in traces)  # the plan's band under the day
    assert plan_id > 0
    screenshot(page, "dash-live")


def test_the_media_page_shows_an_uploaded_schedules_roi_and_an_airings_calls(served, page):
    twin_day_with_orders(served)
    served.login(page, "planner")
    page.goto(f"{served.base}/dash/media")
    upload(page, "#media-upload", "schedule.csv", SCHEDULE)
    page.wait_for_selector("#media-loaded")
    page.wait_for_function("""() => [...document.querySelectorAll('#media-roi td')]
                              .some(td => td.textContent.includes('live-2000-blender'))""")
    row = page.locator("#media-roi tr", has_text="live-2000-blender")
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    header = [h.strip() for h in page.locator("#media-roi th").all_inner_texts() if h.strip()]
    values = dict(zip(header, cells))
    assert float(values["calls"]) > 500 and float(values["revenue"]) > 0 and float(values["mer"]) > 0
    assert float(values["revenue_lost_to_abandonment"]) > 0
    row.locator("td").first.click()
    page.wait_for_function("() => document.querySelectorAll('#media-calls tbody tr').length > 1")
    assert "live-2000-blender" in page.inner_text("#media-calls-title")
    screenshot(page, "dash-media")

    upload(page, "#media-upload", "bad.csv", BAD_SCHEDULE)
    page.wait_for_selector("#media-problem-list")
    problems = page.locator("#media-problem-list li.problem").all_inner_texts()
    assert any(p.startswith("bad.csv:2: start:") for p in problems), problems
    assert any(p.startswith("bad.csv:3: length:") for p in problems), problems


def test_a_malformed_scenario_shows_every_problem_and_changes_nothing_saved(served, page):
    save_plan(served, "kept")
    before = [(p.id, p.name, p.scenario) for p in SqlPlans(served.engine()).list()]
    served.login(page, "planner")
    page.goto(f"{served.base}/dash/plan")
    page.wait_for_selector("#plan-saved-table")
    upload(page, "#plan-upload-scenario", "tonight.yaml", BAD_SCENARIO)
    page.wait_for_selector("#plan-problem-list")
    problems = page.locator("#plan-problem-list li.problem").all_inner_texts()
    assert any(p.startswith("tonight.yaml:6: horizon:") for p in problems), problems
    assert any(p.startswith("tonight.yaml:10: staff: unknown key") for p in problems), problems
    upload(page, "#plan-upload-schedule", "airings.csv", BAD_SCHEDULE)
    page.wait_for_function("() => document.querySelector('#plan-problem-list').textContent.includes('airings.csv:2')")
    assert page.locator("#plan-loaded").inner_text().startswith("Loaded live_program.yaml")
    assert [(p.id, p.name, p.scenario) for p in SqlPlans(served.engine()).list()] == before
    screenshot(page, "dash-plan-problems")


def test_the_history_page_shows_days_of_kpis_and_the_arrival_curve(served, bank_day, page):
    served.login(page, "admin")
    page.goto(f"{served.base}/dash/history")
    page.wait_for_function("() => document.querySelectorAll('#history-table tbody tr').length >= 1")
    assert bank_day in page.inner_text("#history-table")
    bars = page.evaluate("() => document.querySelector('#history-arrivals .js-plotly-plot').data[0].y.length")
    assert bars > 0
