"""容缺审批 — the fast track (the Jiangsu pilot in Binhai county).

A household hit by a sudden expenditure of at least the policy threshold, caused by a major
illness, a disaster or an accident, is provisionally approved the same day on a signed credit
commitment and a passed village democratic appraisal; the household economic data check
follows, and its result verifies, revokes (falsification) or terminates (no falsification).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from ..clock import iso_utc, local_date
from ..errors import GuardRejected
from ..money import yuan
from ..policy_settings import DEFAULT_SETTINGS
from . import allowance as pay_run
from . import circumstance as dynamic
from . import fast_track_money as cash
from . import oneoff, service_plan, transfer
from . import review as rereview
from .base import SubFlow, Workflow
from .calendar import add_months, month_of
from .common import check_applicant, money, record, votes_add_up
from .fast_track_money import RECORDED_BEFORE
from .model import CaseModel, DeadlineRule, Guard, Label, Transition

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

# what the fast track's ``apply`` event records of the settings in force (jiuzhu.policy), under
# the keys its guards and deadline rules read; replay reads them from the event, never the book
RECORDED = (
    "verification_months", "max_expenditure_yuan", "max_monthly_amount_yuan", "reminder_days",
    "suspend_when_overdue", "monthly_payments", "pay_day", "medical_ratio_pct",
    "medical_cap_yuan", "max_bill_yuan", "recover_on_termination",
)  # fmt: skip


def recorded_policy(settings: Mapping[str, Any], on: date | None = None) -> dict[str, Any]:
    """The fast track's part of ``settings`` (a day's values of the policy book) as its
    ``apply`` event records it: the threshold in fen, the rest as they are."""
    recorded = {"threshold_fen": int(settings["fast_track_threshold_yuan"]) * 100,
                **{key: settings[key] for key in RECORDED}}  # fmt: skip
    if on is not None:
        recorded["in_force_on"] = on.isoformat()
    return recorded


DEFAULT_POLICY = recorded_policy(DEFAULT_SETTINGS)
"""The defaults as an ``apply`` event records them (for tests and tools)."""


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
    "stopped": rereview.STOPPED,
}
FINAL = ("verified", "revoked", "terminated", "rejected", "withdrawn")  # no step of the path left
ENDED = ("stopped", "revoked", "terminated", "rejected", "withdrawn")  # verified: re-reviews

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
    pay_run.TRIGGER: pay_run.LABEL,
    "record_medical_bill": Label("医疗救助结算", "pay medical assistance on a bill"),
    "impose_fine": Label("处以罚款", "impose a fine"),
    "record_repayment": Label("退还追回款", "record a repayment"),
    "write_off": Label("核销欠款", "write off what is owed"),
    **dynamic.TRIGGERS,
    **transfer.TRIGGERS,
}
PAYING = ("provisionally_approved", "verified")


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
    check_applicant(payload)


def _signer_is_member(model: CaseModel, payload: dict[str, Any]) -> None:
    if payload["signed_by"] not in model.facts["member_ids"]:
        raise GuardRejected(
            f"person {payload['signed_by']} is not a member of the applying household; "
            "the commitment must be signed by a member",
            "信用承诺书必须由申请家庭成员签署",
        )


def _outcome(expected: str) -> Guard:
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


def _result(expected: str) -> Guard:
    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        if payload["result"] != expected:
            raise GuardRejected(f"verification result must be '{expected}'", "核对结果不符")

    guard.__name__ = f"result_is_{expected}"
    return guard


# -- effects: change only the in-memory projection ---------------------------------------------
def _approved(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["monthly_amount_fen"] = payload["monthly_amount_fen"]
    model.facts["approved_at"] = iso_utc(at)
    # included that day (the Jiangsu pilot): the month of the approval is paid in full, on its
    # pay day, or at once when the approval comes on or after the pay day
    model.facts["allowance"] = pay_run.start(payload["monthly_amount_fen"],
                                             month_of(local_date(at)), at)  # fmt: skip
    money(model.facts)


def _ended(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    """Revoked or terminated: arrears (if any) paid, recovery ordered (if any), plans ended."""
    model.facts["verification"] = {k: v for k, v in payload.items()
                                   if k not in ("allowance_months", "allowance_fen", "recover",
                                                "credit")}  # fmt: skip
    cash.pay_arrears(model, payload)
    model.facts.pop("allowance", None)  # nothing more falls due
    if payload.get("recover"):
        totals = money(model.facts)
        totals["recovered_fen"] += totals["paid_fen"]
        totals["owed_fen"] += totals["paid_fen"]
    if payload.get("credit"):
        model.facts["credit_record"] = dict(payload["credit"])
    service_plan.end_all(model)  # a revoked or terminated case ends its service plans


def _verified(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["verification"] = {k: v for k, v in payload.items()
                                   if k not in ("allowance_months", "allowance_fen")}  # fmt: skip
    model.facts.pop("assistance_suspended", None)  # a late result that meets the standard
    cash.pay_arrears(model, payload)  # months withheld while the check was overdue
    rereview.schedule(model, payload, at)  # the first re-review by the household's category


def _overdue(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    policy = model.facts["policy"]
    model.facts["overdue"] = {"due_at": payload["due_at"], "reminders": 0}
    if policy.get("suspend_when_overdue", False):
        model.facts["assistance_suspended"] = True
    model.deadlines.pop("verification_due", None)
    model.deadlines["verification_reminder"] = _next_reminder(at, policy)


def _next_reminder(at: datetime, policy: Mapping[str, Any]) -> datetime:
    return at + timedelta(days=policy.get("reminder_days", RECORDED_BEFORE["reminder_days"]))


def _reminded(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    policy = model.facts["policy"]
    model.facts["overdue"]["reminders"] += 1
    model.deadlines["verification_reminder"] = _next_reminder(at, policy)


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
    final=ENDED,
    trigger_labels=TRIGGERS,
    opener=open_facts,
    transitions=(
        Transition("promise", ("applied",), "promised", (_signer_is_member,), record("commitment")),
        Transition(
            "review",
            ("promised",),
            "reviewed",
            (votes_add_up, _outcome("passed")),
            record("appraisal"),
        ),
        Transition(
            "fail_appraisal",
            ("promised",),
            "rejected",
            (votes_add_up, _outcome("failed")),
            record("appraisal"),
        ),
        Transition(
            "approve", ("reviewed",), "provisionally_approved", (_amount_in_policy,), _approved
        ),
        Transition("refuse", ("reviewed",), "rejected", (), record("refusal")),
        Transition(
            "verify",
            ("provisionally_approved",),
            "verified",
            (_result("meets_standard"), cash.arrears_agree("withheld"), rereview.cycle_agrees),
            _verified,
        ),
        Transition(
            "revoke",
            ("provisionally_approved",),
            "revoked",
            (_result("falsification"), cash.arrears_agree(None)),
            _ended,
        ),
        Transition(
            "terminate",
            ("provisionally_approved",),
            "terminated",
            (_result("fails_without_falsification"), cash.arrears_agree("through")),
            _ended,
        ),
        Transition("withdraw", PENDING, "withdrawn", (), record("withdrawal")),
        Transition("mark_overdue", ("provisionally_approved",), None, (), _overdue, system=True),
        Transition("remind", ("provisionally_approved",), None, (), _reminded, system=True),
        Transition(
            pay_run.TRIGGER,
            (*PAYING, "stopped"),
            None,
            (pay_run.month_is_next,),
            pay_run.paid,
            system=True,
        ),  # fmt: skip
        *dynamic.transitions(("verified",), "stopped"),
        *transfer.transitions(STATES, ENDED),  # moving house: the case goes with the household
        Transition("record_medical_bill", PAYING, None, (cash.bill_is_eligible,), cash.bill_paid),
        Transition("impose_fine", ("revoked",), None, (cash.fine_allowed,), cash.fined),
        Transition(
            "record_repayment",
            ("revoked", "terminated"),
            None,
            (cash.within_owed("repayment", "退还"),),
            cash.reduces_owed("repaid_fen"),
        ),
        Transition(
            "write_off",
            ("revoked", "terminated"),
            None,
            (cash.within_owed("write-off", "核销"),),
            cash.reduces_owed("written_off_fen"),
        ),
    ),
    deadline_rules=(
        DeadlineRule(
            "verification_due", "provisionally_approved", _verification_due, fires="mark_overdue"
        ),
        DeadlineRule("verification_reminder", "provisionally_approved", fires="remind"),
        pay_run.RULE,
        *dynamic.RULES,
    ),
    subflows={
        "plan": SubFlow(
            service_plan.WORKFLOW,
            collection="plans",
            id_key="plan_id",
            open_trigger="open",
            may_open=_plans_allowed,
            after_open=service_plan.after_open,
        ),
        "oneoff": SubFlow(
            oneoff.WORKFLOW,
            collection="oneoffs",
            id_key="oneoff_id",
            open_trigger="opened",
            may_open=_plans_allowed,
            after_open=oneoff.after_open,
        ),
    },
    allowance_states=(*PAYING, "stopped"),
    hooks={**cash.HOOKS, **pay_run.HOOKS},
)

__all__ = ["NAME", "VERSION", "WORKFLOW", "DEFAULT_POLICY", "RECORDED", "RECORDED_BEFORE",
           "recorded_policy", "open_facts"]  # fmt: skip
