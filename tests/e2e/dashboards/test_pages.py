"""The dashboards in a real browser (Debian's Chromium), mounted at /dash of ``hotline serve``."""

from __future__ import annotations

import httpx
import pytest

from tests.browser import screenshot

pytestmark = pytest.mark.browser
RUN_TIMEOUT_MS = 240_000  # two twin runs of the live program on a loaded two-core machine


def plan_traces(page, metric: str) -> list[str]:
    """Names of the plans drawn in the plan page's ``metric`` graph (plotly keeps them on the graph's div)."""
    return page.evaluate(
        """(metric) => (document.querySelector(`#plan-graph-${metric} .js-plotly-plot`).data || [])
             .filter(t => t.meta && t.meta.plan).map(t => t.meta.plan)""", metric)


def run_plan(page, name: str) -> None:
    page.fill("#plan-name", name)
    page.click("#plan-run")
    page.wait_for_function(
        """(name) => [...document.querySelectorAll('#plan-summary-table .plan-row td:first-child')]
                      .some(td => td.textContent === name)""", arg=name, timeout=RUN_TIMEOUT_MS)


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


def test_an_agent_is_refused_and_a_stranger_must_log_in(served, page):
    served.login(page, "agent")
    response = page.goto(f"{served.base}/dash/plan")
    assert response.status == 403
    assert "may not open" in page.inner_text("#refused")
    assert httpx.get(f"{served.base}/dash/plan", timeout=10).status_code == 401
    bearer = httpx.get(f"{served.base}/dash/plan", timeout=10,
                       headers={"Authorization": f"Bearer {served.tokens['admin']}"})
    assert bearer.status_code == 200
