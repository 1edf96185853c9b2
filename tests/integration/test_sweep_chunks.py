"""Chunked firing: many deadlines per transaction, each still fired exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import Org, case_in, deadline_rows

from jiuzhu import CaseService
from jiuzhu.audit.verify import verify_database
from jiuzhu.scheduler.sweep import sweep

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
