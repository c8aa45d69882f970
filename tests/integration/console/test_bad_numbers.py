"""Item 11 of the hardening issue: NaN, Infinity and absurd times are refused with a reason, never stored."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.integration.console.test_business_api import SCHEDULE


@pytest.mark.parametrize(
    "field,value",
    [
        ("started_at", "NaN"),
        ("ended_at", "Infinity"),
        ("started_at", "-Infinity"),
        ("ended_at", "1e20"),
        ("answered_at", "NaN"),
    ],
)
def test_call_records_refuse_nan_infinity_and_absurd_times(client, auth, clock, engine, field, value):
    body = {"call_id": "c-nan", "caller": "13800138000", "started_at": clock.now - 60, "ended_at": clock.now}
    raw = "{" + ", ".join(f'"{k}": {v!r}'.replace("'", '"') for k, v in body.items() if k != field)
    raw += f', "{field}": {value}}}'
    response = client.post(
        "/api/call-records", content=raw.encode(), headers={**auth["agent"], "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert field in response.text
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM call_record")).scalar_one() == 0


@pytest.mark.parametrize(
    "row,column",
    [
        ("A9,CCTV-2,99999999999999999999,60,4008001234,,spot,1", "start"),
        ("A9,CCTV-2,1763899200,1e20,4008001234,,spot,1", "length"),
        ("A9,CCTV-2,nan,60,4008001234,,spot,1", "start"),
        ("A9,CCTV-2,1763899200,inf,4008001234,,spot,1", "length"),
    ],
)
def test_airings_refuse_absurd_starts_and_lengths(client, auth, row, column):
    response = client.post(
        "/api/airings", headers=auth["sup"], files={"file": ("s.csv", (SCHEDULE + row + "\n").encode(), "text/csv")}
    )
    assert response.status_code == 422, response.text
    assert (response.json()["line"], response.json()["column"]) == (4, column)
    assert client.get("/api/airings", headers=auth["sup"]).json() == []
