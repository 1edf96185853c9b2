"""Reads of cases: one case, its history, lists and counts in the actor's jurisdiction."""

from __future__ import annotations

from ..errors import InvalidInput
from ..models import rows
from ..workflows import get as get_workflow
from . import inputs
from .actors import Actor, require_role
from .base import CommandBase
from .views import CaseView, EventView

# deadline kinds open only while a passed limit is being chased (the overdue data check)
OVERDUE_KINDS = ("verification_reminder",)


class Reads(CommandBase):
    """Case reads; every one checks the actor's role and jurisdiction first."""

    def get_case(self, actor: Actor, case_id: str) -> CaseView:
        require_role(actor, "read")
        case_id = inputs.record_id(case_id)
        with self.uow.read() as conn:
            row = self._load(conn, case_id, actor, for_update=False)
            return self._case_view(row, conn)

    def history(self, actor: Actor, case_id: str) -> list[EventView]:
        require_role(actor, "read")
        case_id = inputs.record_id(case_id)
        with self.uow.read() as conn:
            self._load(conn, case_id, actor, for_update=False)
            found = self.sql.events_of(conn, case_id)
        wf_name = found[0].payload["workflow"]
        wf = get_workflow(wf_name, found[0].payload["workflow_version"])
        return [EventView(r.case_id, r.seq, r.type, wf.label_of(r.type).zh,
                          wf.label_of(r.type).en, r.payload, rows.actor_of(r),
                          r.occurred_at, r.prev_hash, r.hash) for r in found]  # fmt: skip

    def list_cases(self, actor: Actor, *, state: str | None = None, programme: str | None = None,
                   workflow: str | None = None, org: str | None = None,
                   overdue: bool | None = None, limit: int = 50,
                   offset: int = 0) -> list[CaseView]:  # fmt: skip
        """Cases in the actor's jurisdiction, oldest first, ``limit`` at a time (at most 1,000).

        Filters: ``state``, ``programme``, ``workflow``, ``org`` (a unit inside the actor's
        jurisdiction: its subtree), ``overdue`` (True: the fast-track data check is overdue and
        still awaited; the standard path's passed limits are on :meth:`limit_alarms`).
        """
        require_role(actor, "read")
        path = self._actor_path(actor)
        limit = min(max(inputs.count(limit, "limit"), 1), 1000)
        if org is not None:
            _, path = self._org(inputs.org_id(org))
            self._require_jurisdiction(actor, path, f"unit {org}")
        if overdue is not None and not isinstance(overdue, bool):
            raise InvalidInput("overdue must be true or false", "overdue 应为 true 或 false")
        query = rows.list_cases(
            path, state=state, programme=programme,
            workflow=None if workflow is None else get_workflow(workflow).name,
            overdue=overdue, overdue_kinds=OVERDUE_KINDS, limit=limit,
            offset=inputs.count(offset, "offset"),
        )  # fmt: skip
        with self.uow.read() as conn:
            return [self._case_view(r, conn) for r in conn.execute(query)]

    def count_by_state(self, actor: Actor) -> dict[tuple[str, str], int]:
        """(programme, state) -> number of cases in the actor's jurisdiction."""
        require_role(actor, "read")
        path = self._actor_path(actor)
        with self.uow.read() as conn:
            return {(p, s): n for p, s, n in conn.execute(rows.count_by_state(path))}
