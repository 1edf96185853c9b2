"""The household's chain in the browser: linked from the case page, every case, payment and
service of the household in time order; the next page; auditors see no names."""

from __future__ import annotations

from datetime import UTC, datetime

from helpers import case_in, make_household
from playwright.sync_api import expect
from web_support import Site, screenshot

from jiuzhu.scheduler.sweep import sweep


def test_the_case_page_links_to_the_households_chain(site: Site) -> None:
    svc, org = site.svc, site.org
    home = make_household(svc, org.village, 2)
    first = case_in(svc, org, "provisionally_approved", household=home)
    second = case_in(svc, org, "provisionally_approved", household=home,
                     applicant_id=home.member_ids[1])  # fmt: skip
    site.clock.set(datetime(2024, 3, 20, 2, tzinfo=UTC))
    sweep(svc, worker="web", now=site.clock.now())
    page = site.sign_in("zhen")
    page.goto(f"/cases/{second.case_no}")
    page.locator("#household-chain").click()
    page.wait_for_url(f"**/households/{home.id}")
    expect(page.locator("h1")).to_have_text("家庭救助链")
    rows = page.locator("#chain tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#chain tr[data-kind=case]").first).to_contain_text(first.case_no)
    expect(page.locator("#chain tr[data-kind=case]").first).to_contain_text("陈必华")
    paid = page.locator("#chain tr[data-kind=payment]")
    expect(paid).to_contain_text("2000.00 元 · 2024-03")
    expect(paid).to_contain_text("团结社区")
    expect(page.locator("#chain tr[data-kind=withheld]")).to_contain_text(
        f"已由案件 {first.case_no} 发放"
    )
    screenshot(page, "household-chain")
    page.locator("#chain tr[data-kind=withheld] a").click()
    page.wait_for_url(f"**/cases/{second.case_no}")
    auditor = site.sign_in("shenji")
    auditor.goto(f"/households/{home.id}")
    expect(auditor.locator("#chain tbody tr")).to_have_count(4)
    expect(auditor.locator("#chain")).not_to_contain_text("陈必华")
    outside = site.sign_in("linju")
    outside.goto(f"/households/{home.id}")
    expect(outside.locator("main")).to_contain_text("不在 320922100002 的管辖范围内")
