"""The money of a case: an append-only ledger derived from its events (DOMAIN §3, §7).

Every entry is caused by one event of the case and is a pure function of that event, the case's
projection and the entries before it, so replay rebuilds the ledger from the events alone and
an auditor can compare it with the stored rows.  Amounts are positive integer fen; the kind
says which way the money goes.  A balance is a sum:

* paid out to the household: ``allowance`` (one per month, ``period`` = YYYY-MM), ``medical``
  (medical assistance on a bill, ``ref`` = bill id), ``temporary_cash``, ``temporary_in_kind``;
* owed back by the household: ``recovery`` (one line per paid entry it recovers, ``ref`` =
  "seq/line" of that entry), ``fine`` (a county decision, 1-3 x what was obtained);
* reducing what is owed: ``repayment``, ``write_off``.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from ..clock import SHANGHAI, ensure_utc, local_date, parse_iso_utc

PAID_OUT = ("allowance", "medical", "temporary_cash", "temporary_in_kind")
OWED = ("recovery", "fine")
REDUCING = ("repayment", "write_off")
KINDS = PAID_OUT + OWED + REDUCING

KIND_LABELS = {
    "allowance": ("低保金", "monthly allowance"),
    "medical": ("医疗救助", "medical assistance"),
    "temporary_cash": ("临时救助（现金）", "temporary assistance, cash"),
    "temporary_in_kind": ("临时救助（实物）", "temporary assistance, in kind"),
    "recovery": ("追回", "recovery order"),
    "fine": ("罚款", "fine"),
    "repayment": ("退还", "repayment"),
    "write_off": ("核销", "write-off"),
}


@dataclass(frozen=True)
class Entry:
    """One ledger line; ``seq``/``line`` name the event that caused it and its position."""

    case_id: str
    seq: int
    line: int
    kind: str
    amount_fen: int
    booked_on: date
    period: str | None = None
    ref: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["booked_on"] = self.booked_on.isoformat()
        return data


# -- months ---------------------------------------------------------------------------------
def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def months_through(first: str, last: str) -> list[str]:
    """``first`` .. ``last`` inclusive (empty when ``first`` is after ``last``)."""
    out, month = [], first
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


@lru_cache(maxsize=512)
def _pay_day_instant(month: str, pay_day: int) -> datetime:
    year, mon = int(month[:4]), int(month[5:7])
    day = min(pay_day, calendar.monthrange(year, mon)[1])
    return datetime(year, mon, day, tzinfo=SHANGHAI).astimezone(UTC)


def pay_instant(month: str, pay_day: int, not_before: datetime | None = None) -> datetime:
    """When the allowance for ``month`` falls due: 00:00 Shanghai on the pay day of that month.

    The first month of a case is due no earlier than its inclusion (``not_before``): a case
    approved after the pay day is paid for that month on the day it is approved.
    """
    due = _pay_day_instant(month, pay_day)
    if not_before is not None and ensure_utc(not_before) > due:
        return ensure_utc(not_before)
    return due


# -- the money summary a case's projection carries -------------------------------------------
def money(facts: dict[str, Any]) -> dict[str, Any]:
    """The case's running totals in fen (created on first use)."""
    return facts.setdefault(  # type: ignore[no-any-return]
        "money", {"paid_fen": 0, "owed_fen": 0, "recovered_fen": 0, "fined_fen": 0,
                  "repaid_fen": 0, "written_off_fen": 0})  # fmt: skip


# -- deriving entries from one event ---------------------------------------------------------
PriorEntries = Callable[[], Sequence[Entry]]


