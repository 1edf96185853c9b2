"""复核 — the periodic re-review of a paying dibao or tekun case (docs/domain.md §4; pure).

The deciding event of a paying case (the standard path's ``confirm``, the fast track's
``verify``) records the household's category (:data:`CATEGORIES`): a household stable in the
short term is re-reviewed yearly, one with unstable income or members able to work every 6
months (A Art. 31, D), a tekun person yearly (B).  The decision opens ``rereview_due`` at
00:00 Shanghai on the first day of the month that many months after the decision month
(:func:`next_review_due`): confirmed in 2024-01, a stable household is due 2025-01-01.

When ``rereview_due`` fires (``start_review``), or a township opens one early
(``open_review``), the case enters a re-review, kept in ``facts["review"]``: the village
investigates (``investigate_review``), the township gives its opinion (``give_review_opinion``),
the county decides (``decide_review``), each step within its working-day limit (settings
``review_village_workdays``, ``review_township_workdays``, ``review_county_workdays``; a
passed limit fires ``mark_limit_passed`` and puts the case on the county's alarm list until
the step is done).  The case keeps paying throughout.

The county's four outcomes, each with written reasons: ``continue`` (the next review by the
cycle), ``change`` the amount from a month not yet paid (the allowance's ``changes``: see
:func:`jiuzhu.workflows.allowance.amount_for`), ``suspend`` (the allowance is withheld until a
later re-review continues or changes it), ``stop`` (the allowance's ``last_month`` is the
decision month; the case ends in ``stopped``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..clock import SHANGHAI, iso_utc, local_date
from ..errors import GuardRejected
from ..money import yuan
from . import service_plan
from .calendar import month_of
from .common import limit_passed
from .model import CaseModel, DeadlineRule, Firing, Label, Transition
from .workdays import workday_limit

CATEGORIES = {
    "stable": Label("短期内收入变化不大", "stable in the short term"),
    "unstable": Label("收入不稳定", "unstable income"),
    "able_to_work": Label("有劳动能力成员", "members able to work"),
    "tekun": Label("特困人员", "tekun (extremely poor person)"),
}
CYCLE_SETTING = {
    "stable": "review_months_stable",
    "unstable": "review_months_unstable",
    "able_to_work": "review_months_unstable",
    "tekun": "review_months_tekun",
}
OUTCOMES = {
    "continue": Label("继续保障", "continue"),
    "change": Label("调整保障金额", "change the amount"),
    "suspend": Label("暂停发放", "suspend"),
    "stop": Label("停止保障", "stop"),
}
STEPS = {  # the review's step -> (its limit's deadline kind, its working-day setting)
    "investigating": ("review_village_due", "review_village_workdays"),
    "opinion": ("review_township_due", "review_township_workdays"),
    "deciding": ("review_county_due", "review_county_workdays"),
}
STEP_LABELS = {
    "investigating": Label("村级入户调查", "village investigation"),
    "opinion": Label("乡镇审核意见", "township opinion"),
    "deciding": Label("县级复核决定", "county decision"),
}
LIMITS = {
    "review_village_due": Label("复核入户调查时限", "re-review: village investigation"),
    "review_township_due": Label("复核乡镇意见时限", "re-review: township opinion"),
    "review_county_due": Label("复核县级决定时限", "re-review: county decision"),
}
TRIGGERS = {
    "start_review": Label("复核到期", "re-review due"),
    "open_review": Label("启动复核", "open a re-review"),
    "investigate_review": Label("复核入户调查", "re-review: investigate"),
    "give_review_opinion": Label("复核乡镇意见", "re-review: township opinion"),
    "decide_review": Label("复核决定", "re-review: county decision"),
    "stop_review": Label("复核决定停止保障", "re-review: stop"),
    "mark_limit_passed": Label("超过办理时限", "limit passed"),
}
DUE = "rereview_due"  # ("review_due" is the standard path's county-review limit)
RECHECK = "recheck_due"  # a change of circumstance's re-review falls due (.circumstance)
RIGID = "rigid_expenditure_due"  # a rigid-expenditure status ends unless renewed (.circumstance)
RECORDED = ("review_months_stable", "review_months_unstable", "review_months_tekun",
            "review_village_workdays", "review_township_workdays", "review_county_workdays")  # fmt: skip
STOPPED = Label("已停止保障", "stopped after a re-review")


def cycle(category: str, policy: Mapping[str, Any]) -> dict[str, Any]:
    """What a deciding event records of the re-review cycle: the category, its months and the
    re-review settings in force (``policy`` holds at least :data:`RECORDED`)."""
    check_category(category)
    return {"category": category, "months": int(policy[CYCLE_SETTING[category]]),
            "policy": {k: policy[k] for k in RECORDED}}  # fmt: skip


def default_category(facts: Mapping[str, Any]) -> str:
    """The category a decision records when none is given: the current cycle's, else tekun
    for a tekun case and ``stable`` for a dibao one."""
    current = facts.get("review_cycle")
    if current:
        return str(current["category"])
    return "tekun" if facts.get("programme") == "tekun" else "stable"


def check_category(category: object) -> None:
    if category not in CATEGORIES:
        raise GuardRejected(
            f"household category '{category}' is not one of {', '.join(CATEGORIES)}",
            f"家庭类别“{category}”应为："
            + "、".join(f"{k}（{v.zh}）" for k, v in CATEGORIES.items()),
            category=str(category),
        )


def next_review_due(decided_at: datetime, months: int) -> datetime:
    """00:00 Shanghai on the first day of the month ``months`` after the decision's month."""
    day = local_date(decided_at)
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return datetime(year, month + 1, 1, tzinfo=SHANGHAI).astimezone(UTC)


