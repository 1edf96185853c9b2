"""The fast track's money (docs/domain.md §3, §7): arrears paid with the data check's decision,
recovery on revocation, medical assistance on bills, fines, repayments and write-offs.

Guards and effects keep the projection's running totals (:func:`.common.money`); the hooks say
what each decision records (:func:`decision`) and what each event books (:data:`HOOKS`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from ..clock import local_date, parse_iso_utc
from ..errors import GuardRejected
from ..ledger import Booking, recovering
from ..money import yuan
from .allowance import ARREARS_PAID
from .calendar import month_of, months_through, next_month
from .common import money
from .hooks import Booked, Books, Hooks, amount
from .model import CaseModel, Guard

# the values cases opened before a key was recorded were decided by (never read from the book)
RECORDED_BEFORE = {"medical_ratio_pct": 85, "medical_cap_yuan": 60_000, "reminder_days": 7}


# -- the data check's decision ------------------------------------------------------------------
def arrears(facts: Mapping[str, Any], *, through: str | None) -> list[str]:
    """Months owed to the household now: those withheld, and (``through`` a month) the unpaid
    months up to it -- a termination pays through its own month ("stops from the next")."""
    allowance = facts.get("allowance")
    if not allowance:
        return []
    months = list(allowance.get("withheld", ()))
    if through is not None:
        months += months_through(allowance["next_month"], through)
    return months


def decision(trigger: str) -> Callable[[CaseModel, date, Mapping[str, Any]], dict[str, Any]]:
    """The hook of the data check's decision ``trigger``: what it pays, recovers and records.

    * verify: the months withheld while the check was overdue are paid (``allowance_months``
      at ``allowance_fen`` each);
    * revoke (falsification): nothing more is paid; every yuan paid is to be recovered
      (``recover``); the person who signed the credit commitment goes into the credit record
      (``credit``, with the command's ``reason``);
    * terminate: the allowance is paid through the month of termination (``through_month``)
      and stops from the next; recovery only where the policy says so.
    """

    def decide(model: CaseModel, today: date, args: Mapping[str, Any]) -> dict[str, Any]:
        facts = model.facts
        out: dict[str, Any] = {}
        through = month_of(today) if trigger == "terminate" else None
        if through is not None:
            out["through_month"] = through
        if trigger != "revoke":
            months = arrears(facts, through=through)
            if months:
                out.update(allowance_months=months,
                           allowance_fen=facts["allowance"]["monthly_fen"])  # fmt: skip
        if trigger == "revoke" or (
            trigger == "terminate" and facts.get("policy", {}).get("recover_on_termination")
        ):
            out["recover"] = True
        if trigger == "revoke":
            signer = facts.get("commitment", {}).get("signed_by", facts["applicant_id"])
            out["credit"] = {"person_id": signer, "reason": args.get("reason") or "falsification"}
        return out

    decide.__name__ = f"decide_{trigger}"
    return decide


def pay_arrears(model: CaseModel, payload: dict[str, Any]) -> None:
    overlap = payload.get("overlap_months") or {}
    if overlap:  # paid under another case of the household: never owed by this one
        allowance = model.facts["allowance"]
        allowance.setdefault("overlap", {}).update(overlap)
        allowance["withheld"] = [m for m in allowance.get("withheld", ()) if m not in overlap]
        last = max(overlap)
        if last >= allowance["next_month"]:
            allowance["next_month"] = next_month(last)
    months = payload.get("allowance_months", [])
    if not months:
        return
    allowance = model.facts["allowance"]
    totals = money(model.facts)
    totals["paid_fen"] += len(months) * payload["allowance_fen"]
    allowance["withheld"] = []
    last = max(months)
    if last >= allowance["next_month"]:
        allowance["next_month"] = next_month(last)


def arrears_agree(mode: str | None) -> Guard:
    """The arrears a decision pays must be exactly what is owed: nothing on revocation, the
    withheld months on verification, and through the month of termination on termination."""

    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        want = [] if mode is None else arrears(model.facts, through=payload.get("through_month"))
        overlap = payload.get("overlap_months") or {}
        if any(m not in want or not isinstance(c, str) or not c or c == model.case_id
               for m, c in overlap.items()):  # fmt: skip
            raise GuardRejected(
                f"months {sorted(overlap)} are not owed, or name no other case as paid for them",
                "重复发放月份须为应发月份，并注明已发放的其他案件",
            )
        want = [m for m in want if m not in overlap]  # paid under another case: not again
        got = list(payload.get("allowance_months", []))
        monthly = model.facts.get("allowance", {}).get("monthly_fen")
        if got != want or (got and payload.get("allowance_fen") != monthly):
            raise GuardRejected(
                f"allowance arrears {got} do not match what is owed: {want}",
                "补发月份与应发月份不符",
            )

    guard.__name__ = f"arrears_agree_{mode}"
    return guard


def _recovered(payload: Mapping[str, Any], booked: Booked) -> list[Booking]:
    return recovering(booked()) if payload.get("recover") else []


RECOVERS = Books(("recovery",), _recovered)
"""A decision with ``recover`` orders back every yuan paid so far, itemised by entry."""


# -- medical assistance -------------------------------------------------------------------------
def inclusion_day(facts: Mapping[str, Any]) -> date:
    """The day of inclusion (Shanghai): medical assistance counts from this day
    (the Jiangsu pilot)."""
    return local_date(parse_iso_utc(facts["approved_at"]))


def medical_assistance(facts: Mapping[str, Any], billed_on: date, total_fen: int,
                       insurance_fen: int) -> int:  # fmt: skip
    """What medical assistance pays on a bill: the policy share of what insurance left,
    within what remains of the case's yearly cap."""
    policy = facts["policy"]
    ratio = int(policy.get("medical_ratio_pct", RECORDED_BEFORE["medical_ratio_pct"]))
    cap = int(policy.get("medical_cap_yuan", RECORDED_BEFORE["medical_cap_yuan"])) * 100
    used = int(facts.get("medical", {}).get("used_fen", {}).get(str(billed_on.year), 0))
    share = (total_fen - insurance_fen) * ratio // 100
    return max(0, min(share, cap - used))


def bill_is_eligible(model: CaseModel, payload: dict[str, Any]) -> None:
    billed_on = date.fromisoformat(payload["billed_on"])
    first = inclusion_day(model.facts)
    if billed_on < first:
        raise GuardRejected(
            f"the bill is dated {billed_on}, before the day of inclusion {first}: medical "
            "assistance counts only from the day the household was included",
            f"票据日期 {billed_on} 早于纳入救助之日 {first}，医疗救助自纳入之日起计算",
            billed_on=billed_on.isoformat(), inclusion_day=first.isoformat(),
        )  # fmt: skip
    bill_adds_up(model.facts, payload)


def bill_adds_up(facts: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
    """A bill's numbers: insurance within the total, not recorded before, and the assistance
    the policy's share within the yearly cap (the fast track and out-of-area status alike)."""
    billed_on = date.fromisoformat(payload["billed_on"])
    if payload["insurance_fen"] > payload["total_fen"]:
        raise GuardRejected(
            f"insurance paid {yuan(payload['insurance_fen'])} yuan, more than the bill's "
            f"{yuan(payload['total_fen'])} yuan",
            "医保已报销金额不能超过票据总额",
        )
    if payload["bill_id"] in facts.get("medical", {}).get("bills", []):
        raise GuardRejected(
            f"bill {payload['bill_id']} was recorded already", f"票据 {payload['bill_id']} 已结算"
        )
    want = medical_assistance(facts, billed_on, payload["total_fen"],
                              payload["insurance_fen"])  # fmt: skip
    if payload["assistance_fen"] != want:
        raise GuardRejected(
            f"medical assistance {yuan(payload['assistance_fen'])} differs from the policy's "
            f"{yuan(want)} yuan",
            "医疗救助金额与政策计算结果不符",
        )


def bill_paid(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    medical = model.facts.setdefault("medical", {"bills": [], "used_fen": {}})
    medical["bills"].append(payload["bill_id"])
    year = payload["billed_on"][:4]
    medical["used_fen"][year] = medical["used_fen"].get(year, 0) + payload["assistance_fen"]
    money(model.facts)["paid_fen"] += payload["assistance_fen"]


# -- fines, repayments, write-offs -------------------------------------------------------------
def fine_amount(basis_fen: int, multiple_pct: int) -> int:
    return basis_fen * multiple_pct // 100


def fine_allowed(model: CaseModel, payload: dict[str, Any]) -> None:
    totals = money(model.facts)
    if totals["fined_fen"]:
        raise GuardRejected("a fine was imposed on this case already", "本案已处罚款")
    if not 100 <= payload["multiple_pct"] <= 300:
        raise GuardRejected(
            f"a fine is 1 to 3 times what was obtained, not {payload['multiple']}",
            f"罚款为所骗取金额的一倍以上三倍以下，而非 {payload['multiple']} 倍",
        )
    if payload["basis_fen"] != totals["recovered_fen"] or payload["amount_fen"] != fine_amount(
        totals["recovered_fen"], payload["multiple_pct"]
    ):
        raise GuardRejected("the fine does not match what was obtained", "罚款金额与骗取金额不符")
    if payload["amount_fen"] <= 0:
        raise GuardRejected("nothing was obtained, so there is nothing to fine", "无骗取金额")


def fined(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    totals = money(model.facts)
    totals["fined_fen"] += payload["amount_fen"]
    totals["owed_fen"] += payload["amount_fen"]


def within_owed(what: str, zh: str) -> Guard:
    def guard(model: CaseModel, payload: dict[str, Any]) -> None:
        owed = money(model.facts)["owed_fen"]
        if not 0 < payload["amount_fen"] <= owed:
            raise GuardRejected(
                f"{what} of {yuan(payload['amount_fen'])} yuan is more than the "
                f"{yuan(owed)} yuan still owed" if owed else "nothing is owed on this case",
                f"{zh}金额 {yuan(payload['amount_fen'])} 元超过尚欠的 {yuan(owed)} 元",
                owed_fen=owed,
            )  # fmt: skip

    guard.__name__ = "within_owed"
    return guard


def reduces_owed(key: str) -> Callable[[CaseModel, dict[str, Any], datetime], None]:
    def effect(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
        totals = money(model.facts)
        totals[key] += payload["amount_fen"]
        totals["owed_fen"] -= payload["amount_fen"]

    effect.__name__ = f"add_{key}"
    return effect


# -- what each event decides and books -----------------------------------------------------------
def _decides(trigger: str, *books: Books) -> Hooks:
    return Hooks(decide=decision(trigger), books=books)


HOOKS = {
    "verify": _decides("verify", ARREARS_PAID, RECOVERS),
    "revoke": _decides("revoke", ARREARS_PAID, RECOVERS),
    "terminate": _decides("terminate", ARREARS_PAID, RECOVERS),
    "record_medical_bill": Hooks(books=(amount("medical", "assistance_fen", ref="bill_id"),)),
    "impose_fine": Hooks(books=(amount("fine"),)),
    "record_repayment": Hooks(books=(amount("repayment"),)),
    "write_off": Hooks(books=(amount("write_off"),)),
}
"""Every decision pays the arrears it lists and, with ``recover``, orders back what was paid."""
