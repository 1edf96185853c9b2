"""Temporary assistance with Qinhuai's "1+4" (docs/domain.md §5, §10 case 6), on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from helpers import Org, db_snapshot, make_county, make_household
from sqlalchemy import select

from jiuzhu import CaseService, FakeClock, GuardRejected, InvalidInput, PermissionDenied
from jiuzhu.audit.verify import replay_case, verify_database
from jiuzhu.clock import SHANGHAI
from jiuzhu.models.tables import LedgerEntryRecord
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.views import CaseView


@pytest.fixture
def nj(svc: CaseService) -> Org:
    return make_county(svc, "320104")  # Qinhuai district, Nanjing: line 945


def opened(svc: CaseService, org: Org, size: int = 2, **kwargs: object) -> CaseView:
    home = make_household(svc, org.village, size)
    return svc.apply_temporary(org.village, household_id=home.id,
                               applicant_id=home.member_ids[0], new_citizen=True, **kwargs)  # fmt: skip


def ledger(svc: CaseService, case_id: str) -> list[tuple[str, int]]:
    e = LedgerEntryRecord
    with svc.engine.connect() as conn:
        rows = conn.execute(select(e.kind, e.amount_fen).where(e.case_id == case_id)
                            .order_by(e.seq, e.line)).all()  # fmt: skip
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_income_below_twice_the_line_qualifies_and_multiplier_3_pays_5670(
    svc: CaseService, nj: Org
) -> None:
    case = opened(svc, nj)
    assert (case.workflow, case.programme, case.facts["new_citizen"]) == (
        "temporary", "temporary", True)  # fmt: skip
    case = svc.assess_temporary(nj.village, case.id, income="1800", income_evidence="工资流水")
    income = case.facts["assessment"]["conditions"]["income"]
    assert (income["holds"], income["limit_fen"]) == (True, 189_000)
    case = svc.decide_temporary(nj.township, case.id, decision="approve", multiplier=3,
                                in_kind="1000")  # fmt: skip
    grant = case.facts["grant"]
    assert (grant["total_fen"], grant["cash_fen"], grant["in_kind_fen"]) == (
        567_000,
        467_000,
        100_000,
    )
    assert ledger(svc, case.id) == []  # approved, not yet paid
    case = svc.pay_temporary(nj.township, case.id)
    assert case.state == "paid"
    assert ledger(svc, case.id) == [("temporary_cash", 467_000), ("temporary_in_kind", 100_000)]
    case = svc.close_temporary(nj.township, case.id, note="已回访")
    assert case.state == "closed"
    assert replay_case(svc.engine, case.id).ok


def test_multiplier_6_is_refused_and_changes_nothing(svc: CaseService, nj: Org) -> None:
    case = opened(svc, nj)
    case = svc.assess_temporary(nj.village, case.id, income="1800", income_evidence="工资流水")
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected) as err:
        svc.decide_temporary(nj.township, case.id, decision="approve", multiplier=6)
    assert "outside 1-5" in err.value.message and "1—5" in err.value.zh
    assert db_snapshot(svc) == before


def test_income_at_twice_the_line_fails_but_a_signed_commitment_qualifies(
    svc: CaseService, nj: Org
) -> None:
    case = opened(svc, nj)
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected):
        svc.assess_temporary(nj.village, case.id, income="1890", income_evidence="工资流水")
    assert db_snapshot(svc) == before
    case = svc.assess_temporary(nj.village, case.id, income="1890", income_evidence="工资流水",
                                commitment_signed_by=case.facts["member_ids"][1])  # fmt: skip
    conditions = case.facts["assessment"]["conditions"]
    assert conditions["income"]["holds"] is False and conditions["commitment"]["holds"] is True


def test_cao_weiqins_family_of_three_at_4_times_the_line_gets_11340(
    svc: CaseService, nj: Org
) -> None:
    # People's Daily report: 11,340 yuan of cash and in-kind assistance = 4 x 945 x 3
    case = opened(svc, nj, size=3, kind="expenditure", expenditure="340000")
    case = svc.assess_temporary(nj.village, case.id, dependants="孙子患髓母细胞瘤，手术费34万余元")
    case = svc.decide_temporary(nj.county, case.id, decision="approve", multiplier=4,
                                in_kind="2000")  # fmt: skip
    case = svc.pay_temporary(nj.county, case.id)
    assert sum(fen for _, fen in ledger(svc, case.id)) == 1_134_000
    assert case.expenditure_fen == 34_000_000


def test_assist_first_pays_at_once_and_alarms_when_the_paperwork_is_late(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = opened(svc, nj)
    case = svc.assist_first(nj.township, case.id, multiplier=2, reason="火灾，先行救助")
    assert case.state == "assisted_first"
    assert ledger(svc, case.id) == [("temporary_cash", 378_000)]
    # 10 working days from Friday 15 March 2024: the limit passes at 00:00 on 30 March
    due = datetime(2024, 3, 30, tzinfo=SHANGHAI)
    assert case.deadlines == {"paperwork_due": "2024-03-29T16:00:00.000000Z"}
    clock.set(due + timedelta(minutes=5))
    assert sweep(svc, worker="test", now=clock.now()).fired == 1
    assert [a["limit"] for a in svc.limit_alarms(nj.county)] == ["paperwork_due"]
    case = svc.complete_paperwork(nj.village, case.id, sudden_event="消防部门火灾证明")
    assert case.state == "paid" and svc.limit_alarms(nj.county) == []
    assert ledger(svc, case.id) == [("temporary_cash", 378_000)]  # paid once only
    assert verify_database(svc.engine).ok


def test_assessment_needs_evidence_and_some_condition(svc: CaseService, nj: Org) -> None:
    case = opened(svc, nj)
    with pytest.raises(InvalidInput):
        svc.assess_temporary(nj.village, case.id)
    with pytest.raises(InvalidInput):
        svc.assess_temporary(nj.village, case.id, income="1000")  # no evidence
    with pytest.raises(GuardRejected):
        svc.assess_temporary(nj.village, case.id, commitment_signed_by=
                             "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d")  # fmt: skip


def test_roles_and_rejection(svc: CaseService, nj: Org) -> None:
    case = opened(svc, nj)
    with pytest.raises(PermissionDenied):
        svc.decide_temporary(nj.village, case.id, decision="reject", reason="x")
    with pytest.raises(InvalidInput):
        svc.decide_temporary(nj.township, case.id, decision="reject")
    case = svc.decide_temporary(nj.township, case.id, decision="reject", reason="家庭不困难")
    assert case.state == "rejected" and ledger(svc, case.id) == []
