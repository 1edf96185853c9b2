"""Chinese working days (工作日) for statutory limits, on the State Council holiday calendar.

A working day is a weekday that is not a public holiday, or a weekend day that the State
Council's yearly notice makes a working day (调休, the make-up working days around the Spring
Festival and National Day).  Nobody knows a year's working days before the State Council
publishes its notice (usually in November of the year before), so they are never guessed: a
day in a year the calendar does not cover is refused with :class:`CalendarNotCovered`.

**Where the calendar comes from.**  A :class:`WorkCalendar` holds, per year, one or more
revisions (:class:`YearTable`).  The years the ``chinese-calendar`` package carries are built
in (:data:`BUILTIN`); a year loaded from a notice (``jiuzhu calendar import``, see
``jiuzhu.calendar_notice``) takes precedence from the day its revision is in force, and a
correction is a later revision kept beside the earlier one.  Which revision counts is decided
by the day of the act: a limit counted on 2026-12-01 uses what was in force on 2026-12-01.

**Events carry what they computed.**  While a command fires, :func:`recording` notes every
limit it counts -- the day of the act, the number of working days, the due instant and the
revision of each year it read -- and the service writes that into the event (payload key
``computed``).  Replay (:func:`replaying`) answers from the event, so a later calendar change
never alters a past decision, and a replay needs no calendar at all.

Counting (民法典 Art. 201: the day a period starts is not counted): a limit of N working days
from an act runs to the END of the N-th working day after the day of the act, Shanghai time.
The due instant is therefore 00:00 Shanghai of the calendar day after that working day; a
limit passes at that instant, not earlier.  Acting on a Friday, 3 working days end on
Wednesday, and the limit is due at 00:00 on Thursday.  Calendar-day periods (the 7-day public
notice) count the same way: they end at the end of day N after the day of the act.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from chinese_calendar import constants as _calendar_data  # type: ignore[import-untyped]

from ..clock import SHANGHAI, ensure_utc, iso_utc, local_date, parse_iso_utc
from ..errors import CalendarNotCovered

MAX_WORKDAYS = 366  # a longer statutory limit in working days is a definition error
COMPUTED = "computed"  # the event payload key holding what a command computed
FIX = "jiuzhu calendar import FILE"

__all__ = ["CalendarNotCovered", "WorkCalendar", "YearTable", "BUILTIN", "workday_limit"]


@dataclass(frozen=True)
class YearTable:
    """One revision of one year's holidays and make-up working days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]  # make-up working days (调休上班), weekend days
    revision: str  # how events name it: "chinese-calendar 1.11.0", "2027r1 国办发明电〔2026〕X号"
    effective_from: date | None = None  # None: built in, in force on every day
    names: Mapping[date, str] = field(default_factory=dict, compare=False)

    def is_workday(self, day: date) -> bool:
        return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)

    def working_days(self) -> list[date]:
        day, end, days = date(self.year, 1, 1), date(self.year, 12, 31), []
        while day <= end:
            if self.is_workday(day):
                days.append(day)
            day += timedelta(days=1)
        return days


