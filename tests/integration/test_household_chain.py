"""One assistance chain per household (docs/domain.md §5, source F): one allowance per
programme, household and month.  A second case of the household whose month falls due for a
month already paid is withheld with ``overlap_case``, books nothing and moves on; a lost race
between two connections ends with exactly one paid.  Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from helpers import Org, case_in, fire, make_household
from sqlalchemy import text

import jiuzhu
from jiuzhu import CaseService, FakeClock
from jiuzhu.models import rows as store
from jiuzhu.scheduler.sweep import sweep

W = "payroll:1"


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


def run_to(svc: CaseService, clock: FakeClock, instant: datetime) -> int:
    clock.set(instant)
    return sweep(svc, worker=W, now=instant).fired


def allowance_months(svc: CaseService, org: Org, case_id: str) -> list[str]:
    return [e.period for e in svc.ledger(org.county, case_id).entries if e.kind == "allowance"]


def payments(svc: CaseService, case_id: str) -> list[dict[str, Any]]:
    with svc.engine.connect() as conn:
        found = conn.execute(store.SELECT_EVENTS, {"case_id": case_id}).all()
    return [e["payload"] for e in store.event_dicts(found) if e["type"] == "pay_allowance"]


def held(svc: CaseService) -> list[tuple[Any, ...]]:
    with svc.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT household_id, programme, period, case_id FROM household_months "
            "ORDER BY period, case_id"))]  # fmt: skip


def two_cases(svc: CaseService, org: Org) -> tuple[Any, Any]:
    home = make_household(svc, org.village, 2)
    first = case_in(svc, org, "provisionally_approved", household=home)
    second = case_in(svc, org, "provisionally_approved", household=home,
                     applicant_id=home.member_ids[1])  # fmt: skip
    return first, second


def test_the_second_case_of_a_household_is_withheld_for_a_month_already_paid(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    first, second = two_cases(svc, org)
    run_to(svc, clock, shanghai(2024, 4, 15, 0, 0))
    assert allowance_months(svc, org, first.id) == ["2024-03", "2024-04"]
    assert allowance_months(svc, org, second.id) == []
    withheld = payments(svc, second.id)
    assert [(p["month"], p["withheld"], p["overlap_case"]) for p in withheld] == [
        ("2024-03", True, first.id), ("2024-04", True, first.id)]  # fmt: skip
    assert all("amount_fen" not in p for p in withheld)
    view = svc.get_case(org.county, second.id)
    assert view.facts["allowance"]["next_month"] == "2024-05"  # moved on
    assert view.facts["allowance"].get("withheld", []) == []  # never owed as arrears
    assert view.facts["allowance"]["overlap"] == {"2024-03": first.id, "2024-04": first.id}
    assert [(r[2], r[3]) for r in held(svc)] == [("2024-03", first.id), ("2024-04", first.id)]


def test_verifying_the_withheld_case_pays_no_month_the_other_case_was_paid(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    first, second = two_cases(svc, org)
    run_to(svc, clock, shanghai(2024, 3, 20))
    verified = fire(svc, org, svc.get_case(org.county, second.id), "verify")
    assert verified.state == "verified"
    assert allowance_months(svc, org, second.id) == []
    assert allowance_months(svc, org, first.id) == ["2024-03"]


def test_cases_of_other_households_are_each_paid(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    a = case_in(svc, org, "provisionally_approved")
    b = case_in(svc, org, "provisionally_approved")
    run_to(svc, clock, shanghai(2024, 3, 20))
    assert allowance_months(svc, org, a.id) == allowance_months(svc, org, b.id) == ["2024-03"]


def test_a_lost_race_fails_the_transaction_is_fired_again_and_ends_withheld(
    svc: CaseService,
    org: Org,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The primary key, not the read-check alone, keeps the rule: a firing that did not see the
    other case's month (read before the other committed) fails whole, and fired again it
    withholds the month.  One deadline per chunk, so each case fires in its own transaction;
    the stale read is forced for the first three look-ups of held months: the first case's
    chunk, the second case's chunk and its first lone firing."""
    caplog.set_level(logging.INFO, logger="jiuzhu.scheduler")
    first, second = two_cases(svc, org)
    reads = svc._chunk_sql  # where a firing reads which months are held (one SELECT)
    real, blind = reads.month_holders, iter(range(3))
    monkeypatch.setattr(reads, "month_holders", lambda *a: {} if next(blind, None) is not None
                        else real(*a))  # fmt: skip
    clock.set(shanghai(2024, 3, 20))
    report = sweep(svc, worker=W, now=clock.now(), chunk=1)
    assert (report.fired, report.failed) == (2, 0)
    assert sum("lost a race" in r.getMessage() for r in caplog.records) == 1
    assert allowance_months(svc, org, first.id) == ["2024-03"]
    assert allowance_months(svc, org, second.id) == []
    assert [p["overlap_case"] for p in payments(svc, second.id)] == [first.id]
    assert [(r[2], r[3]) for r in held(svc)] == [("2024-03", first.id)]


