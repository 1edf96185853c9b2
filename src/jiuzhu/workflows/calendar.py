"""Calendar arithmetic for deadlines and the monthly allowance (pure).

Due dates are computed on Shanghai local dates and stored as UTC instants.  One calendar month
after the 31st is the last day of a shorter month (2024-01-31 -> 2024-02-29), unlike
APScheduler's ``CalendarIntervalTrigger``, which skips such months.  Months are ``YYYY-MM``
strings: they sort in calendar order and are what the ledger records as an allowance period.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from functools import lru_cache

from ..clock import SHANGHAI, ensure_utc


def add_months(instant: datetime, months: int) -> datetime:
    """``instant`` plus ``months`` calendar months in Shanghai time, clamped to month end."""
    local = ensure_utc(instant).astimezone(SHANGHAI)
    index = local.year * 12 + (local.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(UTC)


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
