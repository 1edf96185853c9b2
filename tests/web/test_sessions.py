"""Signing in and out, the session cookie, CSRF, locked and disabled accounts, the language."""

from __future__ import annotations

import re

import httpx
import pytest
from helpers import case_in, count_rows, new_id_number
from playwright.sync_api import expect
from web_support import PASSWORD, Site

from jiuzhu.api import tokens
from jiuzhu.errors import AccountLocked, SignInRefused


def test_a_page_without_a_session_sends_to_sign_in_and_back(site: Site) -> None:
    page = site.page()
    page.goto("/apply")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fapply$"))
    page.get_by_label("用户名").fill("cun")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/apply")
    expect(page.get_by_role("heading", name="新申请")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "jiuzhu_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/"
    assert site.svc.session(cookie["value"]).actor == site.org.village.__class__(
        site.org.village.role, site.org.village.org, "cun"
    )
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/sign-in")
    with pytest.raises(SignInRefused):
        site.svc.session(cookie["value"])
    page.goto("/apply")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))


def test_five_wrong_passwords_lock_the_account(site: Site) -> None:
    page = site.page()
    page.goto("/sign-in")
    for attempt in range(1, 7):  # four refusals, the fifth locks, then the right password
        page.get_by_label("用户名").fill("zhen")
        page.get_by_label("密码").fill(PASSWORD if attempt == 6 else "not-the-password")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="登录").click()
        if attempt < 5:
            assert answer.value.status == 401
            expect(page.locator("#sign-in-error")).to_have_text("用户名或密码错误")
        else:
            assert answer.value.status == 403
            expect(page.locator("#sign-in-error")).to_contain_text("账户已锁定 15 分钟")
    assert "jiuzhu_session" not in {c["name"] for c in page.context.cookies()}
    with pytest.raises(AccountLocked):
        site.svc.sign_in("zhen", PASSWORD)


def test_an_unknown_user_gets_the_same_message_as_a_wrong_password(site: Site) -> None:
    page = site.page()
    page.goto("/sign-in")
    page.get_by_label("用户名").fill("nobody")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#sign-in-error")).to_have_text("用户名或密码错误")


def test_a_disabled_account_shows_its_message(site: Site) -> None:
    site.svc.disable_user(site.org.county, "linju")
    page = site.page()
    page.goto("/sign-in")
    page.get_by_label("用户名").fill("linju")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#sign-in-error")).to_have_text("该账户已停用，请联系管理员")


def test_a_refused_csrf_token_changes_nothing(site: Site) -> None:
    page = site.page()
    page.goto("/sign-in?next=/apply")
    page.get_by_label("用户名").fill("cun")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/apply")
    before = count_rows(site.svc, "households")
    page.locator("#name_0").fill("陈必华")
    page.locator("#id_number_0").fill(new_id_number())
    page.locator("form[action='/apply'] input[name=csrf]").evaluate("e => e.value = 'forged'")
    with page.expect_response(re.compile(r"/apply$")) as answer:
        page.get_by_role("button", name="登记家庭").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading")).to_contain_text("请求已被拒绝")
    expect(page.get_by_text("Request refused")).to_be_visible()
    expect(page.get_by_text("nothing was changed", exact=False)).to_be_visible()
    assert count_rows(site.svc, "households") == before


def test_a_sign_in_form_without_its_token_is_refused(site: Site) -> None:
    with httpx.Client(base_url=site.base_url) as http:
        answer = http.post("/sign-in", data={"username": "cun", "password": PASSWORD},
                           headers={"accept": "text/html"})  # fmt: skip
    assert answer.status_code == 403
    assert "jiuzhu_session" not in answer.headers.get("set-cookie", "")


def test_the_language_switch_keeps_the_page_and_every_label(site: Site) -> None:
    page = site.page()
    page.goto("/sign-in")
    page.get_by_role("link", name="切换语言").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("User name").fill("cun")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/apply")
    expect(page.get_by_role("heading", name="New application")).to_be_visible()
    expect(page.get_by_role("button", name="Register the household")).to_be_visible()
    page.get_by_role("link", name="Switch language").click()
    page.wait_for_url("**/apply")
    expect(page.get_by_role("heading", name="新申请")).to_be_visible()


def test_the_api_keeps_its_bearer_tokens_and_json_bodies(site: Site) -> None:
    case = case_in(site.svc, site.org, "applied")
    _, token = tokens.create_token(
        site.svc.engine, site.clock, role="county", org=site.org.county.org
    )
    with httpx.Client(base_url=site.base_url) as http:
        form = http.post("/households", data={"members": "x"})
        anonymous = http.get("/cases", headers={"accept": "application/json"})
        bearer = http.get(f"/cases/{case.id}", headers={  # a browser-like Accept, with a token
            "accept": "text/html,*/*", "authorization": f"Bearer {token}"})  # fmt: skip
        page = http.get(f"/cases/{case.id}", headers={"accept": "text/html"})
    assert form.status_code == 415  # the API's guard still refuses a form body on its paths
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    assert bearer.status_code == 200 and bearer.json()["id"] == case.id
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")


def test_the_skip_link_is_the_first_stop_of_the_keyboard(site: Site) -> None:
    page = site.page()
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到正文")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
