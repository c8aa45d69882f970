"""The admin's pages in a real Chromium: users and roles (errors beside the field and what was typed kept,
the API's rule that nobody deactivates themselves), and the audit log showing those changes."""

from __future__ import annotations

import pytest

from console.accounts import SqlAccounts
from tests.browser import screenshot
from tests.integration.web.conftest import PASSWORD, log_in

pytestmark = pytest.mark.browser


def row(page, username: str):
    return page.locator(f"#users tr[data-user='{username}']")


def test_an_admin_creates_a_user_and_a_bad_form_keeps_what_was_typed(site, page):
    log_in(page, site.url, "admin", next_path="/admin/users")
    page.fill("#new-user input[name=username]", "agent777")
    page.fill("#new-user input[name=password]", "short")
    page.select_option("#new-user select[name=role]", "supervisor")
    page.click("#new-user button[type=submit]")
    assert page.inner_text("#err-password")  # the message beside the password field
    assert page.input_value("#new-user input[name=username]") == "agent777"
    assert page.input_value("#new-user select[name=role]") == "supervisor"
    assert SqlAccounts(site.engine).by_username("agent777") is None

    page.fill("#new-user input[name=password]", PASSWORD)
    page.click("#new-user button[type=submit]")
    assert row(page, "agent777").get_attribute("data-role") == "supervisor"
    created = SqlAccounts(site.engine).by_username("agent777")
    assert created is not None and created.role == "supervisor" and created.active

    page.fill("#new-user input[name=username]", "agent001")  # taken
    page.fill("#new-user input[name=password]", PASSWORD)
    page.click("#new-user button[type=submit]")
    assert page.inner_text("#err-username")
    assert len([u for u in SqlAccounts(site.engine).users() if u.username == "agent001"]) == 1
    screenshot(page, "admin-users")


def test_role_change_deactivation_and_the_rule_about_yourself(site, page):
    log_in(page, site.url, "admin", next_path="/admin/users")
    row(page, "agent002").locator("select[name=role]").select_option("supervisor")
    row(page, "agent002").locator("button[name=set-role]").click()
    assert row(page, "agent002").get_attribute("data-role") == "supervisor"
    row(page, "agent002").locator("button[value=deactivate]").click()
    assert row(page, "agent002").get_attribute("data-active") == "no"
    assert SqlAccounts(site.engine).login("agent002", PASSWORD, 0, 60) is None  # inactive users cannot log in

    admin = SqlAccounts(site.engine).by_username("admin")
    row(page, "admin").locator("button[value=deactivate]").click()
    assert "yourself" in page.inner_text(f"#err-{admin.id}\\.action")
    assert row(page, "admin").get_attribute("data-active") == "yes"

    page.goto(f"{site.url}/admin/audit?entity=user")
    actions = page.locator("#audit tbody tr td:nth-child(3)").all_inner_texts()
    assert actions.count("users.update") == 2  # role, then deactivation; the refused one wrote nothing
    screenshot(page, "audit-log")


def test_supervisors_may_not_manage_users(site, page):
    log_in(page, site.url, "sup", next_path="/admin/users")
    assert page.locator("#users").count() == 0
    assert page.request.get(f"{site.url}/admin/users").status == 403
    assert page.request.get(f"{site.url}/admin/audit").status == 403
