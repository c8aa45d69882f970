"""History · 历史: days, weeks or months of KPIs from the store, and the chosen day's arrival curve."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, callback, dcc, html

from dashboards import figures, history_data, live_data
from dashboards.ui import bi, data_table


def layout(**_query) -> html.Div:
    days = live_data.days()
    return html.Div(
        [
            html.H2(bi("KPI history", "历史指标")),
            dcc.RadioItems(
                id="history-period",
                value="day",
                inline=True,
                options=[
                    {"label": bi("days", "日"), "value": "day"},
                    {"label": bi("weeks", "周"), "value": "week"},
                    {"label": bi("months", "月"), "value": "month"},
                ],
            ),
            dcc.Graph(id="history-graph", config={"displaylogo": False}),
            data_table("history-table", 15),
            html.Label(
                [
                    bi("Day", "日期") + " ",
                    dcc.Dropdown(
                        id="history-day", options=days, value=days[-1] if days else None, style={"width": "12em"}
                    ),
                ]
            ),
            dcc.Graph(id="history-arrivals", config={"displaylogo": False}),
        ]
    )


@callback(
    Output("history-graph", "figure"),
    Output("history-table", "data"),
    Output("history-table", "columns"),
    Input("history-period", "value"),
)
def per_period(period):
    table = history_data.kpis_per_period(period or "day").round(3)
    return figures.kpi_history(table), table.to_dict("records"), [{"name": c, "id": c} for c in table.columns]


@callback(Output("history-arrivals", "figure"), Input("history-day", "value"))
def arrivals(day):
    return figures.arrival_curve(history_data.arrivals(day) if day else pd.DataFrame())


# registered last, with its layout: a page outside a pages folder must name it
dash.register_page(
    __name__, path="/history", name=bi("History", "历史"), title="Hotline · History", order=3, layout=layout
)
