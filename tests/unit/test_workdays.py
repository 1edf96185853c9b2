"""Chinese working days on the State Council calendar (package chinese-calendar).

The National Day dates below are written out from the State Council's notice for 2024
(国办发明电〔2023〕7号): holiday 1-7 October, make-up working days Sunday 29 September and
Saturday 12 October.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from jiuzhu.clock import SHANGHAI
from jiuzhu.workflows.workdays import (
    CalendarNotCovered,
    add_workdays,
    calendar_day_limit,
    covered_years,
    is_workday,
    limit_day,
    workday_limit,
    workdays_between,
)

HOLIDAY_2024 = [date(2024, 10, d) for d in range(1, 8)]
MAKE_UP_2024 = [date(2024, 9, 29), date(2024, 10, 12)]  # a Sunday and a Saturday


def shanghai(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), SHANGHAI).replace(
        hour=hour
    )


def test_national_day_2024_is_seven_days_off_with_two_make_up_working_weekend_days() -> None:
    assert [is_workday(d) for d in HOLIDAY_2024] == [False] * 7
    assert [d.weekday() for d in MAKE_UP_2024] == [6, 5]  # Sunday, Saturday
    assert all(is_workday(d) for d in MAKE_UP_2024)
    assert not is_workday(date(2024, 10, 13))  # the Sunday after is a plain weekend day


def test_plain_weekdays_and_weekends() -> None:
    assert is_workday(date(2024, 3, 15))  # a Friday
    assert not is_workday(date(2024, 3, 16))  # a Saturday
    assert not is_workday(date(2024, 3, 17))  # a Sunday


def test_the_day_of_the_act_is_not_counted() -> None:
    assert add_workdays(date(2024, 3, 11), 1) == date(2024, 3, 12)  # Monday -> Tuesday
    assert add_workdays(date(2024, 3, 15), 3) == date(2024, 3, 20)  # Friday -> Wednesday


def test_three_working_days_from_the_friday_before_national_day_end_on_8_october() -> None:
    # Sunday 29 Sep (make-up) and Monday 30 Sep count; 1-7 Oct do not
    assert add_workdays(date(2024, 9, 27), 3) == date(2024, 10, 8)


def test_thirty_working_days_across_national_day_count_both_make_up_days() -> None:
    start = date(2024, 9, 20)
    end = add_workdays(start, 30)
    # hand count: Sep 23-27 (5), 29 (1), 30 (1) = 7; Oct 8-11 (4), 12 (1) = 12;
    # Oct 14-18 (5) = 17; Oct 21-25 = 22; Oct 28-Nov 1 = 27; Nov 4, 5, 6 = 30
    assert end == date(2024, 11, 6)
    assert workdays_between(start, end) == 30
    weekdays = sum(
        1 for n in range(1, (end - start).days + 1) if (start + timedelta(days=n)).weekday() < 5
    )
    # the holiday takes five weekdays (1-4 and 7 October), the make-up days add two weekend days
    assert weekdays == 33 and workdays_between(start, end) == weekdays - 5 + 2


def test_a_working_day_limit_passes_at_midnight_after_the_last_working_day() -> None:
    due = workday_limit(shanghai("2024-09-27", 16), 3)
    assert due == datetime(2024, 10, 9, 0, 0, tzinfo=SHANGHAI).astimezone(UTC)
    assert limit_day(due) == date(2024, 10, 8)
    # any time on the day of the act gives the same limit
    assert workday_limit(shanghai("2024-09-27", 0), 3) == workday_limit(
        shanghai("2024-09-27", 23), 3
    )


def test_an_act_on_a_holiday_counts_from_the_next_working_day() -> None:
    assert workday_limit(shanghai("2024-10-03"), 1) == datetime(
        2024, 10, 9, tzinfo=SHANGHAI
    ).astimezone(UTC)


def test_calendar_day_periods_end_at_the_end_of_day_n() -> None:
    # a 7-day notice published on 15 March runs 16-22 March, and ends at 00:00 on 23 March
    assert calendar_day_limit(shanghai("2024-03-15"), 7) == datetime(
        2024, 3, 23, tzinfo=SHANGHAI
    ).astimezone(UTC)


def test_dates_outside_the_calendar_are_refused_not_guessed() -> None:
    first, last = covered_years()
    assert first <= 2024 <= last
    with pytest.raises(CalendarNotCovered) as err:
        is_workday(date(last + 1, 1, 4))
    assert str(last + 1) in err.value.message and err.value.zh
    assert err.value.code == "calendar_not_covered"
    with pytest.raises(CalendarNotCovered):
        is_workday(date(first - 1, 6, 1))


def test_a_limit_running_past_the_last_covered_year_is_refused() -> None:
    last = covered_years()[1]
    with pytest.raises(CalendarNotCovered):
        workday_limit(shanghai(f"{last}-12-20"), 30)


def test_limits_outside_reason_are_definition_errors() -> None:
    with pytest.raises(ValueError):
        add_workdays(date(2024, 3, 15), 0)
    with pytest.raises(ValueError):
        calendar_day_limit(shanghai("2024-03-15"), 0)


def test_agrees_with_the_packages_own_answer_on_every_covered_day() -> None:
    import chinese_calendar

    first, last = covered_years()
    day, differing = date(first, 1, 1), []
    while day.year <= last:
        if is_workday(day) != chinese_calendar.is_workday(day):
            differing.append(day)
        day += timedelta(days=1)
    assert differing == []
