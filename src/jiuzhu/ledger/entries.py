"""Ledger entries: the kinds of money, their labels, one entry, and what an event books.

Amounts are positive integer fen; the kind says which way the money goes:

* paid out to the household: ``allowance`` (one per month, ``period`` = YYYY-MM), ``medical``
  (medical assistance on a bill, ``ref`` = bill id), ``temporary_cash``, ``temporary_in_kind``;
* owed back by the household: ``recovery`` (one line per paid entry it recovers, ``ref`` =
  "seq/line" of that entry), ``fine`` (a county decision, 1-3 x what was obtained);
* reducing what is owed: ``repayment``, ``write_off``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, NamedTuple

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


class Booking(NamedTuple):
    """A line an event books, before it is numbered and dated as an :class:`Entry`.

    A line of zero fen is not written (it still takes its line number).
    """

    kind: str
    amount_fen: int
    period: str | None = None
    ref: str | None = None


def recovering(entries: Iterable[Entry]) -> list[Booking]:
    """A recovery order for every yuan paid in ``entries``, itemised by the entry it recovers."""
    return [Booking("recovery", e.amount_fen, e.period, f"{e.seq}/{e.line}")
            for e in entries if e.kind in PAID_OUT]  # fmt: skip
