"""Calendar arithmetic for deadlines (pure).

Due dates are computed on Shanghai local dates and stored as UTC instants.  One calendar month
after the 31st is the last day of a shorter month (2024-01-31 -> 2024-02-29), unlike
APScheduler's ``CalendarIntervalTrigger``, which skips such months.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

from ..clock import SHANGHAI, ensure_utc


def add_months(instant: datetime, months: int) -> datetime:
    """``instant`` plus ``months`` calendar months in Shanghai time, clamped to month end."""
    local = ensure_utc(instant).astimezone(SHANGHAI)
    index = local.year * 12 + (local.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(UTC)