class WorkCalendar:
    """Years -> revisions; which revision counts depends on the day of the act."""

    def __init__(self, tables: Sequence[YearTable] = ()) -> None:
        by_year: dict[int, list[YearTable]] = {}
        for table in tables:
            by_year.setdefault(table.year, []).append(table)
        for revisions in by_year.values():  # built in first, then by the day they take effect
            revisions.sort(
                key=lambda t: (t.effective_from is not None, t.effective_from or date.min)
            )
        self._years = by_year
        self._in_force: dict[tuple[int, date], YearTable | None] = {}

    def with_tables(self, tables: Sequence[YearTable]) -> WorkCalendar:
        """This calendar plus ``tables`` (a new calendar; this one is untouched)."""
        return WorkCalendar([t for ts in self._years.values() for t in ts] + list(tables))

    def years(self) -> list[int]:
        return sorted(self._years)

    def revisions(self, year: int) -> list[YearTable]:
        return list(self._years.get(year, ()))

    def table(self, year: int, on: date) -> YearTable | None:
        """The revision of ``year`` in force on ``on`` (None: the year is not covered then)."""
        key = (year, on)
        if key not in self._in_force:
            found = None
            for t in self._years.get(year, ()):
                if t.effective_from is None or t.effective_from <= on:
                    found = t
            self._in_force[key] = found
        return self._in_force[key]

    def covers(self, year: int, on: date) -> bool:
        return self.table(year, on) is not None

    def _require(self, year: int, on: date, start: date, n: int | None) -> YearTable:
        table = self.table(year, on)
        if table is None:
            raise not_covered(year, start, n)
        return table

    def is_workday(self, day: date, on: date | None = None) -> bool:
        return self._require(day.year, on or day, day, None).is_workday(day)

    def add_workdays(self, start: date, n: int) -> tuple[date, dict[str, str]]:
        """The ``n``-th working day after ``start``, and the revision used for each year."""
        if not 1 <= n <= MAX_WORKDAYS:
            raise ValueError(f"a working-day limit of {n} days is outside 1-{MAX_WORKDAYS}")
        used: dict[str, str] = {}
        day, counted, table = start, 0, None
        while counted < n:
            day += timedelta(days=1)
            if table is None or table.year != day.year:
                table = self._require(day.year, start, start, n)
                used[str(day.year)] = table.revision
            counted += table.is_workday(day)
        return day, used

    def refused_from(self, year: int, n: int, on: date) -> date | None:
        """While ``year + 1`` is not covered: the first day of ``year`` on which a limit of
        ``n`` working days can no longer be counted (its n-th working day lies in the next
        year).  None when ``year`` itself is not covered."""
        table = self.table(year, on)
        if table is None:
            return None
        days = table.working_days()
        return days[-n] if n <= len(days) else date(year, 1, 1)


def not_covered(year: int, start: date | None = None, n: int | None = None) -> CalendarNotCovered:
    what = (f"a limit of {n} working days from {start.isoformat()} runs into {year}, but "
            if start is not None and n is not None else f"{start or year}: ")  # fmt: skip
    what_zh = (f"自 {start.isoformat()} 起 {n} 个工作日的时限延伸至 {year} 年，而"
               if start is not None and n is not None else "")  # fmt: skip
    return CalendarNotCovered(
        f"{what}no working-day calendar is loaded for {year}; load the State Council's "
        f"holiday notice for {year} with `{FIX}` (docs/calendar.md), then try again",
        f"{what_zh}{year} 年的工作日历尚未载入，无法计算工作日时限；请用 `{FIX}` 载入国务院办公厅"
        f" {year} 年部分节假日安排的通知后重试",
        year=year,
        fix=FIX,
    )


def _builtin() -> WorkCalendar:
    try:
        label = f"chinese-calendar {version('chinese-calendar')}"
    except PackageNotFoundError:  # pragma: no cover - installed with jiuzhu
        label = "chinese-calendar"
    # The package's own tables, read directly: its ``is_workday`` re-scans every holiday to
    # find the covered years on each call.
    holidays: dict[int, set[date]] = {}
    workdays: dict[int, set[date]] = {}
    for day in _calendar_data.holidays:
        holidays.setdefault(day.year, set()).add(day)
    for day in _calendar_data.workdays:
        workdays.setdefault(day.year, set()).add(day)
    names = {d: str(n) for d, n in _calendar_data.holidays.items()}
    return WorkCalendar([
        YearTable(year, frozenset(days), frozenset(workdays.get(year, ())), label, None,
                  {d: names[d] for d in days})
        for year, days in sorted(holidays.items())
    ])  # fmt: skip


BUILTIN = _builtin()
FIRST_YEAR, LAST_YEAR = BUILTIN.years()[0], BUILTIN.years()[-1]


