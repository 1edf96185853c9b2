"""Changes of circumstance through the service, on SQLite and PostgreSQL: a death opens the
re-review due within 3 months (alarmed when passed), an income rise is phased out over the
months the county decides (paid exactly those, then nothing), and a rigid-expenditure status
not renewed lapses into a re-review.

The household is worked case 4's (line 945, 3 people, 1,635 yuan a month from 2024-02).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from audit.minimal_verifier import verify as minimal_verify
from helpers import Org, make_county
from sqlalchemy import select

from integration.test_review import confirmed, ledger, shanghai, swept
from jiuzhu import (
    CaseService,
    FakeClock,
    GuardRejected,
    InvalidInput,
    PermissionDenied,
    TransitionNotAllowed,
)
from jiuzhu.audit.export import export
from jiuzhu.audit.findings import database_findings
from jiuzhu.audit.verify import replay_case, verify_database, verify_export
from jiuzhu.clock import iso_utc
from jiuzhu.models.tables import EventRecord
from jiuzhu.workflows.calendar import add_months

QINHUAI = "320104"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(shanghai("2024-01-08"))


@pytest.fixture
def nj(svc: CaseService) -> Org:
    return make_county(svc, QINHUAI)


def events(svc: CaseService, case_id: str) -> list[str]:
    with svc.engine.connect() as conn:
        found = conn.execute(select(EventRecord.type).where(EventRecord.case_id == case_id)
                             .order_by(EventRecord.seq)).all()  # fmt: skip
    return [r[0] for r in found]


def test_a_death_opens_a_re_review_due_within_3_months_and_alarms_when_passed(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = confirmed(svc, nj, clock, "stable")
    member = case.facts["member_ids"][2]
    with pytest.raises(PermissionDenied):
        svc.record_circumstance(nj.county, case.id, kind="death", person_id=member)
    clock.set(shanghai("2024-03-05"))
    case = svc.record_circumstance(nj.village, case.id, kind="death", person_id=member,
                                   note="村委会核实")  # fmt: skip
    assert case.facts["review"]["state"] == "investigating"
    assert case.facts["members_now"] == sorted(case.facts["member_ids"][:2])
    assert case.deadlines["recheck_due"] == iso_utc(add_months(shanghai("2024-03-05"), 3))
    assert "rereview_due" not in case.deadlines
    svc.investigate_review(nj.village, case.id, findings="成员死亡，家庭人数减为 2 人")
    svc.give_review_opinion(nj.township, case.id, opinion="建议继续")
    swept(svc, clock, shanghai("2024-06-06"))
    alarms = [(a["limit"], a["limit_zh"]) for a in svc.limit_alarms(nj.county)]
    assert ("recheck_due", "情况变化复核时限") in alarms
    case = svc.decide_review(nj.county, case.id, outcome="continue", reasons="人数减少，金额不变")
    assert "recheck_due" not in case.deadlines and svc.limit_alarms(nj.county) == []
    assert case.deadlines["rereview_due"] == iso_utc(shanghai("2025-06-01", 0))
    assert replay_case(svc.engine, case.id).ok and verify_database(svc.engine).ok


def test_an_income_rise_is_phased_out_over_4_months_then_stops(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = confirmed(svc, nj, clock, "stable")
    swept(svc, clock, shanghai("2024-03-16"))  # February and March paid
    case = svc.record_circumstance(nj.township, case.id, kind="income_change",
                                   household_income="3000")  # fmt: skip
    change = case.facts["circumstances"][0]
    assert (change["income_fen"], change["dibao_line_fen"], change["household_size"],
            change["above_line"]) == (300_000, 94_500, 3, True)  # fmt: skip
    svc.investigate_review(nj.village, case.id, findings="成员就业，月收入 3000 元")
    svc.give_review_opinion(nj.township, case.id, opinion="建议渐退")
    with pytest.raises(PermissionDenied):
        svc.decide_phase_out(nj.township, case.id, months=4, reasons="收入超过低保标准")
    version = svc.get_case(nj.county, case.id).row_version
    for months in (0, 7):
        with pytest.raises(InvalidInput) as caught:
            svc.decide_phase_out(nj.county, case.id, months=months, reasons="收入超过低保标准")
        assert "1 to 6" in caught.value.message and "渐退期" in caught.value.zh
    assert svc.get_case(nj.county, case.id).row_version == version  # nothing written
    case = svc.decide_phase_out(nj.county, case.id, months=4, reasons="收入超过低保标准")
    assert case.state == "stopped"
    assert case.facts["phase_out"]["paid_months"] == ["2024-04", "2024-05", "2024-06", "2024-07"]
    swept(svc, clock, shanghai("2024-10-16"))
    assert ledger(svc, case.id) == [(m, 163_500) for m in ("2024-02", "2024-03", "2024-04",
                                                          "2024-05", "2024-06", "2024-07")]  # fmt: skip
    assert "allowance_due" not in svc.get_case(nj.county, case.id).deadlines
    assert replay_case(svc.engine, case.id).ok and verify_database(svc.engine).ok
    assert list(database_findings(svc.engine, now=clock.now())) == []


def test_income_below_the_line_is_re_reviewed_without_a_phase_out(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = confirmed(svc, nj, clock, "stable")
    case = svc.record_circumstance(nj.village, case.id, kind="income_change",
                                   household_income="2000")  # fmt: skip
    assert case.facts["circumstances"][0]["above_line"] is False
    svc.investigate_review(nj.village, case.id, findings="收入增加")
    svc.give_review_opinion(nj.township, case.id, opinion="建议调减")
    with pytest.raises(GuardRejected) as caught:
        svc.decide_phase_out(nj.county, case.id, months=3, reasons="x")
    assert "phase-out" in caught.value.message
    case = svc.decide_review(nj.county, case.id, outcome="change", reasons="收入增加",
                             monthly_amount="835", from_month="2024-02")  # fmt: skip
    assert case.monthly_amount_fen == 83_500 and "recheck_due" not in case.deadlines


def test_a_rigid_expenditure_status_not_renewed_lapses_into_a_re_review(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    svc.policy_book = svc.policy_book.with_settings("2000-01-01", rigid_expenditure_months=2)
    case = confirmed(svc, nj, clock, "stable")
    clock.set(shanghai("2024-03-05"))
    case = svc.record_rigid_expenditure(nj.village, case.id, expenditure="长期血液透析")
    assert case.facts["rigid_expenditure"]["until"] == "2024-05-04"
    assert case.deadlines["rigid_expenditure_due"] == iso_utc(shanghai("2024-05-05", 0))
    with pytest.raises(GuardRejected):
        svc.record_rigid_expenditure(nj.village, case.id, expenditure="again")
    clock.set(shanghai("2024-04-20"))
    case = svc.renew_rigid_expenditure(nj.township, case.id)
    assert case.deadlines["rigid_expenditure_due"] == iso_utc(shanghai("2024-06-20", 0))
    clock.set(shanghai("2024-06-14"))  # the renewal is asked for in the week before
    [item] = [i for i in svc.queue(nj.village, "due_this_week") if i.case.id == case.id]
    assert "刚性支出认定期满" in item.reason_zh and "rigid-expenditure" in item.reason_en
    swept(svc, clock, shanghai("2024-06-20", 1))
    case = svc.get_case(nj.county, case.id)
    assert case.facts["rigid_expenditure"]["status"] == "lapsed"
    assert case.facts["review"]["reason"] == "rigid_expenditure_not_renewed"
    assert case.state == "confirmed" and "review_village_due" in case.deadlines
    assert events(svc, case.id)[-1] == "lapse_rigid_expenditure"
    assert replay_case(svc.engine, case.id).ok


def test_refusals_write_nothing(svc: CaseService, nj: Org, clock: FakeClock) -> None:
    case = confirmed(svc, nj, clock, "stable")
    version = case.row_version
    with pytest.raises(InvalidInput) as caught:
        svc.record_circumstance(nj.village, case.id, kind="lottery", person_id=case.id)
    assert "death" in caught.value.message and "死亡" in caught.value.zh
    with pytest.raises(InvalidInput):  # an income change names no person
        svc.record_circumstance(nj.village, case.id, kind="income_change",
                                household_income="100", person_id=case.id)  # fmt: skip
    with pytest.raises(InvalidInput):  # a death names the person
        svc.record_circumstance(nj.village, case.id, kind="death")
    with pytest.raises(GuardRejected):  # not a member
        svc.record_circumstance(nj.village, case.id, kind="death",
                                person_id="99999999-9999-4999-8999-999999999999")  # fmt: skip
    assert svc.get_case(nj.county, case.id).row_version == version
    assert "review" not in svc.get_case(nj.county, case.id).facts


def test_an_ended_case_takes_no_change(svc: CaseService, nj: Org, clock: FakeClock) -> None:
    case = confirmed(svc, nj, clock, "stable")
    svc.open_review(nj.township, case.id, reason="抽查")
    svc.investigate_review(nj.village, case.id, findings="f")
    svc.give_review_opinion(nj.township, case.id, opinion="o")
    svc.decide_review(nj.county, case.id, outcome="stop", reasons="收入超过标准")
    with pytest.raises(TransitionNotAllowed):
        svc.record_circumstance(nj.village, case.id, kind="recovered",
                                person_id=case.facts["member_ids"][0])  # fmt: skip


def test_replay_export_findings_and_the_minimal_verifier_accept_the_new_events(
    svc: CaseService, nj: Org, clock: FakeClock, tmp_path: Path
) -> None:
    svc.policy_book = svc.policy_book.with_settings("2000-01-01", rigid_expenditure_months=1)
    case = confirmed(svc, nj, clock, "stable")
    svc.record_rigid_expenditure(nj.village, case.id, expenditure="长期血液透析")
    svc.renew_rigid_expenditure(nj.village, case.id, note="仍需透析")
    swept(svc, clock, shanghai("2024-02-11"))  # lapsed: a re-review opens
    svc.record_circumstance(nj.village, case.id, kind="birth",
                            person_id="44444444-4444-4444-8444-444444444444")  # fmt: skip
    svc.record_circumstance(nj.township, case.id, kind="income_change", household_income="5000")
    svc.investigate_review(nj.village, case.id, findings="新生儿出生；收入增加")
    svc.give_review_opinion(nj.township, case.id, opinion="建议渐退")
    svc.decide_phase_out(nj.county, case.id, months=2, reasons="收入超过低保标准")
    swept(svc, clock, shanghai("2024-06-16"))
    types = events(svc, case.id)
    for kind in ("record_rigid_expenditure", "renew_rigid_expenditure", "lapse_rigid_expenditure",
                 "record_circumstance", "decide_phase_out"):  # fmt: skip
        assert kind in types
    assert [p for p, _ in ledger(svc, case.id)] == ["2024-02", "2024-03"]  # the phase-out's
    assert replay_case(svc.engine, case.id).ok and verify_database(svc.engine).ok
    assert list(database_findings(svc.engine, now=clock.now())) == []
    export(svc.engine, tmp_path / "out", now=clock.now())
    assert verify_export(tmp_path / "out").ok and minimal_verify(tmp_path / "out") == []
