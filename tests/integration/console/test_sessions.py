"""Sessions (issue 14 item 7): log out ends the token, users change their own password (their other logins
end), an admin ends every login of a user. On SQLite and PostgreSQL."""

from __future__ import annotations

from tests.integration.console.conftest import PASSWORD, login


def test_logout_ends_the_token_and_only_that_one(client, users):
    first, second = login(client, "agent"), login(client, "agent")
    assert client.post("/api/logout", headers=first).status_code == 204
    assert client.get("/api/me", headers=first).status_code == 401
    assert client.post("/api/logout", headers=first).status_code == 401  # ended: nothing to log out
    assert client.get("/api/me", headers=second).status_code == 200


def test_changing_ones_password_needs_the_current_one_and_ends_the_other_logins(client, users):
    this, other = login(client, "agent"), login(client, "agent")
    wrong = client.post("/api/me/password", headers=this, json={"current": "not it", "new": "a new long secret"})
    assert wrong.status_code == 403 and "current password" in wrong.json()["detail"]
    short = client.post("/api/me/password", headers=this, json={"current": PASSWORD, "new": "short"})
    assert short.status_code == 422
    assert client.get("/api/me", headers=other).status_code == 200  # nothing changed yet
    changed = client.post("/api/me/password", headers=this, json={"current": PASSWORD, "new": "a new long secret"})
    assert changed.status_code == 204
    assert client.get("/api/me", headers=this).status_code == 200  # the session that asked stays
    assert client.get("/api/me", headers=other).status_code == 401
    assert client.post("/api/login", json={"username": "agent", "password": PASSWORD}).status_code == 401
    assert client.post("/api/login", json={"username": "agent", "password": "a new long secret"}).status_code == 200


def test_an_admin_ends_every_login_of_a_user(client, users, auth):
    agent_tokens = [login(client, "agent") for _ in range(2)]
    agent_id = users["agent"].id
    assert client.post(f"/api/users/{agent_id}/revoke-tokens", headers=auth["sup"]).status_code == 403
    revoked = client.post(f"/api/users/{agent_id}/revoke-tokens", headers=auth["admin"])
    assert revoked.status_code == 200 and revoked.json()["revoked"] == 3  # the auth fixture's login too
    assert all(client.get("/api/me", headers=h).status_code == 401 for h in agent_tokens)
    assert client.get("/api/me", headers=auth["agent2"]).status_code == 200  # another user keeps theirs
    assert client.post("/api/users/99999/revoke-tokens", headers=auth["admin"]).status_code == 404
    audit = client.get("/api/audit", headers=auth["admin"]).json()
    assert any(row["action"] == "users.revoke_tokens" for row in audit)


def test_the_web_console_cookie_authenticates_the_api(client, users):
    response = client.post("/login", data={"username": "agent", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/api/me").json()["username"] == "agent"  # the client keeps the cookie
    client.post("/logout")
    assert client.get("/api/me").status_code == 401
