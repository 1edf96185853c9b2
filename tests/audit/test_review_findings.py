"""Findings about re-reviews (复核): an allowance paid at the amount a re-review changed it to is
no finding; a re-review step past its working-day limit is ``review_overdue`` until done."""

from __future__ import annotations

from datetime import timedelta

from helpers import Org, case_in

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.findings import database_findings
from jiuzhu.audit.verify import verify_database
from jiuzhu.scheduler.sweep import sweep


def codes(svc: CaseService, clock: FakeClock) -> list[tuple[str, float | None]]:
    return [(f.code, f.days) for f in database_findings(svc.engine, now=clock.now())]


def test_a_changed_amount_paid_is_no_finding_and_an_overdue_step_is_one(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "verified")  # paid from March 2024 at 2,000 yuan
    svc.open_review(org.township, case.id, reason="家庭成员就业")
    svc.investigate_review(org.village, case.id, findings="长子已就业")
    svc.give_review_opinion(org.township, case.id, opinion="建议调减")
    svc.decide_review(org.county, case.id, outcome="change", reasons="收入增加",
                      monthly_amount="1500", from_month="2024-05")  # fmt: skip
    clock.advance(timedelta(days=70))
    sweep(svc, worker="test", now=clock.now())  # March, April at 2,000; May at 1,500
    assert codes(svc, clock) == []
    svc.open_review(org.township, case.id, reason="再次复核")
    clock.advance(timedelta(days=30))  # more than 10 working days
    sweep(svc, worker="test", now=clock.now())
    [(code, days)] = codes(svc, clock)
    assert code == "review_overdue" and days is not None and days > 0
    svc.investigate_review(org.village, case.id, findings="情况属实")
    assert codes(svc, clock) == []
    assert verify_database(svc.engine).ok


def test_a_change_of_circumstance_not_re_reviewed_in_3_months_is_review_overdue(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "verified")
    svc.record_circumstance(org.village, case.id, kind="recovered",
                            person_id=case.facts["member_ids"][0])  # fmt: skip
    svc.investigate_review(org.village, case.id, findings="已病愈，可就业")
    svc.give_review_opinion(org.township, case.id, opinion="建议继续")
    clock.advance(timedelta(days=100))  # past the 3 months (and the county's 10 working days)
    sweep(svc, worker="test", now=clock.now())
    found = [f for f in database_findings(svc.engine, now=clock.now())]
    assert sorted(f.code for f in found) == ["review_overdue", "review_overdue"]
    assert any("change of circumstance" in f.detail for f in found)
    svc.decide_review(org.county, case.id, outcome="continue", reasons="收入未变")
    assert codes(svc, clock) == []
    assert verify_database(svc.engine).ok
