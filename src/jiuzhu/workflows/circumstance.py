"""情况变化 — changes of circumstance on a paying dibao or tekun case (docs/domain.md §4; pure).

A village or township records a change (``record_circumstance``, :data:`KINDS`): a member's
death, a birth, an income change (the household's new monthly income in fen, compared with
the dibao line times the household's size), a move out of the unit, work found, a recovery.
Each change is re-reviewed (E §1(3)): recording it opens the re-review of :mod:`.review` at
once (village investigation, township opinion, county decision; a re-review already under way
takes the change in) and opens ``recheck_due`` ``recheck_months`` calendar months ahead
(default 3); the re-review's decision closes it, and a passed one puts the case on the
county's alarm list until then.  A death or a move out takes the person out of the household
(``facts["members_now"]``), a birth adds the child.

An income change that brings the household to the line or above (``above_line``) lets the
county decide a phase-out (渐退, ``decide_phase_out``) instead of another outcome: 1 to
``phase_out_months_max`` months (default 6, E §1(3)), paid from the first month not yet paid
(:func:`phase_out_months`); the event states them, and the case stops as a re-review's stop
does, with the allowance's ``last_month`` the last of them (paid, then nothing).

A household admitted for rigid expenditure (刚性支出, ``record_rigid_expenditure``) holds the
status ``rigid_expenditure_months`` (default 12, G Art. 10) unless renewed
(``renew_rigid_expenditure``: 12 months from the renewal).  ``rigid_expenditure_due`` falls due
at 00:00 Shanghai on the day it ends; unrenewed, it lapses (``lapse_rigid_expenditure``) and
the case is flagged for a re-review, which opens at once: a stop needs the county's decision
with written reasons (A Arts. 31–32), never an automatic one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..clock import SHANGHAI, iso_utc, local_date
from ..errors import GuardRejected
from ..money import yuan
from . import review
from .allowance import pays
from .calendar import add_months, next_month
from .model import CaseModel, DeadlineRule, Firing, Label, Transition

KINDS = {
    "death": Label("家庭成员死亡", "a member died"),
    "birth": Label("新生儿出生", "a child was born"),
    "income_change": Label("家庭收入变化", "the household's income changed"),
    "moved_out": Label("成员迁出", "a member moved out of the household"),
    "work_found": Label("成员就业", "a member found work"),
    "recovered": Label("成员病愈", "a member recovered from illness"),
}
MEMBER_KINDS = ("death", "moved_out", "work_found", "recovered")  # they name a current member
LEAVING = ("death", "moved_out")  # the member leaves the household
INCOME = "income_change"
RECHECK, RIGID = review.RECHECK, review.RIGID
RECORDED = ("recheck_months", *review.RECORDED)
"""The settings a ``record_circumstance`` event records (the re-review's among them)."""
RIGID_RECORDED = ("rigid_expenditure_months", *review.RECORDED)
OWN_TRIGGERS = {
    "record_circumstance": Label("记录情况变化", "record a change of circumstance"),
    "decide_phase_out": Label("决定渐退", "decide a phase-out"),
    "record_rigid_expenditure": Label("认定刚性支出困难", "record a rigid-expenditure status"),
    "renew_rigid_expenditure": Label("刚性支出认定续期", "renew the rigid-expenditure status"),
    "lapse_rigid_expenditure": Label(
        "刚性支出认定到期未续", "rigid-expenditure status not renewed"
    ),
}
TRIGGERS = {**review.TRIGGERS, **OWN_TRIGGERS}
"""The re-review's triggers and those of the changes of circumstance (a paying workflow's)."""
LIMITS = {
    **review.LIMITS,
    RECHECK: Label("情况变化复核时限", "re-review after a change of circumstance"),
}
DEADLINES = {RIGID: Label("刚性支出认定期满", "rigid-expenditure status ends")}
PHASE_OUT = Label("渐退", "phase-out")
LAPSED_REASON = "rigid_expenditure_not_renewed"


def current_members(facts: Mapping[str, Any]) -> list[str]:
    """The household's members now: the case's, changed by deaths, moves out and births."""
    return list(facts.get("members_now") or facts.get("member_ids") or ())


def above_line(income_fen: int, dibao_line_fen: int, size: int) -> bool:
    """Per-capita income at the line or above: no longer below it, the dibao criterion."""
    return income_fen >= dibao_line_fen * size


def phase_out_months(first_unpaid: str, months: int) -> list[str]:
    """The ``months`` months a phase-out still pays, from the first month not yet paid."""
    out = [first_unpaid]
    while len(out) < months:
        out.append(next_month(out[-1]))
    return out


def rigid_ends(at: datetime, months: int) -> datetime:
    """00:00 Shanghai on the day a status held from ``at``'s day for ``months`` months ends."""
    day = local_date(add_months(at, months))
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)


