"""Commands on a case's service plans (物质+服务): open, visit, suspend, resume, end.

Part of :class:`~jiuzhu.service.service.CaseService`; each command is one transition of the
case (``plan.<trigger>``) and one event in its chain, like every other command.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from ..clock import iso_utc, parse_iso_utc
from ..errors import GuardRejected, InvalidInput, PermissionDenied
from ..scheduler import recurrence
from ..workflows import service_plan
from ..workflows.base import CaseModel
from . import inputs
from .actors import Actor, Role, require_role
from .base import CommandBase
from .projects import check_in_project, project_path
from .providers import check_assignable, provider_path, visit_view
from .views import CaseView

MAX_GRACE_HOURS = 24 * 31


class PlanCommands(CommandBase):
    """Service-plan commands: open, visit, suspend, resume, end."""

    def open_service_plan(self, actor: Actor, case_id: str, *, kind: str,
                          provider: dict[str, str], recurrence: dict[str, Any],
                          starts_at: datetime | str | None = None,
                          ends_at: datetime | str | None = None, grace_hours: int = 24,
                          project_id: str | None = None, expected_version: int | None = None,
                          idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Start recurring services for a case, e.g. cleaning four times a month.

        ``recurrence`` is an APScheduler cron or interval spec read in Shanghai time, e.g.
        ``{"type": "cron", "day": "1,8,15,22", "hour": 9}``; ``provider`` is
        ``{"org": UNIT_ID}``, ``{"provider": PROVIDER_ID}`` (a registered provider, whose staff
        then record its visits) or ``{"name": "third-party organisation"}``.  An occurrence not
        recorded as done within ``grace_hours`` of its time is ``missed``.  ``project_id``
        names the project (帮扶项目) the plan belongs to, if any.
        """
        require_role(actor, "manage_service_plans")  # before the provider or project is read
        inputs.choice(kind, "service kind", service_plan.KINDS)
        provider_doc = self._provider(provider)
        assigned = provider_path(self, provider_doc["provider"]) if "provider" in provider_doc \
            else None  # fmt: skip
        project = None if project_id is None else inputs.record_id(project_id, "project id")
        in_project = project_path(self, project)
        grace = inputs.count(grace_hours, "grace hours")
        if not 1 <= grace <= MAX_GRACE_HOURS:
            raise InvalidInput(
                f"grace hours must be 1 to {MAX_GRACE_HOURS}",
                f"宽限时间应为 1 到 {MAX_GRACE_HOURS} 小时",
            )
        plan_id = str(uuid.uuid4())

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            now = self.clock.now()
            if assigned is not None:
                check_assignable(assigned, model.facts["org_path"], provider_doc["provider"])
            check_in_project(in_project, model.facts["org_path"], project or "")
            start = inputs.instant(starts_at, "start", default=now)
            end = None if ends_at is None else inputs.instant(ends_at, "end", default=now)
            if end is not None and end <= start:
                raise InvalidInput(
                    "the plan must end after it starts", "服务计划结束时间应晚于开始时间"
                )
            first = recurrence_first(recurrence, start, end, max(start, now))
            if first is None:
                raise InvalidInput(
                    f"recurrence {recurrence} has no occurrence between the plan's start and end",
                    "该服务频次在计划起止时间内没有任何一次服务",
                )
            return "plan.open", {
                "plan_id": plan_id, "kind": kind, "provider": provider_doc,
                "recurrence": dict(recurrence), "starts_at": iso_utc(start),
                "ends_at": None if end is None else iso_utc(end), "grace_hours": grace,
                "first_at": None if first is None else iso_utc(first),
            } | ({"project_id": project} if project else {})  # fmt: skip

        return self._transition(actor, "manage_service_plans", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def record_visit(self, actor: Actor, case_id: str, *, plan_id: str, what: str,
                     visited_at: datetime | str | None = None, notes: str | None = None,
                     expected_version: int | None = None,
                     idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Record a visit (who, when, what was done): it completes the plan's open occurrence."""
        plan_id = inputs.record_id(plan_id, "plan id")
        done = inputs.text(what, "what was done", required=True)
        note = inputs.text(notes, "notes", required=False)

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            now = self.clock.now()
            plan = _plan(model, plan_id)
            if actor.role is Role.PROVIDER and plan["provider"] != {"provider": actor.provider}:
                raise PermissionDenied(
                    f"plan {plan_id} is not assigned to provider {actor.provider}",
                    "该服务计划未指派给本服务机构",
                    command="record_visit",
                    role=actor.role.value,
                )
            when = inputs.instant(visited_at, "visit time", default=now)
            if when > now:
                raise InvalidInput(
                    "a visit cannot be recorded before it happens", "走访时间不能晚于当前时间"
                )
            if plan["scheduled_at"] is None:
                raise GuardRejected(
                    f"plan {plan_id} has no open occurrence (it is {plan['state']} or finished)",
                    "该服务计划当前没有待完成的服务",
                )
            payload = {"plan_id": plan_id, "n": plan["n"], "scheduled_at": plan["scheduled_at"],
                       "visited_at": iso_utc(when), "what": done,
                       "next_at": following(plan)}  # fmt: skip
            if note is not None:
                payload["notes"] = note
            if actor.role is Role.PROVIDER:
                payload["provider"] = actor.provider
            return "plan.visit", payload

        view = self._transition(actor, "record_visit", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip
        return visit_view(view, plan_id) if actor.role is Role.PROVIDER else view

    def suspend_service_plan(self, actor: Actor, case_id: str, *, plan_id: str, reason: str,
                             expected_version: int | None = None,
                             idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Pause a plan: its open and future occurrences are cancelled until it is resumed."""
        return self._plan_step(actor, case_id, plan_id, "suspend", reason, expected_version,
                               idempotency_key)  # fmt: skip

    def resume_service_plan(self, actor: Actor, case_id: str, *, plan_id: str,
                            reason: str | None = None, expected_version: int | None = None,
                            idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        return self._plan_step(actor, case_id, plan_id, "resume", reason, expected_version,
                               idempotency_key)  # fmt: skip

    def end_service_plan(self, actor: Actor, case_id: str, *, plan_id: str, reason: str,
                         expected_version: int | None = None,
                         idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        return self._plan_step(actor, case_id, plan_id, "end", reason, expected_version,
                               idempotency_key)  # fmt: skip

    def _plan_step(self, actor: Actor, case_id: str, plan_id: str, trigger: str,
                   reason: str | None, expected_version: int | None,
                   idempotency_key: str | None) -> CaseView:  # fmt: skip
        plan_id = inputs.record_id(plan_id, "plan id")
        why = inputs.text(reason, "reason", required=trigger != "resume")

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            plan = _plan(model, plan_id)
            payload: dict[str, Any] = {"plan_id": plan_id}
            if why is not None:
                payload["reason"] = why
            if trigger == "resume":
                now = self.clock.now()
                nxt = recurrence_first(plan["recurrence"], parse_iso_utc(plan["starts_at"]),
                                       _ends(plan), now)  # fmt: skip
                payload["next_at"] = None if nxt is None else iso_utc(nxt)
            return f"plan.{trigger}", payload

        return self._transition(actor, "manage_service_plans", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def _provider(self, provider: object) -> dict[str, str]:
        if isinstance(provider, dict) and set(provider) == {"org"}:
            self._org(inputs.org_id(provider["org"]))  # must exist
            return {"org": provider["org"]}
        if isinstance(provider, dict) and set(provider) == {"provider"}:
            return {"provider": inputs.record_id(provider["provider"], "provider id")}
        if isinstance(provider, dict) and set(provider) == {"name"}:
            name = inputs.text(provider["name"], "provider name", required=True, max_length=100)
            return {"name": name or ""}
        raise InvalidInput(
            "provider must be {'org': UNIT_ID}, {'provider': PROVIDER_ID} or "
            "{'name': 'third-party organisation'}",
            "服务提供方应为单位编码、已登记服务机构编号或第三方机构名称",
        )


def _plan(model: CaseModel, plan_id: str) -> dict[str, Any]:
    plan = model.facts.get("plans", {}).get(plan_id)
    if plan is None:
        raise InvalidInput(
            f"case {model.case_id} has no service plan {plan_id}",
            f"案件 {model.case_id} 没有服务计划 {plan_id}",
        )
    return plan  # type: ignore[no-any-return]


def _ends(plan: dict[str, Any]) -> datetime | None:
    return None if plan["ends_at"] is None else parse_iso_utc(plan["ends_at"])


def recurrence_first(spec: dict[str, Any], start: datetime, end: datetime | None,
                     not_before: datetime) -> datetime | None:  # fmt: skip
    return recurrence.first(spec, start, end, not_before=not_before)


def following(plan: dict[str, Any]) -> str | None:
    """The occurrence after the plan's open one, one by one however late it is now."""
    nxt = recurrence.after(plan["recurrence"], parse_iso_utc(plan["starts_at"]), _ends(plan),
                           parse_iso_utc(plan["scheduled_at"]))  # fmt: skip
    return None if nxt is None else iso_utc(nxt)
