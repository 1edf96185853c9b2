"""Chinese working days (工作日) for statutory limits, on the State Council holiday calendar.

A working day is a weekday that is not a public holiday, or a weekend day that the State
Council's yearly notice makes a working day (调休, the make-up working days around the Spring
Festival and National Day).  The calendar is the ``chinese-calendar`` package (PyPI
``chinese-calendar``), which carries each year's notice; it is never guessed here.  A day in a
year the package does not cover is refused with :class:`CalendarNotCovered`: before the State
Council publishes a year's notice (usually in November of the year before) nobody knows that
year's working days.

Counting (民法典 Art. 201: the day a period starts is not counted): a limit of N working days
from an act runs to the END of the N-th working day after the day of the act, Shanghai time.
The due instant is therefore 00:00 Shanghai of the calendar day after that working day; a
limit passes at that instant, not earlier.  Acting on a Friday, 3 working days end on
Wednesday, and the limit is due at 00:00 on Thursday.  Calendar-day periods (the 7-day public
notice) count the same way: they end at the end of day N after the day of the act.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from chinese_calendar import constants as _calendar_data

from ..clock import SHANGHAI, ensure_utc, local_date
from ..errors import JiuzhuError

# The package's own tables, read directly: its ``is_workday`` re-scans every holiday to find
# the covered years on each call (~20 us a day); coverage is checked here once per day instead.
_HOLIDAYS = frozenset(_calendar_data.holidays)
_MAKE_UP_DAYS = frozenset(_calendar_data.workdays)
FIRST_YEAR = min(_HOLIDAYS).year
LAST_YEAR = max(_HOLIDAYS).year
MAX_WORKDAYS = 366  # a longer statutory limit in working days is a definition error


class CalendarNotCovered(JiuzhuError):
    """A working-day computation needs a year the holiday calendar does not cover."""

    code = "calendar_not_covered"


def covered_years() -> tuple[int, int]:
    """The first and last year the installed holiday calendar covers."""
    return FIRST_YEAR, LAST_YEAR


def _check(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarNotCovered(
            f"{day.isoformat()} is outside the Chinese working-day calendar, which covers "
            f"{FIRST_YEAR}-{LAST_YEAR} (package chinese-calendar); a working-day limit cannot "
            "be computed for it -- upgrade the package once the State Council has published "
            f"the holidays of {day.year}",
            f"{day.isoformat()} 超出工作日历覆盖范围（{FIRST_YEAR}—{LAST_YEAR} 年），无法计算工作日"
            f"时限；请在国务院公布 {day.year} 年节假日安排后升级 chinese-calendar",
            day=day.isoformat(),
            covered=[FIRST_YEAR, LAST_YEAR],
        )


def is_workday(day: date) -> bool:
    """Is ``day`` a working day (weekday not on holiday, or a make-up working weekend day)?"""
    _check(day)
    return day in _MAKE_UP_DAYS or (day.weekday() < 5 and day not in _HOLIDAYS)


def add_workdays(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (``day`` itself is not counted); ``n`` >= 1."""
    if not 1 <= n <= MAX_WORKDAYS:
        raise ValueError(f"a working-day limit of {n} days is outside 1-{MAX_WORKDAYS}")
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        counted += is_workday(day)
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` <= ``start``)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_workday(day)
    return count


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI).astimezone(UTC)


def workday_limit(entered_at: datetime, n: int) -> datetime:
    """When a limit of ``n`` working days from ``entered_at`` passes (UTC; see the module)."""
    last = add_workdays(local_date(ensure_utc(entered_at)), n)
    return _start_of(last + timedelta(days=1))


def calendar_day_limit(entered_at: datetime, n: int) -> datetime:
    """When a period of ``n`` calendar days from ``entered_at`` ends (UTC; see the module)."""
    if not 1 <= n <= MAX_WORKDAYS:
        raise ValueError(f"a period of {n} days is outside 1-{MAX_WORKDAYS}")
    return _start_of(local_date(ensure_utc(entered_at)) + timedelta(days=n + 1))


def limit_day(due: datetime) -> date:
    """The last day (Shanghai) on which a limit due at ``due`` is still met."""
    return local_date(ensure_utc(due)) - timedelta(days=1)
