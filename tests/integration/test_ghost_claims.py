"""Ghost claims (jiuzhu issue 17, part 6): a due deadline marked ``claimed`` by a worker that
does not exist, with a lease to 2099, would stop a household's payments silently.  The sweep
claims it again and fires it; verify and findings name it; an absurd lease is refused.
Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from helpers import Org, case_in, fire
from sqlalchemy import select, update

from jiuzhu import CaseService, FakeClock, InvalidInput
from jiuzhu.audit.findings import database_findings
from jiuzhu.audit.verify import verify_database
from jiuzhu.leases import DEFAULT_MAX_LEASE, max_lease
from jiuzhu.models import rows as store
from jiuzhu.scheduler.heartbeat import beat, workers
from jiuzhu.scheduler.startup import check_settings
from jiuzhu.scheduler.sweep import claim_items, sweep

W = "payroll:1"
GHOST_LEASE = datetime(2099, 12, 31, tzinfo=UTC)


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


def ghost_claim(svc: CaseService, case_id: str, *, until: datetime = GHOST_LEASE) -> int:
    """The attack: one UPDATE marks the case's allowance_due row claimed by a ghost."""
    d = store.deadlines
    with svc.engine.begin() as conn:
        return conn.execute(
            update(d)
            .where(
                d.c.case_id == case_id, d.c.kind == "allowance_due", d.c.status == "pending"
            )  # fmt: skip
            .values(status="claimed", claimed_by="ghost", lease_until=until)
        ).rowcount


def months_paid(svc: CaseService, org: Org, case_id: str) -> list[str | None]:
    return [e.period for e in svc.ledger(org.county, case_id).entries if e.kind == "allowance"]


def run_months(svc: CaseService, clock: FakeClock, last_month: int) -> None:
    for month in range(4, last_month + 1):
        instant = shanghai(2024, month, 15, 0, 1)
        clock.set(instant)
        sweep(svc, worker=W, now=instant)


@pytest.mark.policy(suspend_when_overdue=False)
def test_a_ghost_claim_is_named_then_released_and_the_household_paid_every_month(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    victim = fire(svc, org, case_in(svc, org, "provisionally_approved"), "verify")
    control = fire(svc, org, case_in(svc, org, "provisionally_approved"), "verify")
    sweep(svc, worker=W, now=clock.now())  # March, paid on the day of approval
    assert ghost_claim(svc, victim.id) == 1

    report = verify_database(svc.engine, now=clock.now())
    stuck = [b for b in report.breaks if b.kind == "stuck_claim"]
    assert not report.ok and [b.case_id for b in stuck] == [victim.id]
    case_no = svc.get_case(org.county, victim.id).case_no
    assert "allowance_due" in stuck[0].detail and "'ghost'" in stuck[0].detail
    assert case_no in stuck[0].detail and "2099" in stuck[0].detail
    found = [f for f in database_findings(svc.engine, now=clock.now()) if f.code == "stuck_claim"]
    assert [f.case_id for f in found] == [victim.id]
    assert "ghost" in found[0].detail and "allowance_due" in found[0].detail

    run_months(svc, clock, 7)
    expected = ["2024-03", "2024-04", "2024-05", "2024-06", "2024-07"]
    assert months_paid(svc, org, control.id) == expected
    assert months_paid(svc, org, victim.id) == expected  # the ghost held April; it was taken
    assert verify_database(svc.engine, now=clock.now()).ok


def test_a_lease_within_the_maximum_is_respected_and_one_past_it_is_named(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    sweep(svc, worker=W, now=clock.now())
    april = shanghai(2024, 4, 15, 0, 1)
    clock.set(april)
    ghost_claim(svc, case.id, until=april + DEFAULT_MAX_LEASE - timedelta(minutes=1))
    assert sweep(svc, worker=W, now=april).fired == 0  # a worker could hold that lease
    assert verify_database(svc.engine, now=april).ok
    later = april + DEFAULT_MAX_LEASE + timedelta(minutes=20)  # the lease ended 21 min ago
    stuck = [b for b in verify_database(svc.engine, now=later).breaks if b.kind == "stuck_claim"]
    assert [b.case_id for b in stuck] == [case.id] and "lease ended" in stuck[0].detail
    assert sweep(svc, worker=W, now=later).fired == 1
    assert months_paid(svc, org, case.id) == ["2024-03", "2024-04"]


def test_a_lease_above_the_maximum_is_refused_naming_the_maximum(svc: CaseService) -> None:
    for call in (lambda: check_settings(200, timedelta(seconds=3_153_600_000)),
                 lambda: svc.claims.due(worker=W, now=datetime(2024, 4, 1, tzinfo=UTC),
                                        batch=1, lease=timedelta(hours=2))):  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            call()
        assert "maximum lease of 3600 s" in refused.value.message
        assert "最长认领租期 3600 秒" in refused.value.zh


def test_the_maximum_lease_is_a_setting() -> None:
    assert max_lease({}) == timedelta(hours=1)
    assert max_lease({"JIUZHU_MAX_LEASE_SECONDS": "600"}) == timedelta(minutes=10)
    for bad in ("0", "ten", "864000"):
        with pytest.raises(InvalidInput):
            max_lease({"JIUZHU_MAX_LEASE_SECONDS": bad})


def test_a_silent_workers_claims_are_released_before_their_lease_runs_out(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")  # its first month falls due now
    start = clock.now()
    beat(svc.engine, "dead:1", start)
    assert [c.case_id for c in claim_items(svc, worker="dead:1", now=start)] == [case.id]
    later = start + timedelta(minutes=2)  # within the 5-minute lease
    beat(svc.engine, "dead:1", later)  # still beating: its claim holds
    assert sweep(svc, worker="heir:2", now=later, silent_after=timedelta(minutes=1)).fired == 0
    silent = later + timedelta(minutes=2)  # no beat for two minutes; lease ends at 5
    assert sweep(svc, worker="heir:2", now=silent, silent_after=timedelta(minutes=1)).fired == 1
    assert months_paid(svc, org, case.id) == ["2024-03"]
    with svc.engine.connect() as conn:
        rows = {r.worker_id: r for r in conn.execute(select(workers))}
    assert set(rows) == {"dead:1", "heir:2"}
    heir = rows["heir:2"]
    assert heir.pid == os.getpid() and heir.host and heir.started_at == later
    assert heir.last_beat_at == silent and rows["dead:1"].last_beat_at == later
