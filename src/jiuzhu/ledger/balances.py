"""Balances and credit records, summed and read from entries and events (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..clock import ensure_utc, local_date, parse_iso_utc
from .entries import KINDS, OWED, PAID_OUT, REDUCING, Entry


def balance(entries: Iterable[Entry]) -> dict[str, int]:
    """Totals by kind, plus ``paid_fen`` (paid out) and ``owed_fen`` (still to be recovered)."""
    totals = dict.fromkeys(KINDS, 0)
    for entry in entries:
        totals[entry.kind] = totals.get(entry.kind, 0) + entry.amount_fen
    paid = sum(totals[k] for k in PAID_OUT)
    owed = sum(totals[k] for k in OWED) - sum(totals[k] for k in REDUCING)
    return {**totals, "paid_fen": paid, "owed_fen": owed}


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
