"""Chunked firing: many deadlines per transaction, each still fired exactly once."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from helpers import Org, case_in, deadline_rows
from sqlalchemy import text

from jiuzhu import CaseService
from jiuzhu.audit.verify import verify_database
from jiuzhu.scheduler.sweep import claim_items, sweep
from jiuzhu.service.firing import Claimed

# These tests are about the verification and visit deadlines; the monthly payment run,
# which adds an allowance deadline to every paying case, has its own tests (test_payments.py).
pytestmark = pytest.mark.policy(monthly_payments=False)


def _approved_cases(svc: CaseService, org: Org, n: int) -> list[str]:
    return [case_in(svc, org, "provisionally_approved").id for _ in range(n)]


def _statuses(svc: CaseService, case_ids: list[str]) -> list[str]:
    return [row["status"] for cid in case_ids for row in deadline_rows(svc, cid)]


def test_sweep_fires_every_deadline_once_when_chunks_are_smaller_than_the_batch(
    svc: CaseService, org: Org
) -> None:
    cases = _approved_cases(svc, org, 7)
    now = svc.clock.now() + timedelta(days=40)
    report = sweep(svc, worker="w1", now=now, batch=5, chunk=2)
    assert (report.fired, report.failed, report.skipped) == (7, 0, 0)
    assert _statuses(svc, cases).count("fired") == 7
    assert sweep(svc, worker="w1", now=now).fired == 0
    assert verify_database(svc.engine).ok


def test_sweep_stops_between_chunks_and_gives_the_rest_back_when_asked(
    svc: CaseService, org: Org
) -> None:
    cases = _approved_cases(svc, org, 6)
    now = svc.clock.now() + timedelta(days=40)
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 2  # let the first chunk through, then stop

    first = sweep(svc, worker="w1", now=now, batch=6, chunk=2, should_stop=stop)
    assert first.fired == 2
    statuses = _statuses(svc, cases)
    assert statuses.count("fired") == 2 and "claimed" not in statuses  # released, not leased
    rest = sweep(svc, worker="w2", now=now)
    assert rest.fired == 4
    assert verify_database(svc.engine).ok


def test_a_chunk_fires_the_claims_it_still_holds_and_writes_nothing_for_one_taken_over(
    svc: CaseService, org: Org
) -> None:
    cases = _approved_cases(svc, org, 3)
    now = svc.clock.now() + timedelta(days=40)
    items = claim_items(svc, worker="w1", now=now)
    taken = items[1]
    with svc.engine.begin() as conn:  # w1's lease ran out and w2 claimed the row meanwhile
        conn.execute(text("UPDATE deadlines SET claimed_by = 'w2' WHERE id = :id"),
                     {"id": taken.id})  # fmt: skip
    results = svc.fire_chunk(items, worker="w1", now=now)
    assert [r.outcome for r in results] == ["fired", "skipped", "fired"]
    assert [len(svc.history(org.county, c)) for c in cases] == [5, 4, 5]  # no event for it
    assert [row["status"] for row in deadline_rows(svc, taken.case_id)] == ["claimed"]
    assert [r.outcome for r in svc.fire_chunk([taken], worker="w2", now=now)] == ["fired"]
    assert verify_database(svc.engine).ok


def test_a_chunk_holds_one_deadline_per_case_and_leaves_the_next_to_the_following_chunk(
    svc: CaseService, org: Org
) -> None:
    first, second = _approved_cases(svc, org, 2)
    now = svc.clock.now() + timedelta(days=40)
    [a, b] = claim_items(svc, worker="w1", now=now)
    again = Claimed(a.id, a.case_id, a.due_at)  # the same case a second time in the list
    results = svc.fire_chunk([a, again, b], worker="w1", now=now)
    assert [(r.deadline_id, r.outcome) for r in results] == [(a.id, "fired")]
    assert [r.outcome for r in svc.fire_chunk([again, b], worker="w1", now=now)] == [
        "skipped", "fired"]  # fmt: skip
    assert verify_database(svc.engine).ok


def test_a_claim_whose_case_has_an_earlier_deadline_open_is_deferred_and_writes_nothing(
    svc: CaseService, org: Org
) -> None:
    """Another worker's claim (taken before this case's plan fell behind) must wait for the
    plan's earlier missed visit, so the case's events keep due order across workers."""
    case = case_in(svc, org, "provisionally_approved")
    svc.open_service_plan(org.village, case.id, kind="cleaning", provider={"name": "暖心洁家"},
                          recurrence={"type": "interval", "days": 2})  # fmt: skip
    now = svc.clock.now() + timedelta(days=40)
    claimed = {item.id: item for item in claim_items(svc, worker="w2", now=now)}
    rows = {row["kind"]: row["id"] for row in deadline_rows(svc, case.id)}
    check = claimed[rows["verification_due"]]
    before = len(svc.history(org.county, case.id))

    [result] = svc.fire_chunk([check], worker="w2", now=now)

    assert (result.outcome, result.kind) == ("deferred", "verification_due")
    assert len(svc.history(org.county, case.id)) == before
    report = sweep(svc, worker="w1", now=now + timedelta(minutes=10), lease=timedelta(minutes=5))
    assert report.fired > 15  # w2's claims ran out; each missed visit, then the data check
    dues = [e.payload["due_at"] for e in svc.history(org.county, case.id) if "due_at" in e.payload]
    assert dues == sorted(dues)


def test_a_chunk_is_fired_set_based_without_falling_back_to_one_at_a_time(
    svc: CaseService, org: Org, caplog: pytest.LogCaptureFixture
) -> None:
    """The chunk's counts (claims marked fired, case rows updated) match what it read, so the
    chunk commits as one: a mismatch would roll it back and fire one transaction each."""
    cases = _approved_cases(svc, org, 12)
    now = svc.clock.now() + timedelta(days=40)
    with caplog.at_level(logging.INFO, logger="jiuzhu.scheduler"):
        report = sweep(svc, worker="w1", now=now, chunk=12)
    assert report.fired == 12
    assert not [r for r in caplog.records if "firing one by one" in r.getMessage()]
    assert _statuses(svc, cases).count("fired") == 12
