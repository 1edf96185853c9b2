"""The auditor's read-only pages: findings, verification with progress, replay as of a date,
checkpoints, the export and the personal-data read log."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from helpers import case_in, fire, make_household, new_id_number, open_case
from playwright.sync_api import expect
from web_support import Site, screenshot


def test_findings_summary_counts_by_kind_and_unit(site: Site) -> None:
    svc, org = site.svc, site.org
    case = case_in(svc, org, "provisionally_approved")
    case_in(svc, org, "provisionally_approved", village=org.neighbour_village)
    site.clock.advance(timedelta(days=45))  # both data checks are overdue
    summary = svc.findings_summary(org.auditor)
    assert summary, "the fixture should produce findings"
    page = site.sign_in("shenji")
    page.get_by_role("link", name="审计监督").click()
    rows = page.locator("#findings-summary tbody tr")
    expect(rows).to_have_count(len(summary))
    for index, row in enumerate(summary):
        expect(rows.nth(index)).to_contain_text(row["kind_zh"])
        expect(rows.nth(index)).to_contain_text(row["unit_name"])
        expect(rows.nth(index).locator("td.num")).to_have_text(str(row["count"]))
    screenshot(page, "findings-summary")
    listed = page.locator("#findings tbody tr", has_text=case.case_no)
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("团结社区")
    listed.get_by_role("link").click()
    page.wait_for_url(f"**/cases/{case.case_no}")
    page.go_back()
    first = summary[0]
    page.get_by_label("类别", exact=True).select_option(first["kind"])
    page.get_by_role("button", name="筛选").click()
    total = svc.findings(org.auditor, kind=first["kind"]).total
    expect(page.get_by_role("heading", name=f"检查发现 ({total})")).to_be_visible()


def test_verify_streams_its_progress_then_the_result(site: Site) -> None:
    for state in ("applied", "reviewed", "provisionally_approved"):
        case_in(site.svc, site.org, state)
    page = site.sign_in("shenji")
    page.goto("/audit/verify")
    page.get_by_role("button", name="开始校验").click()
    expect(page.locator("#verify-ok")).to_contain_text("3 个案件")
    last = page.locator(".progress-line").last
    expect(last).to_have_attribute("data-done", last.get_attribute("data-total") or "?")


def test_an_auditor_replays_a_case_as_of_a_date(site: Site) -> None:
    svc, org = site.svc, site.org
    case = case_in(svc, org, "provisionally_approved")  # 2024-03-15 10:00 Shanghai
    site.clock.advance(timedelta(days=40))
    fire(svc, org, svc.get_case(org.county, case.id), "revoke")
    page = site.sign_in("shenji")
    page.goto("/audit/replay")
    page.get_by_label("案件编号").fill(case.case_no)
    page.get_by_label("截至").fill("2024-03-20T12:00")
    page.get_by_role("button", name="按日期回放").click()
    expect(page.locator("#replay-then")).to_contain_text("先行批准")
    expect(page.locator("#replay-now")).to_contain_text("已撤销")
    differences = page.locator("#replay-differences tbody tr")
    expect(differences.filter(has_text="facts.verification")).to_contain_text("falsification")
    expect(differences.filter(has_text="state")).to_contain_text("provisionally_approved")
    screenshot(page, "replay")


def test_checkpoints_and_an_export_without_personal_data(site: Site) -> None:
    svc, org = site.svc, site.org
    home = make_household(svc, org.village, members=[
        {"name": "陈必华", "id_number": new_id_number(), "relation": "head"}])  # fmt: skip
    open_case(svc, org, household=home)
    page = site.sign_in("shenji")
    page.goto("/audit/checkpoints")
    expect(page.get_by_role("heading", name="检查点")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载审计导出").first.click()
    with zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes())) as archive:
        texts = [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    assert texts
    assert not any("陈必华" in text for text in texts)


def test_the_read_log_shows_who_read_whose_data(site: Site) -> None:
    case = case_in(site.svc, site.org, "applied")
    village = site.sign_in("cun")
    village.goto(f"/cases/{case.case_no}")
    expect(village.locator("#h-members + table tbody tr")).to_have_count(1)
    county = site.sign_in("xian")
    county.goto("/audit/reads")
    row = county.locator("#reads tbody tr").filter(has_text="cun")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("团结社区")
    expect(row).to_contain_text("案件页面")


def test_an_auditor_sees_no_names_and_no_action_forms(site: Site) -> None:
    case = case_in(site.svc, site.org, "reviewed")
    page = site.sign_in("shenji")
    page.goto(f"/cases/{case.case_no}")
    expect(page.locator("#case-state")).to_have_text("已评议")
    expect(page.locator("form[data-action]")).to_have_count(0)
    expect(page.locator("#timeline li")).to_have_count(3)
    assert "陈必华" not in page.locator("main").inner_text()
