"""What every page's layout shares: bilingual labels, the list of an input file's problems, number formats."""

from __future__ import annotations

import math

from dash import dash_table, html

from inputs.problems import Problem


def bi(english: str, chinese: str) -> str:
    """A label in both languages: 'Plan · 计划'."""
    return f"{english} · {chinese}"


def problems_list(problems: list[Problem], element_id: str) -> html.Div:
    """Every problem of an uploaded file, each with its file, line and field (nothing is saved)."""
    return html.Div(
        [
            html.Strong(bi(f"{len(problems)} problem(s) in the file, nothing was changed", "文件有错误，未做任何更改")),
            html.Ul(
                [
                    html.Li(str(p), className="problem", **{"data-line": str(p.line or ""), "data-field": p.field})
                    for p in problems
                ]
            ),
        ],
        id=element_id,
        className="problems",
        role="alert",
        style={"color": "#a40000"},
    )


def message(text: str, element_id: str, error: bool = False) -> html.Div:
    return html.Div(
        text, id=element_id, role="alert" if error else "status", style={"color": "#a40000" if error else "#1a5e1a"}
    )


def fmt(value, digits: int = 1, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value * 100:.{digits}f}%" if pct else f"{value:,.{digits}f}"


def data_table(element_id: str, page_size: int, font_size: str = "0.85em", **options) -> dash_table.DataTable:
    """A sortable table in the dashboards' look; its data and columns come from a callback."""
    return dash_table.DataTable(
        id=element_id,
        page_size=page_size,
        sort_action="native",
        style_cell={"fontFamily": "sans-serif", "fontSize": font_size},
        **options,
    )
