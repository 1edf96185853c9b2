"""Commands on a case's one-off service projects (一次性服务项目): open and complete.

A one-off (a repair such as rewiring an old man's house) is opened where the case is worked
(village, township or county) with a due day, and completed by the village or by the provider
it is assigned to (``provider={"provider": PROVIDER_ID}``).  Its deadline is the end of the due
day in Shanghai; the worker records ``oneoff.overdue`` when it passes undone.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from ..clock import SHANGHAI, iso_utc
from ..errors import GuardRejected, InvalidInput, PermissionDenied
from ..workflows import oneoff
from ..workflows.base import CaseModel
from . import inputs
from .actors import Actor, Role, require_role
from .base import CommandBase
from .projects import check_in_project, project_path
from .providers import check_assignable, provider_path
from .views import CaseView

MAX_DAYS_AHEAD = 366 * 2


def due_instant(due_on: date) -> datetime:
    """The end of ``due_on`` in Shanghai (midnight that starts the next day), as UTC."""
    return datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def _due_day(value: date | str, today: date) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"due date '{value}' is not a date; expected YYYY-MM-DD",
                               f"完成期限“{value}”不是有效日期") from None  # fmt: skip
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput("the due date must be a date (YYYY-MM-DD)", "完成期限应为日期")
    if not today <= value <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput(
            f"the due date {value} must be from today ({today}) to {MAX_DAYS_AHEAD} days ahead",
            f"完成期限 {value} 应在今天（{today}）至 {MAX_DAYS_AHEAD} 天之内",
        )
    return value


class OneOffCommands(CommandBase):
    """One-off service projects: open, complete."""

    def open_oneoff(self, actor: Actor, case_id: str, *, kind: str, what: str,
                    due_on: date | str, provider: dict[str, str],
                    project_id: str | None = None, expected_version: int | None = None,
                    idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Open a one-off project on a case, e.g. rewiring the house by 2024-04-30;
        ``provider`` is as for :meth:`open_service_plan`; ``project_id`` names the project
        (帮扶项目) it belongs to, if any."""
        require_role(actor, "open_oneoff")  # before the provider or project is read
        inputs.choice(kind, "one-off kind", oneoff.KINDS)
        done = inputs.text(what, "what is to be done", required=True, max_length=200)
        provider_doc = self._provider(provider)  # type: ignore[attr-defined]
        assigned = provider_path(self, provider_doc["provider"]) if "provider" in provider_doc \
            else None  # fmt: skip
        project = None if project_id is None else inputs.record_id(project_id, "project id")
        in_project = project_path(self, project)
        oneoff_id = str(uuid.uuid4())

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            if assigned is not None:
                check_assignable(assigned, model.facts["org_path"], provider_doc["provider"])
            check_in_project(in_project, model.facts["org_path"], project or "")
            due = _due_day(due_on, today)
            payload = {"oneoff_id": oneoff_id, "kind": kind, "what": done,
                       "provider": provider_doc, "due_on": due.isoformat(),
                       "due_at": iso_utc(due_instant(due))}  # fmt: skip
            if project is not None:
                payload["project_id"] = project
            return "oneoff.opened", payload

        return self._transition(actor, "open_oneoff", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def complete_oneoff(self, actor: Actor, case_id: str, *, oneoff_id: str,
                        notes: str | None = None, expected_version: int | None = None,
                        idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Record a one-off project done (the village, or the provider it is assigned to)."""
        oneoff_id = inputs.record_id(oneoff_id, "one-off id")
        note = inputs.text(notes, "notes", required=False)

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            item = model.facts.get("oneoffs", {}).get(oneoff_id)
            if item is None:
                raise InvalidInput(f"case {model.case_id} has no one-off project {oneoff_id}",
                                   f"案件 {model.case_id} 没有一次性服务项目 {oneoff_id}")  # fmt: skip
            if actor.role is Role.PROVIDER and item["provider"] != {"provider": actor.provider}:
                raise PermissionDenied(
                    f"one-off project {oneoff_id} is not assigned to provider {actor.provider}",
                    "该一次性服务项目未指派给本服务机构", command="complete_oneoff",
                    role=actor.role.value,
                )  # fmt: skip
            if item["state"] not in ("open", "overdue"):
                raise GuardRejected(f"one-off project {oneoff_id} is {item['state']}",
                                    "该一次性服务项目已完成或已取消")  # fmt: skip
            payload: dict[str, Any] = {"oneoff_id": oneoff_id,
                                       "completed_at": iso_utc(self.clock.now())}  # fmt: skip
            if note is not None:
                payload["notes"] = note
            if actor.role is Role.PROVIDER:
                payload["provider"] = actor.provider
            return "oneoff.completed", payload

        view = self._transition(actor, "complete_oneoff", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip
        return oneoff_view(view, oneoff_id) if actor.role is Role.PROVIDER else view


def oneoff_view(view: CaseView, oneoff_id: str) -> CaseView:
    """What a provider's staff get back: the case's id, state, version and this one-off --
    not the household, the amounts or the other facts."""
    key = oneoff.deadline_key(oneoff_id)
    return replace(view, household_id="", expenditure_fen=0, monthly_amount_fen=None,
                   facts={"oneoffs": {oneoff_id: view.facts["oneoffs"][oneoff_id]}},
                   deadlines={k: v for k, v in view.deadlines.items() if k == key},
                   allowed=[])  # fmt: skip
