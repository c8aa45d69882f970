"""The QA report as one self-contained HTML file: the checks (KPI bands, tolerances, differences) and a
per-interval chart of each case, drawn by Plotly with its JavaScript embedded (no network needed to open it).
Labels are in Simplified Chinese and English."""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from qa.checks import CaseResult

SERIES = {"offered": "来电 offered", "answered": "接通 answered", "abandoned": "放弃 abandoned"}
STYLE = """
body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td.name{text-align:left}.pass{color:#17692b}.fail{color:#b00020;font-weight:bold}
h2{margin-top:2em}.summary{font-size:1.2em}
"""


def _chart(case: CaseResult, zone) -> str:
    frame = case.intervals
    if frame is None or frame.empty:
        return "<p>无分时数据 no per-interval data</p>"
    figure = go.Figure()
    for source, rows in frame.groupby("source", sort=False):
        times = [datetime.fromtimestamp(t, zone) for t in rows["interval_start"]]
        for column, label in SERIES.items():
            if column in rows:
                figure.add_trace(
                    go.Scatter(
                        x=times,
                        y=rows[column],
                        mode="lines+markers",
                        name=f"{label} · {source}",
                        line={"dash": "dot" if source == "recorded" else "solid"},
                    )
                )
    figure.update_layout(
        title=f"{case.name}: 分时 KPI per interval",
        xaxis_title="时段 interval",
        yaxis_title="通话数 calls",
        height=380,
        margin={"t": 50, "b": 40},
    )
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{_slug(case.name)}")


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name)


def report_html(suite: str, cases: list[CaseResult], zone=timezone.utc) -> str:
    failures = sum(c.failures for c in cases)
    checks = sum(len(c.checks) for c in cases)
    verdict = (
        f'<span class="pass">全部通过 all {checks} checks pass</span>'
        if not failures
        else f'<span class="fail">{failures} / {checks} 项未通过 checks failed</span>'
    )
    parts = [
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>QA {html.escape(suite)}</title>',
        f'<style>{STYLE}</style><script type="text/javascript">{get_plotlyjs()}</script></head><body>',
        f'<h1>质量检查报告 QA report: {html.escape(suite)}</h1><p class="summary">{verdict}</p>',
    ]
    for case in cases:
        parts.append(f'<h2 id="case-{_slug(case.name)}">{html.escape(case.name)} <small>({case.kind})</small></h2>')
        parts.append(
            "<table><tr><th>检查 check</th><th>期望 expected</th><th>实测 measured</th><th>结果 result</th></tr>"
        )
        for check in case.checks:
            result = '<td class="pass">通过 pass</td>' if check.ok else '<td class="fail">失败 FAIL</td>'
            parts.append(
                f'<tr><td class="name">{html.escape(check.name)}</td><td>{html.escape(check.expected)}</td>'
                f"<td>{html.escape(check.measured)}</td>{result}</tr>"
            )
        parts.append("</table>")
        parts.append(_chart(case, zone))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(path: Path, suite: str, cases: list[CaseResult], zone=timezone.utc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(suite, cases, zone), encoding="utf-8")
