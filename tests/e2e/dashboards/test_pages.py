"""The dashboards in a real browser (Debian's Chromium), mounted at /dash of ``hotline serve``."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from dashboards import plan_data
from tests.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("dashboards")]
RUN_TIMEOUT_MS = 240_000  # two twin runs of the live program on a loaded two-core machine


def plan_traces(page, metric: str) -> list[str]:
    """Names of the plans drawn in the plan page's ``metric`` graph (plotly keeps them on the graph's div)."""
    return page.evaluate(
        """(metric) => (document.querySelector(`#plan-graph-${metric} .js-plotly-plot`).data || [])
             .filter(t => t.meta && t.meta.plan).map(t => t.meta.plan)""",
        metric,
    )


def run_plan(page, name: str) -> None:
    page.fill("#plan-name", name)
    page.click("#plan-run")
    page.wait_for_function(
        """(name) => [...document.querySelectorAll('#plan-summary-table .plan-row td:first-child')]
                      .some(td => td.textContent === name)""",
        arg=name,
        timeout=RUN_TIMEOUT_MS,
    )


def test_the_plan_page_runs_the_live_program_and_compares_two_plans(served, page):
    served.login(page, "planner")
    page.goto(f"{served.base}/dash/plan")
    page.wait_for_selector("#plan-grid .ag-cell[col-id='20:45']")
    run_plan(page, "A")
    # plan B: 40 more agents on the order line in the countdown surge (20:45)
    cell = page.locator("#plan-grid .ag-row[row-index='0'] .ag-cell[col-id='20:45']")
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("230")
    page.keyboard.press("Enter")
    page.wait_for_function("""() => document.querySelector("#plan-grid .ag-row[row-index='0'] .ag-cell[col-id='20:45']")
                                    .textContent.trim() === '230'""")
    run_plan(page, "B")
    for metric in ("offered", "sl_offered", "abandon_rate", "asa", "occupancy"):
        assert sorted(plan_traces(page, metric)) == ["A", "B"], metric
    sl = page.evaluate("""() => Object.fromEntries(document.querySelector('#plan-graph-sl_offered .js-plotly-plot').data
                          .filter(t => t.meta && t.meta.plan).map(t => [t.meta.plan, t.y]))""")
    assert sl["B"][3] > sl["A"][3]  # more agents in the surge: a better service level there
    screenshot(page, "dash-plan")

    page.click("#plan-which")
    page.locator(".dash-dropdown-option").filter(has_text=re.compile(r"^B$")).click()
    page.click("#plan-save")
    page.wait_for_selector("#plan-saved-ok")
    saved = page.locator("#plan-saved-table tr.saved-plan").first.locator("td").all_inner_texts()
    assert saved[1] == "B" and saved[3] == "planner"  # saved by the console user the login names
    with page.expect_download() as download:
        page.click("#plan-export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("name:"), exported[:300]
    assert plan_data.staffing_rows(plan_data.read_scenario(exported, "B.yaml"))[0]["20:45"] == 230


def test_an_agent_is_refused_and_a_stranger_must_log_in(served, page):
    served.login(page, "agent")
    response = page.goto(f"{served.base}/dash/plan")
    assert response.status == 403
    assert "may not open" in page.inner_text("#refused")
    assert httpx.get(f"{served.base}/dash/plan", timeout=10).status_code == 401
    bearer = httpx.get(
        f"{served.base}/dash/plan", timeout=10, headers={"Authorization": f"Bearer {served.tokens['admin']}"}
    )
    assert bearer.status_code == 200
