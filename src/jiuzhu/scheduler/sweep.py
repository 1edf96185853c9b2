"""Claim due deadline rows in batches and fire them, each marked fired with its event.

A claim marks rows ``claimed`` by one worker with a lease; on PostgreSQL the claim skips rows
other workers hold (``FOR UPDATE SKIP LOCKED``), so several workers share the work.  Firing
(:meth:`CaseService.fire_chunk`, ``chunk`` deadlines per transaction) re-checks each claim
inside the firing transaction and marks the row ``fired`` there, in the transaction that
writes its event, so each deadline fires exactly once.  A worker killed mid-batch leaves
its unfired rows ``claimed``; once the lease runs out any worker claims them again.  A claim
whose lease ends later than ``now`` plus the configured maximum (:mod:`jiuzhu.leases`) was
never given by a worker (a row set ``claimed`` by hand, a ghost's): it is claimed again at
once and fired normally.

``sweep`` is idempotent and takes ``now``: the APScheduler jobs call it on the wall clock, tests
and the demo on a controllable one.  After a downtime of any length it fires everything that
fell due, in due order, each event saying how late it fired.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..service.firing import Claimed, Fired, earlier_due
from .heartbeat import beat, release_silent

if TYPE_CHECKING:
    from ..service.service import CaseService

log = logging.getLogger("jiuzhu.scheduler")

DEFAULT_BATCH = 1000
DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_CHUNK = 200  # deadlines per transaction, a few statements each chunk (see fire_chunk)


@dataclass
class SweepReport:
    fired: int = 0
    skipped: int = 0  # another worker took the claim over
    stale: int = 0  # the deadline had been closed meanwhile
    failed: int = 0
    late_seconds: list[float] = field(default_factory=list)

    def tally(self, fired: Fired) -> None:
        if fired.outcome == "fired":
            self.fired += 1
            self.late_seconds.append(fired.late_by_seconds or 0.0)
        elif fired.outcome == "skipped":
            self.skipped += 1
        elif fired.outcome == "stale":
            self.stale += 1
        else:
            self.failed += 1

    def to_dict(self) -> dict[str, Any]:
        late = sorted(self.late_seconds)
        return {"fired": self.fired, "skipped": self.skipped, "stale": self.stale,
                "failed": self.failed,
                "max_late_seconds": late[-1] if late else None}  # fmt: skip


def claim_items(svc: CaseService, *, worker: str, now: datetime, batch: int = DEFAULT_BATCH,
                lease: timedelta = DEFAULT_LEASE) -> list[Claimed]:  # fmt: skip
    """Claim up to ``batch`` due rows (and expired claims) for ``worker``, in due order."""
    return svc.claims.due(worker=worker, now=now, batch=batch, lease=lease)


def claim(svc: CaseService, *, worker: str, now: datetime, batch: int = DEFAULT_BATCH,
          lease: timedelta = DEFAULT_LEASE) -> list[int]:  # fmt: skip
    """The ids of :func:`claim_items`."""
    return [item.id for item in claim_items(svc, worker=worker, now=now, batch=batch, lease=lease)]


def release(svc: CaseService, *, worker: str, ids: list[int]) -> None:
    """Give back claims not fired yet (a firing opened something due before them)."""
    svc.claims.release(worker=worker, ids=ids)


def sweep(svc: CaseService, *, worker: str, now: datetime | None = None,
          batch: int = DEFAULT_BATCH, lease: timedelta = DEFAULT_LEASE,
          chunk: int = DEFAULT_CHUNK, should_stop: Callable[[], bool] | None = None,
          on_chunk: Callable[[list[Fired]], None] | None = None,
          silent_after: timedelta | None = None) -> SweepReport:  # fmt: skip
    """Fire every deadline due at ``now`` (default: the service's clock), batch by batch.

    Each chunk of up to ``chunk`` claimed deadlines (one per case) is fired in one transaction
    with a few statements (``chunk=1``: one transaction per deadline).  Rows that firing arms
    and that are already due (the next visit of a long-missed plan) are claimed in a later
    round: the round stops before the first claim due later than such a row, and gives the
    rest back, so a catch-up fires in due order.  A claimed deadline whose case has an earlier
    one open (opened by another worker meanwhile) is given back too (``deferred``) and fires
    after it, so each case's events keep due order whatever the workers do.
    ``should_stop`` is asked between chunks (a worker shutting down); ``on_chunk`` is given
    each chunk's results (a catch-up's progress, ``catchup.py``).

    The worker beats (:mod:`.heartbeat`) at the start and before each round of claims; first,
    the claims of every worker with no beat for ``silent_after`` (default: the lease) are
    given back, so that they fire now.
    """
    report = SweepReport()
    at = now or svc.clock.now()
    beat(svc.engine, worker, at)
    gone = release_silent(svc.engine, now=at, silent_after=silent_after or lease)
    if gone:
        log.warning("released the claims of silent worker(s) %s (no heartbeat for %s)",
                    ", ".join(gone), silent_after or lease)  # fmt: skip
    while not (should_stop and should_stop()):
        at = now or svc.clock.now()
        if report.fired or report.skipped or report.stale or report.failed:
            beat(svc.engine, worker, at)  # a long sweep goes on beating
        items = claim_items(svc, worker=worker, now=at, batch=batch, lease=lease)
        if not items:
            return report
        done, deferred, progressed = 0, list[int](), False
        horizon: datetime | None = None  # the earliest due deadline a firing opened
        while done < len(items) and not (should_stop and should_stop()):
            results = svc.fire_chunk(items[done : done + max(chunk, 1)], worker=worker, now=now,
                                     horizon=horizon)  # fmt: skip
            for fired in results:
                horizon = earlier_due(horizon, fired, at)
                if fired.outcome == "deferred":
                    deferred.append(fired.deadline_id)  # its case has an earlier one due
                else:
                    report.tally(fired)
                    progressed = True
            if on_chunk is not None:
                on_chunk(results)
            done += len(results)
            if done < len(items) and horizon is not None and items[done].due_at > horizon:
                break  # fire what was opened first: give the rest back, claim again
        release(svc, worker=worker, ids=deferred + [item.id for item in items[done:]])
        if not progressed:
            break  # every claim waits for an earlier deadline another worker holds
    return report


def earliest_pending(svc: CaseService) -> datetime | None:
    """When the next deadline falls due (None: nothing pending): the worker's wake-up time."""
    return svc.claims.earliest_pending()
