"""An outbound campaign end to end: console API (FastAPI TestClient) and the live driver over one SQLite file,
the real Asterisk, SIPp callees and agent. A supervisor creates a campaign and imports its list; starting it
before approval is refused by the live center (nothing is dialled); approved by another supervisor it runs,
the agent records a result through the API, and the results are in the store."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from adapters.asterisk.stasis import build_config
from adapters.store.migrate import open_store
from adapters.store.settings import StoreSettings
from adapters.store.uow import SqlUnitOfWork
from app.core_records import persist_core_records
from console.accounts import SqlAccounts
from console.app import create_app
from console.settings import ConsoleSettings
from core.config import SITE_ZONE
from core.log import Verb
from devtools import sipp
from devtools.harness import InProcessDriver, clear_asterisk
from tests.helpers import wait_until
from tests.integration.asterisk.live_checks import phone

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]
PASSWORD = "correct horse battery"


def test_a_campaign_runs_live_only_once_approved(asterisk_config, tmp_path):
    cfg = asterisk_config
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    driver_store, console_store = open_store(url), open_store(url)
    clear_asterisk(cfg)
    accounts = SqlAccounts(console_store)
    for name, role in (("agent001", "agent"), ("planner", "supervisor"), ("boss", "supervisor")):
        accounts.create_user(name, PASSWORD, role, time.time())
    agent = phone(cfg, tmp_path / "sipp", answer_delay_ms=200, talk_ms=0)
    customer = sipp.start_agent(
        "customer", cfg.outbound_port, answer_delay_ms=200, talk_ms=1_500, workdir=tmp_path / "sipp"
    )
    driver = InProcessDriver(
        cfg, tmp_path / "live", build_config(cfg.numbers, 1, ivr_after=None, callback_reserve=None), store=driver_store
    )
    app = create_app(ConsoleSettings(store=StoreSettings(database_url=url)), engine=console_store)
    today = datetime.fromtimestamp(time.time(), SITE_ZONE).date().isoformat()
    try:
        with TestClient(app) as client:
            auth = {
                name: {
                    "Authorization": "Bearer "
                    + client.post("/api/login", json={"username": name, "password": PASSWORD}).json()["access_token"]
                }
                for name in ("agent001", "planner", "boss")
            }
            created = client.post(
                "/api/campaigns",
                headers=auth["planner"],
                json={
                    "campaign_id": "cod-confirm",
                    "name": "货到付款确认",
                    "mode": "progressive",
                    "first_day": today,
                    "last_day": today,
                    "window": [0, 86400],
                    "calling_hours": [0, 86400],
                    "agents": ["agent001"],
                    "result_codes": ["confirmed", "cancelled"],
                    "ring_timeout": 10,
                },
            )
            assert created.status_code == 201, created.text
            imported = client.post(
                "/api/campaigns/cod-confirm/numbers",
                headers=auth["planner"],
                files={"file": ("l.csv", "phone,name\n13800000001,甲\n13800000002,乙\nbad,丙\n")},
            )
            assert imported.json()["added"] == 2 and imported.json()["problems"][0]["row"] == 4

            wait_until(
                lambda: client.get("/api/agents", headers=auth["boss"]).json(),
                20,
                "the live driver's first published state (its heartbeat)",
            )
            refused = client.post("/api/campaigns/cod-confirm/start", headers=auth["boss"])
            assert refused.status_code == 409 and "approved" in refused.json()["detail"], refused.text
            assert [r for r in driver.records() if r.verb == Verb.OUTBOUND_DIAL] == []
            assert customer.calls_so_far() == {}

            assert client.post("/api/campaigns/cod-confirm/approve", headers=auth["boss"]).status_code == 200
            started = client.post("/api/campaigns/cod-confirm/start", headers=auth["boss"])
            assert started.status_code == 200, started.text
            completes = wait_until(
                lambda: (
                    [r for r in driver.records() if r.verb == Verb.OUTBOUND_COMPLETE]
                    if len([r for r in driver.records() if r.verb == Verb.OUTBOUND_COMPLETE]) >= 2
                    else None
                ),
                60,
                "two completed calls",
            )
            done = client.post(
                f"/api/outbound/{completes[0].call_id}/result", headers=auth["agent001"], json={"code": "confirmed"}
            )
            assert done.status_code == 200, done.text
            wrong = client.post(
                f"/api/outbound/{completes[1].call_id}/result", headers=auth["agent001"], json={"code": "maybe"}
            )
            assert wrong.status_code == 409 and "confirmed" in wrong.json()["detail"]
            persist_core_records(driver.records(), "live", SqlUnitOfWork(console_store))
            results = client.get("/api/campaigns/cod-confirm/results", headers=auth["boss"]).json()
            assert sorted((r["result"], r["result_code"]) for r in results) == [
                ("contacted", ""),
                ("contacted", "confirmed"),
            ]
    finally:
        driver.stop()
        agent.stop()
        customer.stop()
        clear_asterisk(cfg)
        driver_store.dispose()
        console_store.dispose()
