"""Live · 实时对比: a day from the store's event log, per interval and per airing, on the saved plan's bands;
refreshes every few seconds (``dcc.Interval``) while the day is today."""

from __future__ import annotations

import dash
from dash import Input, Output, callback, dcc, html

from dashboards import figures, live_data
from dashboards.ui import bi, data_table

GRAPHS = ("offered", "sl_offered", "abandon_rate", "asa")
REFRESH_MS = 5000


def layout(**_query) -> html.Div:
    days = live_data.days()
    plans = live_data.plan_options()
    return html.Div(
        [
            html.H2(bi("The day against its plan", "当日实际与计划对比")),
            html.Div(
                [
                    html.Label(
                        [
                            bi("Day", "日期") + " ",
                            dcc.Dropdown(
                                id="live-day",
                                options=days,
                                clearable=False,
                                value=days[-1] if days else None,
                                style={"width": "12em"},
                            ),
                        ],
                        style={"display": "inline-block", "marginRight": "1em"},
                    ),
                    html.Label(
                        [
                            bi("Plan", "计划") + " ",
                            dcc.Dropdown(
                                id="live-plan",
                                options=plans,
                                value=plans[0]["value"] if plans else None,
                                style={"width": "20em"},
                            ),
                        ],
                        style={"display": "inline-block"},
                    ),
                ]
            ),
            dcc.Interval(id="live-refresh", interval=REFRESH_MS),
            html.Div(id="live-summary", style={"margin": "0.5em 0"}),
            html.Div(
                [dcc.Graph(id=f"live-graph-{metric}", config={"displaylogo": False}) for metric in GRAPHS],
                style={"display": "grid", "gridTemplateColumns": "1fr 1fr", "gap": "0.5em"},
            ),
            html.H3(bi("Per airing", "各档节目")),
            data_table("live-airings", 20),
        ]
    )


@callback(
    [Output(f"live-graph-{metric}", "figure") for metric in GRAPHS]
    + [Output("live-summary", "children"), Output("live-airings", "data"), Output("live-airings", "columns")],
    Input("live-day", "value"),
    Input("live-plan", "value"),
    Input("live-refresh", "n_intervals"),
)
def refresh(day, plan_id, _tick):
    view = live_data.day_view(day, plan_id)
    graphs = [figures.live_against_plan(view.intervals, view.plan, metric, view.shift) for metric in GRAPHS]
    totals = view.totals
    summary = (
        html.Span(
            bi(
                f"{day or '-'}: {totals['offered']:,.0f} calls, {totals['answered']:,.0f} answered, "
                f"{totals['abandoned']:,.0f} abandoned",
                "呼入 / 接通 / 放弃",
            ),
            id="live-totals",
        )
        if day
        else None
    )
    columns = [{"name": c, "id": c} for c in view.airings.columns]
    return graphs + [summary, view.airings.to_dict("records"), columns]


# registered last, with its layout: a page outside a pages folder must name it
dash.register_page(
    __name__, path="/live", name=bi("Live against plan", "实时对比计划"), title="Hotline · Live", order=1, layout=layout
)
