"""The web console's frame in a real Chromium: login with the API's accounts (an HttpOnly cookie), labels in
Chinese and English by the browser's language and by the switch, form errors beside the field with what was
typed kept, log out ending the token, changing one's own password."""

from __future__ import annotations

import httpx
import pytest

from tests.browser import screenshot
from tests.integration.web.conftest import PASSWORD, log_in

pytestmark = pytest.mark.browser


def test_a_wrong_password_is_answered_beside_the_field_and_the_user_name_is_kept(site, page):
    page.goto(f"{site.url}/")
    assert "/login" in page.url  # not logged in: the login page
    page.fill("input[name=username]", "agent001")
    page.fill("input[name=password]", "not the password")
    page.click("#login-form button[type=submit]")
    assert page.locator("#err-password").inner_text() == "Wrong user name or password, or the user is inactive"
    assert page.input_value("input[name=username]") == "agent001"
    page.fill("input[name=username]", "")
    page.click("#login-form button[type=submit]")  # the browser would stop an empty required field; ours is not
    assert page.locator("#err-username").inner_text() == "Required"
    screenshot(page, "login-error")


def test_the_token_cookie_is_http_only_and_log_out_ends_it(site, page):
    log_in(page, site.url, "agent001")
    assert page.url.endswith("/agent")  # an agent's first page: the desk
    cookie = next(c for c in page.context.cookies() if c["name"] == "hotline_token")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("hotline_token") == -1  # scripts cannot read it
    bearer = {"Authorization": f"Bearer {cookie['value']}"}
    assert httpx.get(f"{site.url}/api/me", headers=bearer).status_code == 200
    page.click("header form[action='/logout'] button")
    assert "/login" in page.url
    assert httpx.get(f"{site.url}/api/me", headers=bearer).status_code == 401


def test_pages_render_in_chinese_by_the_browsers_language_and_switch_to_english(site, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        log_in(page, site.url, "agent001")
        assert page.locator("header nav").inner_text().split() == ["坐席工作台", "回呼工单", "投诉"]
        assert page.locator("#state").inner_text() == "未签入"
        screenshot(page, "agent-desk-zh")
        page.click("header a.lang")
        assert page.locator("header nav").inner_text().split("\n")[0] == "Agent desk"
        assert page.locator("#state").inner_text() == "Logged out"
        page.goto(f"{site.url}/callbacks")
        assert page.locator("h1").inner_text() == "Callback worklist"  # the choice stays
        page.click("header a.lang")
        assert page.locator("h1").inner_text() == "回呼工单"
    finally:
        context.close()


def test_the_navigation_follows_the_role(site, page):
    log_in(page, site.url, "sup")
    links = page.locator("header nav a").all_inner_texts()
    assert "Agent desk" in links and "Callbacks" in links
    page.goto(f"{site.url}/static/console.css")
    assert page.evaluate("document.body.innerText").startswith("/* Hotline web console")  # served locally


def test_changing_ones_password_shows_each_problem_beside_its_field(site, page):
    log_in(page, site.url, "agent002", next_path="/account/password")
    page.fill("input[name=current]", "wrong one")
    page.fill("input[name=new]", "short")
    page.fill("input[name=repeat]", "short")
    page.click("#password-form button")
    assert page.locator("#err-new").inner_text() == "At least 8 characters"
    page.fill("input[name=current]", "wrong one")
    page.fill("input[name=new]", "a long new secret")
    page.fill("input[name=repeat]", "a different secret")
    page.click("#password-form button")
    assert page.locator("#err-repeat").inner_text() == "The two new passwords differ"
    page.fill("input[name=current]", "wrong one")
    page.fill("input[name=new]", "a long new secret")
    page.fill("input[name=repeat]", "a long new secret")
    page.click("#password-form button")
    assert page.locator("#err-current").inner_text() == "The current password is wrong"
    page.fill("input[name=current]", PASSWORD)
    page.fill("input[name=new]", "a long new secret")
    page.fill("input[name=repeat]", "a long new secret")
    page.click("#password-form button")
    assert "Password changed" in page.locator(".notice").inner_text()
    screenshot(page, "password")
    assert httpx.post(f"{site.url}/api/login", json={"username": "agent002", "password": PASSWORD}).status_code == 401
