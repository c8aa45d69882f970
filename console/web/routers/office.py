"""Back-office pages for supervisors: the airing schedule (upload a CSV, see what is stored), the site
configuration (the version in force, its history, import a new file) and the reports (the tables of
``hotline report`` with the Excel workbook to download). Uploads go through the API's own functions, so a bad
file is refused as a whole with every problem and its line, and nothing stored changes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.datastructures import UploadFile

from adapters.store.airings import SqlAirings
from adapters.store.eventlog import SqlEventLog
from adapters.store.site import SqlSiteConfigs
from console.deps import EngineDep, Now, SettingsDep, require
from console.models import AppUser
from console.routers.airings import store_schedule
from console.routers.reports import orders_and_airings
from console.routers.site import import_site
from console.web.i18n import add_messages
from console.web.render import Labels, add_nav, render
from inputs.problems import InputFileError, Problem
from reports.tables import agent_report, callback_outcomes, order_tables, queue_report
from twin.site import site_from_document, site_yaml

router = APIRouter()
Scheduler = Annotated[AppUser, require("airings.upload")]
SiteReader = Annotated[AppUser, require("site.read")]
SiteWriter = Annotated[AppUser, require("site.write")]
ReportReader = Annotated[AppUser, require("reports.read")]
REPORTS = ("queues", "agents", "callbacks", "orders")
ReportKind = Annotated[Literal[REPORTS], Query()]  # type: ignore[valid-type]
ROWS_SHOWN = 500
AIRINGS_SINCE_S = 7 * 86400  # the schedule page lists airings from a week back on

add_nav("airings.upload", "/office/airings", "nav.airings")
add_nav("reports.read", "/office/reports", "nav.reports")
add_nav("site.read", "/office/site", "nav.site")
add_messages(
    {
        "nav.airings": ("播出排期", "Airings"),
        "nav.reports": ("报表", "Reports"),
        "nav.site": ("站点配置", "Site"),
        "airings.title": ("播出排期", "Airing schedule"),
        "airings.upload": ("上传排期 CSV", "Upload a schedule CSV"),
        "airings.file": ("文件", "File"),
        "airings.send": ("上传", "Upload"),
        "airings.stored": ("已保存 {n} 条播出", "{n} airings stored"),
        "airings.refused": (
            "文件未导入，已保存的排期未改变：",
            "The file was not imported and the stored schedule is unchanged:",
        ),
        "airings.none": ("还没有播出排期", "No airings stored yet"),
        "airing.id": ("编号", "ID"),
        "airing.channel": ("频道", "Channel"),
        "airing.start": ("开始", "Start"),
        "airing.length": ("时长", "Length"),
        "airing.hotline": ("热线", "Hotline"),
        "airing.product": ("商品", "Product"),
        "airing.kind": ("类型", "Kind"),
        "airing.cost": ("费用", "Cost"),
        "problem.where": ("位置", "Where"),
        "problem.field": ("字段", "Field"),
        "problem.message": ("问题", "Problem"),
        "site.title": ("站点配置", "Site configuration"),
        "site.version": ("版本 {v}，{by} 保存于 {at}", "Version {v}, saved by {by} at {at}"),
        "site.none": ("还没有保存站点配置", "No site configuration is stored yet"),
        "site.history": ("历史版本", "Versions"),
        "site.import": ("导入站点或场景文件 (YAML)", "Import a site or scenario file (YAML)"),
        "site.export": ("下载当前配置 (YAML)", "Download the configuration (YAML)"),
        "site.saved": ("已保存为版本 {v}", "Saved as version {v}"),
        "site.refused": (
            "文件未导入，当前配置未改变：",
            "The file was not imported and the configuration in force is unchanged:",
        ),
        "reports.title": ("报表", "Reports"),
        "reports.kind": ("报表", "Report"),
        "reports.queues": ("队列", "Queues"),
        "reports.agents": ("坐席", "Agents"),
        "reports.callbacks": ("回呼", "Callbacks"),
        "reports.orders": ("订单", "Orders"),
        "reports.show": ("显示", "Show"),
        "reports.workbook": ("下载全部报表 (Excel)", "Download every report (Excel)"),
        "reports.rows": ("前 {n} 行", "First {n} rows"),
    }
)


async def _upload(request: Request, name: str, limit: int) -> tuple[bytes, str]:
    """The posted file ``name``: its bytes and file name; ``InputFileError`` when missing or larger than
    ``limit`` bytes (the console's ``max_upload``, as for the API's uploads)."""
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InputFileError([Problem("", None, name, "choose a file")])
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise InputFileError([Problem(upload.filename, None, "", f"larger than {limit} bytes")])
    return data, upload.filename


# --- airings ---------------------------------------------------------------------------------------------


def _airings_page(request: Request, user: AppUser, engine, now: float, **context):
    airings = SqlAirings(engine).list(None, now - AIRINGS_SINCE_S, None)
    return render(request, "office/airings.html", user, airings=airings, **context)


@router.get("/office/airings")
def airings(request: Request, user: Scheduler, engine: EngineDep, now: Now):
    return _airings_page(request, user, engine, now)


@router.post("/office/airings")
async def upload_airings(
    request: Request, t: Labels, user: Scheduler, engine: EngineDep, settings: SettingsDep, now: Now
):
    try:
        data, name = await _upload(request, "file", settings.max_upload)
        _, n = store_schedule(data, name, engine)
    except InputFileError as refused:
        return _airings_page(request, user, engine, now, problems=refused.problems, status_code=422)
    return _airings_page(request, user, engine, now, notice=t("airings.stored", n=n))


# --- site ------------------------------------------------------------------------------------------------


def _site_page(request: Request, user: AppUser, engine, **context):
    configs = SqlSiteConfigs(engine)
    latest = configs.latest()
    text = site_yaml(site_from_document(latest.document), "") if latest is not None else ""
    return render(request, "office/site.html", user, latest=latest, text=text, history=configs.history(20), **context)


@router.get("/office/site")
def site(request: Request, user: SiteReader, engine: EngineDep):
    return _site_page(request, user, engine)


@router.post("/office/site")
async def import_site_file(
    request: Request, t: Labels, user: SiteWriter, engine: EngineDep, settings: SettingsDep, now: Now
):
    try:
        data, name = await _upload(request, "file", settings.max_upload)
        saved = import_site(data, name, engine, user, now)
    except InputFileError as refused:
        return _site_page(request, user, engine, problems=refused.problems, status_code=422)
    return _site_page(request, user, engine, notice=t("site.saved", v=saved.version))


# --- reports ---------------------------------------------------------------------------------------------


def _tables(kind: str, engine, interval: int, target: int) -> dict:
    if kind == "orders":
        return order_tables(*orders_and_airings(engine))
    log = SqlEventLog(engine).frame()
    if kind == "queues":
        return {"queues": queue_report(log, interval * 60, target)}
    if kind == "agents":
        return {"agents": agent_report(log, "day")}
    return {"callbacks": callback_outcomes(log)}


@router.get("/office/reports")
def reports(
    request: Request,
    user: ReportReader,
    engine: EngineDep,
    kind: ReportKind = "queues",
    interval: Annotated[int, Query(ge=5, le=1440)] = 60,
    target: Annotated[int, Query(ge=1, le=600)] = 20,
):
    tables = {name: table.head(ROWS_SHOWN) for name, table in _tables(kind, engine, interval, target).items()}
    return render(
        request,
        "office/reports.html",
        user,
        tables=tables,
        kind=kind,
        kinds=REPORTS,
        interval=interval,
        target=target,
        rows=ROWS_SHOWN,
    )
