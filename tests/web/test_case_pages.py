"""A case's page in the browser: a whole fast track by three units, refusals, lost races."""

from __future__ import annotations

import re
from typing import Any

from helpers import case_in, fire, new_id_number
from playwright.sync_api import expect
from web_support import ARTIFACTS, Site, screenshot

CASE_URL = re.compile(r"/cases/\d{6}-\d{4}-\d{6}$")


def open_action(page: Any, command: str) -> Any:
    """The form of ``command``, its disclosure opened with the keyboard-usable summary."""
    details = page.locator(f"details:has(form[data-action={command}])")
    if not details.evaluate("d => d.open"):
        details.locator("summary").click()
    return details.locator("form")


def test_a_fast_track_case_from_application_to_verification_by_three_units(site: Site) -> None:
    village = site.sign_in("cun")
    village.get_by_role("link", name="新申请").click()
    village.locator("#name_0").fill("陈必华")
    village.locator("#id_number_0").fill(new_id_number())
    village.locator("#name_1").fill("王秀英")
    village.locator("#id_number_1").fill(new_id_number())
    village.locator("#relation_1").select_option("spouse")
    village.get_by_role("button", name="登记家庭").click()
    village.wait_for_url("**/households/*/apply")
    applicant = village.locator("#applicant_id option", has_text="陈必华").get_attribute("value")
    village.get_by_label("申请人").select_option(applicant)
    village.get_by_label("救助项目").select_option("dibao")
    village.get_by_label("突发支出原因").select_option("major_illness")
    village.get_by_label("突发支出金额（元）").fill("90,000")
    village.get_by_role("button", name="提交申请").click()
    village.wait_for_url(CASE_URL)
    case_no = village.url.rsplit("/", 1)[1]
    expect(village.locator("#case-state")).to_have_text("已申请")
    expect(village.locator("#case-village")).to_have_text("团结社区")
    expect(village.locator(".diagram [aria-current=step]")).to_have_attribute(
        "data-state", "applied"
    )

    form = open_action(village, "promise")
    form.get_by_label("签署人").select_option(label="陈必华")
    form.get_by_role("button", name="签署信用承诺").click()
    expect(village.locator("#case-state")).to_have_text("已承诺")
    expect(village.locator("#timeline")).to_contain_text("陈必华签署信用承诺书")

    form = open_action(village, "record_appraisal")
    form.get_by_label("评议结果").select_option("passed")
    form.get_by_label("到会人数").fill("20")
    form.get_by_label("赞成票").fill("18")
    form.get_by_label("反对票").fill("1")
    form.get_by_label("弃权票", exact=False).fill("1")
    form.get_by_role("button", name="记录民主评议结果").click()
    expect(village.locator("#case-state")).to_have_text("已评议")
    expect(village.locator(".others").get_by_text("待乡镇（街道）办理：先行审批")).to_be_visible()
    expect(village.locator("form[data-action=approve]")).to_have_count(0)

    township = site.sign_in("zhen")
    township.goto(f"/cases/{case_no}")
    form = open_action(township, "approve")
    form.get_by_label("每月金额（元）").fill("1200")
    form.get_by_role("button", name="先行审批").click()
    expect(township.locator("#case-state")).to_have_text("先行批准")
    approval = township.locator("#timeline li[data-type=approve]")
    expect(approval).to_contain_text("先行批准，每月 1,200.00 元")
    expect(approval).to_contain_text("东坎街道 · 乡镇（街道）")
    check = township.locator("#h-deadlines + table tr", has_text="家庭经济状况核对期限")
    expect(check).to_contain_text("2024-04-15 10:00")  # one month on, in Shanghai time
    expect(check).to_contain_text("31 天 0 小时")

    county = site.sign_in("xian")
    county.goto(f"/cases/{case_no}")
    form = open_action(county, "record_verification")
    form.get_by_label("核对结果").select_option("meets_standard")
    form.get_by_role("button", name="记录核对结果").click()
    expect(county.locator("#case-state")).to_have_text("核对通过")
    expect(county.locator("#timeline li")).to_have_count(5)
    case = site.svc.find_case(site.org.county, case_no)
    assert (case.state, case.monthly_amount_fen) == ("verified", 120000)
    actors = [e.actor["user"] for e in site.svc.history(site.org.county, case.id)]
    assert actors == ["cun", "cun", "cun", "zhen", "xian"]
    expect(county.get_by_text("已发放合计")).to_be_visible()  # the ledger's totals, labelled
    expect(county.get_by_text("paid_fen")).to_have_count(0)
    screenshot(county, "case-page")
    county.get_by_role("link", name="切换语言").click()
    expect(county.locator("#case-state")).to_have_text("verified")
    expect(county.locator("#timeline li[data-type=approve]")).to_contain_text(
        "provisionally approved, 1,200.00 yuan a month"
    )