def _last_day(ends: datetime) -> date:
    return local_date(ends) - timedelta(days=1)


# -- guards ---------------------------------------------------------------------------------------
def _paid_an_allowance(model: CaseModel, payload: dict[str, Any]) -> None:
    if not pays(model.facts.get("allowance")):
        raise GuardRejected(
            f"case {model.case_id} is paid no allowance (or no more): a change of circumstance "
            "is recorded on a running case paid a monthly allowance",
            f"案件 {model.case_id} 未发放（或已停止发放）救助金：情况变化仅适用于正在按月发放救助金的案件",
        )  # fmt: skip


def _change_fits(model: CaseModel, payload: dict[str, Any]) -> None:
    kind, person = payload["kind"], payload.get("person_id")
    if kind not in KINDS:
        raise GuardRejected(
            f"change of circumstance '{kind}' is not one of {', '.join(KINDS)}",
            f"情况变化“{kind}”应为：" + "、".join(f"{k}（{v.zh}）" for k, v in KINDS.items()),
            kind=str(kind),
        )  # fmt: skip
    members = current_members(model.facts)
    if kind in MEMBER_KINDS and person not in members:
        raise GuardRejected(f"{KINDS[kind].en}: person {person} is not a member of the "
                            "household now", f"{KINDS[kind].zh}：{person} 不是本户现有成员",
                            person_id=str(person))  # fmt: skip
    if kind == "birth" and (not person or person in members):
        raise GuardRejected("a birth names the child, a person not yet in the household",
                            "新生儿出生须填写新生儿（尚不在本户的人员）")  # fmt: skip
    if kind != INCOME:
        return
    income, line, size = payload["income_fen"], payload["dibao_line_fen"], payload["household_size"]
    if size != len(members):
        raise GuardRejected(f"household size {size} differs from the {len(members)} members now",
                            f"家庭人数 {size} 与现有成员 {len(members)} 人不符")  # fmt: skip
    if payload["above_line"] != above_line(income, line, size):
        raise GuardRejected(
            f"income {yuan(income)} yuan for {size} people at a line of {yuan(line)} yuan is "
            f"{'' if above_line(income, line, size) else 'not '}at the line or above",
            "收入与低保标准的比较结果不符",
        )  # fmt: skip


def _holds_rigid(held: bool) -> Any:
    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        status = (model.facts.get("rigid_expenditure") or {}).get("status")
        if held and status != "held":
            raise GuardRejected("the household holds no rigid-expenditure status to renew; "
                                "record one", "本户无可续期的刚性支出认定，请先认定")  # fmt: skip
        if not held and status == "held":
            raise GuardRejected("the household holds a rigid-expenditure status already; "
                                "renew it", "本户已有刚性支出认定，请办理续期")  # fmt: skip

    guard.__name__ = "holds_rigid" if held else "holds_no_rigid"
    return guard


def _phase_out_holds(model: CaseModel, payload: dict[str, Any]) -> None:
    open_review = model.facts.get("review") or {}
    numbers = open_review.get("circumstances", ())
    if not any(c["number"] in numbers and c.get("above_line")
               for c in model.facts.get("circumstances", ())):  # fmt: skip
        raise GuardRejected(
            "a phase-out follows a recorded income change that brought the household to the "
            "dibao line or above; this re-review has none: decide it with continue, change, "
            "suspend or stop",
            "渐退仅适用于已记录家庭收入达到或超过低保标准的复核；本次复核无此情况，请作出继续、调整、暂停或停止决定",
        )  # fmt: skip
    months, maximum = payload["months"], int(payload["phase_out_months_max"])
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= maximum:
        raise GuardRejected(f"a phase-out lasts 1 to {maximum} months, not {months}",
                            f"渐退期应为 1 至 {maximum} 个月，收到 {months}",
                            months=str(months))  # fmt: skip
    if not str(payload.get("reasons") or "").strip():
        raise GuardRejected("a phase-out states its reasons in writing", "渐退决定须书面说明理由")
    expected = phase_out_months(model.facts["allowance"]["next_month"], months)
    if payload["paid_months"] != expected:
        raise GuardRejected(f"a phase-out of {months} months pays {', '.join(expected)}",
                            f"{months} 个月的渐退期发放 {'、'.join(expected)}")  # fmt: skip


