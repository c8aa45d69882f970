"""Hardening (issue 14, item 2 and the password items of 12): lockout with back-off per user and per address,
every login audited, password checks bounded so /api/health answers, password policy, case-insensitive names;
on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher

import console.accounts
from adapters.store.audit import SqlAudit
from console.accounts import USER_LOCKOUT, AccountError, SqlAccounts, password_problem
from tests.helpers import wait_until
from tests.integration.console.conftest import PASSWORD

WRONG = "not the password at all"


def _login(client, username, password):
    return client.post("/api/login", json={"username": username, "password": password})


def test_fifty_wrong_passwords_lock_the_user_and_the_right_one_waits(client, users, clock, engine):
    codes = [_login(client, "agent", WRONG).status_code for _ in range(50)]
    assert codes[: USER_LOCKOUT.threshold] == [401] * USER_LOCKOUT.threshold
    assert set(codes[USER_LOCKOUT.threshold :]) == {429}
    right = _login(client, "agent", PASSWORD)
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
    clock.now += int(right.headers["Retry-After"])
    assert _login(client, "agent", PASSWORD).status_code == 200  # the wait is over; a success clears the count
    assert _login(client, "agent", WRONG).status_code == 401
    assert _login(client, "agent", PASSWORD).status_code == 200
    assert _login(client, "sup", PASSWORD).status_code == 200  # another user is not locked


def test_each_further_failure_doubles_the_wait(client, users, clock):
    waits = []
    for _ in range(4):
        while (response := _login(client, "agent2", WRONG)).status_code == 401:
            pass
        waits.append(int(response.headers["Retry-After"]))
        clock.now += waits[-1]
    assert waits == [30, 60, 120, 240]


def test_one_address_trying_many_names_is_locked_too(client, users):
    codes = [_login(client, f"guess{i}", WRONG).status_code for i in range(40)]
    assert codes[:30] == [401] * 30 and set(codes[30:]) == {429}
    assert _login(client, "admin", PASSWORD).status_code == 429


def test_failed_refused_and_successful_logins_are_audited_with_the_address(client, users, engine):
    _login(client, "Agent", WRONG)
    _login(client, "agent", PASSWORD)
    rows = SqlAudit(engine).entries(entity="user", entity_id="agent")
    assert [r.action for r in rows] == ["auth.login", "auth.login_failed"]
    assert all("testclient" in r.detail for r in rows)
    assert [r.action for r in SqlAudit(engine).entries(entity="address", entity_id="testclient")][:2] == [
        "auth.login",
        "auth.login_failed",
    ]


class GatedHasher(PasswordHasher):
    """Real argon2 (cheapest parameters) whose checks wait for the test to open the gate, so that they stay in
    flight while the test looks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.gate = threading.Event()

    def verify(self, hash, password):
        assert self.gate.wait(timeout=120)
        return super().verify(hash, password)


def test_concurrent_logins_never_run_more_checks_than_the_bound_and_health_answers(client, users, app, monkeypatch):
    hasher = GatedHasher()
    monkeypatch.setattr(console.accounts, "_hasher", hasher)
    n, bound = 12, app.state.settings.password_checks
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda i=i: answers.append(_login(client, f"nobody{i}", WRONG).status_code))
        for i in range(n)
    ]
    for thread in threads:
        thread.start()
    try:
        checks = wait_until(lambda: getattr(app.state, "password_checks", None), what="the first check")
        wait_until(
            lambda: checks.in_flight == bound and checks.waiting == n - bound,
            what=lambda: f"{bound} checks in flight and {n - bound} waiting",
            detail=lambda: f"in flight {checks.in_flight}, waiting {checks.waiting}",
        )
        health = client.get("/api/health")
        assert health.status_code == 200 and checks.in_flight == bound  # answered while the checks are stuck
    finally:
        hasher.gate.set()
        for thread in threads:
            thread.join(timeout=120)
    assert answers == [401] * n and checks.peak == bound and checks.in_flight == 0


# --- item 12: password policy and user names -----------------------------------------------------------------


@pytest.mark.parametrize(
    "password, role",
    [
        ("12345678", "supervisor"),
        ("1234567890123", "supervisor"),
        ("short pw", "agent"),
        ("aaaaaaaaaaaaaa", "admin"),
        ("password123!", "admin"),
        ("my name is boss ok", "admin"),
    ],
)
def test_a_weak_password_is_refused(password, role):
    assert password_problem(password, "boss", role) is not None


def test_the_policy_applies_to_the_api_and_names_are_case_insensitive(client, auth, engine, clock):
    weak = client.post(
        "/api/users", headers=auth["admin"], json={"username": "lead", "password": "12345678", "role": "supervisor"}
    )
    assert weak.status_code == 422 and "at least 12" in weak.json()["detail"]
    made = client.post(
        "/api/users",
        headers=auth["admin"],
        json={"username": "Lead", "password": "violet staple engine", "role": "supervisor"},
    )
    assert made.status_code == 201 and made.json()["username"] == "lead"
    again = client.post(
        "/api/users",
        headers=auth["admin"],
        json={"username": "LEAD", "password": "violet staple engine", "role": "agent"},
    )
    assert again.status_code == 409
    assert _login(client, "LeAd", "violet staple engine").status_code == 200
    with pytest.raises(AccountError):
        SqlAccounts(engine).create_user("boss", "12345678", "admin", clock.now)
