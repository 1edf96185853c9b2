"""One assistance chain per household (docs/domain.md §5, source F's 一户一条救助链): one
allowance per programme, household and month.

Every allowance ledger line is held in ``household_months`` in its own transaction
(:meth:`~jiuzhu.service.base.CommandBase._append`), whose primary key refuses a second case's
month.  Before a payment is written, the service looks the months up here so that a month
already paid under another case is withheld (a monthly firing, :mod:`.firing`) or left out of
the arrears a decision pays (:func:`not_paid_twice`) instead of failing.  Workflows stay pure:
they get the other case's id in the payload (``overlap_case`` / ``overlap_months``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ..models.port import Statements


def other_case(sql: Statements, conn: Connection, row: Any, month: str) -> str | None:
    """The other case of ``row``'s household paid its programme for ``month``, if any."""
    holder = sql.month_holder(conn, row.household_id, row.programme, month)
    return holder[0] if holder is not None and holder[0] != row.id else None


def not_paid_twice(sql: Statements, conn: Connection, row: Any,
                   payload: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The arrears a decision pays (``allowance_months``), less the months another case of the
    household was paid for: those go to ``overlap_months`` (month -> that case)."""
    overlap: dict[str, str] = {}
    for month in payload["allowance_months"]:
        other = other_case(sql, conn, row, month)
        if other is not None:
            overlap[month] = other
    if not overlap:
        return payload
    months = [m for m in payload["allowance_months"] if m not in overlap]
    out = {k: v for k, v in payload.items() if k not in ("allowance_months", "allowance_fen")}
    if months:
        out.update(allowance_months=months, allowance_fen=payload["allowance_fen"])
    return {**out, "overlap_months": overlap}
