"""Media · 媒体: per airing, channel, program and day -- calls, orders, revenue, cost per call and per order,
MER, revenue lost to abandons; click an airing to see its calls. The schedule is the store's, or an uploaded
CSV (the same reader as ``hotline report roi --airings``)."""

from __future__ import annotations

from dataclasses import asdict

import dash
from dash import Input, Output, State, callback, dash_table, dcc, html, no_update

from core.config import Airing
from dashboards import media_data
from dashboards.ui import bi, data_table, message, problems_list
from dashboards.uploads import upload_bytes
from inputs.problems import InputFileError

LABELS = {
    "airing": bi("airing", "节目档"),
    "channel": bi("channel", "频道"),
    "program": bi("program", "节目"),
    "day": bi("day", "日期"),
}


def layout(**_query) -> html.Div:
    return html.Div(
        [
            html.H2(bi("Media return per airing", "媒体投入产出")),
            html.Div(
                [
                    dcc.Upload(
                        html.Button(bi("Upload a schedule (CSV)", "上传节目单"), type="button"), id="media-upload"
                    ),
                    html.Span(
                        bi("default: the store's airings", "默认：数据库中的节目单"), style={"marginLeft": "1em"}
                    ),
                ]
            ),
            html.Div(
                [
                    html.Label(
                        [
                            bi("Group by", "分组") + " ",
                            dcc.RadioItems(
                                id="media-group",
                                options=[{"label": v, "value": k} for k, v in LABELS.items()],
                                value="airing",
                                inline=True,
                            ),
                        ]
                    ),
                    html.Label(
                        [
                            bi("Response window (min)", "响应窗口（分钟）") + " ",
                            dcc.Input(id="media-window", type="number", min=0, value=30, style={"width": "5em"}),
                        ]
                    ),
                ],
                style={"margin": "0.5em 0"},
            ),
            dcc.Store(id="media-schedule"),
            html.Div(id="media-problems"),
            data_table("media-roi", 25, row_selectable=False),
            html.H3(id="media-calls-title"),
            data_table("media-calls", 15, font_size="0.8em"),
        ]
    )


@callback(
    Output("media-schedule", "data"),
    Output("media-problems", "children"),
    Input("media-upload", "contents"),
    State("media-upload", "filename"),
    prevent_initial_call=True,
)
def upload(contents, filename):
    try:
        airings = media_data.schedule(upload_bytes(contents, filename), filename)
    except InputFileError as error:
        return no_update, problems_list(error.problems, "media-problem-list")
    return (
        {"name": filename, "airings": [asdict(a) for a in airings]},
        message(bi(f"{filename}: {len(airings)} airings", f"{len(airings)} 档节目"), "media-loaded"),
    )


def _airings(data) -> list[Airing]:
    if data:
        return [Airing(**a) for a in data["airings"]]
    return media_data.store_airings()


def _columns(table) -> list[dict]:
    money = {"revenue", "cost", "cost_per_call", "cost_per_order", "revenue_lost_to_abandonment"}
    return [
        {
            "name": c,
            "id": c,
            "type": "numeric" if c != "key" else "text",
            "format": dash_table.Format.Format(precision=2, scheme=dash_table.Format.Scheme.fixed)
            if c in money or c == "mer"
            else dash_table.Format.Format(precision=1, scheme=dash_table.Format.Scheme.fixed)
            if c != "key"
            else None,
        }
        for c in table.columns
    ]


@callback(
    Output("media-roi", "data"),
    Output("media-roi", "columns"),
    Input("media-schedule", "data"),
    Input("media-group", "value"),
    Input("media-window", "value"),
)
def roi(schedule, group, window):
    airings = _airings(schedule)
    response = media_data.model(float(window or 0))
    table = media_data.roi_by(media_data.log_for(airings, response.window), airings, group, response)
    return table.to_dict("records"), _columns(table)


@callback(
    Output("media-calls", "data"),
    Output("media-calls", "columns"),
    Output("media-calls-title", "children"),
    Input("media-roi", "active_cell"),
    State("media-roi", "data"),
    State("media-group", "value"),
    State("media-schedule", "data"),
    State("media-window", "value"),
    prevent_initial_call=True,
)
def drill_down(cell, rows, group, schedule, window):
    if not cell or group != "airing":
        return no_update, no_update, no_update
    airing_id = rows[cell["row"]]["key"]
    airings = _airings(schedule)
    response = media_data.model(float(window or 0))
    calls = media_data.airing_calls(media_data.log_for(airings, response.window), airings, airing_id, response)
    return (
        calls.to_dict("records"),
        [{"name": c, "id": c} for c in calls.columns],
        bi(f"Calls of {airing_id} ({len(calls)})", f"{airing_id} 的来电"),
    )


# registered last, with its layout: a page outside a pages folder must name it
dash.register_page(__name__, path="/media", name=bi("Media", "媒体"), title="Hotline · Media", order=2, layout=layout)
