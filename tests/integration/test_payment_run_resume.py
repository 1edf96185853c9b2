"""The monthly payment run interrupted and resumed: each case-month is paid exactly once.

A payment run is the sweep firing every paying case's ``allowance_due`` deadline.  Here it is
cut short two ways -- asked to stop between chunks (a worker shutting down), and a worker that
fired some chunks of its claimed batch and died holding the rest -- and then resumed by another
worker.  Afterwards every case has one ``allowance`` ledger line and one ``pay_allowance``
event per month, none missing, none double, and the hash chains verify.  Every test runs on
SQLite and PostgreSQL, on a FakeClock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from helpers import Org, case_in
from sqlalchemy import func, select

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.verify import verify_database
from jiuzhu.models import rows as store
from jiuzhu.scheduler.catchup import allowance_booked
from jiuzhu.scheduler.heartbeat import beat
from jiuzhu.scheduler.sweep import claim_items, sweep

CASES = 10


def shanghai(*args: int) -> datetime:
    """A Shanghai wall-clock time as a UTC instant."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


def paying_cases(svc: CaseService, org: Org) -> list[str]:
    """``CASES`` provisionally approved cases (2024-03-15 10:00): March falls due at once."""
    return [case_in(svc, org, "provisionally_approved").id for _ in range(CASES)]


def months_paid(svc: CaseService) -> Counter[tuple[str, str]]:
    """(case, month) -> allowance ledger lines."""
    led = store.ledger
    with svc.engine.connect() as conn:
        found = conn.execute(select(led.c.case_id, led.c.period).where(led.c.kind == "allowance"))
        return Counter((case_id, period) for case_id, period in found)


def payment_events(svc: CaseService) -> Counter[str]:
    """case -> ``pay_allowance`` events."""
    ev = store.events
    with svc.engine.connect() as conn:
        query = (select(ev.c.case_id, func.count()).where(ev.c.type == "pay_allowance")
                 .group_by(ev.c.case_id))  # fmt: skip
        return Counter(dict(conn.execute(query).all()))


def assert_paid_once(svc: CaseService, cases: list[str], months: list[str]) -> None:
    assert months_paid(svc) == Counter({(c, m): 1 for c in cases for m in months})
    assert payment_events(svc) == Counter({c: len(months) for c in cases})
    assert verify_database(svc.engine).ok


def stop_after(chunks: int) -> Callable[[], bool]:
    """A ``should_stop`` that lets ``chunks`` chunks through (it is asked once per round of
    claims and once before each chunk)."""
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > chunks + 1

    return stop


def test_a_payment_run_stopped_between_chunks_resumes_paying_each_month_once(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    cases = paying_cases(svc, org)
    march = clock.now()
    first = sweep(svc, worker="pay:1", now=march, batch=CASES, chunk=3, should_stop=stop_after(2))
    assert (first.fired, first.failed) == (6, 0)
    assert sum(months_paid(svc).values()) == 6
    rest = sweep(svc, worker="pay:2", now=march, chunk=3)
    assert (rest.fired, rest.failed, rest.skipped) == (CASES - 6, 0, 0)
    assert sweep(svc, worker="pay:3", now=march).fired == 0  # nothing left this month
    april = shanghai(2024, 4, 15, 9, 0)
    clock.set(april)
    stopped = sweep(svc, worker="pay:1", now=april, batch=4, chunk=2, should_stop=stop_after(1))
    assert stopped.fired == 2
    assert sweep(svc, worker="pay:2", now=april).fired == CASES - 2
    assert_paid_once(svc, cases, ["2024-03", "2024-04"])


def test_a_dead_workers_claimed_cases_are_paid_once_by_the_next_worker(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    cases = paying_cases(svc, org)
    start = clock.now()
    beat(svc.engine, "dead:1", start)  # what its sweep did first
    claimed = claim_items(svc, worker="dead:1", now=start, batch=6)
    assert len(claimed) == 6
    fired = svc.fire_chunk(claimed[:2], worker="dead:1", now=start)  # one chunk, then it died
    assert [f.outcome for f in fired] == ["fired", "fired"]
    soon = start + timedelta(minutes=1)  # it may only be slow: its claims are respected
    heir = sweep(svc, worker="heir:2", now=soon)
    assert (heir.fired, heir.skipped) == (CASES - 6, 0)
    assert sum(months_paid(svc).values()) == CASES - 4
    silent = start + timedelta(minutes=6)  # no beat for longer than the 5-minute lease
    late = sweep(svc, worker="heir:2", now=silent)
    assert (late.fired, late.failed, late.skipped) == (4, 0, 0)
    assert sweep(svc, worker="heir:3", now=silent).fired == 0
    assert_paid_once(svc, cases, ["2024-03"])
    # the slow worker waking up after all finds its claims gone and pays nothing twice
    again = svc.fire_chunk(claimed[2:], worker="dead:1", now=silent)
    assert {f.outcome for f in again} == {"skipped"}
    assert_paid_once(svc, cases, ["2024-03"])


def test_the_runs_counter_counts_the_allowance_months_booked_since_it_started(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case_in(svc, org, "provisionally_approved")  # paid before the counter starts
    sweep(svc, worker="pay:1", now=clock.now())
    cases = [case_in(svc, org, "provisionally_approved").id for _ in range(3)]
    booked = allowance_booked(svc.engine)
    assert booked() == (0, 0)
    sweep(svc, worker="pay:1", now=clock.now(), batch=2, chunk=1)
    fen = sum(e.amount_fen for c in cases for e in svc.ledger(org.county, c).entries)
    assert booked() == (3, fen) and fen == 3 * 200_000  # 2,000 yuan a month each
