"""物质+服务 — service plans inside a case (docs/domain.md §6, Xiangcheng's practice).

A plan is a recurrence of visits (cleaning four times a month, a visit every other day, a
monthly follow-up) by a provider.  Only the plan's *next* occurrence is a deadline at a time,
named ``visit_due/<plan id>`` and due at the scheduled time plus the grace period; a visit
completes it, the deadline passing makes it ``missed``, and either arms the next occurrence.
The occurrence times are computed outside this pure module (APScheduler triggers, in
``scheduler/recurrence.py``) and arrive in the payloads, so replay never recomputes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ..clock import parse_iso_utc
from ..errors import GuardRejected
from . import oneoff
from .base import Workflow
from .model import CaseModel, DeadlineRule, Firing, Label, Transition

NAME = "service_plan"
VERSION = 1

KINDS = {
    "cleaning": Label("清洁照料", "cleaning and care"),
    "home_visit": Label("上门探访", "home visit"),
    "follow_up": Label("回访", "follow-up visit"),
    "companionship": Label("陪伴聊天", "companionship"),
    "repair": Label("微改造维修", "home repair"),
    "other": Label("其他服务", "other service"),
}

STATES = {
    "active": Label("服务中", "active"),
    "suspended": Label("已暂停", "suspended"),
    "ended": Label("已结束", "ended"),
}

TRIGGERS = {
    "open": Label("设立服务计划", "open a service plan"),
    "visit": Label("完成服务", "record a visit"),
    "miss": Label("服务逾期未完成", "visit missed"),
    "suspend": Label("暂停服务计划", "suspend the plan"),
    "resume": Label("恢复服务计划", "resume the plan"),
    "end": Label("结束服务计划", "end the plan"),
}


def deadline_key(plan_id: str) -> str:
    return f"visit_due/{plan_id}"


def _plan_facts(payload: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("plan_id", "kind", "provider", "recurrence", "starts_at", "ends_at", "grace_hours")
    plan = {key: payload[key] for key in keep}
    plan.update(n=0, scheduled_at=None, done=0, missed=0)
    if payload.get("project_id"):  # the project (帮扶项目) it belongs to; older plans name none
        plan["project_id"] = payload["project_id"]
    return plan


def _arm(model: CaseModel, next_at: str | None) -> None:
    """Make ``next_at`` the plan's current occurrence (or none), and its deadline."""
    plan = model.facts
    key = deadline_key(plan["plan_id"])
    if next_at is None:
        plan["scheduled_at"] = None
        model.deadlines.pop(key, None)
        return
    plan["n"] += 1
    plan["scheduled_at"] = next_at
    model.deadlines[key] = parse_iso_utc(next_at) + timedelta(hours=plan["grace_hours"])


def after_open(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    _arm(model, payload["first_at"])


def _is_current(model: CaseModel, payload: dict[str, Any]) -> None:
    if payload["n"] != model.facts["n"] or model.facts["scheduled_at"] is None:
        raise GuardRejected(
            f"occurrence {payload['n']} is not the plan's open occurrence "
            f"({model.facts['n'] if model.facts['scheduled_at'] else 'none open'})",
            "该次服务不是当前待完成的服务",
        )


def _visited(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["done"] += 1
    model.done.add(deadline_key(model.facts["plan_id"]))
    _arm(model, payload["next_at"])


def _missed(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["missed"] += 1
    _arm(model, payload["next_at"])


def missed(plan: Mapping[str, Any], firing: Firing) -> dict[str, Any]:
    """What the fired ``visit_due/<plan id>`` deadline records: the plan, its open occurrence
    (``n``, ``scheduled_at``) and the one after it (``next_at``, computed by the service from
    the plan's recurrence, ``None`` when the plan has no more)."""
    if firing.next_occurrence is None:
        raise ValueError("a missed visit needs the plan's next occurrence")
    return {"plan_id": firing.entity, "n": plan["n"], "scheduled_at": plan["scheduled_at"],
            "next_at": firing.next_occurrence(plan)}  # fmt: skip


def _stop(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    _arm(model, None)


def _resumed(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    _arm(model, payload["next_at"])


WORKFLOW = Workflow(
    name=NAME,
    version=VERSION,
    states=STATES,
    initial="active",
    final=("ended",),
    trigger_labels=TRIGGERS,
    opener=_plan_facts,
    transitions=(
        Transition("visit", ("active",), None, (_is_current,), _visited),
        Transition("miss", ("active",), None, (_is_current,), _missed, system=True),
        Transition("suspend", ("active",), "suspended", (), _stop),
        Transition("resume", ("suspended",), "active", (), _resumed),
        Transition("end", ("active", "suspended"), "ended", (), _stop),
    ),
    # opened and re-armed by the plan's effects, one occurrence at a time
    deadline_rules=(DeadlineRule("visit_due", None, fires="miss", event=missed),),
)


def end_all(model: CaseModel) -> None:
    """End every plan of a case and drop their deadlines (the case was revoked or terminated);
    its open one-off projects are cancelled with them."""
    oneoff.cancel_all(model)
    for plan in model.facts.get("plans", {}).values():
        if plan["state"] != "ended":
            plan["state"] = "ended"
            plan["scheduled_at"] = None
            model.deadlines.pop(deadline_key(plan["plan_id"]), None)
