"""Service providers (服务机构) and what their staff see (docs/domain.md §6).

A county or township registers a third-party provider under a unit of
its jurisdiction.  A service plan of a case inside that unit's subtree may then be assigned to
it (``provider={"provider": PROVIDER_ID}``).  The provider's staff act in the role ``provider``
at that unit, naming the provider; they hold one command, ``record_visit``, for the plans
assigned to their provider only, and one read, :meth:`ProviderCommands.provider_plans`: the
plans of their provider that await a visit, with the case id, the village, the service kind and
the occurrence due -- never a name, an ID number or any other household data.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from ..clock import iso_utc
from ..errors import InvalidInput, NotFound
from ..models import log_sql, rows
from ..models import provider_tables as sql
from ..workflows.service_plan import deadline_key
from . import inputs
from .actors import Actor, require_role
from .base import CommandBase
from .views import CaseView


@dataclass(frozen=True)
class ProviderView:
    id: str
    unit_id: str
    name: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = iso_utc(self.created_at)
        return data


def _view(row: Any) -> ProviderView:
    return ProviderView(row.id, row.unit_id, row.name, row.created_at)


class ProviderCommands(CommandBase):
    """Registering providers, listing them, and a provider's own plans."""

    def register_provider(self, actor: Actor, *, unit_id: str, name: str) -> ProviderView:
        """Register a third-party provider under ``unit_id`` (inside the actor's jurisdiction)."""
        require_role(actor, "register_provider")
        unit_id = inputs.org_id(unit_id)
        name = inputs.text(name, "provider name", required=True, max_length=100) or ""
        _, path = self._org(unit_id)
        self._require_jurisdiction(actor, path, f"unit {unit_id}")
        row = {"id": str(uuid.uuid4()), "unit_id": unit_id, "name": name,
               "created_at": self.clock.now()}  # fmt: skip
        with self.uow.write() as conn:
            conn.execute(sql.insert_provider(), row)
            log_sql.log_records(conn, "provider", [row["id"]])
        return ProviderView(**row)

    def list_providers(self, actor: Actor) -> list[ProviderView]:
        """The providers registered under the units of the actor's jurisdiction (and, so that
        a village or township can assign them, under the units above it)."""
        require_role(actor, "list_providers")
        path = self._actor_path(actor)
        units = units_around(self, path)
        with self.uow.read() as conn:
            return [_view(r) for r in conn.execute(sql.providers_of(units))]

    def provider_plans(self, actor: Actor) -> list[dict[str, Any]]:
        """What is assigned to the actor's provider and awaits it, the earliest due first: the
        plans' open occurrences and the open (or overdue) one-off projects, with what the work
        needs (case id and version, village and its name, plan or one-off id, kind, when due) and no
        household data."""
        require_role(actor, "provider_plans")
        path = self._actor_path(actor)
        mine = {"provider": actor.provider}
        c, d = rows.cases, rows.deadlines
        query = (
            select(c.c.id, c.c.row_version, c.c.village_id, c.c.facts, d.c.kind, d.c.due_at)
            .join(d, d.c.case_id == c.c.id)
            .where(and_(or_(and_(d.c.kind.startswith("visit_due/"), d.c.status == "pending"),
                            and_(d.c.kind.startswith("oneoff_due/"),
                                 d.c.status.in_(("pending", "fired")))),
                        rows.in_subtree(c.c.org_path, path)))
            .order_by(d.c.due_at, d.c.id)
        )  # fmt: skip
        out = []
        with self.uow.read() as conn:
            for case_id, version, village_id, facts, kind, due_at in conn.execute(query):
                base, _, entity = kind.partition("/")
                head = {"case_id": case_id, "case_version": version, "village_id": village_id,
                        "village_name": self._unit_name(village_id, conn),
                        "due_at": iso_utc(due_at)}  # fmt: skip
                if base == "visit_due":
                    plan = facts.get("plans", {}).get(entity, {})
                    if plan.get("provider") == mine:
                        out.append({**head, "plan_id": entity, "kind": plan["kind"],
                                    "n": plan["n"], "scheduled_at": plan["scheduled_at"]})  # fmt: skip
                    continue
                item = facts.get("oneoffs", {}).get(entity, {})
                if item.get("provider") == mine and item.get("state") in ("open", "overdue"):
                    out.append({**head, "oneoff_id": entity, "kind": item["kind"],
                                "what": item["what"], "state": item["state"]})  # fmt: skip
        return out


def units_around(owner: CommandBase, path: str) -> list[str]:
    """The units of the subtree at ``path`` and the units above it."""
    with owner.uow.read() as conn:
        query = select(rows.org_units.c.id).where(rows.in_subtree(rows.org_units.c.path, path))
        below = list(conn.execute(query).scalars())
    return sorted(set(path.split("/")) | set(below))


def visit_view(view: CaseView, plan_id: str) -> CaseView:
    """What a provider's staff get back from a visit: the case's id, state and version, and
    this one plan with its deadline -- not the household, the amounts or the other facts."""
    key = deadline_key(plan_id)
    return replace(view, household_id="", expenditure_fen=0, monthly_amount_fen=None,
                   facts={"plans": {plan_id: view.facts["plans"][plan_id]}},
                   deadlines={k: v for k, v in view.deadlines.items() if k == key},
                   allowed=[t for t in view.allowed if t == "plan.visit"])  # fmt: skip


def provider_path(owner: CommandBase, provider_id: str) -> str:
    """The path of the unit a provider is registered under, or :class:`NotFound`."""
    provider_id = inputs.record_id(provider_id, "provider id")
    with owner.uow.read() as conn:
        row = conn.execute(sql.provider(provider_id)).first()
    if row is None:
        raise NotFound(f"service provider {provider_id} not found",
                       f"未找到服务机构 {provider_id}")  # fmt: skip
    return owner._org(row.unit_id)[1]


def check_assignable(provider_path: str, case_path: str, provider_id: str) -> None:
    """A plan goes to a provider registered at the case's units or above them."""
    if not (case_path == provider_path or case_path.startswith(provider_path + "/")):
        raise InvalidInput(
            f"service provider {provider_id} is registered outside this case's units",
            f"服务机构 {provider_id} 不在本案所属单位登记，不能承接本案服务",
        )
