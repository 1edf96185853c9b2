"""A provider's staff in the browser: the tasks assigned to their organisation, a visit recorded
and a one-off marked done from the list; other roles are refused the page."""

from __future__ import annotations

from datetime import timedelta

from helpers import case_in
from playwright.sync_api import expect
from web_support import PASSWORD, Site, screenshot


def test_a_providers_staff_record_a_visit_and_a_one_off_from_their_tasks(site: Site) -> None:
    svc, org = site.svc, site.org
    provider = svc.register_provider(org.township, unit_id=org.township.org, name="暖心护理")
    svc.create_user(org.admin, username="huli", password=PASSWORD, role="provider",
                    org=org.township.org, display_name="刘护士", provider=provider.id)  # fmt: skip
    case = case_in(svc, org, "provisionally_approved")
    mine = {"provider": provider.id}
    opened = svc.open_service_plan(org.village, case.id, kind="home_visit", provider=mine,
                                   recurrence={"type": "interval", "days": 2})  # fmt: skip
    [plan_id] = opened.facts["plans"]
    one = svc.open_oneoff(org.village, case.id, kind="rewiring", what="更换老化电线",
                          due_on="2024-04-30", provider=mine)  # fmt: skip
    [oneoff_id] = one.facts["oneoffs"]
    site.clock.advance(timedelta(hours=1))
    page = site.sign_in("huli")
    page.get_by_role("link", name="服务任务").click()
    page.wait_for_url("**/provider")
    tasks = page.locator("#tasks li")
    expect(tasks).to_have_count(2)
    expect(page.locator("#tasks li[data-kind=oneoff]")).to_contain_text("电路改造: 更换老化电线")
    expect(page.locator("main")).not_to_contain_text("陈必华")  # no household data
    expect(tasks.first).to_contain_text("团结社区")  # the village by name
    visit = page.locator("#tasks li[data-kind=visit]")
    visit.get_by_label("服务内容").fill("测血压、陪聊")
    visit.get_by_role("button", name="登记到访").click()
    expect(page.locator("#task-done")).to_have_text("已登记，谢谢。")
    assert svc.get_case(org.county, case.id).facts["plans"][plan_id]["done"] == 1
    screenshot(page, "provider-tasks")
    page.locator("#tasks li[data-kind=oneoff]").get_by_role("button", name="登记完成").click()
    expect(page.locator("#task-done")).to_be_visible()
    assert svc.get_case(org.county, case.id).facts["oneoffs"][oneoff_id]["state"] == "completed"
    expect(page.locator("#tasks li[data-kind=oneoff]")).to_have_count(0)
    expect(page.locator("#tasks li[data-kind=visit]")).to_have_count(1)  # the next visit


def test_a_stale_form_and_another_role_are_refused_in_words(site: Site) -> None:
    svc, org = site.svc, site.org
    provider = svc.register_provider(org.township, unit_id=org.township.org, name="暖心护理")
    svc.create_user(org.admin, username="huli", password=PASSWORD, role="provider",
                    org=org.township.org, display_name="刘护士", provider=provider.id)  # fmt: skip
    case = case_in(svc, org, "provisionally_approved")
    svc.open_oneoff(org.village, case.id, kind="repair", what="修缮屋顶", due_on="2024-04-30",
                    provider={"provider": provider.id})  # fmt: skip
    page = site.sign_in("huli")
    page.goto("/provider")
    # the case moves on under the open page: the form carries a stale version
    svc.open_service_plan(org.village, case.id, kind="cleaning", provider={"name": "物业"},
                          recurrence={"type": "interval", "days": 7})  # fmt: skip
    page.get_by_role("button", name="登记完成").click()
    expect(page.locator("#task-error")).to_contain_text("已被修改")  # the version moved on
    village = site.sign_in("cun")
    village.goto("/provider")
    expect(village.locator("main")).to_contain_text("无权执行此操作")
