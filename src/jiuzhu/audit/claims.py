"""Due deadlines held by a claim no worker could have given, or held long past their lease.

A claim stops a deadline from firing while it holds (:mod:`jiuzhu.leases`).  One ``UPDATE``
marking a household's ``allowance_due`` row ``claimed`` by a ghost worker with a lease to 2099
would stop its payments; the sweep claims such rows again, and the audit names every one it
finds: the case (id and case number, no personal data), the deadline kind and the claimer.
A claim is reported when its lease ends later than ``now`` plus the maximum lease (no worker
is given that), or when it is still held more than ``STUCK_GRACE`` after its lease ended.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from ..clock import SystemClock, ensure_utc, iso_utc
from ..leases import claim_problem
from ..leases import max_lease as configured_max_lease
from ..models import rows


@dataclass(frozen=True)
class BadClaim:
    case_id: str
    case_no: str
    seq: int  # the case's last event
    org_path: str
    kind: str  # the deadline's kind
    claimed_by: str
    lease_until: str | None
    problem: str

    @property
    def detail(self) -> str:
        return (f"deadline {self.kind} of case {self.case_no} is claimed by "
                f"{self.claimed_by!r}: {self.problem}")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def bad_claims(conn: Connection, *, now: datetime | None = None,
               maximum: timedelta | None = None) -> list[BadClaim]:  # fmt: skip
    """Every claimed due deadline whose lease is absurd or long over, by case and kind."""
    now = now or SystemClock().now()
    maximum = maximum or configured_max_lease()
    d, c = rows.deadlines, rows.cases
    query = (
        select(
            d.c.case_id,
            c.c.case_no,
            c.c.last_seq,
            c.c.org_path,
            d.c.kind,
            d.c.claimed_by,
            d.c.lease_until,
        )  # fmt: skip
        .select_from(d.join(c, c.c.id == d.c.case_id))
        .where(d.c.status == "claimed")
        .order_by(d.c.case_id, d.c.kind)
    )
    found = []
    for case_id, case_no, seq, org_path, kind, by, until in conn.execute(query):
        lease_until = ensure_utc(until) if until is not None else None
        problem = claim_problem(lease_until, now, maximum)
        if problem is not None:
            found.append(BadClaim(case_id, case_no, seq, org_path, kind, by or "",
                                  iso_utc(lease_until) if lease_until else None, problem))  # fmt: skip
    return found