def test_a_case_page_at_390_px_and_in_print(site: Site) -> None:
    case = case_in(site.svc, site.org, "provisionally_approved")
    page = site.sign_in("zhen", site.page(width=390, height=844))
    page.goto(f"/cases/{case.case_no}")
    expect(page.locator("#case-state")).to_have_text("先行批准")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"
    screenshot(page, "case-page-390")
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("#h-actions")).to_be_hidden()
    expect(page.locator("#timeline")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(path=str(ARTIFACTS / "case-summary.pdf"), prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")


def test_a_lost_race_shows_the_conflict_and_writes_nothing(site: Site) -> None:
    case = case_in(site.svc, site.org, "reviewed")
    first, second = site.sign_in("zhen"), site.sign_in("zhen")
    for page in (first, second):
        page.goto(f"/cases/{case.case_no}")
        open_action(page, "approve").get_by_label("每月金额（元）").fill("1200")
    second.locator("form[data-action=approve] input[name=monthly_amount]").fill("1500")
    first.locator("form[data-action=approve]").get_by_role("button").click()
    expect(first.locator("#case-state")).to_have_text("先行批准")
    with second.expect_response(lambda r: r.request.method == "POST") as answer:
        second.locator("form[data-action=approve]").get_by_role("button").click()
    assert answer.value.status == 409
    expect(second.locator("#action-error")).to_contain_text("案件已被他人更新")
    expect(second.locator("#case-state")).to_have_text("先行批准")  # the page shows it afresh
    after = site.svc.get_case(site.org.county, case.id)
    assert after.monthly_amount_fen == 120000
    assert [e.type for e in site.svc.history(site.org.county, case.id)].count("approve") == 1


def test_a_village_sending_the_townships_step_is_refused_by_the_service(site: Site) -> None:
    case = case_in(site.svc, site.org, "reviewed")
    page = site.sign_in("cun")
    page.goto(f"/cases/{case.case_no}")
    csrf = page.locator("form[action='/sign-out'] input[name=csrf]").input_value()
    answer = page.request.post(
        f"/cases/{case.case_no}/actions/approve",
        form={"csrf": csrf, "expected_version": str(case.row_version), "monthly_amount": "1200"},
    )
    assert answer.status == 403
    assert "无权执行此操作；应由乡镇（街道）办理" in answer.text()
    assert "Traceback" not in answer.text()
    assert site.svc.get_case(site.org.county, case.id).state == "reviewed"


def test_a_guard_refusal_is_shown_on_the_page_and_changes_nothing(site: Site) -> None:
    case = case_in(site.svc, site.org, "promised")
    page = site.sign_in("cun")
    page.goto(f"/cases/{case.case_no}")
    form = open_action(page, "record_appraisal")
    form.get_by_label("评议结果").select_option("passed")
    form.get_by_label("到会人数").fill("20")
    form.get_by_label("赞成票").fill("18")
    form.get_by_label("反对票").fill("5")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button").click()
    assert answer.value.status == 422
    expect(page.locator("#action-error")).to_contain_text("未能办理")
    expect(page.locator("#case-state")).to_have_text("已承诺")
    assert site.svc.get_case(site.org.county, case.id).row_version == case.row_version
    page.get_by_role("link", name="切换语言").click()
    expect(page.locator("#case-state")).to_have_text("commitment signed")


def test_an_unknown_case_is_a_page_not_a_traceback(site: Site) -> None:
    page = site.sign_in("cun")
    answer = page.goto("/cases/320922-2024-999999")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("alert")).to_be_visible()


def test_a_case_outside_the_jurisdiction_is_refused(site: Site) -> None:
    far = case_in(site.svc, site.org, "applied", village=site.org.far_village)
    fire(site.svc, site.org, far, "promise")
    page = site.sign_in("cun")
    answer = page.goto(f"/cases/{far.case_no}")
    assert answer is not None and answer.status in (403, 404)
    expect(page.locator("#case-state")).to_have_count(0)


def test_an_action_can_be_taken_with_the_keyboard_alone(site: Site) -> None:
    case = case_in(site.svc, site.org, "reviewed")
    page = site.sign_in("zhen")
    page.goto(f"/cases/{case.case_no}")
    summary = page.locator("details:has(form[data-action=approve]) summary")
    summary.focus()
    page.keyboard.press("Enter")  # a summary opens its disclosure from the keyboard
    amount = page.locator("form[data-action=approve] input[name=monthly_amount]")
    expect(amount).to_be_visible()
    page.keyboard.press("Tab")
    expect(amount).to_be_focused()
    outline = amount.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none", "the focused field shows no focus ring"
    page.keyboard.type("800")
    page.keyboard.press("Enter")  # submits the form
    expect(page.locator("#case-state")).to_have_text("先行批准")
    assert site.svc.get_case(site.org.county, case.id).monthly_amount_fen == 80000
