"""Projects (帮扶项目, docs/domain.md §6): service plans and one-offs grouped across cases.

A county or township registers a project under a unit of its jurisdiction, for a year; a plan
or a one-off of a case inside that unit's subtree may name it (``project_id``).  The projects
report counts, per project (with its unit and year):

* ``beneficiary_households`` -- distinct households: the households of the cases with a plan
  or a one-off in the project (a household counts once however many it has);
* ``person_times`` (人次) -- the visits done on the project's plans plus its one-offs completed;
  also apart as ``visits`` and ``oneoffs_completed``; and ``plans``, ``oneoffs`` opened.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..clock import iso_utc
from ..errors import InvalidInput, NotFound
from ..models import provider_tables as sql
from ..models import rows
from . import inputs
from .actors import Actor, require_role
from .base import CommandBase
from .providers import units_around

REPORT_FIGURES = ("beneficiary_households", "person_times", "visits", "oneoffs_completed",
                  "plans", "oneoffs")  # fmt: skip


@dataclass(frozen=True)
class ProjectView:
    id: str
    unit_id: str
    name: str
    year: int
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = iso_utc(self.created_at)
        return data


def _year(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) \
            or not str(value).isdigit() or not 2000 <= int(value) <= 2100:  # fmt: skip
        raise InvalidInput(f"year '{value}' must be a year from 2000 to 2100",
                           f"年度“{value}”应为 2000 至 2100 之间的年份")  # fmt: skip
    return int(value)


class ProjectCommands(CommandBase):
    """Registering and listing projects; the projects report."""

    def register_project(self, actor: Actor, *, unit_id: str, name: str,
                         year: int) -> ProjectView:  # fmt: skip
        """Register a project (帮扶项目) under ``unit_id`` for ``year``."""
        require_role(actor, "register_project")
        unit_id = inputs.org_id(unit_id)
        name = inputs.text(name, "project name", required=True, max_length=100) or ""
        row = {"id": str(uuid.uuid4()), "unit_id": unit_id, "name": name, "year": _year(year),
               "created_at": self.clock.now()}  # fmt: skip
        _, path = self._org(unit_id)
        self._require_jurisdiction(actor, path, f"unit {unit_id}")
        with self.uow.write() as conn:
            conn.execute(sql.projects.insert(), row)
        return ProjectView(**row)

    def list_projects(self, actor: Actor, *, year: int | None = None) -> list[ProjectView]:
        """The projects of the jurisdiction's units and of the units above them."""
        require_role(actor, "list_projects")
        units = units_around(self, self._actor_path(actor))
        with self.uow.read() as conn:
            found = conn.execute(sql.projects_of(units, None if year is None else _year(year)))
            return [ProjectView(r.id, r.unit_id, r.name, r.year, r.created_at) for r in found]

    def report_projects(self, actor: Actor, *, year: int | None = None) -> list[dict[str, Any]]:
        """One row per project of the jurisdiction (see the module): its unit, year, name and
        figures, counted over the cases inside the actor's jurisdiction."""
        require_role(actor, "read")
        path = self._actor_path(actor)
        projects = self.list_projects(actor, year=year)
        figures = {p.id: dict.fromkeys(REPORT_FIGURES, 0) for p in projects}
        homes: dict[str, set[str]] = {p.id: set() for p in projects}
        query = select(rows.cases.c.household_id, rows.cases.c.facts).where(
            rows.in_subtree(rows.cases.c.org_path, path)
        )
        with self.uow.read() as conn:
            for household_id, facts in conn.execute(query):
                for plan in facts.get("plans", {}).values():
                    f = figures.get(plan.get("project_id") or "")
                    if f is not None:
                        f["plans"] += 1
                        f["visits"] += plan["done"]
                        homes[plan["project_id"]].add(household_id)
                for item in facts.get("oneoffs", {}).values():
                    f = figures.get(item.get("project_id") or "")
                    if f is not None:
                        f["oneoffs"] += 1
                        f["oneoffs_completed"] += item["state"] == "completed"
                        homes[item["project_id"]].add(household_id)
        out = []
        for p in projects:
            f = figures[p.id]
            f["beneficiary_households"] = len(homes[p.id])
            f["person_times"] = f["visits"] + f["oneoffs_completed"]
            out.append({"project_id": p.id, "name": p.name, "unit": p.unit_id,
                        "unit_name": self._unit_name(p.unit_id), "year": p.year, **f})  # fmt: skip
        return out


def project_path(owner: CommandBase, project_id: str | None) -> str | None:
    """The path of a project's unit (None: no project), or :class:`NotFound`."""
    if project_id is None:
        return None
    project_id = inputs.record_id(project_id, "project id")
    with owner.uow.read() as conn:
        row = conn.execute(sql.project(project_id)).first()
    if row is None:
        raise NotFound(f"project {project_id} not found", f"未找到帮扶项目 {project_id}")
    return owner._org(row.unit_id)[1]


def check_in_project(project_unit_path: str | None, case_path: str, project_id: str) -> None:
    if project_unit_path is not None and not (
        case_path == project_unit_path or case_path.startswith(project_unit_path + "/")
    ):
        raise InvalidInput(f"project {project_id} is registered outside this case's units",
                           f"帮扶项目 {project_id} 不在本案所属单位登记")  # fmt: skip


__all__ = ["ProjectCommands", "ProjectView", "check_in_project", "project_path"]
