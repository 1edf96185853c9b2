"""Time is injected.  :class:`SystemClock` is the only place in jiuzhu that reads wall time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """A timezone-aware UTC instant."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to (tests, the demo, replays)."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("a clock never goes back")
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> datetime:
        instant = ensure_utc(instant)
        if instant < self._now:
            raise ValueError("a clock never goes back")
        self._now = instant
        return self._now


class SimulatedClock:
    """Simulated time that runs: it starts at ``start`` and then advances with ``base``.

    It keeps a fixed offset from ``base`` (default: the system clock), so that a long-running
    process such as ``jiuzhu worker`` sees its due times arrive as in production.  The command
    line uses it only on a database marked as a simulation (see :mod:`jiuzhu.simulation`).
    """

    def __init__(self, start: datetime, base: Clock | None = None) -> None:
        self._base: Clock = base or SystemClock()
        self._offset = ensure_utc(start) - self._base.now()

    def now(self) -> datetime:
        return self._base.now() + self._offset


def ensure_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant.isoformat()}: give a timezone")
    return instant.astimezone(UTC)


def local_date(instant: datetime) -> date:
    """The calendar day in Shanghai on which an instant falls."""
    return ensure_utc(instant).astimezone(SHANGHAI).date()


def iso_utc(instant: datetime) -> str:
    """The one text form of an instant used in events and hashes: microseconds, 'Z'."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant.isoformat()}: give a timezone")
    text = instant.astimezone(UTC).replace(tzinfo=None).isoformat("T", "microseconds")
    if len(text) != 26:  # years before 1000 or after 9999 have no fixed-width form
        raise ValueError(f"{instant!r} is outside the years 1000-9999")
    return text + "Z"


@lru_cache(maxsize=1024)  # replay reads each event's instant several times (fold, ledger)
def parse_iso_utc(text: str) -> datetime:
    if len(text) != 27 or text[-1] != "Z" or text[10] != "T":
        raise ValueError(f"'{text}' is not an instant of the form 2024-03-15T02:00:00.000000Z")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
