"""Money under a fast-track case (docs/domain.md §3, §7, §10): the monthly payment run, medical
assistance from the day of inclusion, recovery and the credit record on falsification, fines,
repayments and write-offs.  Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from helpers import Org, case_in, count_rows, db_snapshot, fire
from sqlalchemy import text

import jiuzhu
from jiuzhu import (
    CaseService,
    FakeClock,
    GuardRejected,
    InvalidInput,
    PermissionDenied,
    TransitionNotAllowed,
)
from jiuzhu.audit.replay import fold
from jiuzhu.audit.replay import ledger_entries as replay
from jiuzhu.ledger import balance
from jiuzhu.models import rows as store
from jiuzhu.scheduler.sweep import sweep

W = "payroll:1"


def shanghai(*args: int) -> datetime:
    """A Shanghai wall-clock time as a UTC instant."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


def run_to(svc: CaseService, clock: FakeClock, instant: datetime) -> int:
    """Move the clock to ``instant`` and let the worker sweep; the number of firings."""
    clock.set(instant)
    return sweep(svc, worker=W, now=instant).fired


def entries(svc: CaseService, org: Org, case_id: str) -> list[tuple[Any, ...]]:
    return [(e.kind, e.amount_fen, e.period) for e in svc.ledger(org.county, case_id).entries]


def events_of(svc: CaseService, case_id: str) -> list[dict[str, Any]]:
    with svc.engine.connect() as conn:
        rows = conn.execute(store.SELECT_EVENTS, {"case_id": case_id}).all()
    return store.event_dicts(rows)


# -- the monthly payment run ----------------------------------------------------------------


