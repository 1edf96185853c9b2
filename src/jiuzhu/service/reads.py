"""Reads of cases: one case, its history, lists and counts in the actor's jurisdiction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select

from ..clock import iso_utc
from ..errors import InvalidInput
from ..models import rows
from ..workflows import REGISTRY, fast_track, standard, temporary
from ..workflows import get as get_workflow
from . import inputs
from .actors import Actor, require_role
from .paging import BAD_CURSOR, DEFAULT_LIMIT, Page, decode_cursor, encode_cursor, page_limit
from .standard import PathCommands
from .views import CaseView, EventView

# deadline kinds open only while a passed limit is being chased (the overdue data check)
OVERDUE_KINDS = ("verification_reminder",)
# the values the list filters take (the HTTP API declares them as enums)
STATES = tuple(sorted({state for wf in REGISTRY.values() for state in wf.states}))
PROGRAMMES = tuple(sorted({*fast_track.PROGRAMMES, standard.PROGRAMME, temporary.PROGRAMME}))
WORKFLOWS = tuple(sorted({wf.name for wf in REGISTRY.values()}))


def one_of(value: str | None, valid: Sequence[str], what: str) -> str | None:
    """``value`` if it is one of ``valid`` (or None); else refused, listing the valid ones."""
    if value is None or value in valid:
        return value
    listed = ", ".join(valid)
    raise InvalidInput(f"{what} '{value}' is unknown; expected one of: {listed}",
                       f"{what}“{value}”无效，应为以下之一：{listed}", valid=list(valid))  # fmt: skip


class Reads(PathCommands):
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

    # -- pages of the long lists (keyset: ``after`` is the ``next`` of the page before) -------
    def cases_page(self, actor: Actor, *, state: str | None = None, programme: str | None = None,
                   workflow: str | None = None, org: str | None = None,
                   overdue: bool | None = None, limit: int = DEFAULT_LIMIT,
                   after: str | None = None) -> Page:  # fmt: skip
        """Cases in the actor's jurisdiction, oldest first, filtered as :meth:`list_cases`."""
        require_role(actor, "read")
        path = self._list_scope(actor, org)
        one_of(state, STATES, "state")
        one_of(programme, PROGRAMMES, "programme")
        one_of(workflow, WORKFLOWS, "workflow")
        if overdue is not None and not isinstance(overdue, bool):
            raise InvalidInput("overdue must be true or false", "overdue 应为 true 或 false")
        limit, key = page_limit(limit), _instant_key(decode_cursor(after, 2))
        page, total = rows.case_page(path, state=state, programme=programme, workflow=workflow,
                                     overdue=overdue, overdue_kinds=OVERDUE_KINDS, key=key,
                                     limit=limit)  # fmt: skip
        return self._page(page, total, limit, self._case_view, lambda r: [r.opened_at, r.id])

    def credit_records_page(self, actor: Actor, *, case_id: str | None = None,
                            limit: int = DEFAULT_LIMIT, after: str | None = None) -> Page:  # fmt: skip
        """Credit-record entries in the jurisdiction (of one case), oldest first: person ids
        only, as :meth:`credit_records`."""
        require_role(actor, "read")
        path = self._actor_path(actor)
        limit, key = page_limit(limit), decode_cursor(after, 2)
        if case_id is not None:
            case_id = inputs.record_id(case_id)
            with self.uow.read() as conn:
                self._load(conn, case_id, actor, for_update=False)  # NotFound, PermissionDenied
        day = (date.fromisoformat(str(key[0])), key[1]) if key else None
        page, total = rows.credit_record_page(path, case_id, day, limit)
        return self._page(page, total, limit, _credit_item,
                          lambda r: [r.recorded_on.isoformat(), r.record_id])  # fmt: skip

    def missed_visits_page(self, actor: Actor, *, limit: int = DEFAULT_LIMIT,
                           after: str | None = None) -> Page:  # fmt: skip
        """Service occurrences that passed their grace period undone, oldest first."""
        require_role(actor, "read")
        path = self._actor_path(actor)
        limit, key = page_limit(limit), _instant_key(decode_cursor(after, 2))
        page, total = rows.missed_visit_page(path, key, limit)
        return self._page(page, total, limit, _missed_item, lambda r: [r.due_at, r.deadline_id])

    def overdue_verifications_page(self, actor: Actor, *, limit: int = DEFAULT_LIMIT,
                                   after: str | None = None) -> Page:  # fmt: skip
        """Approved cases whose data check is overdue, by their next reminder (the longest
        overdue first); ``late_days`` counted at the service clock's now."""
        require_role(actor, "read")
        path = self._actor_path(actor)
        limit, key = page_limit(limit), _instant_key(decode_cursor(after, 2))
        page, total = rows.overdue_verification_page(path, key, limit)
        now = self.clock.now()

        def item(r: Any) -> dict[str, Any]:
            due = r.facts["overdue"]["due_at"]
            late = now - datetime.fromisoformat(due.replace("Z", "+00:00"))
            return {"case_id": r.id, "village_id": r.village_id, "due_at": due,
                    "late_days": round(late.total_seconds() / 86400, 1),
                    "reminders": r.facts["overdue"]["reminders"]}  # fmt: skip

        return self._page(page, total, limit, item, lambda r: [r.reminder_at, r.deadline_id])

    def limit_alarms_page(self, actor: Actor, *, include_resolved: bool = False,
                          limit: int = DEFAULT_LIMIT, after: str | None = None) -> Page:  # fmt: skip
        """:meth:`limit_alarms` a page at a time.  Alarms live in the cases' facts: the database
        selects the cases with a passed limit, the page is cut from their alarms."""
        limit, key = page_limit(limit), decode_cursor(after, 3)
        alarms = self.limit_alarms(actor, include_resolved=include_resolved)
        keyed = [([a["due_at"], a["case_id"], a["limit"]], a) for a in alarms]
        rest = [item for item in keyed if key is None or item[0] > key]
        more = len(rest) > limit
        return Page([a for _, a in rest[:limit]], len(alarms),
                    encode_cursor(rest[limit - 1][0]) if more else None)  # fmt: skip

    def _list_scope(self, actor: Actor, org: str | None) -> str:
        path = self._actor_path(actor)
        if org is not None:
            _, path = self._org(inputs.org_id(org))
            self._require_jurisdiction(actor, path, f"unit {org}")
        return path

    def _page(self, page: Select[Any], total: Select[Any], limit: int,
              item: Callable[[Any], Any], key: Callable[[Any], list[Any]]) -> Page:  # fmt: skip
        with self.uow.read() as conn:
            found = conn.execute(page).all()
            count = int(conn.execute(total).scalar_one())
        cursor = None
        if len(found) > limit:  # one row more than the page: another page follows
            last = key(found[limit - 1])
            cursor = encode_cursor([v.isoformat() if isinstance(v, datetime) else v for v in last])
        return Page([item(r) for r in found[:limit]], count, cursor)


def _instant_key(key: list[Any] | None) -> tuple[Any, ...] | None:
    if key is None:
        return None
    try:
        return (datetime.fromisoformat(str(key[0])), *key[1:])
    except ValueError:
        raise InvalidInput(BAD_CURSOR[0], BAD_CURSOR[1]) from None


def _credit_item(r: Any) -> dict[str, Any]:
    return {"person_id": r.person_id, "case_id": r.case_id, "seq": r.seq, "reason": r.reason,
            "recorded_on": r.recorded_on.isoformat()}  # fmt: skip


def _missed_item(r: Any) -> dict[str, Any]:
    plan_id = r.kind.partition("/")[2]
    plan = r.facts.get("plans", {}).get(plan_id, {})
    return {"case_id": r.id, "village_id": r.village_id, "plan_id": plan_id,
            "service": plan.get("kind"), "provider": plan.get("provider"),
            "due_at": iso_utc(r.due_at), "recorded_missed_at": iso_utc(r.fired_at)}  # fmt: skip
