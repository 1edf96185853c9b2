"""容缺审批 — the fast track (DOMAIN §3, Binhai county pilot).

A household hit by a sudden expenditure of at least the policy threshold, caused by a major
illness, a disaster or an accident, is provisionally approved the same day on a signed credit
commitment and a passed village democratic appraisal; the household economic data check
follows, and its result verifies, revokes (falsification) or terminates (no falsification).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ..clock import iso_utc
from ..errors import GuardRejected, InvalidInput
from ..money import yuan
from . import service_plan
from .base import CaseModel, DeadlineRule, Label, SubFlow, Transition, Workflow
from .calendar import add_months

NAME = "fast_track"
VERSION = 1

PROGRAMMES = {
    "dibao": Label("最低生活保障", "minimum living guarantee (dibao)"),
    "tekun": Label("特困人员供养", "support for the extremely poor (tekun)"),
    "near_dibao": Label("低保边缘家庭", "near-dibao household"),
    "rigid_expenditure": Label("刚性支出困难家庭", "rigid-expenditure household"),
}
CAUSES = {
    "major_illness": Label("重大疾病", "major illness"),
    "disaster": Label("灾害", "disaster"),
    "accident": Label("意外事故", "accident"),
}
VERIFICATION_RESULTS = {
    "meets_standard": ("verify", Label("核对符合条件", "meets the standard")),
    "falsification": ("revoke", Label("核对不符且弄虚作假", "fails, with falsification")),
    "fails_without_falsification": (
        "terminate",
        Label("核对不符但无弄虚作假", "fails, without falsification"),
    ),
}

DEFAULT_POLICY: dict[str, Any] = {
    "threshold_fen": 3_000_000,  # 30,000 yuan: the pilot's figure (DOMAIN §3)
    "verification_months": 1,  # the data check returns in about a month (SEED)
    "max_expenditure_yuan": 100_000_000,
    "max_monthly_amount_yuan": 100_000,
    "reminder_days": 7,  # an overdue verification is chased weekly until its result arrives
    "suspend_when_overdue": False,  # assistance continues while the data check is late
}

# policy key -> (smallest, largest); booleans are checked as booleans
POLICY_LIMITS: dict[str, tuple[int, int] | None] = {
    "threshold_fen": (1, 10_000_000_000),
    "verification_months": (1, 12),
    "max_expenditure_yuan": (1, 1_000_000_000),
    "max_monthly_amount_yuan": (1, 10_000_000),
    "reminder_days": (1, 365),
    "suspend_when_overdue": None,
}


def validate_policy(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The fast-track policy with ``overrides``, every value checked; refuse unknown keys."""
    unknown = set(overrides) - set(POLICY_LIMITS)
    if unknown:
        raise InvalidInput(
            f"unknown policy settings {sorted(unknown)}; known: {sorted(POLICY_LIMITS)}",
            f"未知政策参数：{sorted(unknown)}",
        )
    policy = {**DEFAULT_POLICY, **overrides}
    for key, limits in POLICY_LIMITS.items():
        value = policy[key]
        if limits is None:
            ok = isinstance(value, bool)
        else:
            ok = type(value) is int and limits[0] <= value <= limits[1]
        if not ok:
            expected = (
                "true or false" if limits is None else f"a whole number {limits[0]}-{limits[1]}"
            )
            raise InvalidInput(
                f"policy {key} = {value!r}; expected {expected}", f"政策参数 {key} 无效：{value!r}"
            )
    return policy


STATES = {
    "applied": Label("已申请", "applied"),
    "promised": Label("已承诺", "commitment signed"),
    "reviewed": Label("已评议", "appraisal passed"),
    "provisionally_approved": Label("先行批准", "provisionally approved"),
    "verified": Label("核对通过", "verified"),
    "revoked": Label("已撤销", "revoked"),
    "terminated": Label("已终止", "terminated"),
    "rejected": Label("不予批准", "rejected"),
    "withdrawn": Label("已撤回", "withdrawn"),
}
FINAL = ("verified", "revoked", "terminated", "rejected", "withdrawn")

