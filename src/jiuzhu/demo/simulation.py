"""The simulated year: a clock that only moves forward, scripts in time order, the worker.

Each case is a small script (a generator) that performs one step, then yields the moment of
its next step; a heap runs the scripts in time order and moves the :class:`FakeClock` forward,
so office hours, same-day approvals and the month-long data check all happen on the simulated
calendar.  The deadline worker wakes on the hour after each due time, as ``jiuzhu worker``
arms its wake-up job, and sweeps what fell due (``scheduler.sweep``).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from random import Random
from typing import Any, TypeVar

from ..clock import SHANGHAI, FakeClock, local_date, parse_iso_utc
from ..scheduler.sweep import SweepReport, earliest_pending, sweep
from ..service.service import CaseService
from ..service.views import CaseView, HouseholdView
from .county import People, Units

START = datetime(2024, 2, 20, 8, 0, tzinfo=SHANGHAI)  # the Tuesday after the Spring Festival
OPEN, CLOSE = time(8, 30), time(17, 30)
END = datetime(2025, 2, 20, 17, 30, tzinfo=SHANGHAI)  # a year later, at closing time
DAYS = (END.date() - START.date()).days  # applications arrive until the last day
HOUR = timedelta(hours=1)  # the simulated worker sweeps on the hour after each due time
WORKER = "demo"

# -- the simulation ----------------------------------------------------------------------------
Script = Iterator[datetime]
T = TypeVar("T")


@dataclass
class Stats:
    commands: int = 0
    applications: int = 0
    intake_refusals: int = 0
    households: int = 0
    sweeps: int = 0  # the worker's wake-ups, each sweeping what was due
    fired: int = 0  # deadlines the simulated worker fired
    bills_refused: int = 0  # medical bills dated before the day of inclusion
    routed: int = 0  # fast-track refusals that applied on the standard path
    latest_minutes: float = 0.0  # the latest any of them fired after falling due


class Simulation:
    def __init__(self, svc: CaseService, clock: FakeClock, units: Units, seed: int) -> None:
        self.svc, self.clock, self.units, self.seed = svc, clock, units, seed
        self.people = People()
        self.stats = Stats()
        self.closed: set[str] = set()  # cases revoked or terminated: their services stop
        self._wakes: set[datetime] = set()  # the hours the worker is armed to sweep at
        self._heap: list[tuple[datetime, int, Script]] = []
        self._order = itertools.count()

    def start(self, at: datetime, script: Script) -> None:
        heapq.heappush(self._heap, (at, next(self._order), script))

    def run(self, until: datetime, on_day: Callable[[int, int, str], None]) -> None:
        total, shown = (until - START).days, -1
        while self._heap and self._heap[0][0] <= until:
            at, order, script = heapq.heappop(self._heap)
            self.clock.set(at)
            days = (at - START).days
            if days != shown:
                shown = days
                on_day(days, total, local_date(at).isoformat())
            step = next(script, None)
            if step is not None:  # never in the past: the clock only moves forward
                heapq.heappush(self._heap, (max(step, at), order, script))
        on_day(total, total, local_date(until).isoformat())

    def wake_at(self, due: datetime) -> None:
        """Have the worker sweep at the first whole hour at or after ``due`` (once per hour)."""
        hour = due.replace(minute=0, second=0, microsecond=0)
        hour += HOUR if hour < due else timedelta(0)
        if hour not in self._wakes:
            self._wakes.add(hour)
            self.start(hour, wake(self, hour))

    def record_sweep(self, report: SweepReport) -> None:
        self.stats.sweeps += 1
        self.stats.fired += report.fired
        late = max(report.late_seconds, default=0.0) / 60
        self.stats.latest_minutes = max(self.stats.latest_minutes, late)

    def call(self, command: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a service command; any deadline it leaves open arms the worker's wake-up."""
        self.stats.commands += 1
        result = command(*args, **kwargs)
        if isinstance(result, CaseView):
            for due in result.deadlines.values():
                self.wake_at(parse_iso_utc(due))
        return result

    def household(self, village: str, members: list[dict[str, str]]) -> HouseholdView:
        self.stats.households += 1
        return self.call(self.svc.register_household, self.units.villages[village],
                         members=members)  # fmt: skip

    def later(self, rng: Random, low_minutes: int, high_minutes: int) -> datetime:
        candidate = self.clock.now() + timedelta(minutes=rng.randint(low_minutes, high_minutes))
        return office_time(candidate, rng)


def office_time(candidate: datetime, rng: Random) -> datetime:
    """``candidate`` if it falls in office hours on a weekday, else the next opening (+jitter)."""
    local = candidate.astimezone(SHANGHAI)
    day = local.date()
    if local.time() >= CLOSE:
        day += timedelta(days=1)
    elif local.time() >= OPEN and day.weekday() < 5:
        return candidate
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, OPEN, SHANGHAI) + timedelta(minutes=rng.randint(0, 180))


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), SHANGHAI)


def pick(rng: Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def wake(sim: Simulation, at: datetime) -> Script:
    """The deadline worker's wake-up: sweep what is due, then arm the next wake-up at the
    earliest pending deadline (as ``jiuzhu worker`` does with its APScheduler date job)."""
    sim.record_sweep(sweep(sim.svc, worker=WORKER, now=at))
    following = earliest_pending(sim.svc)
    if following is not None:
        sim.wake_at(max(following, at + HOUR))
    yield from ()  # a script of one step