def entries_for(case_id: str, seq: int, trigger: str, payload: Mapping[str, Any],
                occurred_at: datetime, payments: Mapping[str, Any],
                prior: PriorEntries) -> list[Entry]:  # fmt: skip
    """The ledger lines event ``seq`` (``trigger`` with ``payload``) books.

    ``payments`` is the workflow's map of one-off paying triggers; ``prior`` returns the case's
    entries so far (needed only when a recovery itemises what was paid).
    """
    booked = local_date(occurred_at)
    lines: list[tuple[str, int, str | None, str | None]] = []  # kind, fen, period, ref
    if trigger == "pay_allowance" and not payload.get("withheld"):
        lines.append(("allowance", payload["amount_fen"], payload["month"], None))
    for month in payload.get("allowance_months", ()):  # arrears paid with a decision
        lines.append(("allowance", payload["allowance_fen"], month, None))
    if trigger == "record_medical_bill":
        lines.append(("medical", payload["assistance_fen"], None, payload["bill_id"]))
    if trigger == "impose_fine":
        lines.append(("fine", payload["amount_fen"], None, None))
    if trigger == "record_repayment":
        lines.append(("repayment", payload["amount_fen"], None, None))
    if trigger == "write_off":
        lines.append(("write_off", payload["amount_fen"], None, None))
    pay = payments.get(trigger)
    if pay is not None:
        for kind, fen in pay(dict(payload)):
            lines.append((kind, fen, None, None))
    entries = [Entry(case_id, seq, i, kind, fen, booked, period, ref)
               for i, (kind, fen, period, ref) in enumerate(lines) if fen > 0]  # fmt: skip
    if payload.get("recover"):  # every yuan paid under the case, itemised by entry
        paid = [e for e in (*prior(), *entries) if e.kind in PAID_OUT]
        entries += [Entry(case_id, seq, len(entries) + i, "recovery", e.amount_fen, booked,
                          e.period, f"{e.seq}/{e.line}") for i, e in enumerate(paid)]  # fmt: skip
    return entries


def replay(events: Iterable[Mapping[str, Any]], *,
           as_of: datetime | None = None) -> list[Entry]:  # fmt: skip
    """Every ledger entry the events imply (up to ``as_of``), rebuilt from the events alone."""
    from ..workflows import get as get_workflow

    out: list[Entry] = []
    payments: Mapping[str, Any] = {}
    for ev in events:
        at = ev["occurred_at"]
        at = parse_iso_utc(at) if isinstance(at, str) else ensure_utc(at)
        if as_of is not None and at > as_of:
            break
        if ev["seq"] == 1:
            wf = get_workflow(ev["payload"]["workflow"], ev["payload"]["workflow_version"])
            payments = wf.payments
        out.extend(entries_for(ev["case_id"], ev["seq"], ev["type"], ev["payload"], at,
                               payments, lambda: tuple(out)))  # fmt: skip
    return out


def credit_rows(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The credit-record entries the events imply: one per event whose payload carries a
    ``credit`` (a revocation for falsification), dated the Shanghai day of that event."""
    out = []
    for ev in events:
        credit = ev["payload"].get("credit")
        if credit:
            at = ev["occurred_at"]
            at = parse_iso_utc(at) if isinstance(at, str) else ensure_utc(at)
            out.append({"seq": ev["seq"], "person_id": credit["person_id"],
                        "reason": credit["reason"], "recorded_on": local_date(at).isoformat()})  # fmt: skip
    return out


def balance(entries: Iterable[Entry]) -> dict[str, int]:
    """Totals by kind, plus ``paid_fen`` (paid out) and ``owed_fen`` (still to be recovered)."""
    totals = dict.fromkeys(KINDS, 0)
    for entry in entries:
        totals[entry.kind] = totals.get(entry.kind, 0) + entry.amount_fen
    paid = sum(totals[k] for k in PAID_OUT)
    owed = sum(totals[k] for k in OWED) - sum(totals[k] for k in REDUCING)
    return {**totals, "paid_fen": paid, "owed_fen": owed}


__all__ = [
    "KINDS",
    "KIND_LABELS",
    "OWED",
    "PAID_OUT",
    "REDUCING",
    "Entry",
    "balance",
    "credit_rows",
    "entries_for",
    "money",
    "month_of",
    "months_through",
    "next_month",
    "pay_instant",
    "replay",
]
