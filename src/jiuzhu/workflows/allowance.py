"""The monthly allowance, shared by every paying workflow (the fast track, the standard path).

A workflow that pays names its paying states (``Workflow(allowance_states=...)``), includes
:data:`RULE` among its deadline rules and :data:`HOOKS` among its hooks; its deciding effect
puts :func:`start` into the facts.  While the case is in a paying state,
:meth:`Workflow._arm_allowance` keeps an ``allowance_due`` deadline at the pay day of the next
unpaid month, and the worker fires it as :data:`TRIGGER` (``pay_allowance``): one month at a
time, in order, never twice (:func:`month_is_next`), withheld instead of paid while the
assistance is suspended.  Each paid month books one ``allowance`` ledger line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..clock import iso_utc
from ..errors import GuardRejected
from ..ledger import Booking
from ..money import yuan
from .calendar import next_month
from .common import money
from .hooks import Booked, Books, Hooks
from .model import CaseModel, DeadlineRule, Firing, Label

TRIGGER = "pay_allowance"
LABEL = Label("按月发放救助金", "pay the monthly allowance")


def start(monthly_fen: int, first_month: str, at: datetime) -> dict[str, Any]:
    """The ``allowance`` facts of a decision: paid from ``first_month``, not before ``at``."""
    return {"monthly_fen": monthly_fen, "next_month": first_month, "since": iso_utc(at)}


def amount_for(allowance: Mapping[str, Any], month: str) -> int:
    """The monthly amount in fen for ``month``: the decided one, or the latest change a
    re-review made from that month or earlier (``allowance["changes"]``, :mod:`.review`)."""
    fen = int(allowance["monthly_fen"])
    for change in allowance.get("changes", ()):
        if change["from_month"] <= month:
            fen = int(change["monthly_fen"])
    return fen


def pays(allowance: Mapping[str, Any] | None) -> bool:
    """Is a month still to be paid (none after a stopped case's ``last_month``)?"""
    if not allowance:
        return False
    last = allowance.get("last_month")
    return last is None or allowance["next_month"] <= last


def due_month(facts: Mapping[str, Any], firing: Firing) -> dict[str, Any]:
    """What the fired ``allowance_due`` deadline pays: the next unpaid ``month`` at the decided
    ``amount_fen``, or ``withheld`` while the assistance is suspended (paid when a late data
    check meets the standard)."""
    allowance = facts["allowance"]
    payload: dict[str, Any] = {"month": allowance["next_month"]}
    if facts.get("assistance_suspended"):
        payload["withheld"] = True
    else:
        payload["amount_fen"] = amount_for(allowance, allowance["next_month"])
    return payload


def overlapped(payload: Mapping[str, Any], other_case: str) -> dict[str, Any]:
    """The due month withheld because the household's same programme was already paid for it
    by ``other_case`` (F: one assistance chain per household).  The service finds the other
    case in ``household_months`` (workflows never read the database); the month is never
    owed later: it is not among the ``withheld`` months that arrears pay."""
    kept = {k: v for k, v in payload.items() if k != "amount_fen"}
    return {**kept, "withheld": True, "overlap_case": other_case}


def overlapping(payload: Mapping[str, Any], case_id: str | None = None) -> bool:
    """Whether a ``pay_allowance`` payload is withheld as another case's month (one named,
    not ``case_id`` itself)."""
    other = payload.get("overlap_case")
    return bool(payload.get("withheld") and isinstance(other, str) and other and other != case_id)


def month_is_next(model: CaseModel, payload: dict[str, Any]) -> None:
    """Guard: the month is the next unpaid one, at the decided amount (or withheld while the
    assistance is suspended)."""
    allowance: dict[str, Any] = model.facts.get("allowance") or {}
    if not pays(allowance) or payload["month"] != allowance["next_month"]:
        expected = allowance["next_month"] if allowance else "none"
        raise GuardRejected(
            f"allowance for {payload['month']} is not the next month to pay ({expected}): "
            "each month is paid once, in order",
            f"{payload['month']} 不是下一个应发月份（{expected}）：每月只发放一次",
        )
    if payload.get("withheld"):
        if not model.facts.get("assistance_suspended") and not overlapping(payload, model.case_id):
            raise GuardRejected("the allowance is withheld only while suspended", "仅暂停时缓发")
    elif payload["amount_fen"] != amount_for(allowance, payload["month"]):
        raise GuardRejected(
            f"allowance amount {yuan(payload['amount_fen'])} differs from the decided "
            f"{yuan(amount_for(allowance, payload['month']))} yuan",
            "发放金额与决定金额不符",
        )


def paid(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    """Effect: the month is paid (or withheld); the next one is due."""
    allowance = model.facts["allowance"]
    if overlapping(payload):
        allowance.setdefault("overlap", {})[payload["month"]] = payload["overlap_case"]
    elif payload.get("withheld"):
        allowance.setdefault("withheld", []).append(payload["month"])
    else:
        money(model.facts)["paid_fen"] += payload["amount_fen"]
    allowance["next_month"] = next_month(payload["month"])


def _month_paid(payload: Mapping[str, Any], booked: Booked) -> list[Booking]:
    if payload.get("withheld"):
        return []
    return [Booking("allowance", payload["amount_fen"], payload["month"])]


def _months_paid(payload: Mapping[str, Any], booked: Booked) -> list[Booking]:
    return [Booking("allowance", payload["allowance_fen"], month)
            for month in payload.get("allowance_months", ())]  # fmt: skip


MONTH_PAID = Books(("allowance",), _month_paid)
ARREARS_PAID = Books(("allowance",), _months_paid)
"""The months a decision pays at once (``allowance_months`` at ``allowance_fen`` each)."""

RULE = DeadlineRule("allowance_due", None, fires=TRIGGER, event=due_month)
HOOKS = {TRIGGER: Hooks(books=(MONTH_PAID,))}
