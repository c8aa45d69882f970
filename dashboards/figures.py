"""The dashboards' figures (plotly), from the data modules' plain results: no query and no twin run here.

A KPI over the day is drawn as a line with its 95% band (a filled area between the band's edges); the
Erlang-A / MOL estimate as a dashed line beside the simulation; live figures as markers on top.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

import pandas as pd
import plotly.graph_objects as go

from core.config import SITE_ZONE
from dashboards.ui import bi

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
METRICS: dict[str, tuple[str, str, bool]] = {  # metric -> English, Chinese, a share (shown as %)
    "offered": ("Offered calls", "呼入量", False),
    "sl_offered": ("Service level", "服务水平", True),
    "abandon_rate": ("Abandon rate", "放弃率", True),
    "asa": ("ASA (s)", "平均应答时间（秒）", False),
    "occupancy": ("Occupancy", "座席占用率", True),
}
ANALYTIC_OF = {"sl_offered": "sl_offered", "abandon_rate": "p_abandon", "asa": "asa"}  # Erlang-A / MOL columns


def clock(epochs: Sequence[float], zone=SITE_ZONE) -> list[str]:
    return [datetime.fromtimestamp(t, zone).strftime("%H:%M") for t in epochs]


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _layout(figure: go.Figure, metric: str, title: str) -> go.Figure:
    _, _, share = METRICS[metric]
    figure.update_layout(
        title=title,
        margin={"l": 50, "r": 10, "t": 40, "b": 30},
        height=300,
        legend={"orientation": "h", "y": -0.2},
        template="plotly_white",
    )
    if share:
        figure.update_yaxes(tickformat=".0%")
    return figure


def values(column: pd.Series | None) -> list | None:
    """Plain numbers (None for NaN), so a figure's data reads the same in Python and in the browser."""
    return None if column is None else [None if v != v else float(v) for v in column]


def add_band(figure: go.Figure, x: list[str], rows: pd.DataFrame, metric: str, name: str, color: str) -> None:
    """The metric's mean as a line and its 95% band as a filled area (``<metric>_ci_low/_high``)."""
    low, high = values(rows.get(f"{metric}_ci_low")), values(rows.get(f"{metric}_ci_high"))
    if low is not None and high is not None:
        figure.add_trace(
            go.Scatter(
                x=x, y=high, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip", legendgroup=name
            )
        )
        figure.add_trace(
            go.Scatter(
                x=x,
                y=low,
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=_rgba(color, 0.18),
                name=f"{name} 95%",
                legendgroup=name,
                hoverinfo="skip",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=values(rows[metric]),
            mode="lines+markers",
            name=name,
            line={"color": color},
            legendgroup=name,
            meta={"plan": name, "metric": metric},
        )
    )


def plan_comparison(plans: list[dict[str, Any]], metric: str) -> go.Figure:
    """Every plan's per-interval ``metric`` with its band, and the Erlang-A / MOL line beside each."""
    english, chinese, _ = METRICS[metric]
    figure = go.Figure()
    for i, plan in enumerate(plans):
        color = PALETTE[i % len(PALETTE)]
        rows = pd.DataFrame(plan["intervals"])
        if rows.empty:
            continue
        x = clock(rows["interval_start"])
        add_band(figure, x, rows, metric, plan["name"], color)
        column = ANALYTIC_OF.get(metric)
        analytic = pd.DataFrame(plan.get("analytic") or [])
        if column and not analytic.empty:
            figure.add_trace(
                go.Scatter(
                    x=clock(analytic["interval_start"]),
                    y=values(analytic[column]),
                    mode="lines",
                    name=f"{plan['name']} Erlang-A/MOL",
                    line={"color": color, "dash": "dash"},
                    legendgroup=plan["name"],
                )
            )
    return _layout(figure, metric, bi(english, chinese))


def cost_against_loss(plans: list[dict[str, Any]]) -> go.Figure:
    """Agent-hours each plan pays against the revenue it loses to abandoned calls."""
    figure = go.Figure()
    for i, plan in enumerate(plans):
        figure.add_trace(
            go.Scatter(
                x=[plan["agent_hours"]],
                y=[plan["revenue_lost"]],
                mode="markers+text",
                text=[plan["name"]],
                textposition="top center",
                name=plan["name"],
                marker={"size": 14, "color": PALETTE[i % len(PALETTE)]},
            )
        )
    figure.update_layout(
        title=bi("Agent-hours against revenue lost to abandons", "座席工时与放弃损失收入"),
        xaxis_title=bi("agent-hours", "座席工时"),
        yaxis_title=bi("revenue lost (yuan)", "损失收入（元）"),
        height=320,
        margin={"l": 60, "r": 10, "t": 40, "b": 40},
        template="plotly_white",
    )
    return figure


def live_against_plan(
    live: pd.DataFrame, plan: dict[str, Any] | None, metric: str, shift: float, zone=SITE_ZONE
) -> go.Figure:
    """The day's ``metric`` per interval as markers on the saved plan's band; ``shift`` moves the plan's times
    onto the day (same clock time)."""
    english, chinese, _ = METRICS[metric]
    figure = go.Figure()
    if plan is not None:
        rows = pd.DataFrame(plan["results"]["intervals"])
        if not rows.empty:
            add_band(
                figure,
                clock(rows["interval_start"] + shift, zone),
                rows,
                metric,
                bi(f"plan {plan['name']}", "计划"),
                PALETTE[0],
            )
    if not live.empty:
        figure.add_trace(
            go.Scatter(
                x=clock(live["interval_start"], zone),
                y=values(live[metric]),
                mode="markers+lines",
                name=bi("live", "实际"),
                line={"color": "#111", "width": 1},
                marker={"size": 7, "color": "#111"},
                meta={"live": True, "metric": metric},
            )
        )
    figure.update_xaxes(categoryorder="category ascending")
    return _layout(figure, metric, bi(english, chinese))


def arrival_curve(day: pd.DataFrame, zone=SITE_ZONE) -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=clock(day["interval_start"], zone) if not day.empty else [],
            y=values(day["offered"]) if not day.empty else [],
            name=bi("offered", "呼入"),
        )
    )
    figure.update_layout(
        title=bi("The day's arrivals per interval", "当日各时段呼入量"),
        height=300,
        margin={"l": 50, "r": 10, "t": 40, "b": 30},
        template="plotly_white",
    )
    return figure


def kpi_history(table: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    if not table.empty:
        figure.add_trace(go.Bar(x=table["period"], y=values(table["offered"]), name=bi("offered", "呼入量"), yaxis="y"))
        for column, name in (
            ("sl_offered", bi("service level", "服务水平")),
            ("abandon_rate", bi("abandon rate", "放弃率")),
        ):
            line = go.Scatter(x=table["period"], y=values(table[column]), name=name, yaxis="y2", mode="lines+markers")
            figure.add_trace(line)
    figure.update_layout(
        title=bi("KPIs per period", "各期关键指标"),
        height=340,
        template="plotly_white",
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1]},
        margin={"l": 50, "r": 50, "t": 40, "b": 30},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure
