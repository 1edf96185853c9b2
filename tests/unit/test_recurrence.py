"""Unit tests for ``scheduler/recurrence.py``: visit recurrences through APScheduler triggers.

No database and no clock: every instant is an argument.  Expected instants are written as
Shanghai wall times with a fixed +08:00 offset (China has had no daylight saving since 1991),
so they do not lean on the time-zone database the code uses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest

from jiuzhu.errors import InvalidInput
from jiuzhu.scheduler.recurrence import after, first, trigger_of

CST = timezone(timedelta(hours=8))
START = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
CLEANING = {"type": "cron", "day": "1,8,15,22", "hour": 9}
EVERY_OTHER_DAY = {"type": "interval", "days": 2}
DAY = timedelta(days=1)


def cst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CST).astimezone(UTC)


def series(
    spec: dict[str, Any], start: datetime, end: datetime | None, count: int
) -> list[datetime]:
    """The first ``count`` occurrences from ``start``, one by one through ``after``."""
    at = first(spec, start, end, not_before=start)
    out: list[datetime] = []
    while at is not None and len(out) < count:
        out.append(at)
        at = after(spec, start, end, at)
    return out


# -- cron -------------------------------------------------------------------------------------


def test_cron_first_skips_todays_occurrence_when_already_past() -> None:
    # 09:00 on the 15th is an hour before START (10:00 Shanghai)
    assert first(CLEANING, START, None, not_before=START) == cst(2024, 3, 22, 9)


def test_cron_first_includes_occurrence_at_start_instant() -> None:
    start = cst(2024, 4, 8, 9)
    assert first(CLEANING, start, None, not_before=start) == start


def test_cron_first_waits_for_plan_start_when_not_before_earlier() -> None:
    start = cst(2024, 5, 2, 0)
    assert first(CLEANING, start, None, not_before=START) == cst(2024, 5, 8, 9)


def test_cron_after_walks_four_times_a_month_across_months_and_years() -> None:
    got = series(CLEANING, cst(2024, 11, 20), None, 7)
    assert got == [cst(2024, 11, 22, 9), cst(2024, 12, 1, 9), cst(2024, 12, 8, 9),
                   cst(2024, 12, 15, 9), cst(2024, 12, 22, 9), cst(2025, 1, 1, 9),
                   cst(2025, 1, 8, 9)]  # fmt: skip


def test_cron_results_are_utc_instants_of_shanghai_wall_times() -> None:
    at = first(CLEANING, START, None, not_before=START)
    assert at is not None and at.tzinfo is UTC
    assert at == datetime(2024, 3, 22, 1, 0, tzinfo=UTC)


def test_monthly_cron_on_first_at_midnight_falls_on_previous_utc_day() -> None:
    got = series({"type": "cron", "day": 1}, START, None, 3)
    assert got == [datetime(2024, 3, 31, 16, tzinfo=UTC), datetime(2024, 4, 30, 16, tzinfo=UTC),
                   datetime(2024, 5, 31, 16, tzinfo=UTC)]  # fmt: skip


def test_cron_weekday_spec_fires_on_named_days_in_shanghai() -> None:
    spec = {"type": "cron", "day_of_week": "mon,thu", "hour": 15}
    # 2024-03-18 is a Monday
    assert series(spec, START, None, 3) == [cst(2024, 3, 18, 15), cst(2024, 3, 21, 15),
                                            cst(2024, 3, 25, 15)]  # fmt: skip


def test_daily_cron_keeps_same_utc_hour_all_year_because_shanghai_has_no_dst() -> None:
    got = series({"type": "cron", "hour": 9}, cst(2024, 1, 1), None, 400)
    assert len(got) == 400
    assert {(t.hour, t.minute) for t in got} == {(1, 0)}
    assert {b - a for a, b in pairwise(got)} == {DAY}


# -- interval ---------------------------------------------------------------------------------


def test_interval_first_is_start_when_not_before_precedes_it() -> None:
    assert first(EVERY_OTHER_DAY, START, None, not_before=START - 3 * DAY) == START


@pytest.mark.parametrize(
    ("not_before", "expected"),
    [
        (START + DAY, START + 2 * DAY),  # between grid points: the next one
        (START + 2 * DAY, START + 2 * DAY),  # on a grid point: that one
        (START + 2 * DAY + timedelta(seconds=1), START + 4 * DAY),
    ],
)
def test_interval_first_is_next_grid_point_from_start(
    not_before: datetime, expected: datetime
) -> None:
    assert first(EVERY_OTHER_DAY, START, None, not_before=not_before) == expected


def test_interval_after_is_previous_plus_interval_however_long_ago() -> None:
    old = datetime(2020, 1, 1, 2, tzinfo=UTC)
    assert after(EVERY_OTHER_DAY, old, None, old) == old + 2 * DAY
    day_and_half = {"type": "interval", "days": 1, "hours": 12}
    assert after(day_and_half, START, None, START) == START + timedelta(hours=36)


def test_weekly_interval_keeps_exact_spacing_through_a_year() -> None:
    got = series({"type": "interval", "weeks": 1}, cst(2024, 1, 3, 9), None, 53)
    assert {b - a for a, b in pairwise(got)} == {timedelta(days=7)}
    assert got[-1] == cst(2025, 1, 1, 9)


# -- end dates --------------------------------------------------------------------------------


def test_occurrences_stop_at_end_which_is_inclusive() -> None:
    end = START + 4 * DAY
    assert series(EVERY_OTHER_DAY, START, end, 10) == [START, START + 2 * DAY, START + 4 * DAY]
    assert after(EVERY_OTHER_DAY, START, end, START + 4 * DAY) is None


def test_first_is_none_when_not_before_after_end() -> None:
    end = START + 2 * DAY
    assert first(EVERY_OTHER_DAY, START, end, not_before=end + timedelta(seconds=1)) is None
    assert first(CLEANING, START, cst(2024, 3, 21), not_before=START) is None


def test_cron_stops_at_end_date() -> None:
    got = series(CLEANING, START, cst(2024, 4, 15, 9), 10)
    assert got == [cst(2024, 3, 22, 9), cst(2024, 4, 1, 9), cst(2024, 4, 8, 9),
                   cst(2024, 4, 15, 9)]  # fmt: skip


# -- refusals ---------------------------------------------------------------------------------

REFUSED: dict[str, Any] = {
    "not_a_dict": "every other day",
    "no_type": {"days": 2},
    "unknown_type": {"type": "date", "run_date": "2024-04-01"},
    "cron_nothing": {"type": "cron"},
    "interval_nothing": {"type": "interval"},
    "cron_seconds": {"type": "cron", "second": "*/5"},
    "cron_timezone": {"type": "cron", "hour": 9, "timezone": "UTC"},
    "cron_start_date": {"type": "cron", "hour": 9, "start_date": "2024-01-01"},
    "cron_day_32": {"type": "cron", "day": "32"},
    "cron_hour_24": {"type": "cron", "hour": 24},
    "cron_bad_weekday": {"type": "cron", "day_of_week": "someday"},
    "cron_zero_step": {"type": "cron", "minute": "*/0"},
    "cron_not_text": {"type": "cron", "day": [1, 8]},
    "interval_minutes": {"type": "interval", "minutes": 90},
    "interval_zero": {"type": "interval", "hours": 0},
    "interval_all_zero": {"type": "interval", "weeks": 0, "days": 0, "hours": 0},
    "interval_negative": {"type": "interval", "days": -2},
    "interval_negative_mix": {"type": "interval", "days": 1, "hours": -23},
    "interval_float": {"type": "interval", "hours": 1.5},
    "interval_text": {"type": "interval", "days": "2"},
    "interval_bool": {"type": "interval", "hours": True},
}


@pytest.mark.parametrize("spec", REFUSED.values(), ids=REFUSED.keys())
def test_trigger_of_refuses_malformed_recurrence_with_invalid_input(spec: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        trigger_of(spec, START, None)
    assert caught.value.zh and caught.value.zh != caught.value.message  # says it in Chinese too


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "interval", "hours": 1},
        {"type": "interval", "weeks": 1},
        {"type": "interval", "days": 0, "hours": 1},
        CLEANING,
        {"type": "cron", "year": "2024-2030", "month": "1-12", "week": "*", "minute": 30},
    ],
    ids=["one_hour", "weekly", "zero_days_one_hour", "cleaning", "all_cron_fields"],
)
def test_trigger_of_accepts_well_formed_recurrence(spec: dict[str, Any]) -> None:
    assert first(spec, START, None, not_before=START) is not None


def test_recurrence_functions_leave_spec_unchanged() -> None:
    spec = dict(CLEANING)
    series(spec, START, None, 3)
    assert spec == CLEANING


def test_first_refuses_naive_not_before() -> None:
    with pytest.raises(ValueError, match="naive"):
        first(EVERY_OTHER_DAY, START, None, not_before=datetime(2024, 3, 15, 10))
