"""Unit tests for jiuzhu.clock: injected time, Shanghai calendar days, the ISO text form."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from jiuzhu.clock import (
    SHANGHAI,
    FakeClock,
    SimulatedClock,
    SystemClock,
    ensure_utc,
    iso_utc,
    local_date,
    parse_iso_utc,
)

START = datetime(2024, 3, 14, 16, 0, tzinfo=UTC)


# -- FakeClock -------------------------------------------------------------------------------


def test_fake_clock_now_returns_start_in_utc() -> None:
    clock = FakeClock(datetime(2024, 3, 15, 0, 0, tzinfo=SHANGHAI))
    assert clock.now() == START
    assert clock.now().tzinfo is UTC


def test_fake_clock_now_stays_put_when_not_advanced() -> None:
    clock = FakeClock(START)
    assert clock.now() == clock.now() == START


def test_fake_clock_advance_moves_forward() -> None:
    clock = FakeClock(START)
    assert clock.advance(timedelta(minutes=30)) == START + timedelta(minutes=30)
    assert clock.now() == START + timedelta(minutes=30)


def test_fake_clock_advance_accepts_zero() -> None:
    clock = FakeClock(START)
    assert clock.advance(timedelta(0)) == START


def test_fake_clock_advance_refuses_when_delta_negative() -> None:
    clock = FakeClock(START)
    with pytest.raises(ValueError, match="never goes back"):
        clock.advance(timedelta(microseconds=-1))
    assert clock.now() == START


def test_fake_clock_set_moves_forward_and_converts_to_utc() -> None:
    clock = FakeClock(START)
    later = datetime(2024, 3, 15, 9, 0, tzinfo=SHANGHAI)  # 01:00 UTC
    assert clock.set(later) == datetime(2024, 3, 15, 1, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_fake_clock_set_accepts_same_instant() -> None:
    clock = FakeClock(START)
    assert clock.set(START.astimezone(SHANGHAI)) == START


def test_fake_clock_set_refuses_when_instant_is_earlier() -> None:
    clock = FakeClock(START)
    with pytest.raises(ValueError, match="never goes back"):
        clock.set(START - timedelta(microseconds=1))
    # Earlier even though the wall-clock reading in another zone looks later.
    with pytest.raises(ValueError, match="never goes back"):
        clock.set(datetime(2024, 3, 14, 23, 59, tzinfo=SHANGHAI))
    assert clock.now() == START


def test_fake_clock_refuses_naive_start() -> None:
    with pytest.raises(ValueError, match="naive"):
        FakeClock(datetime(2024, 3, 14, 16, 0))


def test_fake_clock_set_refuses_naive_instant() -> None:
    clock = FakeClock(START)
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2030, 1, 1))
    assert clock.now() == START


def test_system_clock_now_is_aware_utc() -> None:
    now = SystemClock().now()  # wall clock ok: the system clock itself is under test, only its zone
    assert now.tzinfo is UTC


# -- ensure_utc / local_date -----------------------------------------------------------------


def test_ensure_utc_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="give a timezone"):
        ensure_utc(datetime(2024, 1, 1))


def test_ensure_utc_converts_offsets() -> None:
    plus8 = datetime(2024, 3, 15, 0, 30, tzinfo=timezone(timedelta(hours=8)))
    assert ensure_utc(plus8) == datetime(2024, 3, 14, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2024, 3, 14, 15, 59, 59, 999999, tzinfo=UTC), date(2024, 3, 14)),
        (datetime(2024, 3, 14, 16, 0, tzinfo=UTC), date(2024, 3, 15)),  # Shanghai midnight
        (datetime(2024, 3, 14, 16, 30, tzinfo=UTC), date(2024, 3, 15)),
        (datetime(2024, 12, 31, 16, 0, tzinfo=UTC), date(2025, 1, 1)),
        (datetime(2024, 2, 28, 16, 0, tzinfo=UTC), date(2024, 2, 29)),
    ],
)
def test_local_date_uses_shanghai_day(instant: datetime, expected: date) -> None:
    assert local_date(instant) == expected


def test_local_date_is_independent_of_input_zone() -> None:
    utc = datetime(2024, 3, 14, 16, 30, tzinfo=UTC)
    new_york = utc.astimezone(timezone(timedelta(hours=-4)))
    assert new_york.date() == date(2024, 3, 14)
    assert local_date(new_york) == date(2024, 3, 15)


def test_local_date_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError):
        local_date(datetime(2024, 3, 14, 16, 30))


# -- iso_utc / parse_iso_utc -----------------------------------------------------------------


def test_iso_utc_has_microseconds_and_z() -> None:
    assert iso_utc(datetime(2024, 3, 14, 16, 30, tzinfo=UTC)) == "2024-03-14T16:30:00.000000Z"


def test_iso_utc_converts_to_utc() -> None:
    instant = datetime(2024, 3, 15, 0, 30, 1, 5, tzinfo=SHANGHAI)
    assert iso_utc(instant) == "2024-03-14T16:30:01.000005Z"


def test_iso_utc_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError):
        iso_utc(datetime(2024, 3, 14, 16, 30))


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2024, 3, 14, 16, 30, tzinfo=UTC),
        datetime(2024, 3, 15, 0, 30, 1, 123456, tzinfo=SHANGHAI),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_parse_iso_utc_round_trips_iso_utc(instant: datetime) -> None:
    text = iso_utc(instant)
    parsed = parse_iso_utc(text)
    assert parsed == instant
    assert parsed.tzinfo is UTC
    assert iso_utc(parsed) == text


@pytest.mark.parametrize(
    "text", ["2024-03-14T16:30:00Z", "2024-03-14T16:30:00.000000+00:00", "2024-03-14", "garbage"]
)
def test_parse_iso_utc_refuses_other_forms(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso_utc(text)


# -- SimulatedClock ----------------------------------------------------------------------------


def test_simulated_clock_starts_at_its_instant_in_utc() -> None:
    base = FakeClock(datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    clock = SimulatedClock(datetime(2024, 3, 15, 10, 0, tzinfo=SHANGHAI), base=base)
    assert clock.now() == START + timedelta(hours=10)
    assert clock.now().tzinfo is UTC


def test_simulated_clock_advances_with_its_base() -> None:
    base = FakeClock(datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    clock = SimulatedClock(START, base=base)
    base.advance(timedelta(days=40, seconds=3))
    assert clock.now() == START + timedelta(days=40, seconds=3)


def test_simulated_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="naive"):
        SimulatedClock(datetime(2024, 3, 15, 10, 0))


def test_simulated_clock_on_the_system_clock_never_goes_back() -> None:
    clock = SimulatedClock(START)
    first = clock.now()
    assert START <= first <= clock.now() < START + timedelta(minutes=1)
