"""The action forms of a case page, generated from the HTTP routes' own source.

Each case command of :data:`jiuzhu.api.routes.ROUTES` (``POST /cases/{case_id}/...``) becomes a
form whose fields are the command's keyword arguments as :func:`~jiuzhu.api.endpoints.shape_of`
reads them (type and default).  A form is offered when the case's workflow allows one of the
triggers the command fires in its current state (``CaseView.allowed``).  Which role holds it
is the service's matrix (:data:`jiuzhu.service.actors.PERMISSIONS`), read to say whose turn
it is; the service still decides when the form is sent.
"""

from __future__ import annotations

import inspect
import json
import typing
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from types import UnionType
from typing import Any

from ..api.endpoints import Route, resolve, shape_of
from ..api.routes import ROUTES
from ..errors import InvalidInput
from ..service.actors import PERMISSIONS, ROLE_LABELS, Actor, Role
from ..service.command_names import COMMAND_TRIGGERS
from ..service.service import CaseService
from ..service.views import CaseView
from ..workflows import circumstance, fast_track, out_of_area, review
from ..workflows import get as get_workflow

# Commands whose triggers are not their own name nor listed under their name in
# COMMAND_TRIGGERS (which is keyed by permission): the service-plan and standard-path methods.
EXTRA_TRIGGERS: dict[str, set[str]] = {
    "open_service_plan": {"plan.open"},
    "suspend_service_plan": {"plan.suspend"},
    "resume_service_plan": {"plan.resume"},
    "end_service_plan": {"plan.end"},
    "record_visit": {"plan.visit"},
    "give_opinion": {"recommend", "not_recommend"},
    "decide_review": {"decide_review", "stop_review"},
    "decide_temporary": {"approve", "reject"},
    "pay_temporary": {"pay"},
    "close_temporary": {"close"},
    "assess_temporary": {"assess"},
}
# The route tags whose commands act on each workflow's cases (a trigger name such as
# ``approve`` means a different step in another workflow).
WORKFLOW_TAGS: dict[str, set[str]] = {
    "fast_track": {"case commands", "service plans", "money", "re-review"},
    "standard": {"standard path", "service plans", "money", "re-review"},
    "temporary": {"temporary assistance", "money"},
}
# The permission a command is checked against, where it is not the command's own name.
PERMISSION_OF: dict[str, str] = {
    **{name: "manage_service_plans" for name in
       ("open_service_plan", "suspend_service_plan", "resume_service_plan", "end_service_plan")},
    **{name: "investigate" for name in ("start_investigation", "complete_investigation")},
    **{name: "check_standard" for name in ("start_verification", "record_check")},
    **{name: "propose_standard" for name in ("give_opinion", "mark_special")},
    "complete_paperwork": "assess_temporary",
    "assist_first": "decide_temporary",
    "close_temporary": "pay_temporary",
}  # fmt: skip
# Fields with a fixed set of values, shown as a choice: value -> (zh, en).
CHOICES: dict[str, dict[str, tuple[str, str]]] = {
    "outcome": {"passed": ("通过", "passed"), "failed": ("未通过", "failed")},
    "result": {k: (v[1].zh, v[1].en) for k, v in fast_track.VERIFICATION_RESULTS.items()},
    "status": {k: (v.zh, v.en) for k, v in out_of_area.STATUSES.items()},
    "household_category": {k: (v.zh, v.en) for k, v in review.CATEGORIES.items()},
}
# A field whose choices differ in one command: (command, field) -> value -> (zh, en).
COMMAND_CHOICES: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("decide_review", "outcome"): {k: (v.zh, v.en) for k, v in review.OUTCOMES.items()},
    ("record_circumstance", "kind"): {k: (v.zh, v.en) for k, v in circumstance.KINDS.items()},
}
# A field whose label differs in one command: (command, field) -> (zh, en).
COMMAND_LABELS: dict[tuple[str, str], tuple[str, str]] = {
    ("record_circumstance", "kind"): ("情况变化", "change of circumstance"),
    ("record_circumstance", "person_id"): (
        "相关人员（或新生儿）",
        "the person (or the child born)",
    ),
    ("record_rigid_expenditure", "expenditure"): ("刚性支出情况", "the rigid expenditure"),
}
PERSON_FIELDS = ("signed_by", "person_id", "applicant_id", "commitment_signed_by")
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "signed_by": ("签署人", "signed by"),
    "signed_on": ("签署日期", "signed on"),
    "outcome": ("评议结果", "outcome"),
    "attendance": ("到会人数", "attendance"),
    "votes_for": ("赞成票", "votes for"),
    "votes_against": ("反对票", "votes against"),
    "abstentions": ("弃权票", "abstentions"),
    "held_on": ("评议日期", "held on"),
    "monthly_amount": ("每月金额（元）", "monthly amount (yuan)"),
    "reason": ("理由", "reason"),
    "result": ("核对结果", "result"),
    "checked_on": ("核对日期", "checked on"),
    "billed_on": ("票据日期", "billed on"),
    "amount": ("金额（元）", "amount (yuan)"),
    "multiple": ("倍数", "multiple"),
    "plan_id": ("服务计划编号", "plan id"),
    "oneoff_id": ("一次性服务项目编号", "one-off project id"),
    "due_on": ("完成期限", "due on"),
    "project_id": ("帮扶项目编号", "project id"),
    "what": ("服务内容", "what was done"),
    "kind": ("服务类别", "kind"),
    "provider": ("服务提供方（JSON）", "provider (JSON)"),
    "recurrence": ("服务频次（JSON）", "recurrence (JSON)"),
    "note": ("备注", "note"),
    "notes": ("备注", "notes"),
    "opinion": ("意见", "opinion"),
    "recommend": ("是否推荐", "recommend"),
    "decision": ("决定", "decision"),
    "investigators": ("调查人员（逗号分隔）", "investigators (comma-separated)"),
    "programme": ("救助项目", "programme"),
    "cause": ("突发支出原因", "cause of the expenditure"),
    "expenditure": ("突发支出金额（元）", "sudden expenditure (yuan)"),
    "total": ("票据总额（元）", "bill total (yuan)"),
    "insurance_paid": ("医保已报销（元）", "paid by insurance (yuan)"),
    "hospital": ("医院", "hospital"),
    "bill_id": ("票据号", "bill number"),
    "starts_at": ("开始时间", "starts at"),
    "ends_at": ("结束时间", "ends at"),
    "grace_hours": ("宽限小时数", "grace hours"),
    "income": ("收入（元）", "income (yuan)"),
    "route": ("处理方式", "route"),
    "summary": ("异议摘要", "summary"),
    "multiplier": ("倍数", "multiplier"),
    "household_id": ("家庭编号", "household id"),
    "applicant_id": ("申请人", "applicant"),
    "commitment_evidence": ("承诺书材料", "commitment evidence"),
    "commitment_signed_by": ("承诺书签署人", "commitment signed by"),
    "dependants": ("共同生活的困难成员情况", "dependants' circumstances"),
    "income_evidence": ("收入证明材料", "income evidence"),
    "sudden_event": ("突发事件情况", "sudden event"),
    "in_kind": ("实物部分（元）", "in kind (yuan)"),
    "status": ("户籍地身份", "status at the hukou place"),
    "household_category": ("家庭类别（复核周期）", "household category (re-review cycle)"),
    "findings": ("调查情况", "findings"),
    "reasons": ("书面理由", "written reasons"),
    "from_month": ("起始月份（YYYY-MM）", "from month (YYYY-MM)"),
    "unit_name": ("户籍地出具单位", "issuing unit"),
    "unit_code": ("出具单位行政区划代码", "issuing unit's division code"),
    "document": ("证明文书", "document"),
    "valid_until": ("有效期至", "valid until"),
    "delivered_on": ("送达日期", "delivered on"),
    "paid_on": ("退还日期", "paid on"),
    "visited_at": ("服务时间", "visited at"),
    "household_income": ("家庭月收入（元）", "household income a month (yuan)"),
    "months": ("渐退月数", "phase-out months"),
    "person_id": ("相关人员", "person"),
}


