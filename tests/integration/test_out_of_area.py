"""A new citizen's out-of-area dibao or tekun status on a temporary case, its medical
assistance where the family lives, its re-confirmation and lapse (docs/domain.md §5), on both
databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from audit.minimal_verifier import verify as minimal_verify
from helpers import Org, make_county, make_household
from sqlalchemy import select

from jiuzhu import CaseService, FakeClock, GuardRejected, InvalidInput, PermissionDenied
from jiuzhu.audit.export import export
from jiuzhu.audit.findings import database_findings
from jiuzhu.audit.verify import replay_case, verify_database, verify_export
from jiuzhu.clock import SHANGHAI
from jiuzhu.models.tables import LedgerEntryRecord
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.views import CaseView

# the clock starts on Friday 15 March 2024, 10:00 in Shanghai
HUKOU = {"status": "dibao", "unit_name": "安徽省阜阳市颍州区民政局", "unit_code": "341202",
         "document": "颍民救证〔2024〕15号"}  # fmt: skip


@pytest.fixture
def nj(svc: CaseService) -> Org:
    return make_county(svc, "320104")  # Qinhuai district, Nanjing


def with_status(svc: CaseService, org: Org, valid_until: str = "2024-09-30") -> CaseView:
    home = make_household(svc, org.village, 3)
    case = svc.apply_temporary(org.village, household_id=home.id,
                               applicant_id=home.member_ids[0], new_citizen=True)  # fmt: skip
    return svc.record_out_of_area(org.village, case.id, valid_until=valid_until, **HUKOU)


def medical_lines(svc: CaseService, case_id: str) -> list[tuple[str, int, str | None]]:
    e = LedgerEntryRecord
    with svc.engine.connect() as conn:
        rows = conn.execute(select(e.kind, e.amount_fen, e.ref).where(e.case_id == case_id)
                            .order_by(e.seq, e.line)).all()  # fmt: skip
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_recording_the_status_arms_reconfirmation_30_days_before_and_lapse_after(
    svc: CaseService, nj: Org
) -> None:
    case = with_status(svc, nj)
    held = case.facts["out_of_area"]
    assert (held["status"], held["unit_code"], held["valid_from"], held["valid_until"],
            held["state"]) == ("dibao", "341202", "2024-03-15", "2024-09-30", "valid")  # fmt: skip
    assert case.deadlines == {
        "out_of_area_reconfirm": "2024-08-30T16:00:00.000000Z",  # 00:00 on 31 August
        "out_of_area_lapse": "2024-09-30T16:00:00.000000Z",  # 00:00 on 1 October
    }
    assert case.state == "applied"


def test_bill_within_validity_is_paid_at_the_dibao_ratio_and_one_outside_is_refused(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = with_status(svc, nj)
    clock.set(datetime(2024, 4, 10, 10, tzinfo=SHANGHAI))
    case = svc.record_medical_bill(nj.township, case.id, billed_on="2024-04-08", total="12000",
                                   insurance_paid="8000", hospital="南京市第一医院",
                                   bill_id="B-1")  # fmt: skip
    assert case.facts["medical"]["used_fen"] == {"2024": 340_000}  # 85% of 4,000 yuan
    assert medical_lines(svc, case.id) == [("medical", 340_000, "B-1")]
    with pytest.raises(GuardRejected) as refused:
        svc.record_medical_bill(nj.township, case.id, billed_on="2024-03-10", total="5000",
                                hospital="南京市第一医院", bill_id="B-0")  # fmt: skip
    assert "outside the out-of-area status' validity 2024-03-15 to 2024-09-30" in str(refused.value)
    assert refused.value.details["valid_from"] == "2024-03-15"
    assert medical_lines(svc, case.id) == [("medical", 340_000, "B-1")]  # nothing written
    assert replay_case(svc.engine, case.id).ok and verify_database(svc.engine).ok


def test_a_temporary_case_without_the_status_pays_no_medical_assistance(
    svc: CaseService, nj: Org
) -> None:
    home = make_household(svc, nj.village, 2)
    case = svc.apply_temporary(nj.village, household_id=home.id, applicant_id=home.member_ids[0])
    with pytest.raises(GuardRejected, match="records no out-of-area"):
        svc.record_medical_bill(nj.township, case.id, billed_on="2024-03-15", total="100",
                                hospital="秦淮区医院")  # fmt: skip


def test_bad_status_input_is_refused_with_reasons_and_nothing_is_written(
    svc: CaseService, nj: Org
) -> None:
    home = make_household(svc, nj.village, 2)
    case = svc.apply_temporary(nj.village, household_id=home.id, applicant_id=home.member_ids[0])
    bad = [({**HUKOU, "status": "wubao"}, "2024-09-30", InvalidInput, "status"),
           ({**HUKOU, "unit_code": "320104"}, "2024-09-30", GuardRejected, "own county"),
           ({**HUKOU, "unit_code": "3412"}, "2024-09-30", GuardRejected, "6 digits"),
           (HUKOU, "2024-03-15", GuardRejected, "must be after 2024-03-15"),
           (HUKOU, "2025-03-16", GuardRejected, "at most 12 months"),
           (HUKOU, "30/09/2024", InvalidInput, "not a date")]  # fmt: skip
    for fields, until, error, reason in bad:
        with pytest.raises(error, match=reason):
            svc.record_out_of_area(nj.village, case.id, valid_until=until, **fields)
    with pytest.raises(PermissionDenied):
        svc.record_out_of_area(nj.county, case.id, valid_until="2024-09-30", **HUKOU)
    assert "out_of_area" not in svc.get_case(nj.village, case.id).facts
    case = svc.record_out_of_area(nj.village, case.id, valid_until="2024-09-30", **HUKOU)
    with pytest.raises(GuardRejected, match="re-confirm it instead"):
        svc.record_out_of_area(nj.village, case.id, valid_until="2024-10-30", **HUKOU)


def test_reconfirmation_deadline_fires_an_alarm_that_reconfirming_resolves(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = with_status(svc, nj)
    clock.set(datetime(2024, 8, 31, 0, 5, tzinfo=SHANGHAI))
    assert sweep(svc, worker="test", now=clock.now()).fired == 1
    alarms = svc.limit_alarms(nj.county)
    assert [(a["case_id"], a["limit"]) for a in alarms] == [(case.id, "out_of_area_reconfirm")]
    case = svc.get_case(nj.county, case.id)
    assert case.facts["out_of_area"]["state"] == "reconfirm_due"
    case = svc.reconfirm_out_of_area(nj.township, case.id, document="颍民救证〔2024〕88号",
                                     valid_until="2025-03-31")  # fmt: skip
    held = case.facts["out_of_area"]
    assert (held["state"], held["valid_until"], held["document"]) == (
        "valid", "2025-03-31", "颍民救证〔2024〕88号")  # fmt: skip
    assert svc.limit_alarms(nj.county) == []
    assert case.deadlines == {"out_of_area_reconfirm": "2025-02-28T16:00:00.000000Z",
                              "out_of_area_lapse": "2025-03-31T16:00:00.000000Z"}  # fmt: skip
    assert replay_case(svc.engine, case.id).ok


def test_without_reconfirmation_the_status_lapses_and_later_bills_are_refused(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = with_status(svc, nj, valid_until="2024-04-30")
    clock.set(datetime(2024, 5, 1, 0, 5, tzinfo=SHANGHAI))
    assert sweep(svc, worker="test", now=clock.now()).fired == 2  # re-confirmation, then lapse
    case = svc.get_case(nj.county, case.id)
    assert case.facts["out_of_area"]["state"] == "lapsed" and case.deadlines == {}
    with pytest.raises(GuardRejected, match="outside the out-of-area"):
        svc.record_medical_bill(nj.township, case.id, billed_on="2024-05-01", total="100",
                                hospital="秦淮区医院")  # fmt: skip
    with pytest.raises(GuardRejected, match="no valid out-of-area status"):
        svc.reconfirm_out_of_area(nj.village, case.id, document="x", valid_until="2024-12-31")
    case = svc.record_out_of_area(nj.village, case.id, valid_until="2024-12-31", **HUKOU)
    assert case.facts["out_of_area"]["valid_from"] == "2024-05-01"
    assert svc.limit_alarms(nj.county) == []  # recording anew resolves the alarm
    assert verify_database(svc.engine).ok


def test_closing_the_case_closes_the_status_deadlines(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = with_status(svc, nj)
    case = svc.assist_first(nj.township, case.id, multiplier=1, reason="突发疾病")
    case = svc.complete_paperwork(nj.village, case.id, sudden_event="住院证明")
    case = svc.close_temporary(nj.township, case.id)
    assert case.state == "closed" and case.deadlines == {}
    clock.set(clock.now() + timedelta(days=400))
    assert sweep(svc, worker="test", now=clock.now()).fired == 0


def test_replay_export_findings_and_the_minimal_verifier_accept_the_status_events(
    svc: CaseService, nj: Org, clock: FakeClock, tmp_path: Path
) -> None:
    case = with_status(svc, nj, valid_until="2024-05-31")
    svc.record_medical_bill(nj.township, case.id, billed_on="2024-03-15", total="2000",
                            hospital="秦淮区医院")  # fmt: skip
    clock.set(datetime(2024, 5, 2, 9, tzinfo=SHANGHAI))
    assert sweep(svc, worker="test", now=clock.now()).fired == 1  # re-confirmation due
    svc.reconfirm_out_of_area(nj.village, case.id, document="续证", valid_until="2024-07-31")
    clock.set(datetime(2024, 8, 1, 9, tzinfo=SHANGHAI))
    assert sweep(svc, worker="test", now=clock.now()).fired == 2  # due again, then the lapse
    types = [e.type for e in svc.history(nj.county, case.id)]
    assert types[1:] == ["record_out_of_area", "record_medical_bill", "mark_reconfirm_due",
                         "reconfirm_out_of_area", "mark_reconfirm_due", "lapse_out_of_area"]  # fmt: skip
    assert replay_case(svc.engine, case.id).ok and verify_database(svc.engine).ok
    assert list(database_findings(svc.engine, now=clock.now())) == []
    export(svc.engine, tmp_path / "out", now=clock.now())
    assert verify_export(tmp_path / "out").ok and minimal_verify(tmp_path / "out") == []