# -- effects --------------------------------------------------------------------------------------
def _recorded(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    facts, kind, person = model.facts, payload["kind"], str(payload.get("person_id") or "")
    members = current_members(facts)
    if kind in LEAVING:
        members.remove(person)
    elif kind == "birth":
        members.append(person)
    facts["members_now"] = sorted(members)
    number = len(facts.get("circumstances", [])) + 1
    kept = ("person_id", "income_fen", "household_size", "dibao_line_fen", "above_line")
    facts.setdefault("circumstances", []).append(
        {"number": number, "kind": kind, "on": payload["on"], "recorded_at": iso_utc(at),
         **{k: payload[k] for k in kept if k in payload}})  # fmt: skip
    _flag_review(model, f"circumstance:{kind}", payload["policy"], at)
    facts["review"].setdefault("circumstances", []).append(number)
    if RECHECK not in model.deadlines:  # the earliest change sets the re-review's due day
        model.deadlines[RECHECK] = add_months(at, int(payload["policy"]["recheck_months"]))


def _flag_review(model: CaseModel, reason: str, policy: Mapping[str, Any], at: datetime) -> None:
    """Open a re-review at once (one under way takes the reason in)."""
    if model.facts.get("review") is None:
        opening = {"reason": reason, "policy": {k: policy[k] for k in review.RECORDED}}
        review.opened(model, opening, at)
    else:
        model.facts["review"].setdefault("also", []).append(reason)


def _phased_out(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    review.conclude(model, {**payload, "outcome": "phase_out"}, at)
    model.facts.pop("assistance_suspended", None)  # the phase-out months are paid
    months = list(payload["paid_months"])
    model.facts["phase_out"] = {"months": payload["months"], "paid_months": months,
                                "decided_on": local_date(at).isoformat()}  # fmt: skip
    review.end(model, months[-1], at, reasons=payload["reasons"], phase_out=payload["months"])


def _rigid_recorded(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    months = int(payload["policy"]["rigid_expenditure_months"])
    ends = rigid_ends(at, months)
    model.facts["rigid_expenditure"] = {
        "status": "held", "since": local_date(at).isoformat(), "until": _last_day(ends).isoformat(),
        "months": months, "expenditure": payload["expenditure"], "renewals": [],
        "policy": {k: payload["policy"][k] for k in RIGID_RECORDED}}  # fmt: skip
    model.deadlines[RIGID] = ends


def _rigid_renewed(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    status = model.facts["rigid_expenditure"]
    months = int(payload["policy"]["rigid_expenditure_months"])
    ends = rigid_ends(at, months)
    status.update(until=_last_day(ends).isoformat(), months=months)
    status["renewals"].append(local_date(at).isoformat())
    model.deadlines[RIGID] = ends
    model.done.add(RIGID)


def _rigid_lapsed(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    status = model.facts["rigid_expenditure"]
    model.deadlines.pop(RIGID, None)
    status.update(status="lapsed", lapsed_at=iso_utc(at))
    _flag_review(model, LAPSED_REASON, status["policy"], at)


def _lapse_event(facts: Mapping[str, Any], firing: Firing) -> dict[str, Any]:
    return {"until": facts["rigid_expenditure"]["until"]}


def transitions(paying: tuple[str, ...], stopped: str) -> tuple[Transition, ...]:
    """The re-review's transitions and the changes of circumstance in the ``paying`` states;
    a phase-out, like a re-review's stop, ends the case in ``stopped`` (paid through its last
    month)."""
    rigid_held = (_paid_an_allowance, _holds_rigid(True))
    return (
        *review.transitions(paying, stopped),
        Transition(
            "record_circumstance", paying, None, (_paid_an_allowance, _change_fits), _recorded
        ),  # fmt: skip
        Transition(
            "decide_phase_out",
            paying,
            stopped,
            (review.at_step("deciding"), _phase_out_holds),
            _phased_out,
        ),  # fmt: skip
        Transition(
            "record_rigid_expenditure",
            paying,
            None,
            (_paid_an_allowance, _holds_rigid(False)),
            _rigid_recorded,
        ),  # fmt: skip
        Transition("renew_rigid_expenditure", paying, None, rigid_held, _rigid_renewed),
        Transition("lapse_rigid_expenditure", paying, None, (), _rigid_lapsed, system=True),
    )


RULES = (
    *review.RULES,
    DeadlineRule(RECHECK, None, fires="mark_limit_passed"),
    DeadlineRule(RIGID, None, fires="lapse_rigid_expenditure", event=_lapse_event),
)