def test_two_connections_paying_one_household_month_at_once_pay_it_once(
    db_url: str, svc: CaseService, org: Org, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Two services (two engines, two connections) fire the two cases' March at the same
    moment.  On PostgreSQL both read "not held" before either writes (a barrier holds them),
    so one insert fails on the primary key and is fired again; on SQLite writers queue."""
    caplog.set_level(logging.INFO, logger="jiuzhu.scheduler")
    first, second = two_cases(svc, org)
    clock.set(shanghai(2024, 3, 20))
    claimed = svc.claims.due(worker=W, now=clock.now(), batch=10, lease=timedelta(minutes=5))
    assert {c.case_id for c in claimed} == {first.id, second.id}
    services = [jiuzhu.connect(db_url, clock=clock, upgrade=False) for _ in claimed]
    postgres = svc.engine.dialect.name == "postgresql"
    barrier = threading.Barrier(len(claimed), timeout=20)
    seen = threading.local()
    for other in services:
        reads = other._chunk_sql  # where a firing reads which months are held (one SELECT)
        real = reads.month_holders

        def holders(*args: Any, real: Any = real) -> Any:
            found = real(*args)
            if postgres and not getattr(seen, "once", False):
                seen.once = True
                barrier.wait()  # both have read before either writes
            return found

        reads.month_holders = holders  # type: ignore[method-assign]
    results: list[Any] = [None] * len(claimed)

    def run(i: int) -> None:
        try:
            results[i] = services[i].fire_deadline(claimed[i].id, worker=W, now=clock.now())
        except Exception as exc:  # noqa: BLE001 - reported below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(claimed))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        for other in services:
            other.close()
    assert [getattr(r, "outcome", r) for r in results] == ["fired", "fired"]
    if postgres:  # the race was really lost, and won on the second firing
        assert sum("lost a race" in r.getMessage() for r in caplog.records) == 1
    months = {c: allowance_months(svc, org, c) for c in (first.id, second.id)}
    assert sorted(months.values()) == [[], ["2024-03"]]
    paid = next(c for c, m in months.items() if m)
    unpaid = next(c for c, m in months.items() if not m)
    assert [p["overlap_case"] for p in payments(svc, unpaid)] == [paid]
    assert [(r[2], r[3]) for r in held(svc)] == [("2024-03", paid)]
    assert all(
        c.state == "provisionally_approved"
        for c in (svc.get_case(org.county, first.id), svc.get_case(org.county, second.id))
    )


@pytest.mark.policy(suspend_when_overdue=True)
def test_arrears_of_a_verified_case_leave_out_the_months_another_case_was_paid(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    home = make_household(svc, org.village, 2)
    first = case_in(svc, org, "provisionally_approved", household=home)
    run_to(svc, clock, shanghai(2024, 5, 20))  # March, April paid; May withheld (overdue)
    assert svc.get_case(org.county, first.id).facts["allowance"]["withheld"] == ["2024-05"]
    second = case_in(svc, org, "provisionally_approved", household=home,
                     applicant_id=home.member_ids[1])  # fmt: skip
    run_to(svc, clock, shanghai(2024, 5, 20, 1))
    assert allowance_months(svc, org, second.id) == ["2024-05"]
    verified = fire(svc, org, svc.get_case(org.county, first.id), "verify")
    assert verified.state == "verified"
    assert allowance_months(svc, org, first.id) == ["2024-03", "2024-04"]  # May not again
    assert verified.facts["allowance"]["overlap"] == {"2024-05": second.id}
    assert verified.facts["allowance"]["withheld"] == []
    with svc.engine.connect() as conn:
        found = conn.execute(store.SELECT_EVENTS, {"case_id": first.id}).all()
    verify = [e for e in store.event_dicts(found) if e["type"] == "verify"][0]["payload"]
    assert verify["overlap_months"] == {"2024-05": second.id}
    assert "allowance_months" not in verify
    run_to(
        svc, clock, shanghai(2024, 6, 15)
    )  # June: paid to the first case, withheld for the other
    assert allowance_months(svc, org, first.id)[-1] == "2024-06"
    assert payments(svc, second.id)[-1]["overlap_case"] == first.id
