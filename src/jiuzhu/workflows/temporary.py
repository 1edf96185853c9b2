"""临时救助 — temporary assistance, with Qinhuai's "1+4" for new citizens (docs/domain.md §5, People's Daily report).

"1": the family is judged by its actual situation where it lives and works.  "4": at least one
of four conditions holds, each recorded with its evidence:

1. ``income`` -- with income, the six-month average (monthly, per person) is below 2 x the
   dibao line in force (a policy ratio);
2. ``dependants`` -- a co-migrant member with serious illness or disability, a minor, or an
   elderly person without income, causing large rigid expenses;
3. ``sudden_event`` -- fire, traffic accident, natural disaster or another sudden event causing
   casualties or losses;
4. ``commitment`` -- a household member signed an integrity commitment declaring difficulty.

The grant is multiplier (1-5, policy) x the dibao line in force on the decision's day x the
household size, split into cash and in-kind parts; its payment books ``temporary_cash`` and
``temporary_in_kind`` ledger entries.  In an emergency the township may assist first (先行救助,
H §2(2)): the grant is paid at once and a working-day deadline tracks the paperwork (the "1+4"
assessment) still to complete; if it passes, the case goes on the county's alarm list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..clock import iso_utc
from ..errors import GuardRejected
from ..ledger import Booking
from ..money import yuan
from . import fast_track_money, out_of_area, transfer
from .base import Workflow
from .common import check_applicant, limit_passed, record
from .hooks import Booked, Books, Hooks
from .model import CaseModel, DeadlineRule, Effect, Guard, Label, Transition
from .out_of_area import ending
from .workdays import workday_limit

NAME = "temporary"
VERSION = 1
PROGRAMME = "temporary"

STATES = {
    "applied": Label("已申请", "applied"),
    "assessed": Label("已评估（1+4）", "assessed (1+4)"),
    "approved": Label("已批准", "approved"),
    "assisted_first": Label("先行救助待补手续", "assisted first, paperwork pending"),
    "paid": Label("已发放", "paid"),
    "closed": Label("已结案", "closed"),
    "rejected": Label("不予救助", "rejected"),
    "withdrawn": Label("已撤回", "withdrawn"),
}
FINAL = ("closed", "rejected", "withdrawn")

TRIGGERS = {
    "apply": Label("提交临时救助申请", "apply"),
    "assess": Label("“1+4”评估", "assess the 1+4 conditions"),
    "approve": Label("批准临时救助", "approve the grant"),
    "reject": Label("不予救助", "reject"),
    "pay": Label("发放救助（现金和实物）", "pay the grant (cash and in kind)"),
    "assist_first": Label("先行救助", "assist first"),
    "complete_paperwork": Label("补齐手续（1+4评估）", "complete the paperwork"),
    "close": Label("结案", "close"),
    "mark_limit_passed": Label("补办手续逾期", "paperwork limit passed"),
    "withdraw": Label("撤回申请", "withdraw"),
    **out_of_area.TRIGGERS,
    **transfer.TRIGGERS,
}
CONDITIONS = {
    "income": Label("收入低于两倍低保标准", "six-month average income below 2 x the dibao line"),
    "dependants": Label("共同生活成员重病、残疾、未成年或无收入老人，刚性支出较大",
                        "co-migrant member ill, disabled, a minor or elderly without income"),
    "sudden_event": Label("火灾、交通事故、自然灾害等突发事件", "fire, accident, disaster or other "
                          "sudden event"),
    "commitment": Label("签署诚信承诺书声明家庭困难", "signed integrity commitment"),
}  # fmt: skip
KINDS = {
    "emergency": Label("急难型", "emergency"),
    "expenditure": Label("支出型", "expenditure"),
}
LIMITS = {
    "paperwork_due": Label("先行救助补办手续时限", "paperwork after assisting first"),
    **out_of_area.LIMITS,
}
LIVE = ("applied", "assessed", "approved", "assisted_first", "paid")


# -- the "1+4" assessment ------------------------------------------------------------------------
def income_limit_fen(policy: Mapping[str, Any]) -> int:
    return int(policy["temporary_income_multiple"]) * int(policy["dibao_line_fen"])


def _assessment_holds(model: CaseModel, payload: dict[str, Any]) -> None:
    """Every condition claimed has evidence, condition 1 agrees with its numbers, and at least
    one condition holds."""
    conditions = payload["conditions"]
    unknown = set(conditions) - set(CONDITIONS)
    if unknown:
        raise GuardRejected(f"unknown conditions {sorted(unknown)}", "未知的救助条件")
    for name, item in conditions.items():
        if item["holds"] and not item.get("evidence"):
            raise GuardRejected(f"condition '{name}' holds but has no evidence",
                                f"条件“{CONDITIONS[name].zh}”缺少证明材料")  # fmt: skip
    income = conditions.get("income")
    if income is not None:
        limit = income_limit_fen(payload["policy"])
        if income["limit_fen"] != limit or income["holds"] != (income["average_fen"] < limit):
            raise GuardRejected("condition 1 does not agree with the income and the line",
                                "收入条件与收入、低保标准不符")  # fmt: skip
    commitment = conditions.get("commitment")
    if commitment is not None and commitment["holds"]:
        if commitment.get("signed_by") not in model.facts["member_ids"]:
            raise GuardRejected("the integrity commitment must be signed by a household member",
                                "诚信承诺书须由家庭成员签署")  # fmt: skip
    if not any(item["holds"] for item in conditions.values()):
        raise GuardRejected(
            "none of the four conditions holds: temporary assistance needs at least one "
            "(income below 2 x line, dependants, a sudden event, or a signed commitment)",
            "“1+4”四项条件均不符合，不能给予临时救助（至少须符合一项）",
        )


def _grant_agrees(model: CaseModel, payload: dict[str, Any]) -> None:
    """Multiplier within policy; total = multiplier x line x size; cash + in kind = total."""
    policy, multiplier = payload["policy"], payload["multiplier"]
    low, high = policy["temporary_multiplier_min"], policy["temporary_multiplier_max"]
    if not low <= multiplier <= high:
        raise GuardRejected(
            f"multiplier {multiplier} is outside {low}-{high} times the dibao line",
            f"救助倍数 {multiplier} 超出 {low}—{high} 倍低保标准的范围",
        )
    size = len(model.facts["member_ids"])
    total = multiplier * policy["dibao_line_fen"] * size
    if payload["total_fen"] != total:
        raise GuardRejected(f"grant {yuan(payload['total_fen'])} != {multiplier} x line x {size} "
                            f"= {yuan(total)} yuan", "救助金额计算不符")  # fmt: skip
    if not 0 <= payload["in_kind_fen"] <= total or payload["cash_fen"] != total - payload[
            "in_kind_fen"]:  # fmt: skip
        raise GuardRejected(
            f"in kind {yuan(payload['in_kind_fen'])} and cash {yuan(payload['cash_fen'])} must "
            f"add up to the grant of {yuan(total)} yuan",
            "现金与实物部分之和须等于救助金额",
        )


def _pays_the_grant(model: CaseModel, payload: dict[str, Any]) -> None:
    grant = model.facts["grant"]
    if (payload["cash_fen"], payload["in_kind_fen"]) != (grant["cash_fen"], grant["in_kind_fen"]):
        raise GuardRejected("the payment must be the approved cash and in-kind amounts",
                            "发放金额须与批准的现金、实物金额一致")  # fmt: skip


def grant_lines(payload: Mapping[str, Any], booked: Booked) -> list[Booking]:
    """The ledger lines a paying event books: the cash part, then the in-kind part (a part of
    zero fen is omitted, so the other one is line 0)."""
    parts = (("temporary_cash", payload["cash_fen"]), ("temporary_in_kind", payload["in_kind_fen"]))
    return [Booking(kind, fen) for kind, fen in parts if fen > 0]


GRANT_PAID = Books(("temporary_cash", "temporary_in_kind"), grant_lines)


# -- effects -------------------------------------------------------------------------------------
def _granted(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["grant"] = dict(payload)


def _paid(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["paid"] = {"cash_fen": payload["cash_fen"], "in_kind_fen": payload["in_kind_fen"],
                           "paid_at": iso_utc(at)}  # fmt: skip


def _assisted_first(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    _granted(model, payload, at)
    _paid(model, payload, at)


def _paperwork_done(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["assessment"] = dict(payload)
    model.done.add("paperwork_due")
    for alarm in model.facts.get("alarms", []):
        alarm["resolved_at"] = alarm["resolved_at"] or iso_utc(at)


def _paperwork_due(entered_at: datetime, policy: Mapping[str, Any]) -> datetime:
    return workday_limit(entered_at, int(policy["assist_first_paperwork_wd"]))


def check_application(payload: Mapping[str, Any]) -> None:
    check_applicant(payload)
    if payload["kind"] not in KINDS:
        raise GuardRejected(f"kind '{payload['kind']}' is not one of {', '.join(KINDS)}",
                            "临时救助类型应为急难型或支出型")  # fmt: skip


def open_facts(payload: Mapping[str, Any]) -> dict[str, Any]:
    check_application(payload)
    return {k: payload[k] for k in sorted(payload)}


def _t(trigger: str, source: tuple[str, ...], dest: str | None, guards: tuple[Guard, ...] = (),
       effect: Effect | None = None, system: bool = False) -> Transition:  # fmt: skip
    return Transition(trigger, source, dest, guards, effect, system)


TRANSITIONS = (
    _t("assess", ("applied",), "assessed", (_assessment_holds,), record("assessment")),
    _t("approve", ("assessed",), "approved", (_grant_agrees,), _granted),
    _t("reject", ("applied", "assessed"), "rejected", (), ending(record("rejection"))),
    _t("pay", ("approved",), "paid", (_pays_the_grant,), _paid),
    _t("assist_first", ("applied",), "assisted_first", (_grant_agrees,), _assisted_first),
    _t("complete_paperwork", ("assisted_first",), "paid", (_assessment_holds,), _paperwork_done),
    _t("close", ("paid",), "closed", (), ending(record("closing"))),
    _t("mark_limit_passed", ("assisted_first",), None, (), limit_passed, system=True),
    _t("withdraw", ("applied", "assessed"), "withdrawn", (), ending(record("withdrawal"))),
    *out_of_area.transitions(LIVE),
    *transfer.transitions(STATES, FINAL),  # moving house: the case goes with the household
)
HOOKS = {
    "pay": Hooks(books=(GRANT_PAID,)),
    "assist_first": Hooks(books=(GRANT_PAID,)),
    "record_medical_bill": fast_track_money.HOOKS["record_medical_bill"],
}


def build(version: int = VERSION, *, states: Mapping[str, Label] = STATES,
          transitions: tuple[Transition, ...] = TRANSITIONS,
          trigger_labels: Mapping[str, Label] = TRIGGERS) -> Workflow:  # fmt: skip
    """The temporary-assistance workflow (a later version may change it)."""
    return Workflow(
        name=NAME,
        version=version,
        states=states,
        initial="applied",
        final=FINAL,
        trigger_labels=trigger_labels,
        opener=open_facts,
        transitions=transitions,
        deadline_rules=(
            DeadlineRule(
                "paperwork_due", "assisted_first", _paperwork_due, fires="mark_limit_passed"
            ),
            *out_of_area.RULES,
        ),  # fmt: skip
        hooks=HOOKS,
    )


WORKFLOW = build()