# -- the cycle, opened by the deciding event ------------------------------------------------------
def cycle_agrees(model: CaseModel, payload: dict[str, Any]) -> None:
    """Guard of a deciding event: a recorded cycle names a known category and its months."""
    recorded = payload.get("review")
    if recorded is None:  # decisions recorded before re-reviews were encoded
        return
    check_category(recorded["category"])
    expected = int(recorded["policy"][CYCLE_SETTING[recorded["category"]]])
    if recorded["months"] != expected:
        raise GuardRejected(f"re-review cycle {recorded['months']} months differs from the "
                            f"{expected} months the policy sets",
                            f"复核周期 {recorded['months']} 个月与政策规定的 {expected} 个月不符")  # fmt: skip


def schedule(model: CaseModel, payload: Mapping[str, Any], at: datetime) -> None:
    """Effect part: keep the cycle and open ``rereview_due`` (nothing without a cycle)."""
    recorded = payload.get("review")
    if recorded is None:
        return
    model.facts["review_cycle"] = dict(recorded)
    model.deadlines[DUE] = next_review_due(at, int(recorded["months"]))


# -- guards ---------------------------------------------------------------------------------------
def _no_review_open(model: CaseModel, payload: dict[str, Any]) -> None:
    if model.facts.get("review") is not None:
        raise GuardRejected("a re-review is already under way", "复核正在进行中")
    if "policy" not in payload and "review_cycle" not in model.facts:
        # the township's opening carries the settings; a case decided before re-reviews were
        # encoded (or brought in) enters the cycle by its first re-review's decision
        raise GuardRejected("this case records no re-review cycle", "本案未记录复核周期")


def at_step(step: str) -> Any:
    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        review = model.facts.get("review")
        current = review["state"] if review else None
        if current != step:
            shown = STEP_LABELS[current] if current else Label("无复核", "no re-review")
            raise GuardRejected(
                f"the re-review is at '{shown.en}', not at '{STEP_LABELS[step].en}'",
                f"复核当前为“{shown.zh}”，不是“{STEP_LABELS[step].zh}”",
            )

    guard.__name__ = f"review_at_{step}"
    return guard


def _decision_holds(model: CaseModel, payload: dict[str, Any]) -> None:
    outcome = payload["outcome"]
    if outcome not in OUTCOMES:
        raise GuardRejected(f"outcome '{outcome}' is not one of {', '.join(OUTCOMES)}",
                            "复核决定应为继续、调整、暂停或停止")  # fmt: skip
    if not str(payload.get("reasons") or "").strip():
        raise GuardRejected("a re-review decision states its reasons in writing",
                            "复核决定须书面说明理由")  # fmt: skip
    if outcome != "stop":
        cycle_agrees(model, payload)
    if outcome != "change":
        return
    allowance = model.facts.get("allowance") or {}
    first_unpaid = allowance.get("next_month", "")
    if payload["from_month"] < first_unpaid:
        raise GuardRejected(
            f"the new amount cannot start in {payload['from_month']}: the first month not yet "
            f"paid is {first_unpaid} (the months before it are paid already or not payable); "
            f"choose {first_unpaid} or later",
            f"新金额不能从 {payload['from_month']} 起执行：尚未发放的第一个月为 {first_unpaid}"
            f"（此前月份已发放或不予发放），请选择 {first_unpaid} 或以后的月份",
            from_month=payload["from_month"], first_unpaid=first_unpaid,
        )  # fmt: skip
    maximum = int(payload["max_monthly_amount_yuan"]) * 100
    if not 0 < payload["monthly_fen"] <= maximum:
        raise GuardRejected(f"a monthly amount must be within (0, {yuan(maximum)}] yuan",
                            f"月救助金额应在 (0, {yuan(maximum)}] 元之内")  # fmt: skip


# -- effects --------------------------------------------------------------------------------------
def _arm_step(model: CaseModel, step: str, at: datetime) -> None:
    review = model.facts["review"]
    review["state"] = step
    kind, setting = STEPS[step]
    model.deadlines[kind] = workday_limit(at, int(review["policy"][setting]))


