"""审核确认 — the standard path of a dibao application (docs/domain.md §4; A = 最低生活保障审核确认办法).

acceptance (受理) → home investigation (入户调查, started within 3 working days, A Art. 15) →
data check (信息核对, the county starts it within 3 working days of the request, A Art. 17) →
township opinion (初审) → 7-day public notice (公示, A Art. 19) → county review within 10
working days (A Art. 20) → confirmed (paid from the month after the decision, A Art. 21) or
rejected with written reasons delivered within 3 working days (A Art. 22).

An objection during the notice sends the case back to a new investigation, or to a democratic
appraisal, and from either to a new opinion and a new notice; an objection makes the case a
special one.  The overall limit is 30 working days from acceptance, 45 in special cases
(objection, household registration split, a hard investigation; E §4(1)).

Every limit is a deadline row counted in Chinese working days (:mod:`.workdays`), from the
periods recorded in the case's policy snapshot.  A limit that passes fires
``mark_limit_passed``: the case goes on its county's alarm list, which shows the alarm until
the late step is done (the overall limit's alarm stays until the decision).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..clock import iso_utc, local_date, parse_iso_utc
from ..errors import GuardRejected
from ..money import yuan
from . import allowance as pay_run
from . import circumstance as dynamic
from . import review as rereview
from . import transfer
from .base import Workflow
from .calendar import month_of, next_month
from .common import check_applicant, limit_passed, record, votes_add_up
from .model import CaseModel, DeadlineRule, Effect, Guard, Label, Transition
from .workdays import calendar_day_limit, workday_limit

NAME = "standard"
VERSION = 1
PROGRAMME = "dibao"

STATES = {
    "applied": Label("已申请", "applied"),
    "accepted": Label("已受理", "accepted"),
    "investigating": Label("入户调查中", "home investigation"),
    "verifying": Label("信息核对中", "data check"),
    "checked": Label("待乡镇初审", "awaiting the township opinion"),
    "public_notice": Label("公示中", "public notice"),
    "appraising": Label("民主评议中", "democratic appraisal"),
    "county_review": Label("县级审核确认中", "county review"),
    "confirmed": Label("审核确认", "confirmed"),
    "rejected": Label("不予确认", "rejected"),
    "withdrawn": Label("已撤回", "withdrawn"),
    "stopped": rereview.STOPPED,
}
FINAL = ("confirmed", "rejected", "withdrawn")  # decided: no step of the application is left
ENDED = ("stopped", "rejected", "withdrawn")  # the workflow's final states (confirmed: re-reviews)
PENDING = ("applied", "accepted", "investigating", "verifying", "checked", "public_notice",
           "appraising", "county_review")  # fmt: skip

TRIGGERS = {
    "apply": Label("提交申请", "apply"),
    "accept": Label("受理申请", "accept the application"),
    "start_investigation": Label("启动入户调查", "start the home investigation"),
    "complete_investigation": Label("完成入户调查并提请核对", "complete the investigation"),
    "start_verification": Label("启动信息核对", "start the data check"),
    "record_check": Label("信息核对结果", "record the data-check result"),
    "recommend": Label("初审同意并公示", "recommend and publish the notice"),
    "not_recommend": Label("初审不同意", "do not recommend"),
    "object_reinvestigate": Label("公示异议：重新调查", "objection: investigate again"),
    "object_appraise": Label("公示异议：民主评议", "objection: democratic appraisal"),
    "appraise": Label("民主评议", "record the democratic appraisal"),
    "close_notice": Label("公示期满无异议", "public notice ended"),
    "confirm": Label("审核确认", "confirm"),
    "reject": Label("不予确认", "reject"),
    "deliver_notice": Label("送达不予确认通知", "deliver the written reasons"),
    "mark_special": Label("特殊情况延长时限", "mark as a special case"),
    "mark_limit_passed": Label("超过办理时限", "limit passed"),
    "withdraw": Label("撤回申请", "withdraw"),
    pay_run.TRIGGER: pay_run.LABEL,
    **dynamic.TRIGGERS,
    **transfer.TRIGGERS,
}

LIMITS = {
    "overall_limit": Label("总办理时限", "overall limit"),
    "investigation_start_due": Label("启动调查时限", "start of the investigation"),
    "verification_start_due": Label("启动核对时限", "start of the data check"),
    "review_due": Label("县级审核时限", "county review"),
    "rejection_notice_due": Label("书面告知时限", "written reasons"),
    **dynamic.LIMITS,
}
CHECK_RESULTS = {
    "meets_standard": Label("符合条件", "meets the standard"),
    "fails": Label("不符合条件", "does not meet the standard"),
}
SPECIAL_REASONS = {
    "objection": Label("公示有异议", "objection during the public notice"),
    "hukou_split": Label("分户等户籍问题", "household registration split"),
    "hard_investigation": Label("调查核实困难", "hard investigation"),
    "other": Label("其他特殊情况", "other special circumstances"),
}
BASES = {"line_minus_income": "(line - per-capita income) x household size", "fixed": "fixed"}


# -- limits ------------------------------------------------------------------------------------
def _wd(setting: str) -> Callable[[datetime, Mapping[str, Any]], datetime]:
    def due(entered_at: datetime, policy: Mapping[str, Any]) -> datetime:
        return workday_limit(entered_at, int(policy[setting]))

    due.__name__ = f"{setting}_after"
    return due


def _notice_ends(entered_at: datetime, policy: Mapping[str, Any]) -> datetime:
    return calendar_day_limit(entered_at, int(policy["public_notice_days"]))


def overall_due(facts: Mapping[str, Any]) -> datetime:
    """30 (special: 45) working days from acceptance."""
    policy = facts["policy"]
    key = "standard_special_limit_wd" if facts.get("special") else "standard_limit_wd"
    return workday_limit(parse_iso_utc(facts["accepted_at"]), int(policy[key]))


# -- alarms ------------------------------------------------------------------------------------
def _resolved(alarm: Mapping[str, Any], model: CaseModel) -> bool:
    """Has the late step of ``alarm`` been done (its limit no longer open or owed)?"""
    limit, facts = alarm["limit"], model.facts
    if limit == "overall_limit":
        return model.state in FINAL
    if limit == "rejection_notice_due":
        return "rejection_notice" in facts
    if limit == "verification_start_due":
        return model.state != "verifying" or "verification_started" in facts
    raised_in: str = alarm["state"]
    return model.state != raised_in


def _settle(model: CaseModel, at: datetime) -> None:
    for alarm in model.facts.get("alarms", []):
        if alarm["resolved_at"] is None and _resolved(alarm, model):
            alarm["resolved_at"] = iso_utc(at)


def open_alarms(facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [a for a in facts.get("alarms", []) if a["resolved_at"] is None]


# -- guards ------------------------------------------------------------------------------------
check_application = check_applicant


def _two_investigators(model: CaseModel, payload: dict[str, Any]) -> None:
    people = payload["investigators"]
    if len(set(people)) < 2:
        raise GuardRejected(
            f"a home investigation needs at least 2 investigators, {len(set(people))} named",
            "入户调查应由不少于 2 名工作人员进行",
        )


def _signed(model: CaseModel, payload: dict[str, Any]) -> None:
    if payload["signed_by"] not in model.facts["member_ids"]:
        raise GuardRejected("the investigation record must be signed by a household member",
                            "调查记录须由申请家庭成员签字确认")  # fmt: skip
    if not set(payload["investigators"]) >= set(model.facts["investigation"]["investigators"]):
        raise GuardRejected("every investigator who visited must sign the record",
                            "参与入户调查的工作人员均须签字")  # fmt: skip


def _result(expected: tuple[str, ...]) -> Guard:
    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        if payload["result"] not in expected:
            raise GuardRejected(f"result must be one of {expected}", "核对结果不符")

    guard.__name__ = f"result_in_{'_'.join(expected)}"
    return guard


def _recommendable(model: CaseModel, payload: dict[str, Any]) -> None:
    if model.facts.get("check", {}).get("result") != "meets_standard":
        raise GuardRejected(
            "the data check did not find the household within the standard; the township "
            "cannot recommend it (use not_recommend with reasons)",
            "信息核对结果为不符合条件，乡镇不能提出同意意见",
        )


def _amount_agrees(model: CaseModel, payload: dict[str, Any]) -> None:
    """The monthly amount is (line - per-capita income) x size, or a fixed amount in range."""
    monthly, facts = payload["monthly_fen"], model.facts
    maximum = payload["policy"]["max_monthly_amount_yuan"] * 100
    if payload["basis"] == "line_minus_income":
        size = len(facts["member_ids"])
        income = facts["investigation"]["household_income_fen"]
        expected = payload["policy"]["dibao_line_fen"] * size - income
        if expected <= 0:
            raise GuardRejected(
                f"household income {yuan(income)} yuan a month is not below the line of "
                f"{yuan(payload['policy']['dibao_line_fen'])} yuan x {size} people; nothing to "
                "top up (reject, or decide a fixed amount with reasons)",
                "家庭月收入不低于低保标准，无差额可补",
            )
        if monthly != expected:
            raise GuardRejected(f"monthly amount {yuan(monthly)} != line x size - income "
                                f"= {yuan(expected)} yuan", "月救助金额计算不符")  # fmt: skip
    elif payload["basis"] != "fixed" or not 0 < monthly <= maximum:
        raise GuardRejected(f"a fixed monthly amount must be within (0, {yuan(maximum)}] yuan",
                            "固定救助金额超出范围")  # fmt: skip


def _not_special_yet(model: CaseModel, payload: dict[str, Any]) -> None:
    if model.facts.get("special"):
        raise GuardRejected("the case is already a special case (45 working days)",
                            "该案件已按特殊情况延长时限")  # fmt: skip


# -- effects -------------------------------------------------------------------------------------
def _accepted(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["accepted_at"] = iso_utc(at)
    model.deadlines["overall_limit"] = overall_due(model.facts)


def _make_special(model: CaseModel, reason: str) -> None:
    if not model.facts.get("special"):
        model.facts["special"] = reason
        if "overall_limit" in model.deadlines:  # still running: it becomes 45 working days
            model.deadlines["overall_limit"] = overall_due(model.facts)


def _marked_special(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    _make_special(model, payload["reason"])


def _investigation_started(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["investigation"] = dict(payload)
    model.done.add("investigation_start_due")


def _investigation_done(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["investigation"].update(payload)
    model.facts.pop("check", None)  # a new data check follows a new investigation
    model.facts.pop("verification_started", None)


def _verification_started(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["verification_started"] = dict(payload)
    if model.deadlines.pop("verification_start_due", None) is not None:
        model.done.add("verification_start_due")


def _checked(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["check"] = dict(payload)
    model.done.add("verification_start_due")


def _notice(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["opinion"] = dict(payload)
    model.facts["notices"] = model.facts.get("notices", 0) + 1


def _objection(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts.setdefault("objections", []).append(dict(payload))
    _make_special(model, "objection")
    if "investigators" in payload:  # investigated again, by the staff the objection names
        model.facts["investigation"] = {"investigators": payload["investigators"],
                                        "started_on": payload["objected_on"]}  # fmt: skip


def _decided(model: CaseModel, at: datetime) -> None:
    model.facts["decided_at"] = iso_utc(at)
    for kind in ("overall_limit", "review_due"):
        if model.deadlines.pop(kind, None) is not None:
            model.done.add(kind)


def _confirmed(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["decision"] = dict(payload)
    model.facts["monthly_amount_fen"] = payload["monthly_fen"]
    _decided(model, at)
    # paid from the month after the decision (A Art. 21), by the monthly payment run
    first = next_month(month_of(local_date(at)))
    model.facts["allowance"] = pay_run.start(payload["monthly_fen"], first, at)
    rereview.schedule(model, payload, at)  # the first re-review by the household's category


def _rejected(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["decision"] = dict(payload)
    _decided(model, at)


def _notice_delivered(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["rejection_notice"] = dict(payload)
    if model.deadlines.pop("rejection_notice_due", None) is not None:
        model.done.add("rejection_notice_due")


def _withdrawn(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["withdrawal"] = dict(payload)
    model.deadlines.pop("overall_limit", None)


def _then_settle(effect: Effect | None) -> Effect:
    """Every transition ends by settling the alarms whose late step is now done."""

    def settled(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
        if effect is not None:
            effect(model, payload, at)
        _settle(model, at)

    settled.__name__ = getattr(effect, "__name__", "no_effect") + "_then_settle"
    return settled


def _t(trigger: str, source: tuple[str, ...], dest: str | None, guards: tuple[Guard, ...] = (),
       effect: Effect | None = None, system: bool = False) -> Transition:  # fmt: skip
    return Transition(trigger, source, dest, guards, _then_settle(effect), system)


def open_facts(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The projection's facts right after the ``apply`` event."""
    check_application(payload)
    return {k: payload[k] for k in sorted(payload)}


