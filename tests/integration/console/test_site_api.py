"""The site configuration through the API, on SQLite and PostgreSQL: supervisors and admins read, replace,
export and import it; every change is a version; an invalid one is refused whole, naming every problem,
and the stored configuration stays as it was."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from adapters.store.site import SqlSiteConfigs
from twin.site import center_config, load_scenario, site_from_document

ROOT = Path(__file__).resolve().parents[3]
LIVE = ROOT / "scenarios" / "live_program.yaml"


def import_live(client, headers, name: str = "live_program.yaml", text: str | None = None):
    body = LIVE.read_text() if text is None else text
    return client.post("/api/site/import", headers=headers, files={"file": (name, body, "application/yaml")})


def test_nothing_stored_yet_is_404_then_an_imported_scenario_is_the_site(client, auth):
    assert client.get("/api/site", headers=auth["sup"]).status_code == 404
    response = import_live(client, auth["sup"])
    assert response.status_code == 201, response.text
    stored = client.get("/api/site", headers=auth["sup"]).json()
    assert stored["version"] == 1 and stored["saved_by"] == "sup" and "live_program.yaml" in stored["note"]
    assert site_from_document(stored["site"]).config == center_config(load_scenario(LIVE))


def test_put_replaces_the_site_and_every_change_is_a_version(client, auth, clock):
    site = import_live(client, auth["admin"]).json()["site"]
    changed = copy.deepcopy(site)
    changed["policy"]["wrapup"] = 30
    changed["agent_users"] = {"order-line-001": "agent"}
    changed["surge"] = {
        "live": {
            "ivr_after": 20,
            "callback_reserve": 8,
            "overflow": {"orders": [{"group": "backoffice", "after_wait": 5}]},
        }
    }
    clock.now += 60
    response = client.put("/api/site", headers=auth["sup"], json=changed)
    assert response.status_code == 200, response.text
    current = client.get("/api/site", headers=auth["sup"]).json()
    assert current["version"] == 2 and current["saved_by"] == "sup" and current["saved_at"] == clock.now
    config = site_from_document(current["site"]).config
    assert config.policy.wrapup == 30 and config.surge["live"].callback_reserve == 8
    assert site_from_document(current["site"]).agent_users == {"order-line-001": "agent"}
    history = client.get("/api/site/versions", headers=auth["sup"]).json()
    assert [(v["version"], v["saved_by"]) for v in history] == [(2, "sup"), (1, "admin")]
    first = client.get("/api/site/versions/1", headers=auth["sup"]).json()
    assert first["site"]["policy"]["wrapup"] == 15
    assert client.get("/api/site/versions/9", headers=auth["sup"]).status_code == 404


def test_an_invalid_site_is_refused_with_every_problem_and_the_stored_one_is_unchanged(client, auth, engine):
    site = import_live(client, auth["sup"]).json()["site"]
    bad = copy.deepcopy(site)
    bad["hotlines"][0]["queue"] = "sales"  # no agent serves it
    bad["hotlines"].append(
        {
            "number": "4008000000",
            "queue": "orders",
            "hours": [
                {"days": [0, 1], "open": "08:00", "close": "20:00"},
                {"days": [1], "open": "19:00", "close": "22:00"},
            ],
        }
    )
    bad["groups"].append({"name": "idle", "skills": {}, "agents": ["nobody-001"]})  # an agent in no group
    bad["policy"]["overflow"] = {"orders": [{"group": "delivery", "after_wait": 10}]}
    bad["owners"] = {"13800138000": "ghost"}
    bad["agent_users"] = {"order-line-001": "no-such-user"}
    response = client.put("/api/site", headers=auth["sup"], json=bad)
    assert response.status_code == 422, response.text
    problems = {(p["field"], p["message"]) for p in response.json()["problems"]}
    fields = {field for field, _ in problems}
    assert {
        "hotlines[0].queue",
        "hotlines[1].hours[1]",
        "groups[2].skills",
        "policy.overflow.orders[0].group",
        "owners.13800138000",
        "agent_users.order-line-001",
    } <= fields, problems
    assert any("overlaps" in message for _, message in problems)
    assert any("no console user" in message for _, message in problems)
    bad["groups"][2]["skills"] = {"orders": 1}  # only the other problems left
    assert client.put("/api/site", headers=auth["sup"], json=bad).status_code == 422
    assert SqlSiteConfigs(engine).latest().version == 1
    assert client.get("/api/site", headers=auth["sup"]).json()["site"] == site


def test_a_bad_field_type_is_422_naming_the_field(client, auth):
    site = import_live(client, auth["sup"]).json()["site"]
    site["policy"]["strategy"] = "loudest"
    response = client.put("/api/site", headers=auth["sup"], json=site)
    assert response.status_code == 422
    assert any(item["loc"][-1] == "strategy" for item in response.json()["detail"])


def test_agents_may_not_read_or_change_the_site(client, auth):
    site = import_live(client, auth["sup"]).json()["site"]
    assert client.get("/api/site", headers=auth["agent"]).status_code == 403
    assert client.get("/api/site/export", headers=auth["agent"]).status_code == 403
    assert client.put("/api/site", headers=auth["agent"], json=site).status_code == 403
    assert import_live(client, auth["agent"]).status_code == 403
    assert client.get("/api/site").status_code == 401


def test_export_then_import_gives_the_same_site(client, auth):
    site = import_live(client, auth["sup"]).json()["site"]
    response = client.get("/api/site/export", headers=auth["sup"])
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/yaml")
    assert response.text.startswith("# Hotline site configuration, version 1")
    again = import_live(client, auth["sup"], "site-v1.yaml", response.text)
    assert again.status_code == 201 and again.json()["version"] == 2
    assert again.json()["site"] == site


def test_a_bad_file_is_refused_with_file_line_and_field(client, auth, engine):
    import_live(client, auth["sup"])
    text = LIVE.read_text().replace("queue: orders", "queue: sales").replace("wrapup: 15", "wrapup: soon")
    response = import_live(client, auth["sup"], "bad.yaml", text)
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    lines = {p["column"]: p["line"] for p in problems}
    assert "policy.wrapup" in lines
    assert lines["policy.wrapup"] == next(i for i, line in enumerate(text.splitlines(), 1) if "wrapup:" in line)
    assert import_live(client, auth["sup"], "bad.yaml", "hotlines: [").status_code == 422
    text = LIVE.read_text().replace("queue: orders", "queue: sales")
    response = import_live(client, auth["sup"], "bad.yaml", text)
    problems = {p["column"]: p for p in response.json()["problems"]}
    assert set(problems) == {"hotlines[0].queue", "policy.overflow.orders"}  # orders is no hotline's queue now
    assert problems["hotlines[0].queue"]["line"] == text.splitlines().index("    queue: sales") + 1
    assert SqlSiteConfigs(engine).latest().version == 1


def test_a_change_on_a_stale_version_is_409(client, auth):
    site = import_live(client, auth["sup"]).json()["site"]
    assert client.put("/api/site?expected_version=1", headers=auth["sup"], json=site).status_code == 200
    assert client.put("/api/site?expected_version=1", headers=auth["admin"], json=site).status_code == 409
    assert yaml.safe_load(client.get("/api/site/export", headers=auth["sup"]).text)["hotlines"]
