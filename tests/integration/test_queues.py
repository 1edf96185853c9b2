"""Work queues on SQLite and PostgreSQL: what waits for whom (by the workflows' next steps and
the authorisation matrix), what falls due within a week of the service clock, and the overdue
checks, passed limits and missed visits the existing reads find."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import Org, case_in, make_household

from jiuzhu import CaseService, FakeClock
from jiuzhu.errors import InvalidInput, PermissionDenied
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.queues import QUEUES

BINHAI_LINE = ("3209", "2024-01-01", "800")  # Yancheng's dibao line: configured, not sourced
PLAN = {"kind": "cleaning", "provider": {"name": "暖心洁家"},
        "recurrence": {"type": "interval", "days": 2}}  # fmt: skip


def queued(svc: CaseService, actor: object, which: str) -> list[str]:
    return [item.case.id for item in svc.queue(actor, which)]  # type: ignore[arg-type]


def test_waiting_lists_the_cases_whose_next_step_is_the_actors(svc: CaseService, org: Org) -> None:
    applied = case_in(svc, org, "applied")  # the village signs the commitment next
    reviewed = case_in(svc, org, "reviewed")  # the township decides
    approved = case_in(svc, org, "provisionally_approved")  # the county checks the data
    case_in(svc, org, "verified")  # nobody's: a final state
    assert queued(svc, org.village, "waiting") == [applied.id]
    assert queued(svc, org.township, "waiting") == [reviewed.id]
    assert queued(svc, org.county, "waiting") == [approved.id]
    assert queued(svc, org.centre, "waiting") == [approved.id]
    assert queued(svc, org.auditor, "waiting") == []  # an auditor takes no step
    assert queued(svc, org.neighbour_village, "waiting") == []  # not its village's cases
    assert queued(svc, org.other_township, "waiting") == []
    [item] = svc.queue(org.township, "waiting")
    assert "先行审批" in item.reason_zh and "approve" in item.reason_en
    assert item.case.case_no == reviewed.case_no and item.case.village_name == "团结社区"


def test_waiting_covers_the_standard_path_and_temporary_assistance(
    svc: CaseService, org: Org
) -> None:
    svc.policy_book = svc.policy_book.with_dibao_line(*BINHAI_LINE)
    home, other = make_household(svc, org.village), make_household(svc, org.village)
    standard = svc.apply_standard(org.village, household_id=home.id,
                                  applicant_id=home.member_ids[0])  # fmt: skip
    temporary = svc.apply_temporary(org.village, household_id=other.id,
                                    applicant_id=other.member_ids[0])  # fmt: skip
    # opened at the same instant: the order between them is the ids'
    assert set(queued(svc, org.township, "waiting")) == {standard.id, temporary.id}
    assert queued(svc, org.village, "waiting") == [temporary.id]  # the "1+4" assessment
    assert queued(svc, org.county, "waiting") == [temporary.id]  # the county may decide too


def test_due_this_week_is_seven_days_of_the_service_clock(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    approved = case_in(svc, org, "provisionally_approved")  # the data check is due in a month
    due = svc.get_case(org.county, approved.id).deadlines["verification_due"]
    assert queued(svc, org.county, "due_this_week") == []
    clock.advance(timedelta(days=31 - 8))  # 8 days before
    assert queued(svc, org.county, "due_this_week") == []
    clock.advance(timedelta(days=2))  # 6 days before
    [item] = svc.queue(org.township, "due_this_week")
    assert item.case.id == approved.id and item.to_dict()["due_at"] == due
    assert "核对" in item.reason_zh and "data check" in item.reason_en
    assert queued(svc, org.other_township, "due_this_week") == []


def test_overdue_checks_and_missed_visits_come_from_the_worker_s_findings(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    approved = case_in(svc, org, "provisionally_approved")
    visited = case_in(svc, org, "verified")
    svc.open_service_plan(org.village, visited.id, **PLAN)
    assert queued(svc, org.county, "overdue_checks") == []
    assert queued(svc, org.county, "missed_visits") == []
    clock.advance(timedelta(days=35))
    sweep(svc, worker="w1")
    [overdue] = svc.queue(org.township, "overdue_checks")
    assert overdue.case.id == approved.id and overdue.due_at is not None
    assert "核对逾期" in overdue.reason_zh and "overdue" in overdue.reason_en
    missed = svc.queue(org.village, "missed_visits", limit=2)
    assert [m.case.id for m in missed] == [visited.id, visited.id]
    assert missed[0].due_at is not None and missed[0].due_at < missed[1].due_at  # type: ignore[operator]
    assert queued(svc, org.far_village, "missed_visits") == []


def test_limit_alarms_list_the_passed_limits(svc: CaseService, org: Org, clock: FakeClock) -> None:
    svc.policy_book = svc.policy_book.with_dibao_line(*BINHAI_LINE)
    home = make_household(svc, org.village)
    case = svc.apply_standard(org.village, household_id=home.id, applicant_id=home.member_ids[0])
    svc.accept_standard(org.township, case.id)  # the investigation starts within 3 working days
    clock.advance(timedelta(days=10))
    sweep(svc, worker="w1")
    [alarm] = svc.queue(org.county, "limit_alarms")
    assert alarm.case.id == case.id and "启动调查" in alarm.reason_zh
    assert queued(svc, org.other_township, "limit_alarms") == []


def test_an_unknown_queue_is_refused_with_the_valid_ones(svc: CaseService, org: Org) -> None:
    with pytest.raises(InvalidInput) as refused:
        svc.queue(org.village, "urgent")
    for name in QUEUES:
        assert name in str(refused.value) and name in refused.value.zh
    with pytest.raises(PermissionDenied):
        svc.queue(org.admin, "waiting")
