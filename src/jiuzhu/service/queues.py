"""Work queues (待办): what a unit has to do, from the reads that already exist and the cases'
open deadlines.

- ``due_this_week``: open deadlines of a person's task due within 7 days of the service clock;
- ``overdue_checks``: fast-track data checks past their month (docs/domain.md §3);
- ``limit_alarms``: passed working-day limits of the standard path and temporary assistance
  (docs/domain.md §4, §5), until the late step is done;
- ``missed_visits``: service visits that passed their grace period undone (docs/domain.md §6);
- ``waiting``: cases whose next step is this actor's to take: a trigger the workflow offers in
  the case's state whose command the actor's role holds (the matrix of ``actors.py``).
  Withdrawal, always open to the applicant's village, is not counted as a next step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..clock import iso_utc, parse_iso_utc
from ..errors import InvalidInput
from ..models import find_sql
from ..workflows import REGISTRY, fast_track, standard, temporary
from ..workflows.base import Label
from ..workflows.deadline_labels import TASK_DEADLINES, VISIT
from .actors import PERMISSIONS, Actor, require_role
from .base import CommandBase
from .command_names import same_command
from .paging import page_limit
from .views import CaseView

QUEUES = ("due_this_week", "overdue_checks", "limit_alarms", "missed_visits", "waiting")
QUEUE_LABELS = {
    "due_this_week": Label("本周到期", "due this week"),
    "overdue_checks": Label("核对逾期", "overdue data checks"),
    "limit_alarms": Label("超时预警", "passed limits"),
    "missed_visits": Label("未完成的服务到访", "missed visits"),
    "waiting": Label("待我办理", "waiting for us"),
}
WEEK = timedelta(days=7)
# the commands that move a case of each workflow on (withdrawal aside)
NEXT_STEP_COMMANDS = {
    fast_track.NAME: ("promise", "record_appraisal", "approve", "refuse", "record_verification"),
    standard.NAME: ("accept_standard", "investigate", "check_standard", "propose_standard",
                    "record_objection", "appraise_standard", "decide_standard",
                    "deliver_rejection_notice"),
    temporary.NAME: ("assess_temporary", "decide_temporary", "pay_temporary"),
}  # fmt: skip


@dataclass(frozen=True)
class QueueItem:
    case: CaseView
    reason_zh: str
    reason_en: str
    due_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case.to_dict(), "reason_zh": self.reason_zh,
                "reason_en": self.reason_en,
                "due_at": None if self.due_at is None else iso_utc(self.due_at)}  # fmt: skip


def _deadline_label(kind: str) -> Label | None:
    if kind.startswith("visit_due/"):
        return VISIT
    return TASK_DEADLINES.get(kind)


def own_triggers(actor: Actor, workflow: str, version: int, state: str) -> list[str]:
    """The triggers offered in ``state`` whose command the actor's role holds."""
    wf = REGISTRY[(workflow, version)]
    commands = NEXT_STEP_COMMANDS.get(workflow, ())
    return [t for t in wf.allowed(state)
            if any(same_command(t, c) and actor.role in PERMISSIONS[c] for c in commands)]  # fmt: skip


class Queues(CommandBase):
    """The work queues of a unit."""

    def queue(self, actor: Actor, which: str, *, limit: int = 50) -> list[QueueItem]:
        """One work queue of the actor's jurisdiction (``which`` in :data:`QUEUES`)."""
        require_role(actor, "read")
        if which not in QUEUES:
            raise InvalidInput(f"unknown queue '{which}'; expected one of: {', '.join(QUEUES)}",
                               f"未知待办队列“{which}”；可用：{'、'.join(QUEUES)}")  # fmt: skip
        path = self._actor_path(actor)
        limit = page_limit(limit)
        now = self.clock.now()
        found: list[tuple[str, str, str, datetime | None]]  # case id, zh, en, due
        if which == "due_this_week":
            found = self._due(path, now)
        elif which == "overdue_checks":
            found = [(o["case_id"], f"核对逾期 {o['late_days']} 天",
                      f"data check overdue by {o['late_days']} days", parse_iso_utc(o["due_at"]))
                     for o in self.overdue_verifications(actor, now=now)]  # fmt: skip
        elif which == "limit_alarms":
            found = [(a["case_id"], f"{a['limit_zh']}已超 {a['late_days']} 天",
                      f"{a['limit_en']} passed {a['late_days']} days ago",
                      parse_iso_utc(a["due_at"]))
                     for a in self.limit_alarms(actor, now=now)]  # fmt: skip
        elif which == "missed_visits":
            found = [(m["case_id"], f"服务到访未完成（{m['service']}）",
                      f"visit missed ({m['service']})", parse_iso_utc(m["due_at"]))
                     for m in self.missed_visits(actor)]  # fmt: skip
        else:
            return self._waiting(actor, path, limit)
        found = found[:limit]
        with self.uow.read() as conn:
            views = {r.id: self._case_view(r, conn)
                     for r in conn.execute(find_sql.cases_by_id(f[0] for f in found))}  # fmt: skip
        return [QueueItem(views[case_id], zh, en, due) for case_id, zh, en, due in found]

    def _due(self, path: str, now: datetime) -> list[tuple[str, str, str, datetime | None]]:
        """The earliest task deadline of each case due within the week, soonest first."""
        out: dict[str, tuple[str, str, str, datetime | None]] = {}
        with self.uow.read() as conn:
            for case_id, kind, due_at in conn.execute(
                find_sql.open_deadlines_due(path, now, now + WEEK)
            ):
                label = _deadline_label(kind)
                if label is None or case_id in out:
                    continue
                days = (due_at - now).total_seconds() / 86400
                out[case_id] = (case_id, f"{label.zh}：{days:.1f} 天后到期",
                                f"{label.en}: due in {days:.1f} days", due_at)  # fmt: skip
        return list(out.values())

    def _waiting(self, actor: Actor, path: str, limit: int) -> list[QueueItem]:
        """Cases whose next step is the actor's, the longest waiting first."""
        pairs = [(name, state) for (name, version), wf in REGISTRY.items()
                 for state in wf.states if own_triggers(actor, name, version, state)]  # fmt: skip
        if not pairs:
            return []
        items = []
        with self.uow.read() as conn:
            for row in conn.execute(find_sql.cases_in_states(path, pairs)):
                mine = own_triggers(actor, row.workflow, row.workflow_version, row.state)
                if not mine:  # a case on an older version of its workflow
                    continue
                labels = REGISTRY[(row.workflow, row.workflow_version)].trigger_labels
                view = self._case_view(row, conn)
                due = min((parse_iso_utc(d) for k, d in view.deadlines.items()
                           if _deadline_label(k) is not None), default=None)  # fmt: skip
                items.append(QueueItem(
                    view, "待办：" + "、".join(labels[t].zh for t in mine if t in labels),
                    "next: " + ", ".join(labels[t].en for t in mine if t in labels), due))  # fmt: skip
                if len(items) == limit:
                    break
        return items


__all__ = ["QUEUES", "QUEUE_LABELS", "QueueItem", "Queues", "own_triggers"]
