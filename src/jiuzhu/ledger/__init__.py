"""The money of a case: an append-only ledger derived from its events (docs/domain.md §3, §7).

Every entry is caused by one event of the case and is a pure function of that event and the
entries before it, so replay rebuilds the ledger from the events alone and an auditor can
compare it with the stored rows.  Which lines an event books is said by its workflow
(:meth:`jiuzhu.workflows.base.Workflow.book`); this package only knows the kinds of money
(:mod:`.entries`) and how they sum (:mod:`.balances`).  It imports no workflow.
"""

from __future__ import annotations

from .balances import balance, credit_rows
from .entries import KIND_LABELS, KINDS, OWED, PAID_OUT, REDUCING, Booking, Entry, recovering

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
