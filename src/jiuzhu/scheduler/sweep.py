"""Claim due deadline rows in batches and fire each in its own transaction.

A claim marks rows ``claimed`` by one worker with a lease; on PostgreSQL the claim skips rows
other workers hold (``FOR UPDATE SKIP LOCKED``), so several workers share the work.  Firing
(:meth:`CaseService.fire_deadline`) re-checks the claim inside the firing transaction and marks
the row ``fired`` there, so each deadline fires exactly once.  A worker killed mid-batch leaves
its unfired rows ``claimed``; once the lease runs out any worker claims them again.

``sweep`` is idempotent and takes ``now``: the APScheduler jobs call it on the wall clock, tests
and the demo on a controllable one.  After a downtime of any length it fires everything that
fell due, in due order, each event saying how late it fired.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from ..errors import JiuzhuError

if TYPE_CHECKING:
    from ..service.service import CaseService

log = logging.getLogger("jiuzhu.scheduler")

DEFAULT_BATCH = 200
DEFAULT_LEASE = timedelta(minutes=5)


@dataclass
class SweepReport:
    fired: int = 0
    skipped: int = 0  # another worker took the claim over
    stale: int = 0  # the deadline had been closed meanwhile
    failed: int = 0
    late_seconds: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        late = sorted(self.late_seconds)
        return {"fired": self.fired, "skipped": self.skipped, "stale": self.stale,
                "failed": self.failed,
                "max_late_seconds": late[-1] if late else None}  # fmt: skip


def _claim_sql(svc: CaseService) -> str:
    ph = svc.sql.codec.placeholder
    lock = "" if svc.sql.codec.sqlite else " FOR UPDATE SKIP LOCKED"
    return (
        f"UPDATE deadlines SET status = 'claimed', claimed_by = {ph('worker')}, "
        f"lease_until = {ph('until')} WHERE id IN ("
        "SELECT id FROM deadlines WHERE "
        f"(status = 'pending' AND due_at <= {ph('now')}) "
        f"OR (status = 'claimed' AND lease_until < {ph('now')}) "
        f"ORDER BY due_at, id LIMIT {ph('batch')}{lock}) "
        "RETURNING id, due_at"
    )


def claim(svc: CaseService, *, worker: str, now: datetime, batch: int = DEFAULT_BATCH,
          lease: timedelta = DEFAULT_LEASE) -> list[int]:  # fmt: skip
    """Claim up to ``batch`` due rows (and expired claims) for ``worker``; ids in due order."""
    codec = svc.sql.codec
    params = {"worker": worker, "until": codec.write_instant(now + lease),
              "now": codec.write_instant(now), "batch": batch}  # fmt: skip
    with svc.uow.write() as conn:
        rows = _run(conn, _claim_sql(svc), params)
    return [row[0] for row in sorted(rows, key=lambda r: (codec.read_instant(r[1]), r[0]))]


def _run(conn: Connection, sql: str, params: dict[str, Any]) -> list[Any]:
    cur = conn.connection.cursor()
    try:
        cur.execute(sql, params)
        return list(cur.fetchall())
    finally:
        cur.close()


def sweep(svc: CaseService, *, worker: str, now: datetime | None = None,
          batch: int = DEFAULT_BATCH, lease: timedelta = DEFAULT_LEASE) -> SweepReport:  # fmt: skip
    """Fire every deadline due at ``now`` (default: the service's clock), batch by batch.

    Rows that firing arms and that are already due (the next visit of a long-missed plan) are
    claimed by a later round of the same sweep, so catch-up goes one occurrence at a time.
    """
    report = SweepReport()
    while True:
        ids = claim(svc, worker=worker, now=now or svc.clock.now(), batch=batch, lease=lease)
        if not ids:
            return report
        for deadline_id in ids:
            try:
                fired = svc.fire_deadline(deadline_id, worker=worker, now=now)
            except JiuzhuError as exc:
                # left claimed: retried by whoever claims it after the lease; never half-done
                log.error("deadline %s could not fire: %s", deadline_id, exc)
                report.failed += 1
                continue
            if fired.outcome == "fired":
                report.fired += 1
                report.late_seconds.append(fired.late_by_seconds or 0.0)
            elif fired.outcome == "skipped":
                report.skipped += 1
            else:
                report.stale += 1


def earliest_pending(svc: CaseService) -> datetime | None:
    """When the next deadline falls due (None: nothing pending): the worker's wake-up time."""
    from sqlalchemy import func, select

    from ..service import store

    d = store.deadlines
    with svc.uow.read() as conn:
        return conn.execute(  # type: ignore[no-any-return]
            select(func.min(d.c.due_at)).where(d.c.status == "pending")
        ).scalar()
