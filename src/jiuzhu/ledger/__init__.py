"""The money of a case: an append-only ledger derived from its events (DOMAIN §3, §7).

Every entry is caused by one event of the case and is a pure function of that event and the
entries before it, so replay rebuilds the ledger from the events alone and an auditor can
compare it with the stored rows.  Which lines an event books is said by its workflow
(:meth:`jiuzhu.workflows.base.Workflow.book`); this package only knows the kinds of money
(:mod:`.entries`) and how they sum (:mod:`.balances`).  It imports no workflow.
"""

from __future__ import annotations

from typing import Any

from .balances import balance, credit_rows
from .entries import KIND_LABELS, KINDS, OWED, PAID_OUT, REDUCING, Booking, Entry, recovering

# Transitional names for callers that have not moved yet, resolved on first use so that the
# ledger never imports the workflows: month arithmetic now lives in jiuzhu.workflows.calendar,
# and the entries a case's events imply in jiuzhu.audit.replay.ledger_entries.
_MOVED = {"month_of": "jiuzhu.workflows.calendar", "next_month": "jiuzhu.workflows.calendar",
          "months_through": "jiuzhu.workflows.calendar"}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name == "replay":
        from importlib import import_module

        return import_module("jiuzhu.audit.replay").ledger_entries
    if name in _MOVED:
        from importlib import import_module

        return getattr(import_module(_MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "KINDS",
    "KIND_LABELS",
    "OWED",
    "PAID_OUT",
    "REDUCING",
    "Booking",
    "Entry",
    "balance",
    "credit_rows",
    "recovering",
]
