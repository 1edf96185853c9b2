"""Re-review (复核) through the service, on SQLite and PostgreSQL: the cycle the decision
opens (worked case 8), the three steps with their limits on the alarm list, and the county's
outcomes followed by the payment run."""

from __future__ import annotations

from datetime import datetime

import pytest
from helpers import Org, make_county, make_household
from sqlalchemy import select

from jiuzhu import CaseService, FakeClock, GuardRejected, InvalidInput, PermissionDenied
from jiuzhu.audit.verify import replay_case, verify_database
from jiuzhu.clock import SHANGHAI, iso_utc
from jiuzhu.models.tables import LedgerEntryRecord
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.views import CaseView

QINHUAI = "320104"


def shanghai(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> FakeClock:
    """Worked case 8 is decided in January 2024: this module's clock starts on 8 January."""
    return FakeClock(shanghai("2024-01-08"))


@pytest.fixture
def nj(svc: CaseService) -> Org:
    return make_county(svc, QINHUAI)


def confirmed(svc: CaseService, org: Org, clock: FakeClock, category: str | None) -> CaseView:
    home = make_household(svc, org.village, 3)
    case = svc.apply_standard(org.village, household_id=home.id, applicant_id=home.member_ids[0])
    case = svc.accept_standard(org.township, case.id)
    case = svc.start_investigation(org.township, case.id, investigators=["nj-01", "nj-02"])
    case = svc.complete_investigation(org.township, case.id, household_income="1200",
                                      signed_by=case.facts["applicant_id"],
                                      investigators=["nj-01", "nj-02"])  # fmt: skip
    case = svc.start_verification(org.centre, case.id)
    case = svc.record_check(org.centre, case.id, result="meets_standard")
    case = svc.give_opinion(org.township, case.id, recommend=False, opinion="提请县级确认")
    clock.set(shanghai("2024-01-10"))
    return svc.decide_standard(org.county, case.id, decision="confirm",
                               household_category=category)  # fmt: skip


def swept(svc: CaseService, clock: FakeClock, when: datetime) -> int:
    clock.set(when)
    return sweep(svc, worker="test", now=when).fired


def ledger(svc: CaseService, case_id: str) -> list[tuple[str, int]]:
    with svc.engine.connect() as conn:
        found = conn.execute(select(LedgerEntryRecord.period, LedgerEntryRecord.amount_fen)
                             .where(LedgerEntryRecord.case_id == case_id)
                             .order_by(LedgerEntryRecord.period)).all()  # fmt: skip
    return [tuple(r) for r in found]  # type: ignore[misc]


def test_worked_case_8_the_decision_opens_the_first_re_review(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    stable = confirmed(svc, nj, clock, "stable")
    assert stable.deadlines["rereview_due"] == iso_utc(shanghai("2025-01-01", 0))
    working = confirmed(svc, nj, clock, "able_to_work")
    assert working.deadlines["rereview_due"] == iso_utc(shanghai("2024-07-01", 0))
    assert working.facts["review_cycle"]["category"] == "able_to_work"
    assert confirmed(svc, nj, clock, None).facts["review_cycle"]["category"] == "stable"


def test_an_unknown_category_is_refused_and_nothing_written(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    with pytest.raises(GuardRejected) as caught:
        confirmed(svc, nj, clock, "wealthy")
    assert "wealthy" in caught.value.message and "家庭类别" in caught.value.zh


def test_a_due_review_changes_the_amount_from_an_unpaid_month(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = confirmed(svc, nj, clock, "able_to_work")
    swept(svc, clock, shanghai("2024-07-01", 0))  # pays Feb-Jun and opens the re-review
    case = svc.get_case(nj.county, case.id)
    assert case.facts["review"]["state"] == "investigating" and case.state == "confirmed"
    assert "review_village_due" in case.deadlines
    with pytest.raises(PermissionDenied):
        svc.decide_review(nj.village, case.id, outcome="continue", reasons="x")
    svc.investigate_review(nj.village, case.id, findings="家庭成员就业，收入增加",
                           investigators=["nj-01"], household_income="1835")  # fmt: skip
    svc.give_review_opinion(nj.township, case.id, opinion="建议调减保障金额")
    with pytest.raises(GuardRejected) as caught:  # June is paid already
        svc.decide_review(nj.county, case.id, outcome="change", reasons="收入增加",
                          monthly_amount="1000", from_month="2024-06")  # fmt: skip
    assert "2024-07" in caught.value.message and "已发放" in caught.value.zh
    with pytest.raises(InvalidInput):
        svc.decide_review(nj.county, case.id, outcome="change", reasons="收入增加",
                          monthly_amount="1000", from_month="2024-13")  # fmt: skip
    case = svc.decide_review(nj.county, case.id, outcome="change", reasons="收入增加",
                             monthly_amount="1000", from_month="2024-07",
                             household_category="stable")  # fmt: skip
    assert case.monthly_amount_fen == 100_000
    assert case.deadlines["rereview_due"] == iso_utc(shanghai("2025-07-01", 0))
    swept(svc, clock, shanghai("2024-08-16"))
    assert ledger(svc, case.id)[-3:] == [("2024-06", 163_500), ("2024-07", 100_000),
                                         ("2024-08", 100_000)]  # fmt: skip
    assert replay_case(svc.engine, case.id).ok
    assert verify_database(svc.engine).ok


def test_an_overdue_step_alarms_and_a_stop_ends_the_case(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = confirmed(svc, nj, clock, "stable")
    clock.set(shanghai("2024-03-01"))
    case = svc.open_review(nj.township, case.id, reason="群众反映家庭有经营收入")
    assert "rereview_due" not in case.deadlines
    swept(svc, clock, shanghai("2024-03-20"))  # 10 working days passed
    alarms = svc.limit_alarms(nj.county)
    assert [(a["case_id"], a["limit"]) for a in alarms] == [(case.id, "review_village_due")]
    assert alarms[0]["limit_zh"] == "复核入户调查时限"
    svc.investigate_review(nj.village, case.id, findings="经营收入属实")
    assert svc.limit_alarms(nj.county) == []
    svc.give_review_opinion(nj.township, case.id, opinion="建议停止保障")
    case = svc.decide_review(nj.county, case.id, outcome="stop", reasons="家庭收入高于低保标准")
    assert case.state == "stopped"
    assert case.facts["allowance"]["last_month"] == "2024-03"
    assert "allowance_due" not in case.deadlines  # March (the decision month) was paid on the 15th
    swept(svc, clock, shanghai("2024-05-16"))
    assert [p for p, _ in ledger(svc, case.id)] == ["2024-02", "2024-03"]
    assert replay_case(svc.engine, case.id).ok