@dataclass(frozen=True)
class Field:
    name: str
    label: tuple[str, str]
    widget: str  # text | number | date | datetime | amount | choice | bool | json | list | person
    required: bool
    default: Any
    choices: tuple[tuple[str, tuple[str, str]], ...] = ()


@dataclass(frozen=True)
class Action:
    command: str
    label: Any  # a workflow Label
    fields: tuple[Field, ...]
    mine: bool  # the actor's role holds the command (the service decides when it is sent)
    holders: tuple[str, ...]  # role values


def _widget(name: str, kind: Any) -> str:
    args = set(typing.get_args(kind)) if _is_union(kind) else {kind}
    if name in CHOICES:
        return "choice"
    if name in PERSON_FIELDS:
        return "person"
    if object in args:
        return "amount"
    if datetime in args:
        return "datetime"
    if date in args:
        return "date"
    if bool in args:
        return "bool"
    if int in args:
        return "number"
    if any(typing.get_origin(a) is list for a in args):
        return "list"
    if any(a is dict or typing.get_origin(a) is dict for a in args):
        return "json"
    return "text"


def _is_union(kind: Any) -> bool:
    return isinstance(kind, UnionType) or typing.get_origin(kind) is typing.Union


@cache
def case_commands() -> dict[str, Route]:
    return {r.name: r for r in ROUTES
            if r.method == "POST" and r.path.startswith("/cases/{case_id}/")}  # fmt: skip


