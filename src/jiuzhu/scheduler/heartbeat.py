"""Worker heartbeats: each worker records itself (id, host and pid, started, last beat) in
``workers`` and beats on every sweep and between its chunks.

A worker that stopped beating -- no beat for ``silent_after`` (three sweep intervals for a
running worker; the lease for a one-off ``--once`` sweep) -- is taken for dead: every sweep
first gives its claims back (``pending``), so that they fire now rather than when their lease
runs out.  Giving a claim back never fires anything twice: firing re-checks the claim in the
firing transaction (``service/firing.py``), so a worker that was only slow finds its claim
gone and skips the row.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, insert, select, update

from ..models import rows
from ..models.worker_tables import WorkerRecord

workers = WorkerRecord.__table__  # type: ignore[attr-defined]


def beat(engine: Engine, worker_id: str, now: datetime) -> None:
    """Record ``worker_id``'s beat at ``now`` (its row made on the first beat)."""
    w = workers
    with engine.begin() as conn:
        done = conn.execute(update(w).where(w.c.worker_id == worker_id)
                            .values(last_beat_at=now)).rowcount  # fmt: skip
        if not done:
            conn.execute(insert(w).values(worker_id=worker_id, host=socket.gethostname()[:100],
                                          pid=os.getpid(), started_at=now, last_beat_at=now))  # fmt: skip


def release_silent(engine: Engine, *, now: datetime, silent_after: timedelta) -> list[str]:
    """Give back the claims of every worker whose last beat is older than ``silent_after``;
    the ids of the silent workers when any claim was given back."""
    d = rows.deadlines
    silent = silent_workers(engine, now=now, silent_after=silent_after)
    if not silent:
        return []
    held = and_(d.c.status == "claimed", d.c.claimed_by.in_(silent))
    with engine.begin() as conn:  # one write, no read before it: no lock upgrade on SQLite
        given_back = conn.execute(update(d).where(held)
                                  .values(status="pending", claimed_by=None, lease_until=None))  # fmt: skip
    return silent if given_back.rowcount else []


def silent_workers(engine: Engine, *, now: datetime, silent_after: timedelta) -> list[str]:
    """The recorded workers with no beat for ``silent_after``."""
    w = workers
    with engine.connect() as conn:
        query = select(w.c.worker_id).where(w.c.last_beat_at < now - silent_after)
        return [r[0] for r in conn.execute(query.order_by(w.c.worker_id))]
