"""Adopting a running case from another system (pure): the ``import`` opening event.

An agency that starts using jiuzhu already has cases under way.  Such a case does not replay
the steps it took elsewhere: its chain opens with one ``import`` event instead of ``apply``,
recording the usual opening facts (household, members, village, policy in force, case number),
the state the case is in, the decision facts (monthly amount in fen, decision day, first month
paid, month paid through, verification due day) and where it came from (the import job, the
source file's SHA-256 and the row number).

:func:`adopt` turns that payload into the projection, in that state, with the deadlines the
workflow's own rules give on entering it (the fast track's verification deadline, counted from
the decision day) and the monthly allowance armed at the first unpaid month.  Only the states
listed in :data:`IMPORTABLE` can be adopted; replay runs the same function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from ..clock import SHANGHAI, iso_utc, local_date
from ..errors import GuardRejected
from ..money import yuan
from . import allowance as pay_run
from . import fast_track, standard
from .base import Workflow
from .calendar import month_of, next_month
from .common import money
from .model import IMPORT, IMPORT_LABEL, CaseModel

LABEL = IMPORT_LABEL

# what an ``import`` payload holds besides the opening facts
DECISION_KEYS = ("monthly_fen", "decided_on", "start_month", "paid_through",
                 "verification_due_on")  # fmt: skip

Adopter = Callable[[CaseModel, Mapping[str, Any], datetime], None]


def day_start(day: str) -> datetime:
    """00:00 Shanghai of ``YYYY-MM-DD``, as a UTC instant (how decision days are entered)."""
    parsed = date.fromisoformat(day)
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=SHANGHAI).astimezone(UTC)


def first_unpaid(decision: Mapping[str, Any]) -> str:
    """The first month jiuzhu pays: the month after ``paid_through``, else ``start_month``."""
    start: str = decision["start_month"]
    through = decision.get("paid_through")
    if through is None:
        return start
    if next_month(through) < start:
        raise GuardRejected(
            f"paid through {through} is before the first month paid {start}",
            f"已发放至 {through} 早于起始发放月份 {start}",
        )
    return next_month(through)


def _amount(model: CaseModel, decision: Mapping[str, Any]) -> int:
    monthly: int = decision["monthly_fen"]
    maximum = int(model.facts["policy"]["max_monthly_amount_yuan"]) * 100
    if not 0 < monthly <= maximum:
        raise GuardRejected(
            f"monthly amount {yuan(monthly)} yuan is outside (0, {yuan(maximum)}] yuan",
            f"月救助金额 {yuan(monthly)} 元不在 (0, {yuan(maximum)}] 元范围内",
        )
    return monthly


def _paying(model: CaseModel, decision: Mapping[str, Any], at: datetime) -> None:
    monthly = _amount(model, decision)
    model.facts["monthly_amount_fen"] = monthly
    model.facts["allowance"] = pay_run.start(monthly, first_unpaid(decision), at)
    money(model.facts)


def _standard_confirmed(model: CaseModel, decision: Mapping[str, Any], at: datetime) -> None:
    decided = day_start(decision["decided_on"])
    if decision["start_month"] <= month_of(local_date(decided)):
        raise GuardRejected(
            f"a confirmed case is paid from the month after the decision "
            f"({decision['decided_on']}), not from {decision['start_month']}",
            f"审核确认的案件自决定次月起发放（决定日 {decision['decided_on']}），"
            f"起始月份不能为 {decision['start_month']}",
        )
    model.facts["decision"] = {"monthly_fen": decision["monthly_fen"], "basis": "imported",
                               "decided_on": decision["decided_on"]}  # fmt: skip
    model.facts["decided_at"] = iso_utc(decided)
    _paying(model, decision, at)


def _fast_track_paying(verified: bool) -> Adopter:
    def adopter(model: CaseModel, decision: Mapping[str, Any], at: datetime) -> None:
        decided = day_start(decision["decided_on"])
        if decision["start_month"] < month_of(local_date(decided)):
            raise GuardRejected(
                f"the first month paid {decision['start_month']} is before the approval "
                f"({decision['decided_on']})",
                f"起始发放月份 {decision['start_month']} 早于批准日 {decision['decided_on']}",
            )
        model.facts["approved_at"] = iso_utc(decided)
        if verified:
            model.facts["verification"] = {"result": "meets_standard", "imported": True}
        _paying(model, decision, at)

    adopter.__name__ = "verified" if verified else "provisionally_approved"
    return adopter


IMPORTABLE: dict[str, dict[str, Adopter]] = {
    standard.NAME: {"confirmed": _standard_confirmed},
    fast_track.NAME: {
        "provisionally_approved": _fast_track_paying(False),
        "verified": _fast_track_paying(True),
    },  # fmt: skip
}
"""The states a running case of each workflow can be brought in at."""


def importable_states(workflow: str) -> tuple[str, ...]:
    return tuple(IMPORTABLE.get(workflow, {}))


def adopt(wf: Workflow, case_id: str, payload: Mapping[str, Any], at: datetime) -> CaseModel:
    """The projection an ``import`` event (``payload``, occurred ``at``) opens."""
    state = payload["state"]
    adopters = IMPORTABLE.get(wf.name, {})
    if state not in adopters:
        known = ", ".join(adopters) or "none"
        raise GuardRejected(
            f"a {wf.name} case cannot be imported in state '{state}'; importable: {known}",
            f"“{wf.name}”流程的案件不能以“{state}”状态导入；可导入状态：{known}",
        )
    facts = {k: payload[k] for k in sorted(payload) if k not in ("state", "decision", IMPORT)}
    facts["imported"] = dict(payload[IMPORT])
    model = CaseModel(case_id, state, facts)
    decision = payload["decision"]
    adopters[state](model, decision, at)
    # the deadlines the workflow's own rules open on entering the state, from the decision day
    wf.enter(model, day_start(decision["decided_on"]))
    due_on = decision.get("verification_due_on")
    if due_on is not None and "verification_due" in model.deadlines:
        model.deadlines["verification_due"] = day_start(due_on)
    return model


__all__ = ["DECISION_KEYS", "IMPORT", "IMPORTABLE", "LABEL", "adopt", "day_start",
           "first_unpaid", "importable_states"]  # fmt: skip
