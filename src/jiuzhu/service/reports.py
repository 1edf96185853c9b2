"""The county report (docs/domain.md §2, §7): per county and township, what the cases and the money
look like today.

A handful of grouped queries by village (``org_path``), rolled up in Python to the township
and the county, so the report reads indexes and never a case's facts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from .. import ledger
from ..clock import local_date
from ..errors import InvalidInput
from ..models import rows
from ..workflows import REGISTRY
from ..workflows.calendar import month_of, next_month
from . import inputs
from .actors import Actor, require_role
from .base import CommandBase

# states whose household is helped: every workflow's paying states
PAYING = tuple(sorted({state for wf in REGISTRY.values() for state in wf.allowance_states}))
COLUMNS = (
    "cases", "fast_track_cases", "beneficiaries", "paid_this_month_fen", "paid_total_fen",
    "open_recoveries", "owed_fen", "overdue_verifications", "missed_visits",
)  # fmt: skip
COLUMN_LABELS = {
    "cases": ("案件", "cases"),
    "fast_track_cases": ("容缺", "fast track"),
    "beneficiaries": ("受益人", "persons"),
    "paid_this_month_fen": ("本月发放", "this month"),
    "paid_total_fen": ("累计发放", "total paid"),
    "open_recoveries": ("待追回", "recoveries"),
    "owed_fen": ("尚欠", "owed back"),
    "overdue_verifications": ("核对逾期", "late checks"),
    "missed_visits": ("漏访", "missed"),
}


class Reports(CommandBase):
    """The figures of a unit and of each township below it."""

    def report(self, actor: Actor, *, org: str | None = None,
               month: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """One row for the unit (default: the actor's) and one per township below it.

        ``month`` (YYYY-MM, default: this month in Shanghai) is the month of "paid this month".
        Each row: unit, name, level, cases by state, and the :data:`COLUMNS` figures.
        """
        require_role(actor, "read")
        path = self._actor_path(actor)
        if org is not None:
            level, path = self._org(inputs.org_id(org))
            self._require_jurisdiction(actor, path, f"unit {org}")
        if month is None:
            month = month_of(local_date(self.clock.now()))
        elif not (len(month) == 7 and month[4] == "-" and month[:4].isdigit()
                  and month[5:].isdigit() and 1 <= int(month[5:]) <= 12):  # fmt: skip
            raise InvalidInput(f"month '{month}' is not YYYY-MM", f"月份“{month}”格式应为 YYYY-MM")
        first = date(int(month[:4]), int(month[5:]), 1)
        after = date.fromisoformat(next_month(month) + "-01")
        by_village: dict[str, dict[str, Any]] = defaultdict(_blank)
        q = rows.report_statements(path, paying=PAYING, paid_out=ledger.PAID_OUT,
                                   owed=ledger.OWED, reducing=ledger.REDUCING, first=first,
                                   after=after)  # fmt: skip
        with self.uow.read() as conn:
            for org_path, state, workflow, n in conn.execute(q.by_state):
                row = by_village[org_path]
                row["cases"] += n
                row["states"][state] = row["states"].get(state, 0) + n
                if workflow == "fast_track":
                    row["fast_track_cases"] += n
            for org_path, n in conn.execute(q.beneficiaries):
                by_village[org_path]["beneficiaries"] += n
            for org_path, total, monthly in conn.execute(q.paid):
                by_village[org_path]["paid_total_fen"] += int(total or 0)
                by_village[org_path]["paid_this_month_fen"] += int(monthly or 0)
            for org_path, n, total in conn.execute(q.owed):
                by_village[org_path]["open_recoveries"] += n
                by_village[org_path]["owed_fen"] += int(total or 0)
            for org_path, overdue, missed in conn.execute(q.deadlines):
                by_village[org_path]["overdue_verifications"] += int(overdue or 0)
                by_village[org_path]["missed_visits"] += int(missed or 0)
            units = {r.id: r for r in conn.execute(q.units)}
        return _roll_up(path, units, by_village.items())


def _blank() -> dict[str, Any]:
    return {"states": {}, **dict.fromkeys(COLUMNS, 0)}


def _roll_up(path: str, units: dict[str, Any],
             villages: Iterable[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:  # fmt: skip
    """Sum village figures into the unit at ``path`` and each township below it."""
    depth = path.count("/") + 1 if path else 0
    rows: dict[str, dict[str, Any]] = {}

    def add(unit_path: str, figures: dict[str, Any]) -> None:
        unit_id = unit_path.rsplit("/", 1)[-1]
        unit = units.get(unit_id)
        row = rows.setdefault(unit_path, {
            "unit": unit_id, "name": unit.name if unit else unit_id,
            "level": unit.level if unit else "", **_blank(),
        })  # fmt: skip
        for key in COLUMNS:
            row[key] += figures[key]
        for state, n in figures["states"].items():
            row["states"][state] = row["states"].get(state, 0) + n

    for unit in units.values():  # every unit shows, also one without cases
        if (unit.path == path or (unit.level == "township" and depth <= 1)
                or (not path and unit.level == "county")):  # fmt: skip
            add(unit.path, _blank())
    for village_path, figures in villages:
        parts = village_path.split("/")
        if path:
            add(path, figures)
        else:
            add(parts[0], figures)  # all counties
        if len(parts) > 1 and (not path or depth <= 1):
            add("/".join(parts[:2]), figures)  # the township
    return [rows[k] for k in sorted(rows, key=lambda k: (k.count("/"), k))]


__all__ = ["COLUMNS", "COLUMN_LABELS", "Reports"]
