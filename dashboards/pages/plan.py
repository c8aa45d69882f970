"""Plan · 计划: pick or upload a scenario (or a schedule CSV plus a staffing table), edit staffing per
interval, run replications in the twin (a background callback with a progress bar) and compare plans."""

from __future__ import annotations

import time

import dash
import dash_ag_grid as dag
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboards import figures, plan_data
from dashboards.services import current_user
from dashboards.ui import bi, message, problems_list
from dashboards.uploads import upload_bytes, upload_text
from inputs.problems import InputFileError

DEFAULT_SCENARIO = "live_program"
GRAPHS = tuple(figures.METRICS)


def _field(label: str, component) -> html.Label:
    return html.Label(
        [html.Span(label, style={"display": "block", "fontSize": "0.85em"}), component],
        style={"display": "inline-block", "marginRight": "1em", "verticalAlign": "top"},
    )


def _upload(element_id: str, text: str) -> dcc.Upload:
    return dcc.Upload(html.Button(text, type="button"), id=element_id, multiple=False)


def layout(**_query) -> html.Div:
    scenarios = plan_data.shipped_scenarios()
    return html.Div(
        [
            html.H2(bi("Staffing plans", "排班计划")),
            html.Div(
                [
                    _field(
                        bi("Scenario", "场景"),
                        dcc.Dropdown(
                            id="plan-source",
                            options=list(scenarios),
                            clearable=False,
                            value=DEFAULT_SCENARIO if DEFAULT_SCENARIO in scenarios else None,
                            style={"width": "16em"},
                        ),
                    ),
                    _field(
                        bi("or upload a scenario (YAML)", "或上传场景文件"), _upload("plan-upload-scenario", "YAML…")
                    ),
                    _field(bi("or a schedule (CSV)", "或上传节目单"), _upload("plan-upload-schedule", "CSV…")),
                    _field(bi("+ staffing table (CSV)", "排班表"), _upload("plan-upload-staffing", "CSV…")),
                    _field(
                        bi("expected calls per airing", "每档预计来电"),
                        dcc.Input(id="plan-expected-calls", type="number", min=0, value=1000, style={"width": "6em"}),
                    ),
                ]
            ),
            html.Div(id="plan-problems"),
            html.Div(id="plan-loaded", style={"margin": "0.5em 0"}),
            dcc.Store(id="plan-scenario"),
            dcc.Store(id="plan-results", data=[]),
            html.H3(bi("Agents per interval (edit the cells)", "各时段座席数（可编辑）")),
            dag.AgGrid(
                id="plan-grid",
                rowData=[],
                columnDefs=[],
                style={"height": "140px"},
                dashGridOptions={"singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True},
                columnSize="sizeToFit",
            ),
            html.Div(
                [
                    _field(bi("Plan name", "计划名称"), dcc.Input(id="plan-name", value="A", style={"width": "10em"})),
                    _field(
                        bi("Replications", "重复次数"),
                        dcc.Input(
                            id="plan-replications", type="number", min=1, max=200, value=10, style={"width": "5em"}
                        ),
                    ),
                    _field(
                        bi("Seed", "随机种子"),
                        dcc.Input(
                            id="plan-seed",
                            type="number",
                            min=0,
                            style={"width": "6em"},
                            placeholder=bi("scenario's", "场景的"),
                        ),
                    ),
                    html.Button(bi("Run", "运行"), id="plan-run", accessKey="r"),
                    html.Button(bi("Clear plans", "清除"), id="plan-clear", style={"marginLeft": "0.5em"}),
                    html.Progress(
                        id="plan-progress", value="0", max="10", style={"marginLeft": "1em", "width": "12em"}
                    ),
                ],
                style={"margin": "0.8em 0"},
            ),
            html.Div(id="plan-run-problems"),
            html.Div(id="plan-summary"),
            html.Div(
                [dcc.Graph(id=f"plan-graph-{metric}", config={"displaylogo": False}) for metric in GRAPHS]
                + [dcc.Graph(id="plan-graph-cost", config={"displaylogo": False})],
                style={"display": "grid", "gridTemplateColumns": "1fr 1fr", "gap": "0.5em"},
            ),
            html.H3(bi("Save or export a plan", "保存或导出计划")),
            html.Div(
                [
                    dcc.Dropdown(
                        id="plan-which",
                        options=[],
                        placeholder=bi("plan", "计划"),
                        style={"width": "12em", "display": "inline-block", "verticalAlign": "middle"},
                    ),
                    html.Button(
                        bi("Save to the store", "保存"), id="plan-save", accessKey="s", style={"marginLeft": "0.5em"}
                    ),
                    html.Button(bi("Export YAML", "导出 YAML"), id="plan-export", style={"marginLeft": "0.5em"}),
                    dcc.Download(id="plan-download"),
                ]
            ),
            html.Div(id="plan-message"),
            html.H3(bi("Saved plans", "已保存的计划")),
            html.Div(id="plan-saved"),
        ]
    )


@callback(
    Output("plan-scenario", "data"),
    Output("plan-problems", "children"),
    Output("plan-loaded", "children"),
    Input("plan-source", "value"),
    Input("plan-upload-scenario", "contents"),
    Input("plan-upload-schedule", "contents"),
    Input("plan-upload-staffing", "contents"),
    State("plan-upload-scenario", "filename"),
    State("plan-upload-schedule", "filename"),
    State("plan-upload-staffing", "filename"),
    State("plan-expected-calls", "value"),
    State("plan-scenario", "data"),
)
def load_scenario(
    source,
    scenario_upload,
    schedule_upload,
    staffing_upload,
    scenario_name,
    schedule_name,
    staffing_name,
    expected_calls,
    current,
):
    """The scenario the grid edits, from the trigger: a shipped one, an uploaded YAML, or a schedule (with an
    optional staffing table) on the shipped one. A bad file shows its problems; the scenario stays."""
    trigger = ctx.triggered_id
    try:
        if trigger == "plan-upload-scenario" and scenario_upload:
            name, text = scenario_name, upload_text(scenario_upload, scenario_name)
            plan_data.read_scenario(text, name)
        elif trigger in ("plan-upload-schedule", "plan-upload-staffing") and schedule_upload:
            base = plan_data.shipped_scenarios().get(source or DEFAULT_SCENARIO)
            staffing = upload_text(staffing_upload, staffing_name) if staffing_upload else None
            text = plan_data.from_schedule(
                plan_data.scenario_text(base),
                f"{source}.yaml",
                upload_bytes(schedule_upload, schedule_name),
                schedule_name,
                staffing,
                staffing_name or "",
                float(expected_calls or 0),
            )
            name = schedule_name
        elif trigger == "plan-upload-staffing" and staffing_upload and current:
            scenario = plan_data.read_scenario(current["text"], current["name"])
            counts = plan_data.parse_staffing_csv(upload_text(staffing_upload, staffing_name), staffing_name, scenario)
            rows = [{"group": g, **dict(zip(plan_data.interval_labels(scenario), c))} for g, c in counts.items()]
            name, text = current["name"], plan_data.with_staffing(current["text"], current["name"], rows)
        elif source:
            path = plan_data.shipped_scenarios()[source]
            name, text = f"{source}.yaml", plan_data.scenario_text(path)
        else:
            return no_update, None, no_update
    except InputFileError as error:
        return no_update, problems_list(error.problems, "plan-problem-list"), no_update
    return {"name": name, "text": text}, None, bi(f"Loaded {name}", f"已载入 {name}")


@callback(Output("plan-grid", "rowData"), Output("plan-grid", "columnDefs"), Input("plan-scenario", "data"))
def fill_grid(scenario):
    if not scenario:
        return [], []
    parsed = plan_data.read_scenario(scenario["text"], scenario["name"])
    columns = [{"field": "group", "editable": False, "pinned": "left"}]
    columns += [
        {"field": label, "editable": True, "type": "numericColumn", "cellDataType": "number"}
        for label in plan_data.interval_labels(parsed)
    ]
    return plan_data.staffing_rows(parsed), columns


@callback(
    Output("plan-results", "data"),
    Output("plan-run-problems", "children"),
    Input("plan-run", "n_clicks"),
    State("plan-scenario", "data"),
    State("plan-grid", "rowData"),
    State("plan-name", "value"),
    State("plan-replications", "value"),
    State("plan-seed", "value"),
    State("plan-results", "data"),
    background=True,
    prevent_initial_call=True,
    running=[(Output("plan-run", "disabled"), True, False)],
    progress=[Output("plan-progress", "value"), Output("plan-progress", "max")],
)
def run(set_progress, _clicks, scenario, rows, name, replications, seed, plans):
    """Run the grid's plan in the twin, in the background; a plan of the same name is replaced."""
    if not scenario:
        return no_update, message(bi("Pick a scenario first", "请先选择场景"), "plan-run-error", error=True)
    name = (name or "").strip() or f"plan {len(plans or []) + 1}"
    try:
        text = plan_data.with_staffing(scenario["text"], scenario["name"], rows or [])
    except InputFileError as error:
        return no_update, problems_list(error.problems, "plan-run-problem-list")
    replications = int(replications or 10)
    set_progress(("0", str(replications)))
    results = plan_data.run_plan(
        text,
        name,
        replications=replications,
        seed=None if seed is None else int(seed),
        on_progress=lambda done, total: set_progress((str(done), str(total))),
    )
    kept = [p for p in (plans or []) if p["name"] != name]
    return kept + [{"name": name, "scenario": text, **results}], None


@callback(
    Output("plan-results", "data", allow_duplicate=True), Input("plan-clear", "n_clicks"), prevent_initial_call=True
)
def clear(_clicks):
    return []


@callback(
    [Output(f"plan-graph-{metric}", "figure") for metric in GRAPHS]
    + [Output("plan-graph-cost", "figure"), Output("plan-which", "options"), Output("plan-summary", "children")],
    Input("plan-results", "data"),
)
def draw(plans):
    plans = plans or []
    summary = (
        html.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(h)
                            for h in (
                                bi("plan", "计划"),
                                bi("replications", "次数"),
                                bi("seed", "种子"),
                                bi("agent-hours", "座席工时"),
                                bi("revenue lost", "损失收入"),
                            )
                        ]
                    )
                ),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(p["name"]),
                                html.Td(p["replications"]),
                                html.Td(p["seed"]),
                                html.Td(f"{p['agent_hours']:.1f}"),
                                html.Td(f"{p['revenue_lost']:,.0f}"),
                            ],
                            className="plan-row",
                        )
                        for p in plans
                    ]
                ),
            ],
            id="plan-summary-table",
        )
        if plans
        else None
    )
    return [figures.plan_comparison(plans, metric) for metric in GRAPHS] + [
        figures.cost_against_loss(plans),
        [p["name"] for p in plans],
        summary,
    ]