TRIGGERS = {
    "apply": Label("受理申请", "apply"),
    "promise": Label("签署信用承诺", "sign the credit commitment"),
    "review": Label("民主评议通过", "pass the democratic appraisal"),
    "fail_appraisal": Label("民主评议未通过", "fail the democratic appraisal"),
    "approve": Label("先行审批", "approve provisionally"),
    "refuse": Label("不予批准", "refuse"),
    "verify": Label("核对通过", "verify"),
    "revoke": Label("撤销并追回", "revoke and recover"),
    "terminate": Label("终止救助", "terminate"),
    "withdraw": Label("撤回申请", "withdraw"),
    "mark_overdue": Label("核对逾期", "verification overdue"),
    "remind": Label("逾期催办", "overdue reminder"),
}


# -- guards: pure predicates over (projection, payload); they raise with the reason ------------
def check_application(payload: Mapping[str, Any]) -> None:
    policy = payload["policy"]
    if payload["programme"] not in PROGRAMMES:
        raise GuardRejected(
            f"unknown programme '{payload['programme']}'; the fast track serves: "
            + ", ".join(PROGRAMMES),
            f"未知救助项目“{payload['programme']}”；容缺审批适用于："
            + "、".join(label.zh for label in PROGRAMMES.values()),
        )
    if payload["cause"] not in CAUSES:
        raise GuardRejected(
            f"cause '{payload['cause']}' does not qualify; expected one of: " + ", ".join(CAUSES),
            f"支出原因“{payload['cause']}”不符合容缺审批条件；应为重大疾病、灾害或意外事故",
        )
    threshold = policy["threshold_fen"]
    if payload["expenditure_fen"] < threshold:
        raise GuardRejected(
            f"sudden expenditure of {yuan(payload['expenditure_fen'])} yuan is below the "
            f"fast-track threshold of {yuan(threshold)} yuan; apply on the standard path instead",
            f"突发支出 {yuan(payload['expenditure_fen'])} 元低于容缺审批门槛 {yuan(threshold)} 元，"
            "请按常规程序申请",
            threshold_fen=threshold,
        )
    if payload["applicant_id"] not in payload["member_ids"]:
        raise GuardRejected(
            "the applicant must be a member of the applying household",
            "申请人必须是申请家庭的成员",
        )


def _signer_is_member(model: CaseModel, payload: dict[str, Any]) -> None:
    if payload["signed_by"] not in model.facts["member_ids"]:
        raise GuardRejected(
            f"person {payload['signed_by']} is not a member of the applying household; "
            "the commitment must be signed by a member",
            "信用承诺书必须由申请家庭成员签署",
        )


def _votes_add_up(model: CaseModel, payload: dict[str, Any]) -> None:
    cast = payload["votes_for"] + payload["votes_against"] + payload["abstentions"]
    if payload["attendance"] < 1 or cast > payload["attendance"]:
        raise GuardRejected(
            f"appraisal counts do not add up: {cast} votes from {payload['attendance']} present",
            f"评议票数不符：出席 {payload['attendance']} 人，票数 {cast}",
        )


def _outcome(expected: str) -> Any:
    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        if payload["outcome"] != expected:
            raise GuardRejected(f"appraisal outcome must be '{expected}'", "评议结果不符")

    guard.__name__ = f"outcome_is_{expected}"
    return guard


def _amount_in_policy(model: CaseModel, payload: dict[str, Any]) -> None:
    maximum = model.facts["policy"]["max_monthly_amount_yuan"] * 100
    if not 0 < payload["monthly_amount_fen"] <= maximum:
        raise GuardRejected(
            f"monthly amount {yuan(payload['monthly_amount_fen'])} yuan is outside "
            f"(0, {yuan(maximum)}] yuan",
            f"月救助金额 {yuan(payload['monthly_amount_fen'])} 元不在 (0, {yuan(maximum)}] 元范围内",
        )


def _result(expected: str) -> Any:
    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        if payload["result"] != expected:
            raise GuardRejected(f"verification result must be '{expected}'", "核对结果不符")

    guard.__name__ = f"result_is_{expected}"
    return guard


