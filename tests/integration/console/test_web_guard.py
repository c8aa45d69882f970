"""``console.web_guard.guarded``: a WSGI app mounted on the console (as /dash is) opens only for a logged-in
planner, supervisor or admin, by bearer token or the session cookie; the page learns who from the guard only."""

from __future__ import annotations

import pytest
from a2wsgi import WSGIMiddleware

from console.accounts import SqlAccounts
from console.session_cookie import SESSION_COOKIE
from console.web_guard import guarded, request_token
from tests.integration.console.conftest import PASSWORD, login


def who(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ.get("HTTP_X_HOTLINE_USER", "?").encode()]


@pytest.fixture
def guarded_client(app, client, engine, clock):
    app.mount("/guarded", guarded(WSGIMiddleware(who), engine, "dashboards.open", clock=clock))
    SqlAccounts(engine).create_user("plan", PASSWORD, "planner", clock.now)
    return client


@pytest.mark.parametrize("username, status", [("plan", 200), ("sup", 200), ("admin", 200), ("agent", 403)])
def test_roles_by_bearer_token_and_by_cookie(guarded_client, users, username, status):
    headers = login(guarded_client, username)
    by_bearer = guarded_client.get("/guarded/", headers={**headers, "X-Hotline-User": "forged"})
    assert by_bearer.status_code == status
    token = headers["Authorization"].split(" ", 1)[1]
    guarded_client.cookies.set(SESSION_COOKIE, token)
    by_cookie = guarded_client.get("/guarded/")
    guarded_client.cookies.clear()
    assert by_cookie.status_code == status
    if status == 200:
        assert by_bearer.text == by_cookie.text == username  # the client's own X-Hotline-User is dropped
    else:
        assert "may not open" in by_bearer.text


def test_no_login_or_a_dead_token_is_401_and_json_when_asked(guarded_client, users, clock):
    assert guarded_client.get("/guarded/").status_code == 401
    headers = login(guarded_client, "plan")
    clock.now += 10 * 86400  # past the token's lifetime
    expired = guarded_client.get("/guarded/", headers={**headers, "Accept": "application/json"})
    assert expired.status_code == 401 and "Log in" in expired.json()["detail"]


def test_a_planner_reads_reports_but_takes_no_calls(guarded_client, users):
    headers = login(guarded_client, "plan")
    assert guarded_client.get("/api/customers", params={"phone": "13800000000"}, headers=headers).status_code == 403


def test_the_bearer_token_wins_over_the_cookie():
    headers = [(b"cookie", f"a=b; {SESSION_COOKIE}=from-cookie".encode()), (b"authorization", b"Bearer from-header")]
    assert request_token(headers) == "from-header"
    assert request_token(headers[:1]) == "from-cookie"
    assert request_token([(b"authorization", b"Basic xyz")]) is None
