"""Finding a case: search by name, ID number and case number, the home page and the queues."""

from __future__ import annotations

import re

from helpers import case_in, make_household, new_id_number, open_case
from playwright.sync_api import expect
from web_support import Site, screenshot


def test_search_by_name_shows_number_name_unit_and_state(site: Site) -> None:
    svc, org = site.svc, site.org
    mine = make_household(svc, org.village, members=[
        {"name": "陈必华", "id_number": new_id_number(), "relation": "head"}])  # fmt: skip
    case = open_case(svc, org, household=mine)
    far = make_household(svc, org.far_village, members=[
        {"name": "陈必强", "id_number": new_id_number(), "relation": "head"}])  # fmt: skip
    open_case(svc, org, village=org.far_village, household=far)  # outside the village's reach
    page = site.sign_in("cun")
    page.get_by_role("link", name="查找案件").click()
    page.get_by_label("姓名").fill("陈必")
    page.get_by_role("button", name="查找案件").click()
    rows = page.locator("table.results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(case.case_no)
    expect(rows.first).to_contain_text("陈必华")
    expect(rows.first).to_contain_text("团结社区")
    expect(rows.first).to_contain_text("已申请")
    screenshot(page, "search-results")
    narrow = site.sign_in("cun", site.page(width=390, height=844))
    narrow.goto(page.url)
    expect(narrow.locator("table.results tbody tr")).to_have_count(1)
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(narrow, "search-results-390")
    rows.first.get_by_role("link").click()
    page.wait_for_url(f"**/cases/{case.case_no}")
    expect(page.locator("#case-no")).to_have_text(case.case_no)


def test_search_by_id_number_and_by_case_number(site: Site) -> None:
    svc, org = site.svc, site.org
    number = new_id_number()
    home = make_household(svc, org.village, members=[
        {"name": "王秀英", "id_number": number, "relation": "head"}])  # fmt: skip
    case = open_case(svc, org, household=home)
    page = site.sign_in("zhen")
    page.goto("/search")
    page.get_by_label("身份证号").fill(number)
    page.get_by_role("button", name="查找案件").click()
    expect(page.locator("table.results tbody tr")).to_contain_text(case.case_no)
    page.get_by_label("身份证号").fill("")
    page.get_by_label("案件编号").fill(case.case_no)
    page.get_by_role("button", name="查找案件").click()
    expect(page.locator("table.results tbody tr")).to_contain_text("王秀英")
    page.get_by_label("案件编号").fill("not-a-number")
    page.get_by_role("button", name="查找案件").click()
    expect(page.get_by_role("alert")).to_contain_text("案件编号")  # the service's message
    assert "Traceback" not in page.content()


def test_home_shows_the_unit_by_name_and_the_queues_their_cases(site: Site) -> None:
    case = case_in(site.svc, site.org, "reviewed")  # the township's turn
    page = site.sign_in("zhen")
    expect(page.locator("#home-unit")).to_have_text("东坎街道")
    expect(page.locator("[data-queue=waiting] .n")).to_have_text("1")
    page.locator("[data-queue=waiting]").click()
    page.wait_for_url("**/queue/waiting")
    expect(page.get_by_role("link", name="待我办理")).to_have_attribute("aria-current", "page")
    row = page.locator("table.results tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(case.case_no)
    expect(row).to_contain_text("团结社区")
    screenshot(page, "queue")
    page.get_by_role("link", name="本周到期").click()
    expect(page).to_have_url(re.compile(r"/queue/due_this_week$"))
    village = site.sign_in("cun")
    expect(village.locator("[data-queue=waiting] .n")).to_have_text("0")


def test_an_unknown_queue_names_the_valid_ones(site: Site) -> None:
    page = site.sign_in("cun")
    answer = page.goto("/queue/everything")
    assert answer is not None and answer.status == 422
    expect(page.get_by_role("alert")).to_contain_text("waiting")
