"""The site configuration (supervisor / admin): the live center's queues, agents and their console users,
hotline numbers, lists, opening hours and policy, stored as versions (``adapters.store.site``).

A change is refused as a whole -- 422 with every problem in ``problems`` (``field``, ``message``; for an
uploaded file also ``line``) -- and the stored configuration stays as it was. ``expected_version`` (optional)
makes a change conditional on the version the client read (409 if another change came first).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Path, Query, UploadFile, status
from fastapi.responses import Response

from adapters.store.site import SiteVersion, SqlSiteConfigs
from console.accounts import SqlAccounts
from console.deps import EngineDep, Now, require
from console.models import AppUser
from console.schemas import SitePublic, SiteVersionPublic, same_named
from core.config import ConfigProblem, InvalidConfig
from twin.scenario import SiteSpec
from twin.site import Site, parse_site, site_document, site_from_document, site_of, site_yaml
from twin.yamlfile import InputFileError, Problem

router = APIRouter(prefix="/site", tags=["site"])

MAX_VERSION = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL
ExpectedVersion = Annotated[
    int | None,
    Query(ge=0, le=MAX_VERSION, description="refuse (409) unless this is the latest version (0: none stored yet)"),
]


def site_out(version: SiteVersion) -> SitePublic:
    return SitePublic(site=version.document, **same_named(SitePublic, version, besides=("site",)))


def _latest(engine) -> SiteVersion:
    latest = SqlSiteConfigs(engine).latest()
    if latest is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            "no site configuration is stored yet: import one (POST /api/site/import, or hotline site import FILE)",
        )
    return latest


def unknown_users(engine, agent_users: dict[str, str]) -> list[ConfigProblem]:
    """Agents linked to a console user that does not exist."""
    accounts = SqlAccounts(engine)
    return [
        ConfigProblem(("agent_users", agent), f"no console user {username!r}")
        for agent, username in agent_users.items()
        if accounts.by_username(username) is None
    ]


def _save(engine, site: Site, user: AppUser, now: float, note: str, expected_version: int | None) -> SitePublic:
    return site_out(SqlSiteConfigs(engine).save(site_document(site), user.username, now, note, expected_version))


@router.get("", response_model=SitePublic)
def current(user: Annotated[AppUser, require("site.read")], engine: EngineDep) -> SitePublic:
    """The site configuration in force (the latest version)."""
    return site_out(_latest(engine))


@router.put("", response_model=SitePublic)
def replace(
    body: SiteSpec,
    user: Annotated[AppUser, require("site.write")],
    engine: EngineDep,
    now: Now,
    expected_version: ExpectedVersion = None,
) -> SitePublic:
    """Replace the whole configuration (a new version); 422 with every problem if it is not valid."""
    try:
        site = site_of(body)
    except InvalidConfig as error:
        raise InvalidConfig(error.problems + unknown_users(engine, body.agent_users)) from None
    problems = unknown_users(engine, body.agent_users)
    if problems:
        raise InvalidConfig(problems)
    return _save(engine, site, user, now, "PUT /api/site", expected_version)


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}}, "description": "the site as a YAML file"}},
)
def export(user: Annotated[AppUser, require("site.read")], engine: EngineDep) -> Response:
    """The configuration in force as a site file (the scenario format): edit it and import it again."""
    latest = _latest(engine)
    header = f"Hotline site configuration, version {latest.version}, saved by {latest.saved_by}"
    text = site_yaml(site_from_document(latest.document), header)
    return Response(
        text,
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="site-v{latest.version}.yaml"'},
    )


@router.post("/import", response_model=SitePublic, status_code=201)
async def import_file(
    file: Annotated[UploadFile, File(description="a site file or a whole scenario (YAML)")],
    user: Annotated[AppUser, require("site.write")],
    engine: EngineDep,
    now: Now,
    expected_version: ExpectedVersion = None,
) -> SitePublic:
    """Replace the configuration with a site or scenario file; 422 lists every problem with its line."""
    return import_site(await file.read(), file.filename or "upload.yaml", engine, user, now, expected_version)


def import_site(
    data: bytes, name: str, engine, user: AppUser, now: float, expected_version: int | None = None
) -> SitePublic:
    """A site or scenario file as the new version, or ``InputFileError`` with every problem and its line (the
    API and the site page call this)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputFileError([Problem(name, None, "", f"not UTF-8 text: {error.reason}")]) from None
    site = parse_site(text, name)
    problems = unknown_users(engine, site.agent_users)
    if problems:
        raise InputFileError([Problem(name, None, p.field, p.message) for p in problems])
    return _save(engine, site, user, now, f"import {name}", expected_version)


@router.get("/versions", response_model=list[SiteVersionPublic])
def versions(
    user: Annotated[AppUser, require("site.read")], engine: EngineDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[SiteVersionPublic]:
    """Every saved version, newest first: who changed the site and when."""
    return [
        SiteVersionPublic(**same_named(SiteVersionPublic, v, besides=())) for v in SqlSiteConfigs(engine).history(limit)
    ]


@router.get("/versions/{version}", response_model=SitePublic)
def version(
    version: Annotated[int, Path(ge=1, le=MAX_VERSION)],
    user: Annotated[AppUser, require("site.read")],
    engine: EngineDep,
) -> SitePublic:
    return site_out(SqlSiteConfigs(engine).get(version))