# -- effects: change only the in-memory projection ---------------------------------------------
def _record(key: str) -> Any:
    def effect(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
        model.facts[key] = dict(payload)

    effect.__name__ = f"record_{key}"
    return effect


def _approved(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["monthly_amount_fen"] = payload["monthly_amount_fen"]
    model.facts["approved_at"] = iso_utc(at)


def _ended(key: str) -> Any:
    def effect(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
        model.facts[key] = dict(payload)
        service_plan.end_all(model)  # a revoked or terminated case ends its service plans

    effect.__name__ = f"record_{key}_and_end_plans"
    return effect


def _verified(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["verification"] = dict(payload)
    model.facts.pop("assistance_suspended", None)  # a late result that meets the standard


def _overdue(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    policy = model.facts["policy"]
    model.facts["overdue"] = {"due_at": payload["due_at"], "reminders": 0}
    if policy.get("suspend_when_overdue", False):
        model.facts["assistance_suspended"] = True
    model.deadlines.pop("verification_due", None)
    model.deadlines["verification_reminder"] = at + timedelta(days=policy.get("reminder_days", 7))


def _reminded(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    policy = model.facts["policy"]
    model.facts["overdue"]["reminders"] += 1
    model.deadlines["verification_reminder"] = at + timedelta(days=policy.get("reminder_days", 7))


def _plans_allowed(model: CaseModel) -> None:
    if model.state not in ("provisionally_approved", "verified"):
        raise GuardRejected(
            f"service plans start once assistance has started; the case is '{model.state}'",
            f"救助开始后方可设立服务计划，案件当前为“{STATES[model.state].zh}”",
        )


def open_facts(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The projection's facts right after the ``apply`` event."""
    check_application(payload)
    return {k: payload[k] for k in sorted(payload)}


def _verification_due(entered_at: datetime, policy: Mapping[str, Any]) -> datetime:
    return add_months(entered_at, int(policy.get("verification_months", 1)))


PENDING = ("applied", "promised", "reviewed")

WORKFLOW = Workflow(
    name=NAME,
    version=VERSION,
    states=STATES,
    initial="applied",
    final=FINAL,
    trigger_labels=TRIGGERS,
    opener=open_facts,
    transitions=(
        Transition(
            "promise", ("applied",), "promised", (_signer_is_member,), _record("commitment")
        ),
        Transition(
            "review",
            ("promised",),
            "reviewed",
            (_votes_add_up, _outcome("passed")),
            _record("appraisal"),
        ),
        Transition(
            "fail_appraisal",
            ("promised",),
            "rejected",
            (_votes_add_up, _outcome("failed")),
            _record("appraisal"),
        ),
        Transition(
            "approve", ("reviewed",), "provisionally_approved", (_amount_in_policy,), _approved
        ),
        Transition("refuse", ("reviewed",), "rejected", (), _record("refusal")),
        Transition(
            "verify",
            ("provisionally_approved",),
            "verified",
            (_result("meets_standard"),),
            _verified,
        ),
        Transition(
            "revoke",
            ("provisionally_approved",),
            "revoked",
            (_result("falsification"),),
            _ended("verification"),
        ),
        Transition(
            "terminate",
            ("provisionally_approved",),
            "terminated",
            (_result("fails_without_falsification"),),
            _ended("verification"),
        ),
        Transition("withdraw", PENDING, "withdrawn", (), _record("withdrawal")),
        Transition("mark_overdue", ("provisionally_approved",), None, (), _overdue, system=True),
        Transition("remind", ("provisionally_approved",), None, (), _reminded, system=True),
    ),
    deadline_rules=(
        DeadlineRule("verification_due", "provisionally_approved", _verification_due),
        DeadlineRule("verification_reminder", "provisionally_approved"),
    ),
    subflows={
        "plan": SubFlow(
            service_plan.WORKFLOW,
            collection="plans",
            id_key="plan_id",
            open_trigger="open",
            may_open=_plans_allowed,
            after_open=service_plan.after_open,
        )
    },
    on_deadline={
        "verification_due": "mark_overdue",
        "verification_reminder": "remind",
        "visit_due": "plan.miss",
    },
)