# -- the calendar of the command being fired, and what it computed -------------------------------
@dataclass
class _Session:
    calendar: WorkCalendar
    answers: Mapping[str, str] | None = None  # replay: key -> due instant, from the event
    limits: dict[str, str] = field(default_factory=dict)
    revisions: dict[str, str] = field(default_factory=dict)

    def answer_from(self, payload: Mapping[str, Any]) -> None:
        """Replay the next event: its recorded limits are the answers."""
        computed = payload.get(COMPUTED)
        self.answers = computed["workday_limits"] if computed else {}

    def computed(self) -> dict[str, Any] | None:
        """What goes into the event: every limit counted and the revision of each year read."""
        if not self.limits:
            return None
        return {"workday_limits": dict(sorted(self.limits.items())),
                "calendar": dict(sorted(self.revisions.items()))}  # fmt: skip


_ACTIVE: ContextVar[_Session | None] = ContextVar("jiuzhu_workdays", default=None)


@contextmanager
def recording(calendar: WorkCalendar) -> Iterator[_Session]:
    """Count limits on ``calendar`` and note each one (the live path of a command)."""
    session = _Session(calendar)
    token = _ACTIVE.set(session)
    try:
        yield session
    finally:
        _ACTIVE.reset(token)


@contextmanager
def replaying() -> Iterator[_Session]:
    """Replay: answer limits from what each event recorded (:meth:`_Session.answer_from`).

    Events from before the recording began are counted on the built-in calendar, as they
    were then.  One session serves a whole fold (verify replays every event in the database).
    """
    session = _Session(BUILTIN, {})
    token = _ACTIVE.set(session)
    try:
        yield session
    finally:
        _ACTIVE.reset(token)


def without_computed(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the guards and effects saw it when the command fired."""
    if COMPUTED not in payload:
        return payload
    return {k: v for k, v in payload.items() if k != COMPUTED}


def active() -> WorkCalendar:
    session = _ACTIVE.get()
    return session.calendar if session is not None else BUILTIN


# -- counting ----------------------------------------------------------------------------------
def covered_years() -> tuple[int, int]:
    """The first and last year the built-in holiday calendar covers."""
    return FIRST_YEAR, LAST_YEAR


def is_workday(day: date) -> bool:
    """Is ``day`` a working day (weekday not on holiday, or a make-up working weekend day)?"""
    return active().is_workday(day)


def add_workdays(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (``day`` itself is not counted); ``n`` >= 1."""
    return active().add_workdays(day, n)[0]


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` <= ``start``)."""
    calendar, count, day = active(), 0, start
    while day < end:
        day += timedelta(days=1)
        count += calendar.is_workday(day, start)
    return count


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI).astimezone(UTC)


def workday_limit(entered_at: datetime, n: int) -> datetime:
    """When a limit of ``n`` working days from ``entered_at`` passes (UTC; see the module)."""
    start = local_date(ensure_utc(entered_at))
    key = f"{start.isoformat()}+{n}"
    session = _ACTIVE.get()
    if session is not None and session.answers is not None:
        recorded = session.answers.get(key)
        if recorded is not None:
            return parse_iso_utc(recorded)
    calendar = session.calendar if session is not None else BUILTIN
    last, used = calendar.add_workdays(start, n)
    due = _start_of(last + timedelta(days=1))
    if session is not None and session.answers is None:
        session.limits[key] = iso_utc(due)
        session.revisions.update(used)
    return due


def calendar_day_limit(entered_at: datetime, n: int) -> datetime:
    """When a period of ``n`` calendar days from ``entered_at`` ends (UTC; see the module)."""
    if not 1 <= n <= MAX_WORKDAYS:
        raise ValueError(f"a period of {n} days is outside 1-{MAX_WORKDAYS}")
    return _start_of(local_date(ensure_utc(entered_at)) + timedelta(days=n + 1))


def limit_day(due: datetime) -> date:
    """The last day (Shanghai) on which a limit due at ``due`` is still met."""
    return local_date(ensure_utc(due)) - timedelta(days=1)
