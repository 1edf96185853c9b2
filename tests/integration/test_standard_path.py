"""The standard path (审核确认) through the service, on SQLite and PostgreSQL.

Qinhuai district (320104) in Nanjing, whose dibao line is the sourced 945 yuan.  Every limit
is a deadline row in working days; the worker's sweep fires the passed ones onto the county's
alarm list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from helpers import Org, db_snapshot, deadline_rows, make_county, make_household
from sqlalchemy import select

from jiuzhu import CaseService, FakeClock, GuardRejected, InvalidInput, PermissionDenied
from jiuzhu.audit.verify import replay_case, verify_database
from jiuzhu.clock import SHANGHAI, iso_utc
from jiuzhu.errors import TransitionNotAllowed
from jiuzhu.models.tables import LedgerEntryRecord
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.views import CaseView
from jiuzhu.workflows.workdays import CalendarNotCovered, covered_years

QINHUAI = "320104"


def shanghai(day: str, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=SHANGHAI)


def at_shanghai(day: str, hour: int = 10, minute: int = 0) -> str:
    return iso_utc(shanghai(day, hour, minute))


@pytest.fixture
def nj(svc: CaseService) -> Org:
    return make_county(svc, QINHUAI)


def opened(svc: CaseService, org: Org, size: int = 3, **kwargs: object) -> CaseView:
    home = make_household(svc, org.village, size)
    return svc.apply_standard(org.village, household_id=home.id, applicant_id=home.member_ids[0],
                              **kwargs)  # fmt: skip


def to_checked(svc: CaseService, org: Org, case: CaseView, income: str = "1200") -> CaseView:
    case = svc.accept_standard(org.township, case.id)
    case = svc.start_investigation(org.township, case.id, investigators=["nj-01", "nj-02"])
    case = svc.complete_investigation(org.township, case.id, household_income=income,
                                      signed_by=case.facts["applicant_id"],
                                      investigators=["nj-01", "nj-02"])  # fmt: skip
    case = svc.start_verification(org.centre, case.id)
    return svc.record_check(org.centre, case.id, result="meets_standard")


def swept(svc: CaseService, clock: FakeClock, when: datetime) -> int:
    clock.set(when)
    return sweep(svc, worker="test", now=when).fired


def test_full_path_confirms_1635_a_month_paid_from_the_month_after(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = opened(svc, nj)
    assert (case.workflow, case.state, case.programme) == ("standard", "applied", "dibao")
    assert case.facts["policy"]["dibao_line_fen"] == 94_500
    case = to_checked(svc, nj, case)
    case = svc.give_opinion(nj.township, case.id, recommend=True, opinion="经调查核实符合条件")
    assert case.state == "public_notice"
    assert case.deadlines["notice_ends"] == at_shanghai("2024-03-23", 0)  # 7 days after 15 Mar
    assert swept(svc, clock, shanghai("2024-03-23", 0, 30)) == 1  # the notice ends by itself
    case = svc.get_case(nj.county, case.id)
    assert case.state == "county_review"
    # 10 working days from Saturday 23 March: 25-29 March, 1-3 April, 7 April (make-up
    # Sunday of Qingming), 8 April
    assert case.deadlines["review_due"] == at_shanghai("2024-04-09", 0)
    clock.set(shanghai("2024-03-28", 15))
    case = svc.decide_standard(nj.county, case.id, decision="confirm")
    assert (case.state, case.monthly_amount_fen) == ("confirmed", 163_500)
    assert case.facts["decision"]["policy"]["dibao_line_fen"] == 94_500
    assert case.facts["allowance"]["next_month"] == "2024-04"
    statuses = {r["kind"]: r["status"] for r in deadline_rows(svc, case.id)}
    assert statuses["overall_limit"] == "done" and statuses["review_due"] == "done"
    assert statuses["notice_ends"] == "fired"
    swept(svc, clock, shanghai("2024-04-16"))
    with svc.engine.connect() as conn:
        ledger = conn.execute(select(LedgerEntryRecord.kind, LedgerEntryRecord.period,
                                     LedgerEntryRecord.amount_fen)
                              .where(LedgerEntryRecord.case_id == case.id)).all()  # fmt: skip
    assert [tuple(r) for r in ledger] == [("allowance", "2024-04", 163_500)]  # not March
    assert replay_case(svc.engine, case.id).ok
    assert svc.limit_alarms(nj.county) == []


def test_a_passed_limit_goes_on_the_county_alarm_list_until_done(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = svc.accept_standard(nj.township, opened(svc, nj).id)  # Friday 15 March
    assert case.deadlines["investigation_start_due"] == at_shanghai("2024-03-21", 0)
    assert swept(svc, clock, shanghai("2024-03-20", 23, 59)) == 0
    assert svc.limit_alarms(nj.county) == []
    assert swept(svc, clock, shanghai("2024-03-21", 0, 1)) == 1
    alarms = svc.limit_alarms(nj.county)
    assert [(a["case_id"], a["limit"], a["resolved_at"]) for a in alarms] == [
        (case.id, "investigation_start_due", None)]  # fmt: skip
    assert alarms[0]["limit_zh"] == "启动调查时限"
    assert svc.limit_alarms(nj.townships[1]) == []  # another township's list
    clock.advance(timedelta(days=1))
    svc.start_investigation(nj.township, case.id, investigators=["nj-01", "nj-02"])
    assert svc.limit_alarms(nj.county) == []
    closed = svc.limit_alarms(nj.county, include_resolved=True)
    assert closed[0]["resolved_at"] is not None and closed[0]["late_days"] == 1.0


def test_overall_limit_spans_national_day_and_its_make_up_working_days(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    clock.set(shanghai("2024-09-20", 9))
    case = svc.accept_standard(nj.township, opened(svc, nj).id)
    # 30 working days from Friday 20 Sep 2024 count Sun 29 Sep and Sat 12 Oct, skip 1-7 Oct
    assert case.deadlines["overall_limit"] == at_shanghai("2024-11-07", 0)
    clock.set(shanghai("2024-09-27", 16))  # Friday before the holiday
    case = svc.start_investigation(nj.township, case.id, investigators=["a1", "a2"])
    case = svc.complete_investigation(nj.township, case.id, household_income="1200",
                                      signed_by=case.facts["applicant_id"],
                                      investigators=["a1", "a2"])  # fmt: skip
    # the county has 3 working days: Sun 29 Sep, Mon 30 Sep, Tue 8 Oct
    assert case.deadlines["verification_start_due"] == at_shanghai("2024-10-09", 0)
    assert swept(svc, clock, shanghai("2024-10-08", 23, 59)) == 0
    assert swept(svc, clock, shanghai("2024-10-09", 0, 1)) == 1
    assert [a["limit"] for a in svc.limit_alarms(nj.county)] == ["verification_start_due"]
    assert swept(svc, clock, shanghai("2024-11-06", 23, 59)) == 0
    assert swept(svc, clock, shanghai("2024-11-07", 0, 1)) == 1
    assert {a["limit"] for a in svc.limit_alarms(nj.county)} == {
        "verification_start_due", "overall_limit"}  # fmt: skip


def test_an_objection_reinvestigates_extends_to_45_days_and_publishes_again(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = to_checked(svc, nj, opened(svc, nj))
    first_limit = case.deadlines["overall_limit"]
    case = svc.give_opinion(nj.township, case.id, recommend=True, opinion="同意")
    case = svc.record_objection(nj.village, case.id, route="reinvestigate",
                                summary="群众反映有经营性收入", investigators=["nj-03", "nj-04"])  # fmt: skip
    assert case.state == "investigating" and case.facts["special"] == "objection"
    assert case.deadlines["overall_limit"] > first_limit
    # 45 WD from Friday 15 March, by hand: Mar 18-29 (10), Apr 1-3 (13), Sun 7 Apr make-up
    # (14), Apr 8-26 (29), Sun 28 Apr make-up (30), Apr 29-30 (32), May 6-10 (37), Sat 11 May
    # make-up (38), May 13-17 (43), May 20-21 (45): the limit passes at 00:00 on 22 May
    assert case.deadlines["overall_limit"] == at_shanghai("2024-05-22", 0)
    case = svc.complete_investigation(nj.township, case.id, household_income="1200",
                                      signed_by=case.facts["applicant_id"],
                                      investigators=["nj-03", "nj-04"])  # fmt: skip
    case = svc.record_check(nj.county, case.id, result="meets_standard")
    case = svc.give_opinion(nj.township, case.id, recommend=True, opinion="复查后同意")
    assert case.facts["notices"] == 2
    kinds = [(r["kind"], r["status"]) for r in deadline_rows(svc, case.id)
             if r["kind"] == "overall_limit"]  # fmt: skip
    assert kinds == [("overall_limit", "cancelled"), ("overall_limit", "pending")]


def test_an_objection_to_appraisal_leads_to_a_new_opinion_and_notice(
    svc: CaseService, nj: Org
) -> None:
    case = to_checked(svc, nj, opened(svc, nj))
    case = svc.give_opinion(nj.township, case.id, recommend=True, opinion="同意")
    case = svc.record_objection(nj.township, case.id, route="appraisal", summary="有异议")
    assert case.state == "appraising"
    case = svc.appraise_standard(nj.village, case.id, outcome="passed", attendance=25,
                                 votes_for=22, votes_against=2, abstentions=1)  # fmt: skip
    assert case.state == "checked"
    case = svc.give_opinion(nj.township, case.id, recommend=True, opinion="评议通过，同意")
    assert case.state == "public_notice" and case.facts["notices"] == 2


def test_rejection_needs_reasons_and_their_delivery_within_3_working_days(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = to_checked(svc, nj, opened(svc, nj))
    case = svc.give_opinion(nj.township, case.id, recommend=False, opinion="存款超过标准")
    assert case.state == "county_review"
    with pytest.raises(InvalidInput):
        svc.decide_standard(nj.county, case.id, decision="reject")
    case = svc.decide_standard(nj.county, case.id, decision="reject", reason="家庭存款超过规定")
    assert case.state == "rejected"
    assert case.deadlines == {"rejection_notice_due": at_shanghai("2024-03-21", 0)}
    assert swept(svc, clock, shanghai("2024-03-21", 1)) == 1
    assert [a["limit"] for a in svc.limit_alarms(nj.county)] == ["rejection_notice_due"]
    case = svc.deliver_rejection_notice(nj.village, case.id)
    assert svc.limit_alarms(nj.county) == [] and case.deadlines == {}


def test_fixed_amount_needs_reasons_and_income_above_line_cannot_use_the_formula(
    svc: CaseService, nj: Org
) -> None:
    case = to_checked(svc, nj, opened(svc, nj, size=1), income="945")
    case = svc.give_opinion(nj.township, case.id, recommend=False, opinion="收入不低于标准")
    with pytest.raises(GuardRejected):
        svc.decide_standard(nj.county, case.id, decision="confirm")
    with pytest.raises(InvalidInput):
        svc.decide_standard(nj.county, case.id, decision="confirm", monthly_amount="300")
    case = svc.decide_standard(nj.county, case.id, decision="confirm", monthly_amount="300",
                               reason="重病，按固定金额")  # fmt: skip
    assert case.monthly_amount_fen == 30_000


def test_policy_changes_never_change_past_decisions_and_replay_uses_the_old_values(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    early = to_checked(svc, nj, opened(svc, nj))
    early = svc.give_opinion(nj.township, early.id, recommend=False, opinion="报县审核")
    early = svc.decide_standard(nj.county, early.id, decision="confirm")
    assert early.monthly_amount_fen == 163_500
    svc.policy_book = svc.policy_book.with_dibao_line("3201", "2024-07-01", "1000")
    clock.set(shanghai("2024-06-28"))
    late = to_checked(svc, nj, opened(svc, nj))
    late = svc.give_opinion(nj.township, late.id, recommend=False, opinion="报县审核")
    clock.set(shanghai("2024-07-01"))
    late = svc.decide_standard(nj.county, late.id, decision="confirm")
    assert late.monthly_amount_fen == 100_000 * 3 - 120_000  # the line in force on 1 July
    assert svc.get_case(nj.county, early.id).monthly_amount_fen == 163_500
    for case in (early, late):
        assert replay_case(svc.engine, case.id).ok
    assert verify_database(svc.engine).ok


def test_commands_of_another_path_or_role_are_refused_and_change_nothing(
    svc: CaseService, nj: Org
) -> None:
    case = opened(svc, nj)
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied):
        svc.accept_standard(nj.village, case.id)
    with pytest.raises(PermissionDenied):
        svc.accept_standard(nj.townships[1], case.id)  # not its jurisdiction
    with pytest.raises(TransitionNotAllowed):
        svc.give_opinion(nj.township, case.id, recommend=True, opinion="同意")
    with pytest.raises(InvalidInput):
        svc.start_investigation(nj.township, case.id, investigators="nj-01")  # type: ignore[arg-type]
    home = make_household(svc, nj.village, 1)
    ft = svc.apply(nj.village, household_id=home.id, applicant_id=home.member_ids[0],
                   programme="dibao", cause="accident", expenditure="40000")  # fmt: skip
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput) as err:
        svc.accept_standard(nj.township, ft.id)
    assert "fast_track case" in err.value.message
    assert db_snapshot(svc) == before


def test_a_city_without_a_configured_line_is_refused(svc: CaseService) -> None:
    org = make_county(svc)  # Binhai 320922, Yancheng: no sourced line
    home = make_household(svc, org.village)
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput) as err:
        svc.apply_standard(org.village, household_id=home.id, applicant_id=home.member_ids[0])
    assert "3209" in err.value.message
    assert db_snapshot(svc) == before
    svc.policy_book = svc.policy_book.with_dibao_line("3209", "2024-01-01", "800")
    case = svc.apply_standard(org.village, household_id=home.id,
                              applicant_id=home.member_ids[0])  # fmt: skip
    assert case.facts["policy"]["dibao_line_fen"] == 80_000


def test_a_limit_beyond_the_calendar_is_refused_loudly(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = opened(svc, nj)
    clock.set(shanghai(f"{covered_years()[1]}-12-10"))
    before = db_snapshot(svc)
    with pytest.raises(CalendarNotCovered) as err:
        svc.accept_standard(nj.township, case.id)
    year = covered_years()[1] + 1
    assert err.value.code == "calendar_not_covered" and err.value.details["year"] == year
    assert "jiuzhu calendar import" in err.value.message and f"{year} 年" in err.value.zh
    assert db_snapshot(svc) == before


def test_retried_commands_with_a_key_change_nothing(svc: CaseService, nj: Org) -> None:
    home = make_household(svc, nj.village, 3)
    case, again = (svc.apply_standard(nj.village, household_id=home.id,
                                      applicant_id=home.member_ids[0],
                                      idempotency_key="std-apply-1") for _ in range(2))  # fmt: skip
    assert again.id == case.id and again.replayed
    first = svc.accept_standard(nj.township, case.id, idempotency_key="std-accept-1")
    second = svc.accept_standard(nj.township, case.id, idempotency_key="std-accept-1")
    assert second.replayed and second.row_version == first.row_version == 2


def test_withdrawal_cancels_every_limit(svc: CaseService, nj: Org) -> None:
    case = svc.accept_standard(nj.township, opened(svc, nj).id)
    case = svc.withdraw(nj.village, case.id, reason="外出务工")
    assert case.state == "withdrawn" and case.deadlines == {}
    assert {r["status"] for r in deadline_rows(svc, case.id)} == {"cancelled"}


def test_special_flag_at_application_gives_45_working_days(svc: CaseService, nj: Org) -> None:
    case = opened(svc, nj, special="hukou_split")
    case = svc.accept_standard(nj.township, case.id)
    assert case.deadlines["overall_limit"] == at_shanghai("2024-05-22", 0)
    with pytest.raises(GuardRejected):
        svc.mark_special(nj.township, case.id, reason="hard_investigation")


def test_today_is_a_working_day_used_for_the_tests() -> None:
    assert date(2024, 3, 15).weekday() == 4  # the fixtures' clock: Friday 10:00 Shanghai
    assert datetime(2024, 3, 15, 2, tzinfo=UTC).astimezone(SHANGHAI).hour == 10