LIMITED = ("accepted", "investigating", "verifying", "checked", "public_notice", "appraising",
           "county_review", "rejected")  # fmt: skip

CONFIRM_GUARDS = (_amount_agrees, rereview.cycle_agrees)
PAID = ("confirmed", "stopped")  # a stopped case is paid through its decision month
TRANSITIONS = (
    _t("accept", ("applied",), "accepted", (), _accepted),
    _t(
        "start_investigation",
        ("accepted",),
        "investigating",
        (_two_investigators,),
        _investigation_started,
    ),
    _t("complete_investigation", ("investigating",), "verifying", (_signed,), _investigation_done),
    _t("start_verification", ("verifying",), None, (), _verification_started),
    _t("record_check", ("verifying",), "checked", (_result(tuple(CHECK_RESULTS)),), _checked),
    _t("recommend", ("checked",), "public_notice", (_recommendable,), _notice),
    _t("not_recommend", ("checked",), "county_review", (), record("opinion")),
    _t(
        "object_reinvestigate",
        ("public_notice",),
        "investigating",
        (_two_investigators,),
        _objection,
    ),
    _t("object_appraise", ("public_notice",), "appraising", (), _objection),
    _t("appraise", ("appraising",), "checked", (votes_add_up,), record("appraisal")),
    _t("close_notice", ("public_notice",), "county_review", (), None, system=True),
    _t("confirm", ("county_review",), "confirmed", CONFIRM_GUARDS, _confirmed),
    _t("reject", ("county_review",), "rejected", (), _rejected),
    _t("deliver_notice", ("rejected",), None, (), _notice_delivered),
    _t("mark_special", PENDING[1:], None, (_not_special_yet,), _marked_special),
    _t("mark_limit_passed", LIMITED, None, (), limit_passed, system=True),
    _t("withdraw", PENDING, "withdrawn", (), _withdrawn),
    # the monthly payment run (.allowance) pays a confirmed case from the month after
    Transition(pay_run.TRIGGER, PAID, None, (pay_run.month_is_next,), pay_run.paid, system=True),
    *dynamic.transitions(("confirmed",), "stopped"),  # the re-reviews of a confirmed case
    *transfer.transitions(STATES, ENDED),  # moving house: the case goes with the household
)
LATE = "mark_limit_passed"
DEADLINE_RULES = (
    DeadlineRule("overall_limit", None, fires=LATE),  # opened on acceptance, closed on decision
    DeadlineRule("investigation_start_due", "accepted", _wd("investigation_start_wd"), LATE),
    DeadlineRule("verification_start_due", "verifying", _wd("verification_start_wd"), LATE),
    DeadlineRule("notice_ends", "public_notice", _notice_ends, fires="close_notice"),
    DeadlineRule("review_due", "county_review", _wd("county_review_wd"), LATE),
    DeadlineRule("rejection_notice_due", "rejected", _wd("rejection_notice_wd"), LATE),
    pay_run.RULE,
    *dynamic.RULES,
)


def build(version: int = VERSION, *, states: Mapping[str, Label] = STATES,
          transitions: tuple[Transition, ...] = TRANSITIONS,
          trigger_labels: Mapping[str, Label] = TRIGGERS) -> Workflow:  # fmt: skip
    """The standard workflow (a later version may add states, transitions or labels)."""
    return Workflow(
        name=NAME,
        version=version,
        states=states,
        initial="applied",
        final=ENDED,
        trigger_labels=trigger_labels,
        opener=open_facts,
        transitions=transitions,
        deadline_rules=DEADLINE_RULES,
        allowance_states=PAID,
        hooks=pay_run.HOOKS,
    )


WORKFLOW = build()