def _close_step(model: CaseModel, step: str, at: datetime) -> None:
    close(model, STEPS[step][0], at)


def close(model: CaseModel, kind: str, at: datetime) -> None:
    """Deadline ``kind`` is done: closed, and its alarm (if it passed) resolved."""
    if model.deadlines.pop(kind, None) is not None:
        model.done.add(kind)
    for alarm in model.facts.get("alarms", []):
        if alarm["limit"] == kind and alarm["resolved_at"] is None:
            alarm["resolved_at"] = iso_utc(at)


def opened(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    policy = payload.get("policy") or model.facts["review_cycle"]["policy"]
    number = len(model.facts.get("reviews", [])) + 1
    model.facts["review"] = {"number": number, "reason": payload["reason"],
                             "opened_at": iso_utc(at), "policy": dict(policy)}  # fmt: skip
    if model.deadlines.pop(DUE, None) is not None and payload.get("deadline") == DUE:
        model.done.add(DUE)
    _arm_step(model, "investigating", at)


def _investigated(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["review"]["investigation"] = dict(payload)
    _close_step(model, "investigating", at)
    _arm_step(model, "opinion", at)


def _opinion(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    model.facts["review"]["opinion"] = dict(payload)
    _close_step(model, "opinion", at)
    _arm_step(model, "deciding", at)


def conclude(model: CaseModel, decision: dict[str, Any], at: datetime) -> None:
    """The open re-review is decided: its county step and any re-check after a change of
    circumstance are done, and it joins ``facts["reviews"]``."""
    review = model.facts.pop("review")
    _close_step(model, "deciding", at)
    close(model, RECHECK, at)
    review.update(state="decided", decision=decision, decided_at=iso_utc(at))
    model.facts.setdefault("reviews", []).append(review)


def end(model: CaseModel, last_month: str, at: datetime, **stopped: Any) -> None:
    """The case stops: paid through ``last_month``, nothing after; its plans end."""
    allowance = model.facts.get("allowance")
    if allowance is not None:
        allowance["last_month"] = last_month
    model.deadlines.pop(RIGID, None)  # a stopped case needs no renewal
    model.facts["stopped"] = {"on": local_date(at).isoformat(), **stopped}
    service_plan.end_all(model)  # a stopped case ends its service plans


def _decided(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    conclude(model, dict(payload), at)
    outcome, allowance = payload["outcome"], model.facts.get("allowance")
    if outcome in ("continue", "change"):
        model.facts.pop("assistance_suspended", None)
    if outcome == "change" and allowance is not None:
        allowance.setdefault("changes", []).append(
            {"from_month": payload["from_month"], "monthly_fen": payload["monthly_fen"]}
        )
        model.facts["monthly_amount_fen"] = payload["monthly_fen"]
    if outcome == "suspend":
        model.facts["assistance_suspended"] = True
    if outcome == "stop":
        end(model, month_of(local_date(at)), at, reasons=payload["reasons"])
        return
    schedule(model, payload, at)


def _due_event(facts: Mapping[str, Any], firing: Firing) -> dict[str, Any]:
    return {"reason": "due"}


def transitions(paying: tuple[str, ...], stopped: str) -> tuple[Transition, ...]:
    """The re-review's transitions in the decided, ``paying`` states: all internal but the
    county's ``stop_review``, which ends the case in ``stopped`` (still paid through the
    decision month)."""
    deciding = (at_step("deciding"), _decision_holds)
    return (
        Transition("start_review", paying, None, (_no_review_open,), opened, system=True),
        Transition("open_review", paying, None, (_no_review_open,), opened),
        Transition(
            "investigate_review", paying, None, (at_step("investigating"),), _investigated
        ),  # fmt: skip
        Transition("give_review_opinion", paying, None, (at_step("opinion"),), _opinion),
        Transition("decide_review", paying, None, (*deciding, _not_stop), _decided),
        Transition("stop_review", paying, stopped, (*deciding, _is_stop), _decided),
        Transition("mark_limit_passed", paying, None, (), limit_passed, system=True),
    )


def _not_stop(model: CaseModel, payload: dict[str, Any]) -> None:
    if payload["outcome"] == "stop":
        raise GuardRejected("a stop is recorded by stop_review", "停止保障应以停止决定记录")


def _is_stop(model: CaseModel, payload: dict[str, Any]) -> None:
    if payload["outcome"] != "stop":
        raise GuardRejected("stop_review records a stop only", "停止决定仅用于停止保障")


RULES = (
    DeadlineRule(DUE, None, fires="start_review", event=_due_event),
    *(DeadlineRule(kind, None, fires="mark_limit_passed") for kind, _ in STEPS.values()),
)
