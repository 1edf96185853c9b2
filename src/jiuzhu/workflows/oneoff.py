"""One-off service projects inside a case (一次性服务项目: a repair, rewiring an old man's house).

A one-off is opened with what is to be done, who does it (a unit, a registered provider or a
named third party) and the day it is due; it is done once.  Its deadline ``oneoff_due/<id>``
falls at the end of the due day (Shanghai), computed by the service and carried in the payload;
passing it undone records ``oneoff.overdue`` (the alarm: the one-off stays open to completion
and shows as overdue).  Completing it (``oneoff.completed``) closes the deadline.  A case that
is revoked, terminated or stopped cancels its open one-offs with its service plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..clock import parse_iso_utc
from .base import Workflow
from .model import CaseModel, DeadlineRule, Firing, Label, Transition

NAME = "oneoff"
VERSION = 1

KINDS = {
    "repair": Label("维修改造", "repair"),
    "rewiring": Label("电路改造", "rewiring"),
    "accessibility": Label("适老化改造", "accessibility adaptation"),
    "equipment": Label("设备配置", "equipment"),
    "other": Label("其他项目", "other project"),
}

STATES = {
    "open": Label("实施中", "open"),
    "overdue": Label("逾期未完成", "overdue"),
    "completed": Label("已完成", "completed"),
    "cancelled": Label("已取消", "cancelled"),
}

TRIGGERS = {
    "opened": Label("设立一次性服务项目", "open a one-off project"),
    "completed": Label("完成一次性服务项目", "complete the one-off project"),
    "overdue": Label("一次性服务项目逾期", "one-off project overdue"),
    "cancel": Label("取消一次性服务项目", "cancel the one-off project"),
}


def deadline_key(oneoff_id: str) -> str:
    return f"oneoff_due/{oneoff_id}"


def _facts(payload: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("oneoff_id", "kind", "what", "provider", "due_on", "due_at")
    facts = {key: payload[key] for key in keep}
    facts.update(project_id=payload.get("project_id"), completed_at=None, overdue=False)
    return facts


def after_open(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.deadlines[deadline_key(model.facts["oneoff_id"])] = parse_iso_utc(payload["due_at"])


def _completed(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    key = deadline_key(model.facts["oneoff_id"])
    model.facts["completed_at"] = payload["completed_at"]
    if key in model.deadlines:
        model.done.add(key)
        model.deadlines.pop(key)


def _overdue(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["overdue"] = True
    model.deadlines.pop(deadline_key(model.facts["oneoff_id"]), None)


def _cancelled(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.deadlines.pop(deadline_key(model.facts["oneoff_id"]), None)


def overdue(facts: Mapping[str, Any], firing: Firing) -> dict[str, Any]:
    """What the fired ``oneoff_due/<id>`` deadline records: the one-off and its due day."""
    return {"oneoff_id": firing.entity, "due_on": facts["due_on"]}


WORKFLOW = Workflow(
    name=NAME,
    version=VERSION,
    states=STATES,
    initial="open",
    final=("completed", "cancelled"),
    trigger_labels=TRIGGERS,
    opener=_facts,
    transitions=(
        Transition("completed", ("open", "overdue"), "completed", (), _completed),
        Transition("overdue", ("open",), "overdue", (), _overdue, system=True),
        # the state the case's end leaves an open one-off in (cancel_all); no command fires it
        Transition("cancel", ("open", "overdue"), "cancelled", (), _cancelled),
    ),
    deadline_rules=(DeadlineRule("oneoff_due", None, fires="overdue", event=overdue),),
)


def cancel_all(model: CaseModel) -> None:
    """Cancel every open one-off of a case and drop its deadline (the case ended)."""
    for item in model.facts.get("oneoffs", {}).values():
        if item["state"] in ("open", "overdue"):
            item["state"] = "cancelled"
            model.deadlines.pop(deadline_key(item["oneoff_id"]), None)