def test_first_month_is_paid_on_the_day_of_provisional_approval_in_full(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")  # 2024-03-15 10:00, 2,000 a month
    assert case.deadlines["allowance_due"] == "2024-03-15T02:00:00.000000Z"  # the approval
    assert run_to(svc, clock, clock.now()) == 1
    assert entries(svc, org, case.id) == [("allowance", 200_000, "2024-03")]


def test_later_months_fall_due_at_midnight_of_the_pay_day(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    run_to(svc, clock, clock.now())
    assert run_to(svc, clock, shanghai(2024, 4, 14, 23, 59)) == 0
    assert run_to(svc, clock, shanghai(2024, 4, 15, 0, 0)) == 1
    assert [e[2] for e in entries(svc, org, case.id)] == ["2024-03", "2024-04"]


def test_each_month_is_paid_once_however_often_the_run_repeats(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    for _ in range(3):
        run_to(svc, clock, clock.now())
    assert entries(svc, org, case.id) == [("allowance", 200_000, "2024-03")]


@pytest.mark.policy(suspend_when_overdue=False)
def test_worker_down_for_months_pays_every_missed_month_once_in_order(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    fire(svc, org, case, "verify")  # verified on the day; payments go on
    run_to(svc, clock, shanghai(2024, 9, 20))  # nothing ran from March to September
    months = [e[2] for e in entries(svc, org, case.id)]
    assert months == ["2024-03", "2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09"]
    payments = [e for e in events_of(svc, case.id) if e["type"] == "pay_allowance"]
    assert [p["payload"]["month"] for p in payments] == months
    assert payments[1]["payload"]["late_by_seconds"] > 150 * 86400  # April, paid in September


def test_pay_day_is_policy(db_url: str, clock: FakeClock) -> None:
    service = jiuzhu.connect(db_url, clock=clock, policy={"pay_day": 5}, upgrade=False)
    try:
        from helpers import make_county

        org = make_county(service)
        case = case_in(service, org, "provisionally_approved")
        run_to(service, clock, shanghai(2024, 4, 5, 0, 0))
        assert [e[2] for e in entries(service, org, case.id)] == ["2024-03", "2024-04"]
    finally:
        service.close()


def test_payment_run_is_off_when_the_policy_leaves_payments_to_another_system(
    db_url: str, clock: FakeClock
) -> None:
    service = jiuzhu.connect(db_url, clock=clock, policy={"monthly_payments": False},
                             upgrade=False)  # fmt: skip
    try:
        from helpers import make_county

        org = make_county(service)
        case = case_in(service, org, "provisionally_approved")
        assert "allowance_due" not in case.deadlines
        run_to(service, clock, shanghai(2024, 6, 1))
        assert entries(service, org, case.id) == []
    finally:
        service.close()


@pytest.mark.policy(suspend_when_overdue=True)
def test_months_withheld_while_the_check_is_overdue_are_paid_when_it_meets_the_standard(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    run_to(svc, clock, shanghai(2024, 5, 20))  # overdue since 04-15: April paid? no: withheld
    view = svc.get_case(org.county, case.id)
    assert view.facts["assistance_suspended"] is True
    assert view.facts["allowance"]["withheld"] == ["2024-05"]
    assert [e[2] for e in entries(svc, org, case.id)] == ["2024-03", "2024-04"]
    verified = fire(svc, org, view, "verify")
    assert verified.state == "verified"
    assert [e[2] for e in entries(svc, org, case.id)] == ["2024-03", "2024-04", "2024-05"]
    run_to(svc, clock, shanghai(2024, 6, 15))
    assert [e[2] for e in entries(svc, org, case.id)][-1] == "2024-06"


# -- revocation with falsification (docs/domain.md §10 case 2) ---------------------------------------


def revoked_on_may_10(svc: CaseService, org: Org, clock: FakeClock) -> Any:
    """Approved 2024-03-15 at 2,000 a month, March and April paid, revoked 2024-05-10."""
    case = case_in(svc, org, "provisionally_approved")
    run_to(svc, clock, shanghai(2024, 4, 15, 9, 0))
    run_to(svc, clock, shanghai(2024, 5, 10, 10, 0))
    case = svc.get_case(org.county, case.id)
    return fire(svc, org, case, "revoke")


def test_revocation_orders_recovery_of_every_yuan_paid_itemised_by_entry(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = revoked_on_may_10(svc, org, clock)
    assert case.state == "revoked"
    ledger = svc.ledger(org.county, case.id)
    assert [(e.kind, e.amount_fen, e.period) for e in ledger.entries] == [
        ("allowance", 200_000, "2024-03"),
        ("allowance", 200_000, "2024-04"),
        ("recovery", 200_000, "2024-03"),
        ("recovery", 200_000, "2024-04"),
    ]
    paid = [e for e in ledger.entries if e.kind == "allowance"]
    assert [e.ref for e in ledger.entries if e.kind == "recovery"] == [
        f"{e.seq}/{e.line}" for e in paid
    ]
    assert (ledger.balance["paid_fen"], ledger.balance["owed_fen"]) == (400_000, 400_000)
    assert case.facts["money"]["owed_fen"] == 400_000


def test_nothing_is_paid_for_any_period_after_revocation(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = revoked_on_may_10(svc, org, clock)
    assert "allowance_due" not in case.deadlines
    run_to(svc, clock, shanghai(2024, 12, 31))
    assert [e[2] for e in entries(svc, org, case.id) if e[0] == "allowance"] == [
        "2024-03",
        "2024-04",
    ]


def test_recovery_includes_medical_assistance_paid(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    case = svc.record_medical_bill(org.township, case.id, billed_on="2024-03-15",
                                   total="90000", insurance_paid="50000",
                                   hospital="滨海县人民医院")  # fmt: skip
    run_to(svc, clock, shanghai(2024, 5, 10, 10, 0))
    case = fire(svc, org, svc.get_case(org.county, case.id), "revoke")
    owed = svc.ledger(org.county, case.id).balance
    assert owed["medical"] == 3_400_000  # 85 % of the 40,000 yuan insurance left
    assert owed["recovery"] == 400_000 + 3_400_000
    assert owed["owed_fen"] == 3_800_000


def test_revocation_writes_a_credit_record_naming_person_case_reason_and_date(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = revoked_on_may_10(svc, org, clock)
    records = svc.credit_records(org.county, case_id=case.id)
    assert records == [{
        "person_id": case.facts["commitment"]["signed_by"], "case_id": case.id,
        "seq": case.last_seq, "reason": "隐瞒存款 20 万元", "recorded_on": "2024-05-10",
    }]  # fmt: skip
    assert svc.credit_records(org.auditor) == records
    assert svc.credit_records(org.other_township) == []  # outside its jurisdiction


def test_termination_without_falsification_pays_through_its_month_and_recovers_nothing(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    run_to(svc, clock, shanghai(2024, 4, 15, 9, 0))
    run_to(svc, clock, shanghai(2024, 5, 10, 10, 0))  # May not yet paid (pay day the 15th)
    case = fire(svc, org, svc.get_case(org.county, case.id), "terminate")
    assert case.state == "terminated"
    assert entries(svc, org, case.id) == [
        ("allowance", 200_000, "2024-03"),
        ("allowance", 200_000, "2024-04"),
        ("allowance", 200_000, "2024-05"),  # stops from the next month
    ]
    assert svc.credit_records(org.county, case_id=case.id) == []
    run_to(svc, clock, shanghai(2024, 8, 1))
    assert len(entries(svc, org, case.id)) == 3


def test_termination_recovers_when_the_policy_says_so(db_url: str, clock: FakeClock) -> None:
    from helpers import make_county

    service = jiuzhu.connect(db_url, clock=clock, policy={"recover_on_termination": True},
                             upgrade=False)  # fmt: skip
    try:
        org = make_county(service)
        case = case_in(service, org, "provisionally_approved")
        run_to(service, clock, shanghai(2024, 3, 20))
        case = fire(service, org, service.get_case(org.county, case.id), "terminate")
        assert service.ledger(org.county, case.id).balance["owed_fen"] == 200_000
        assert service.credit_records(org.county, case_id=case.id) == []
    finally:
        service.close()


# -- fines, repayments, write-offs ----------------------------------------------------------


def test_fine_is_a_county_decision_of_one_to_three_times_what_was_obtained(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = revoked_on_may_10(svc, org, clock)
    for who in (org.township, org.village, org.auditor):
        with pytest.raises(PermissionDenied):
            svc.impose_fine(who, case.id, multiple="1.5", reason="骗取低保金")
    for bad in ("0.5", "3.5", "abc", "-1", "1.234"):
        before = db_snapshot(svc)
        with pytest.raises((InvalidInput, GuardRejected)):
            svc.impose_fine(org.county, case.id, multiple=bad, reason="骗取低保金")
        assert db_snapshot(svc) == before
    fined = svc.impose_fine(org.county, case.id, multiple="1.5", reason="骗取低保金")
    assert fined.facts["money"]["fined_fen"] == 600_000
    assert svc.ledger(org.county, case.id).balance["owed_fen"] == 400_000 + 600_000
    with pytest.raises(GuardRejected, match="already"):
        svc.impose_fine(org.county, case.id, multiple="2", reason="again")


def test_repayments_in_instalments_reduce_what_is_owed_and_overpaying_is_refused(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = revoked_on_may_10(svc, org, clock)
    svc.record_repayment(org.township, case.id, amount="1500")
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected) as err:
        svc.record_repayment(org.township, case.id, amount="2500.01")
    assert "2500.01" in err.value.message and "2500.00" in err.value.message
    assert err.value.details["owed_fen"] == 250_000
    assert db_snapshot(svc) == before
    done = svc.record_repayment(org.township, case.id, amount="2500")
    assert done.facts["money"]["owed_fen"] == 0
    assert svc.ledger(org.county, case.id).balance["owed_fen"] == 0
    with pytest.raises(GuardRejected, match="nothing is owed"):
        svc.record_repayment(org.township, case.id, amount="1")


def test_write_off_is_the_county_s_and_cannot_exceed_what_is_owed(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = revoked_on_may_10(svc, org, clock)
    with pytest.raises(PermissionDenied):
        svc.write_off(org.township, case.id, amount="100", reason="家庭成员死亡")
    with pytest.raises(GuardRejected):
        svc.write_off(org.county, case.id, amount="4000.01", reason="家庭成员死亡")
    view = svc.write_off(org.county, case.id, amount="4000", reason="家庭成员死亡")
    assert view.facts["money"]["written_off_fen"] == 400_000
    assert svc.ledger(org.county, case.id).balance["owed_fen"] == 0


@pytest.mark.parametrize(
    "amount",
    ["-100", "0", "1e5", "100.001", "abc", "99999999999", 12.5, True, None],
    ids=["negative", "zero", "exponent", "fraction_of_fen", "text", "absurd", "float", "bool",
         "none"],
)  # fmt: skip
def test_bad_repayment_amount_is_refused_and_writes_nothing(
    svc: CaseService, org: Org, clock: FakeClock, amount: object
) -> None:
    case = revoked_on_may_10(svc, org, clock)
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput) as err:
        svc.record_repayment(org.township, case.id, amount=amount)
    assert "repayment" in err.value.message
    assert db_snapshot(svc) == before


def test_repayment_on_a_paying_case_is_not_allowed(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    with pytest.raises(TransitionNotAllowed):
        svc.record_repayment(org.township, case.id, amount="100")


# -- medical assistance (docs/domain.md §10 case 3) -------------------------------------------------


def test_bill_dated_on_the_day_of_inclusion_is_eligible(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    view = svc.record_medical_bill(org.township, case.id, billed_on="2024-03-15", total="12000",
                                   insurance_paid="7000", hospital="滨海县人民医院",
                                   bill_id="ZY-2024-0315")  # fmt: skip
    assert [(e.kind, e.amount_fen, e.ref) for e in svc.ledger(org.county, case.id).entries] == [
        ("medical", 425_000, "ZY-2024-0315")  # 85 % of 5,000
    ]
    assert view.facts["medical"]["bills"] == ["ZY-2024-0315"]


def test_bill_dated_before_the_day_of_inclusion_is_refused_with_the_reason(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected) as err:
        svc.record_medical_bill(org.township, case.id, billed_on="2024-03-10", total="12000",
                                hospital="滨海县人民医院")  # fmt: skip
    assert "before the day of inclusion 2024-03-15" in err.value.message
    assert "医疗救助自纳入之日起计算" in err.value.zh
    assert err.value.details == {"billed_on": "2024-03-10", "inclusion_day": "2024-03-15"}
    assert db_snapshot(svc) == before


def test_inclusion_day_is_the_shanghai_date_of_the_approval(
    db_url: str,
) -> None:
    from helpers import make_county

    clock = FakeClock(datetime(2024, 3, 14, 17, 30, tzinfo=UTC))  # 01:30 on 03-15 in Shanghai
    service = jiuzhu.connect(db_url, clock=clock, upgrade=False)
    try:
        org = make_county(service)
        case = case_in(service, org, "provisionally_approved")
        service.record_medical_bill(org.township, case.id, billed_on="2024-03-15", total="100",
                                    hospital="医院")  # fmt: skip
        with pytest.raises(GuardRejected):
            service.record_medical_bill(org.township, case.id, billed_on="2024-03-14",
                                        total="100", hospital="医院")  # fmt: skip
    finally:
        service.close()


def test_medical_assistance_stops_at_the_yearly_cap(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    for n in range(3):  # 85 % of 30,000 = 25,500 each; the cap is 60,000 a year
        svc.record_medical_bill(org.township, case.id, billed_on="2024-03-15", total="30000",
                                hospital="医院", bill_id=f"B{n}")  # fmt: skip
    amounts = [e.amount_fen for e in svc.ledger(org.county, case.id).entries]
    assert amounts == [2_550_000, 2_550_000, 900_000]
    view = svc.record_medical_bill(org.township, case.id, billed_on="2024-03-15", total="100",
                                   hospital="医院", bill_id="B3")  # fmt: skip
    assert view.facts["medical"]["used_fen"] == {"2024": 6_000_000}
    assert len(svc.ledger(org.county, case.id).entries) == 3  # nothing left this year: no entry


def test_the_same_bill_is_not_paid_twice(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    svc.record_medical_bill(org.township, case.id, billed_on="2024-03-15", total="100",
                            hospital="医院", bill_id="B1")  # fmt: skip
    with pytest.raises(GuardRejected, match="recorded already"):
        svc.record_medical_bill(org.township, case.id, billed_on="2024-03-15", total="100",
                                hospital="医院", bill_id="B1")  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"total": "-5"}, "negative"),
        ({"total": "0"}, "more than zero"),
        ({"total": "20000000"}, "plausible maximum"),
        ({"total": "100", "insurance_paid": "200"}, "more than the bill"),
        ({"billed_on": "2024-13-01"}, "bill date"),
        ({"billed_on": "2024-03-16"}, "future"),
        ({"hospital": ""}, "hospital"),
    ],
)
def test_bad_bill_is_refused_and_writes_nothing(
    svc: CaseService, org: Org, kwargs: dict[str, Any], message: str
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    args = {"billed_on": "2024-03-15", "total": "100", "hospital": "医院"} | kwargs
    before = db_snapshot(svc)
    with pytest.raises((InvalidInput, GuardRejected)) as err:
        svc.record_medical_bill(org.township, case.id, **args)
    assert message in err.value.message
    assert db_snapshot(svc) == before


def test_bills_are_not_taken_before_approval_or_by_a_village(svc: CaseService, org: Org) -> None:
    reviewed = case_in(svc, org, "reviewed")
    with pytest.raises(TransitionNotAllowed):
        svc.record_medical_bill(org.township, reviewed.id, billed_on="2024-03-15", total="100",
                                hospital="医院")  # fmt: skip
    approved = case_in(svc, org, "provisionally_approved")
    with pytest.raises(PermissionDenied):
        svc.record_medical_bill(org.village, approved.id, billed_on="2024-03-15", total="100",
                                hospital="医院")  # fmt: skip


# -- the ledger is history --------------------------------------------------------------------


def test_ledger_rows_are_append_only_in_the_database(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    run_to(svc, clock, clock.now())
    for statement in ("UPDATE ledger_entries SET amount_fen = 1", "DELETE FROM ledger_entries"):
        with pytest.raises(Exception, match="append-only"):  # noqa: B017 - driver's error
            with svc.engine.begin() as conn:
                conn.execute(text(statement))
    assert entries(svc, org, case.id) == [("allowance", 200_000, "2024-03")]


def test_replay_from_events_alone_rebuilds_the_stored_ledger(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = revoked_on_may_10(svc, org, clock)
    svc.impose_fine(org.county, case.id, multiple="1", reason="骗取")
    svc.record_repayment(org.township, case.id, amount="3000")
    events = events_of(svc, case.id)
    stored = svc.ledger(org.county, case.id).entries
    assert replay(events) == stored
    assert fold(events).facts["money"]["owed_fen"] == balance(stored)["owed_fen"] == 500_000
    assert replay(events, as_of=shanghai(2024, 4, 20)) == stored[:2]  # before the revocation


def test_ledger_reads_follow_jurisdiction(svc: CaseService, org: Org, clock: FakeClock) -> None:
    case = case_in(svc, org, "provisionally_approved")
    assert svc.ledger(org.auditor, case.id).case_id == case.id
    with pytest.raises(PermissionDenied):
        svc.ledger(org.other_township, case.id)
    assert count_rows(svc, "ledger_entries") == 0