def _saved_table():
    plans = plan_data.saved_plans()
    return html.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th(h)
                        for h in (
                            "#",
                            bi("name", "名称"),
                            bi("saved", "保存时间"),
                            bi("by", "保存人"),
                            bi("replications", "次数"),
                        )
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(p.id),
                            html.Td(p.name),
                            html.Td(time.strftime("%Y-%m-%d %H:%M", time.localtime(p.saved_at))),
                            html.Td(p.saved_by),
                            html.Td(p.replications),
                        ],
                        className="saved-plan",
                    )
                    for p in plans
                ]
            ),
        ],
        id="plan-saved-table",
    )


@callback(
    Output("plan-message", "children"),
    Output("plan-saved", "children"),
    Input("plan-save", "n_clicks"),
    State("plan-which", "value"),
    State("plan-results", "data"),
)
def save(clicks, which, plans):
    if not clicks:
        return None, _saved_table()
    chosen = next((p for p in plans or [] if p["name"] == which), None)
    if chosen is None:
        return message(bi("Run a plan and pick it first", "请先运行并选择计划"), "plan-save-error", True), no_update
    results = {k: v for k, v in chosen.items() if k != "scenario"}
    saved = plan_data.save_plan(
        plan_data.PlanToSave(chosen["name"], chosen["scenario"], results), current_user(), time.time()
    )
    return message(
        bi(f"Saved plan {saved.name} as #{saved.id}", f"计划已保存 #{saved.id}"), "plan-saved-ok"
    ), _saved_table()


@callback(
    Output("plan-download", "data"),
    Input("plan-export", "n_clicks"),
    State("plan-which", "value"),
    State("plan-results", "data"),
    prevent_initial_call=True,
)
def export(_clicks, which, plans):
    chosen = next((p for p in plans or [] if p["name"] == which), None)
    if chosen is None:
        return no_update
    return {"content": chosen["scenario"], "filename": f"{chosen['name']}.yaml", "type": "application/x-yaml"}


# registered last, with its layout: a page outside a pages folder must name it
dash.register_page(__name__, path="/plan", name=bi("Plan", "计划"), title="Hotline · Plan", order=0, layout=layout)
