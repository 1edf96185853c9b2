"""What a sweep would fire now, without firing it (``jiuzhu worker --dry-run``).

Due deadlines are grouped by workflow and by what they fire: how many, how many of them sit
under a claim whose lease has run out (a worker that died), the earliest and the latest due
time.  A read only: it takes no claim and no worker lock, so it runs beside a live worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, case, func, or_, select

from ..clock import ensure_utc, iso_utc
from ..errors import InvalidInput
from ..models import rows
from ..workflows import get
from ..workflows.base import Label
from ..workflows.deadline_labels import TASK_DEADLINES, VISIT


@dataclass(frozen=True)
class DueGroup:
    workflow: str
    kind: str  # the deadline's kind without its entity (visit_due/<plan> -> visit_due)
    label: Label
    due: int
    expired_claims: int
    earliest: datetime
    latest: datetime

    def late_seconds(self, now: datetime) -> float:
        """How late the earliest of the group is at ``now``."""
        return max(0.0, (now - self.earliest).total_seconds())

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {"workflow": self.workflow, "kind": self.kind, "label_zh": self.label.zh,
                "label_en": self.label.en, "due": self.due,
                "expired_claims": self.expired_claims, "earliest": iso_utc(self.earliest),
                "latest": iso_utc(self.latest),
                "most_late_seconds": round(self.late_seconds(now))}  # fmt: skip


def due_groups(engine: Engine, now: datetime) -> list[DueGroup]:
    """The deadlines a sweep at ``now`` would claim, grouped; the most late group first."""
    d, c = rows.deadlines, rows.cases
    expired = and_(d.c.status == "claimed", d.c.lease_until < now)
    query = (
        select(
            c.c.workflow,
            c.c.workflow_version,
            d.c.kind,
            func.count(),
            func.sum(case((expired, 1), else_=0)),
            func.min(d.c.due_at),
            func.max(d.c.due_at),
        )  # fmt: skip
        .select_from(d.join(c, c.c.id == d.c.case_id))
        .where(or_(and_(d.c.status == "pending", d.c.due_at <= now), expired))
        .group_by(c.c.workflow, c.c.workflow_version, d.c.kind)
    )
    merged: dict[tuple[str, str], list[Any]] = {}
    with engine.connect() as conn:
        for workflow, version, kind, due, claims, earliest, latest in conn.execute(query):
            base = kind.partition("/")[0]
            key = (workflow, base)
            earliest, latest = ensure_utc(earliest), ensure_utc(latest)
            if key not in merged:
                merged[key] = [_label(workflow, version, base), 0, 0, earliest, latest]
            group = merged[key]
            group[1] += due
            group[2] += int(claims or 0)
            group[3], group[4] = min(group[3], earliest), max(group[4], latest)
    groups = [DueGroup(wf, kind, *values) for (wf, kind), values in merged.items()]
    return sorted(groups, key=lambda g: (g.earliest, g.workflow, g.kind))


def _label(workflow: str, version: int, kind: str) -> Label:
    if kind == "visit_due":
        return VISIT
    if kind in TASK_DEADLINES:
        return TASK_DEADLINES[kind]
    try:
        wf = get(workflow, version)
        return wf.label_of(wf.on_deadline[kind])
    except (KeyError, InvalidInput):
        return Label(kind, kind)


def late_text(seconds: float) -> str:
    """How late, for people: 3 天 days 4 小时 h, or 25 分钟 min under an hour."""
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} 天 days {hours} 小时 h"
    if hours:
        return f"{hours} 小时 h {minutes} 分钟 min"
    return f"{minutes} 分钟 min"
