"""Customers, orders, callbacks, call records, complaints, airings and ROI through the API, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from fastapi.testclient import TestClient

from adapters.store.eventlog import SqlEventLog
from adapters.store.tickets import SqlTickets
from core.log import NONE, LogRecord, Verb
from core.tickets import Ticket
from tests.helpers import race
from tests.integration.console.conftest import complaint_call, login
from tests.integration.console.test_auth_and_roles import HOME, new_customer
from tests.integration.store.business_fixtures import SPELLINGS_OF_13800138000, T0, stocked_store


def test_lookup_accepts_any_spelling_and_returns_every_match(client, auth):
    agent = auth["agent"]
    first = new_customer(client, agent, "王女士", ["13800138000"])
    second = new_customer(client, agent, "王先生", ["010-6234 5678", "+86 138 0013 8000"])
    new_customer(client, agent, "李先生", ["13912345678"])
    for spelling in SPELLINGS_OF_13800138000:
        response = client.get("/api/customers", params={"phone": spelling}, headers=agent)
        assert response.status_code == 200, (spelling, response.text)
        assert [c["id"] for c in response.json()] == [first["id"], second["id"]], spelling
    assert client.get("/api/customers", params={"phone": "010 62345678"}, headers=agent).json()[0]["id"] == second["id"]
    assert client.get("/api/customers", params={"phone": "13700000000"}, headers=agent).json() == []
    bad = client.get("/api/customers", params={"phone": "1380013800"}, headers=agent)
    assert bad.status_code == 422 and "is not a Chinese phone number" in bad.json()["detail"]


def test_customer_create_and_update_refuse_bad_input_with_a_reason(client, auth):
    agent = auth["agent"]
    assert client.post("/api/customers", headers=agent, json={"name": "x", "phones": ["abc"]}).status_code == 422
    assert (
        client.post("/api/customers", headers=agent, json={"name": " ", "phones": ["13800138000"]}).status_code == 422
    )
    customer = new_customer(client, agent)
    path = f"/api/customers/{customer['id']}"
    last = client.patch(path, headers=agent, json={"remove_phones": ["138****8000"]})  # as shown
    assert last.status_code == 422 and "at least one phone number" in last.json()["detail"]
    added = client.patch(path, headers=auth["sup"], json={"add_phones": ["0755-8888 9999"], "name": "王丽"})
    assert added.status_code == 200
    assert [p["number"] for p in added.json()["phones"]] == ["138 0013 8000", "0755-8888 9999"]
    assert added.json()["name"] == "王丽"
    assert client.patch(path, headers=agent, json={"name": "  "}).status_code == 422
    assert client.patch("/api/customers/C404", headers=agent, json={"notes": "x"}).status_code == 404


def order_body(customer_id, quantity=2, **extra):
    body = {
        "customer_id": customer_id,
        "lines": [{"sku": "PAN-1", "quantity": quantity}],
        "payment": "cod",
        "address": HOME,
        "survey": {"channel": "CCTV-2", "program": "晚间购物", "airing_id": "A1"},
        "hotline": "4008001234",
        "call_id": "call-9",
    }
    body.update(extra)
    return body


def test_an_order_is_placed_read_and_cancelled(client, auth, engine):
    catalog, customer = stocked_store(engine, units=5)
    products = client.get("/api/products", headers=auth["agent"]).json()
    assert [(p["sku"], p["price"]) for p in products] == [("PAN-1", "199.00")]
    placed = client.post("/api/orders", headers=auth["agent"], json=order_body(customer.customer_id))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "placed" and order["total"] == "398.00" and order["agent_id"] == "agent"
    assert order["address"]["phone"]["number"] == "138****8000"
    assert client.get("/api/products/PAN-1", headers=auth["agent"]).json()["available"] == 3
    assert client.get(f"/api/orders/{order['id']}", headers=auth["agent"]).json()["lines"][0]["quantity"] == 2
    without_address = client.post(
        "/api/orders", headers=auth["agent"], json=order_body(customer.customer_id, 1, address=None)
    )
    assert without_address.status_code == 201  # the customer's address on file
    cancelled = client.post(f"/api/orders/{order['id']}/cancel", headers=auth["sup"], json={"reason": "changed mind"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert catalog.available("PAN-1") == 4
    again = client.post(f"/api/orders/{order['id']}/cancel", headers=auth["sup"], json={"reason": "again"})
    assert again.status_code == 409 and "cannot become cancelled" in again.json()["detail"]
    assert client.get("/api/orders/O404", headers=auth["agent"]).status_code == 404


def test_out_of_stock_is_409_and_stores_nothing(client, auth, engine):
    catalog, customer = stocked_store(engine, units=3)
    response = client.post("/api/orders", headers=auth["agent"], json=order_body(customer.customer_id, 4))
    assert response.status_code == 409
    assert response.json()["detail"] == "out of stock: PAN-1: 4 wanted, 3 available"
    assert catalog.available("PAN-1") == 3
    assert client.get(f"/api/customers/{customer.customer_id}/history", headers=auth["agent"]).json() == []


def test_bad_order_input_is_422_with_the_reason(client, auth, engine):
    _, customer = stocked_store(engine, units=3)
    cid = customer.customer_id
    cases = {
        "payment": (order_body(cid, payment="bitcoin"), "payment 'bitcoin' is not one of cod, prepaid"),
        "quantity": (order_body(cid, 0), "quantity must be a positive whole number"),
        "sku": (order_body(cid, lines=[{"sku": "NOPE", "quantity": 1}]), "no product with SKU 'NOPE'"),
        "customer": (order_body("C404"), "no customer 'C404'"),
        "lines": (order_body(cid, lines=[]), "at least one line"),
        "postcode": (order_body(cid, address={**HOME, "postcode": "12"}), "postcode '12' is not 6 digits"),
        "discount": (order_body(cid, discount="1000"), "discount 1000.00 must be between 0"),
    }
    for name, (body, reason) in cases.items():
        response = client.post("/api/orders", headers=auth["agent"], json=body)
        assert response.status_code == 422, (name, response.text)
        assert reason in response.json()["detail"], (name, response.json())
    missing = client.post("/api/orders", headers=auth["agent"], json={"customer_id": cid})
    assert missing.status_code == 422


def _ticket(engine, ticket_id, number, priority="normal", created_at=T0):
    SqlTickets(engine).create(
        Ticket(ticket_id, f"call-{ticket_id}", number, priority, "4008001234", "A1", created_at, queue="sales")
    )


def test_the_callback_list_is_in_callback_order_and_a_ticket_has_one_claimer(client, auth, engine, clock):
    _ticket(engine, "cb-1", "13800138001", created_at=T0)
    _ticket(engine, "cb-2", "13800138002", "urgent", created_at=T0 + 10)
    _ticket(engine, "cb-3", "13800138003", created_at=T0 + 5)
    listed = client.get("/api/callbacks", headers=auth["agent"]).json()
    assert [t["id"] for t in listed] == ["cb-2", "cb-1", "cb-3"]
    assert listed[0]["number"] == "138****8002"
    assert client.post("/api/callbacks/cb-2/claim", headers=auth["agent"]).status_code == 200
    taken = client.post("/api/callbacks/cb-2/claim", headers=auth["agent2"])
    assert taken.status_code == 409 and "already claimed by agent" in taken.json()["detail"]
    assert [t["id"] for t in client.get("/api/callbacks", headers=auth["agent2"]).json()] == ["cb-1", "cb-3"]
    mine = client.get("/api/callbacks", headers=auth["agent"]).json()
    assert [(t["id"], t["status"]) for t in mine] == [("cb-1", "open"), ("cb-3", "open"), ("cb-2", "claimed")]
    not_theirs = client.post("/api/callbacks/cb-2/complete", headers=auth["agent2"], json={"outcome": "ordered"})
    assert not_theirs.status_code == 409
    assert (
        client.post("/api/callbacks/cb-2/complete", headers=auth["agent"], json={"outcome": "maybe"}).status_code == 422
    )
    done = client.post("/api/callbacks/cb-2/complete", headers=auth["agent"], json={"outcome": "unreachable"})
    assert done.status_code == 200 and done.json()["status"] == "waiting"
    every = client.get("/api/callbacks", params={"status": ["waiting", "open"]}, headers=auth["sup"]).json()
    assert [t["id"] for t in every] == ["cb-2", "cb-1", "cb-3"] and every[0]["number"] == "13800138002"
    assert client.post("/api/callbacks/cb-404/claim", headers=auth["agent"]).status_code == 404
    assert (
        client.post("/api/callbacks/cb-404/complete", headers=auth["agent"], json={"outcome": "ordered"}).status_code
        == 404
    )
    assert client.post("/api/callbacks/cb-404/release", headers=auth["agent"]).status_code == 404


def test_two_agents_claiming_at_once_one_wins_one_gets_409(app, auth, engine):
    for round_ in range(5):
        _ticket(engine, f"race-{round_}", f"1390000000{round_}")
        names = ("agent", "agent2")
        with TestClient(app) as first, TestClient(app) as second:  # each agent its own client, made before the race
            clients = (first, second)
            codes = race(
                2, lambda i: clients[i].post(f"/api/callbacks/race-{round_}/claim", headers=auth[names[i]]).status_code
            )
        assert sorted(codes) == [200, 409], codes
        winner = names[codes.index(200)]
        assert SqlTickets(engine).get(f"race-{round_}").claimer == winner


def test_history_lists_orders_and_calls_newest_first(client, auth, engine, clock):
    _, customer = stocked_store(engine, units=10)
    cid = customer.customer_id
    steps = []
    for i in range(3):
        clock.now += 60
        order = client.post("/api/orders", headers=auth["agent"], json=order_body(cid, 1, call_id=f"call-{i}")).json()
        steps.append(("order", order["id"], clock.now))
        record = client.post(
            "/api/call-records",
            headers=auth["agent"],
            json={
                "call_id": f"call-{i}",
                "caller": "+86 138 0013 8000",
                "started_at": clock.now + 10,
                "ended_at": clock.now + 100,
                "answered_at": clock.now + 15,
                "business_type": "inquiry",
                "summary": f"asked about delivery {i}",
                "customer_id": cid,
            },
        )
        assert record.status_code == 201, record.text
        assert record.json()["caller"] == "138****8000"
        steps.append(("call", record.json()["id"], clock.now + 10))
    history = client.get(f"/api/customers/{cid}/history", headers=auth["agent"]).json()
    got = [(e["kind"], (e["order"] or e["call"])["id"], e["at"]) for e in history]
    assert got == list(reversed(steps))
    assert [
        e["kind"]
        for e in client.get(f"/api/customers/{cid}/history", params={"limit": 2}, headers=auth["agent"]).json()
    ] == ["call", "order"]
    assert client.get("/api/customers/C404/history", headers=auth["agent"]).status_code == 404


def test_call_records_and_a_complaint_to_closure(client, auth, clock):
    customer = new_customer(client, auth["agent"])
    bad = client.post(
        "/api/call-records",
        headers=auth["agent"],
        json={"call_id": "c1", "started_at": clock.now, "ended_at": clock.now - 5, "summary": "x"},
    )
    assert bad.status_code == 422 and "ends" in bad.json()["detail"]
    record = complaint_call(client, auth["agent"], clock.now, customer["id"], "the pan arrived dented")
    assert client.get(f"/api/call-records/{record['id']}", headers=auth["sup"]).json()["caller"] == "+8613800138000"
    listed = client.get("/api/call-records", params={"customer_id": customer["id"]}, headers=auth["agent"]).json()
    assert [r["id"] for r in listed] == [record["id"]]
    complaint = client.post(
        "/api/complaints", headers=auth["agent"], json={"record_id": record["id"], "category": "quality"}
    )
    assert complaint.status_code == 201 and complaint.json()["description"] == "the pan arrived dented"
    path = f"/api/complaints/{complaint.json()['id']}"
    early = client.patch(path, headers=auth["sup"], json={"status": "closed"})
    assert early.status_code == 422 and "cannot become closed" in early.json()["detail"]
    assert client.patch(path, headers=auth["agent"], json={"status": "in_progress"}).json()["handler"] == "agent"
    assert (
        client.patch(path, headers=auth["agent"], json={"status": "resolved", "resolution": "sent a new pan"}).json()[
            "status"
        ]
        == "resolved"
    )
    assert client.patch(path, headers=auth["agent"], json={"status": "closed"}).status_code == 403
    closed = client.patch(path, headers=auth["sup"], json={"status": "closed", "note": "customer happy"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["closed_at"] == clock.now
    assert [s["status"] for s in closed.json()["steps"]] == ["open", "in_progress", "resolved", "closed"]
    not_a_complaint = client.post(
        "/api/call-records",
        headers=auth["agent"],
        json={"call_id": "c2", "started_at": clock.now, "ended_at": clock.now, "summary": "asked the price"},
    ).json()
    refused = client.post("/api/complaints", headers=auth["agent"], json={"record_id": not_a_complaint["id"]})
    assert refused.status_code == 422 and "not a complaint" in refused.json()["detail"]


SCHEDULE = """id,channel,start,length,hotline,product,kind,cost
A1,CCTV-2,2026-11-23T20:00:00+08:00,1800,4008001234,不粘锅,live,50000
A2,Hunan TV,1795440000,60,4008001234,不粘锅,spot,8000
"""


def test_an_airing_schedule_uploads_and_a_bad_row_names_line_and_column(client, auth):
    upload = client.post(
        "/api/airings", headers=auth["sup"], files={"file": ("schedule.csv", SCHEDULE.encode(), "text/csv")}
    )
    assert upload.status_code == 201, upload.text
    assert upload.json()["stored"] == 2
    listed = client.get("/api/airings", headers=auth["sup"]).json()
    beijing_8pm = dt.datetime(2026, 11, 23, 12, tzinfo=dt.timezone.utc).timestamp()
    assert [(a["id"], a["start"], a["kind"]) for a in listed] == [
        ("A1", beijing_8pm, "live"),
        ("A2", 1795440000.0, "spot"),
    ]
    broken = SCHEDULE + "A3,CCTV-2,tomorrow evening,60,4008001234,,spot,100\n"
    response = client.post("/api/airings", headers=auth["sup"], files={"file": ("s.csv", broken.encode(), "text/csv")})
    assert response.status_code == 422
    body = response.json()
    assert (body["line"], body["column"]) == (4, "start")
    assert body["detail"].startswith("s.csv:4: start: 'tomorrow evening'")
    assert body["problems"] == [{"line": 4, "column": "start", "message": body["problems"][0]["message"]}]
    two_bad = SCHEDULE + "A3,CCTV-2,1763899200,-5,4008001234,,spot,1\nA4,CCTV-2,1763899200,60,4008001234,,radio,1\n"
    response = client.post("/api/airings", headers=auth["sup"], files={"file": ("s.csv", two_bad.encode(), "text/csv")})
    assert [(p["line"], p["column"]) for p in response.json()["problems"]] == [(4, "length"), (5, "kind")]
    for bad, where in [
        ("A3,CCTV-2,1763899200,-5,4008001234,,spot,1", (4, "length")),
        ("A3,CCTV-2,1763899200,60,4008001234,,radio,1", (4, "kind")),
        ("A1,CCTV-2,1763899200,60,4008001234,,spot,1", (4, "id")),
        ("A3,,1763899200,60,4008001234,,spot,1", (4, "channel")),
    ]:
        response = client.post(
            "/api/airings", headers=auth["sup"], files={"file": ("s.csv", (SCHEDULE + bad + "\n").encode(), "text/csv")}
        )
        assert response.status_code == 422 and (response.json()["line"], response.json()["column"]) == where, bad
    no_header = client.post("/api/airings", headers=auth["sup"], files={"file": ("s.csv", b"a,b\n1,2\n", "text/csv")})
    assert no_header.status_code == 422 and no_header.json()["line"] == 1
    assert len(client.get("/api/airings", headers=auth["sup"]).json()) == 2  # nothing of a bad file is stored


def _an_evening_with_four_calls_and_one_order(client, auth, engine, clock) -> float:
    """Two airings; four calls answered during the first, each talking 100 s; one order of one pan."""
    client.post("/api/airings", headers=auth["sup"], files={"file": ("s.csv", SCHEDULE.encode(), "text/csv")})
    start = dt.datetime(2026, 11, 23, 12, tzinfo=dt.timezone.utc).timestamp()
    records = []
    for i in range(4):
        call = f"call-{i}"
        records += [
            LogRecord(start + 60 + i * 30, call, "sales", NONE, Verb.ENTERQUEUE, "", "", "", "4008001234"),
            LogRecord(start + 70 + i * 30, call, "sales", "agent", Verb.CONNECT, "10"),
            LogRecord(start + 170 + i * 30, call, "sales", "agent", Verb.COMPLETECALLER, "10", "100"),
        ]
    SqlEventLog(engine).append(records, "live")
    _, customer = stocked_store(engine, units=5)
    clock.now = start + 200
    assert (
        client.post(
            "/api/orders", headers=login(client, "agent"), json=order_body(customer.customer_id, 1, call_id="call-0")
        ).status_code
        == 201
    )
    return start


def test_report_tables_over_the_stored_log_and_orders(client, auth, engine, clock):
    _an_evening_with_four_calls_and_one_order(client, auth, engine, clock)
    sup = login(client, "sup")
    assert client.get("/api/reports/queues", headers=login(client, "agent")).status_code == 403
    queues = client.get("/api/reports/queues", headers=sup, params={"interval": 60}).json()
    assert queues["name"] == "queues"
    assert [(r["queue"], r["offered"], r["answered"], r["abandoned"]) for r in queues["rows"]] == [
        ("sales", 4, 4, 0),
        ("(all)", 4, 4, 0),
    ]  # the last row totals every queue
    assert queues["rows"][0]["interval"] == "2026-11-23 20:00"  # Beijing time
    by_product, by_airing = client.get("/api/reports/orders", headers=sup).json()
    assert by_product["name"] == "orders_by_product"
    assert [(r["sku"], r["orders"], r["revenue"]) for r in by_product["rows"]] == [("PAN-1", 1, 199.0)]
    assert by_airing["name"] == "orders_by_airing"
    assert client.get("/api/reports/agents", headers=sup, params={"period": "fortnight"}).status_code == 422
    assert client.get("/api/reports/callbacks", headers=sup).json()["rows"] == []
    workbook = client.get("/api/reports/workbook.xlsx", headers=sup)
    assert workbook.status_code == 200
    sheets = pd.read_excel(io.BytesIO(workbook.content), sheet_name=None)
    assert list(sheets) == ["agents_day", "queues", "callbacks", "orders_by_product", "orders_by_airing"]
    assert sheets["queues"]["offered"].tolist() == [4, 4]  # the interval's row and the all-queues total


def test_roi_attributes_calls_and_orders_to_the_stored_airings(client, auth, engine, clock):
    _an_evening_with_four_calls_and_one_order(client, auth, engine, clock)
    report = client.get("/api/reports/roi", headers=login(client, "sup")).json()
    assert report["total_calls"] == 4 and report["total_orders"] == 1 and report["total_revenue"] == 199.0
    rows = {row["airing_id"]: row for row in report["airings"]}
    assert set(rows) == {"A1", "A2"}
    assert abs(rows["A1"]["calls"] + rows["A2"]["calls"] + report["unattributed"]["calls"] - 4) < 1e-9
    assert abs(sum(r["revenue"] for r in rows.values()) - 199.0) < 1e-6
    assert rows["A1"]["mer"] == rows["A1"]["revenue"] / 50000


def test_the_city_field_takes_pinyin_initials_or_a_postcode(client, auth):
    assert client.get("/api/divisions", params={"entry": "BJHD"}).status_code == 401
    found = client.get("/api/divisions", headers=auth["agent"], params={"entry": "bj hd"}).json()
    assert [(d["code"], d["province"], d["county"]) for d in found] == [("110108", "北京市", "海淀区")]
    ambiguous = client.get("/api/divisions", headers=auth["agent"], params={"entry": "CY", "limit": 50}).json()
    assert {"朝阳区", "朝阳市"} <= {d["county"] or d["city"] for d in ambiguous}
    by_postcode = client.get("/api/divisions", headers=auth["agent"], params={"entry": "100080"}).json()
    assert "110108" in {d["code"] for d in by_postcode}
    bad = client.get("/api/divisions", headers=auth["agent"], params={"entry": "12"})
    assert bad.status_code == 422 and "6 digits" in bad.json()["detail"]