@cache
def commands() -> dict[str, Route]:
    return {r.name: r for r in ROUTES if r.method == "POST"}


@cache
def fields_of(command: str) -> tuple[Field, ...]:
    route = commands()[command]
    fn = route.function(CaseService)
    params = inspect.signature(fn).parameters
    out = []
    for name, (_kind, default) in shape_of(route, CaseService).fields.items():
        raw = resolve(fn, params[name].annotation)
        choices = tuple((COMMAND_CHOICES.get((command, name)) or CHOICES.get(name, {})).items())
        widget = "choice" if choices else _widget(name, raw)
        label = COMMAND_LABELS.get((command, name)) or FIELD_LABELS.get(
            name, (name.replace("_", " "), name.replace("_", " "))
        )
        out.append(Field(name, label, widget, default is ..., None if default is ... else
                         default, choices))  # fmt: skip
    return tuple(out)


def triggers_of(command: str) -> set[str]:
    return EXTRA_TRIGGERS.get(command) or COMMAND_TRIGGERS.get(command, {command})


def holders(command: str) -> tuple[str, ...]:
    roles = PERMISSIONS.get(PERMISSION_OF.get(command, command))
    return tuple(sorted(r.value for r in roles)) if roles else ()


def actions(case: CaseView, actor: Actor) -> list[Action]:
    """The forms for what the case allows now, in the order of the routes."""
    wf = get_workflow(case.workflow, case.workflow_version)
    allowed = set(case.allowed)
    tags = WORKFLOW_TAGS.get(case.workflow)
    out = []
    for name, route in case_commands().items():
        if tags is not None and route.tag not in tags:
            continue
        fired = triggers_of(name) & allowed
        if not fired:
            continue
        roles = holders(name)
        trigger = sorted(fired)[0]
        label = wf.label_of(trigger) if len(fired) == 1 else _command_label(wf, name, trigger)
        out.append(Action(name, label, fields_of(name), not roles or actor.role.value in roles,
                          roles))  # fmt: skip
    return out


def _command_label(wf: Any, command: str, trigger: str) -> Any:
    if command == "record_appraisal":
        return ("记录民主评议结果", "record the democratic appraisal")
    if command == "record_verification":
        return ("记录核对结果", "record the data check's result")
    return wf.label_of(trigger)


def role_label(role: str) -> Any:
    return ROLE_LABELS[Role(role)]


def parse(command: str, form: dict[str, str]) -> dict[str, Any]:
    """The keyword arguments of ``command`` from a submitted form (blank optional fields are
    left to their defaults; the service checks every value)."""
    out: dict[str, Any] = {}
    for field in fields_of(command):
        raw = form.get(field.name, "")
        if field.widget == "bool":
            out[field.name] = raw in ("true", "on", "1")
            continue
        raw = raw.strip()
        if raw == "":
            if field.required:
                out[field.name] = ""  # the service names what is missing
            continue
        if field.widget == "number":
            try:
                out[field.name] = int(raw)
            except ValueError:
                raise InvalidInput(f"{field.label[1]} must be a whole number",
                                   f"{field.label[0]}应为整数") from None  # fmt: skip
        elif field.widget == "list":
            out[field.name] = [part.strip() for part in raw.replace("，", ",").split(",")
                               if part.strip()]  # fmt: skip
        elif field.widget == "json":
            try:
                out[field.name] = json.loads(raw)
            except ValueError:
                raise InvalidInput(f"{field.label[1]} must be JSON, e.g. {{\"name\": \"...\"}}",
                                   f"{field.label[0]}应为 JSON 格式") from None  # fmt: skip
        else:
            out[field.name] = raw
    return out
