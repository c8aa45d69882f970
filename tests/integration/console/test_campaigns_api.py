"""Outbound campaigns through the API on the real store (SQLite and PostgreSQL): approval by another person,
list import with every bad row named (or refused whole), do-not-call, results from a run of the core's
dialer stored through ``persist_core_records``, and the reports with their Excel export."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from adapters.store.uow import SqlUnitOfWork
from app.campaigns import CampaignConflict, campaign_to_run
from app.core_records import persist_core_records
from core.center import CallCenter
from core.config import SITE_ZONE
from core.log import Verb
from tests.unit.fakes import make_config
from tests.unit.outbound_driver import Callees, OutboundDriver

DAY = date(2024, 3, 4)
NINE = datetime(2024, 3, 4, 9, 0, tzinfo=SITE_ZONE).timestamp()
CAMPAIGN = {
    "campaign_id": "follow-up",
    "name": "回访",
    "mode": "progressive",
    "first_day": DAY.isoformat(),
    "last_day": DAY.isoformat(),
    "agents": ["a1", "a2"],
    "max_attempts": 2,
    "retry_after": {"busy": 300, "no_answer": 600},
}
GOOD_AND_BAD = (
    "phone,name\n"
    "138 0013 8000,张三\n"  # line 2: good
    "12345x,坏号\n"  # line 3: malformed
    "13800138000,重复\n"  # line 4: duplicate of line 2
    "13900000001,李四\n"  # line 5: good
    ",空\n"  # line 6: empty phone
    "13700000000,拒访\n"
)  # line 7: on the do-not-call list


def create(client, auth, **changes):
    response = client.post("/api/campaigns", json={**CAMPAIGN, **changes}, headers=auth["sup"])
    assert response.status_code == 201, response.text
    return response.json()


def upload(client, auth, text: str | bytes, name="list.csv", strict=False, campaign="follow-up"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        f"/api/campaigns/{campaign}/numbers",
        params={"strict": strict},
        files={"file": (name, data)},
        headers=auth["sup"],
    )


def test_the_creator_cannot_approve_and_an_unapproved_campaign_does_not_run(client, auth, engine):
    created = create(client, auth)
    assert created["status"] == "draft"
    with pytest.raises(CampaignConflict, match="draft"):
        campaign_to_run("follow-up", SqlUnitOfWork(engine))
    assert client.post("/api/campaigns/follow-up/approve", headers=auth["sup"]).status_code == 409
    assert client.post("/api/campaigns/follow-up/approve", headers=auth["agent"]).status_code == 403
    approved = client.post("/api/campaigns/follow-up/approve", headers=auth["admin"])
    assert approved.status_code == 200 and approved.json()["campaign"]["approved_by"] == "admin"
    assert client.post("/api/campaigns/follow-up/approve", headers=auth["admin"]).status_code == 409


def test_a_draft_is_edited_and_an_approved_campaign_no_longer_changes(client, auth):
    create(client, auth)
    edited = client.put("/api/campaigns/follow-up", json={**CAMPAIGN, "max_attempts": 5}, headers=auth["sup"])
    assert edited.status_code == 200 and edited.json()["campaign"]["max_attempts"] == 5
    bad = client.put("/api/campaigns/follow-up", json={**CAMPAIGN, "drop_cap": 2}, headers=auth["sup"])
    assert bad.status_code == 422 and "drop_cap" in bad.text
    assert client.post("/api/campaigns/follow-up/approve", headers=auth["admin"]).status_code == 200
    late = client.put("/api/campaigns/follow-up", json={**CAMPAIGN, "max_attempts": 1}, headers=auth["sup"])
    assert late.status_code == 409 and "draft" in late.json()["detail"]
    assert client.get("/api/campaigns/follow-up", headers=auth["sup"]).json()["campaign"]["max_attempts"] == 5


def test_a_bad_campaign_is_a_422_naming_the_field(client, auth):
    response = client.post("/api/campaigns", json={**CAMPAIGN, "drop_cap": 3}, headers=auth["sup"])
    assert response.status_code == 422 and "drop_cap" in response.json()["detail"]
    response = client.post("/api/campaigns", json={**CAMPAIGN, "first_day": "tomorrow"}, headers=auth["sup"])
    assert response.status_code == 422 and "first_day" in response.json()["detail"]


def test_list_import_names_each_bad_row_and_keeps_the_good(client, auth):
    create(client, auth)
    assert (
        client.post(
            "/api/do-not-call", json={"phone": "137 0000 0000", "reason": "asked"}, headers=auth["sup"]
        ).status_code
        == 201
    )
    response = upload(client, auth, GOOD_AND_BAD)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["added"] == 2
    assert {(p["row"], p["kind"]) for p in body["problems"]} == {
        (3, "invalid"),
        (4, "duplicate"),
        (6, "invalid"),
        (7, "do_not_call"),
    }
    listed = client.get("/api/campaigns/follow-up/numbers", headers=auth["sup"]).json()
    assert [n["number"] for n in listed] == ["+8613800138000", "+8613900000001"]
    again = upload(client, auth, "phone\n13900000001\n")  # a later file is de-duplicated against the list
    assert again.json()["added"] == 0 and again.json()["problems"][0]["kind"] == "duplicate"


def test_strict_import_refuses_the_whole_file(client, auth):
    create(client, auth)
    response = upload(client, auth, GOOD_AND_BAD, strict=True)
    assert response.status_code == 422
    assert {p["row"] for p in response.json()["problems"]} == {3, 4, 6}
    assert client.get("/api/campaigns/follow-up/numbers", headers=auth["sup"]).json() == []


def test_a_missing_column_names_every_row_and_an_excel_list_imports(client, auth):
    create(client, auth)
    response = upload(client, auth, "tel,name\n13800138000,张三\n13900000001,李四\n")
    assert response.json()["added"] == 0
    assert [(p["row"], p["kind"], p["field"]) for p in response.json()["problems"]] == [
        (2, "missing", "phone"),
        (3, "missing", "phone"),
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["电话", "姓名"])
    sheet.append([13800138000, "张三"])  # a number typed into Excel is a number
    sheet.append(["0991-2345678", "乌鲁木齐客户"])
    data = io.BytesIO()
    book.save(data)
    response = upload(client, auth, data.getvalue(), name="list.xlsx")
    assert response.json()["added"] == 2, response.text
    zones = {n["number"]: n["zone"] for n in client.get("/api/campaigns/follow-up/numbers", headers=auth["sup"]).json()}
    assert zones == {"+8613800138000": "Asia/Shanghai", "+869912345678": "Asia/Urumqi"}


def test_results_of_a_run_are_stored_exported_and_reused(client, auth, engine):
    create(client, auth)
    upload(client, auth, "phone\n" + "\n".join(str(13800000000 + i) for i in range(20)) + "\n")
    client.post("/api/campaigns/follow-up/approve", headers=auth["admin"])
    campaign, entries = campaign_to_run("follow-up", SqlUnitOfWork(engine))
    assert campaign.approved_by == "admin" and len(entries) == 20
    center = CallCenter(make_config(("a1", "a2")))
    driver = OutboundDriver(center, NINE, Callees(answer_rate=0.4, handle_mean=60), seed=4)
    driver.login("a1", "a2")
    driver.load(campaign, entries)
    driver.run_until(NINE + 3 * 3600)
    persist_core_records(center.log, "live", SqlUnitOfWork(engine))

    results = client.get("/api/campaigns/follow-up/results", headers=auth["sup"]).json()
    dials = [r for r in center.log if r.verb == Verb.OUTBOUND_DIAL]
    assert len(results) == len(dials) > 20
    assert {r["result"] for r in results} <= {"contacted", "busy", "no_answer"}
    contacted = client.get(
        "/api/campaigns/follow-up/results", params={"result": "contacted", "day": "2024-03-04"}, headers=auth["sup"]
    ).json()
    assert contacted and all(r["agent_id"] in ("a1", "a2") and r["result_code"] for r in contacted)
    csv_text = client.get("/api/campaigns/follow-up/results", params={"format": "csv"}, headers=auth["sup"]).text
    assert csv_text.count("\n") == len(results) + 1
    xlsx = client.get("/api/campaigns/follow-up/results", params={"format": "xlsx"}, headers=auth["sup"])
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.max_row == len(results) + 1

    unreached = [
        n
        for n in client.get(
            "/api/campaigns/follow-up/numbers", params={"result": "no_answer"}, headers=auth["sup"]
        ).json()
    ]
    create(client, auth, campaign_id="second-try")
    reused = client.post(
        "/api/campaigns/second-try/reuse",
        json={"from_campaign": "follow-up", "results": ["no_answer"]},
        headers=auth["sup"],
    )
    assert reused.status_code == 201 and reused.json()["added"] == len(unreached)

    tables = {t["name"]: t for t in client.get("/api/campaigns/report", headers=auth["sup"]).json()}
    row = tables["outbound_campaigns"]["rows"][0]
    assert row["attempts"] == len(dials) and row["contacts"] == len(contacted) and row["drops"] == 0
    assert {r["agent"] for r in tables["outbound_agent_days"]["rows"]} == {"a1", "a2"}
    workbook = client.get("/api/campaigns/report", params={"format": "xlsx"}, headers=auth["sup"])
    assert "outbound_agent_days" in openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames


def test_an_unreadable_list_is_a_422_naming_the_file(client, auth):
    create(client, auth)
    response = upload(client, auth, b'phone\n"13800138000\x00', name="odd.csv")
    assert response.status_code in (201, 422) and response.status_code != 500
    response = upload(client, auth, b"\r0\r\n", name="cr.csv")
    assert response.status_code == 422 and response.json()["problems"][0]["line"] == 1
