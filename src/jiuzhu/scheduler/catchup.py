"""What a catch-up sweep says while it runs: what is due at its start, how far it got, and a
summary at its end (``jiuzhu worker --once``).

After a long downtime a sweep may fire tens of thousands of deadlines, months late.  The
:class:`CatchUp` tally is told what was due (:func:`jiuzhu.scheduler.due.due_groups`) and then
each fired chunk; by default it writes log lines on ``jiuzhu.scheduler``: one at the start
(how many are due, by kind, the most late), a progress line every ``every`` seconds (fired of
the total, rate, time left) and a summary at the end (fired by kind, failed, up to how late,
elapsed, rate).  The console program shows a progress bar instead on a terminal
(``cli/worker_progress.py``).  Time is read from ``timer`` (seconds, monotonic), so tests
give their own.

The total is what was due at the start; firing can arm more that are already due (the next
month's allowance and the next visit of a chain missed for months), which fire in the same
sweep.  So every ``every`` seconds ``recount`` (when given) says how many are still due, and
the total becomes what fired plus that: the bar and the time left stay honest about what is
known, and grow while the chains unroll.

For the monthly payment run ``paid`` (when given; :meth:`CatchUp.watch` gives it) says, at the
same moments and at the end, how many allowance months the ledger booked since the start and
their sum: the lines and the bar show the months paid and the amount in yuan (every worker's
payments, when several run at once), and the summary gives both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from ..clock import Clock
from ..models import rows
from ..money import yuan
from ..service.firing import Fired
from .due import DueGroup, due_groups, late_text

log = logging.getLogger("jiuzhu.scheduler")

PROGRESS_EVERY = 5.0  # seconds between progress lines in the log


@dataclass
class CatchUp:
    """The tally of one catch-up sweep, and the lines it logs."""

    timer: Callable[[], float] = time.monotonic
    every: float = PROGRESS_EVERY
    due: int = 0
    due_by_kind: dict[str, int] = field(default_factory=dict)
    most_late_seconds: float = 0.0
    fired: int = 0
    fired_by_kind: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    max_late_seconds: float = 0.0
    started: float = 0.0
    recount: Callable[[], int] | None = None  # how many are still due (asked every ``every`` s)
    still_due: int | None = None
    paid: Callable[[], tuple[int, int]] | None = None  # allowance months, fen since the start
    paid_months: int = 0
    paid_fen: int = 0
    _last_shown: float = 0.0

    # -- the tally ---------------------------------------------------------------------------
    def watch(self, engine: Engine, clock: Clock) -> None:
        """Begin with what is due in ``engine`` now, and recount it there as the sweep goes."""
        self.recount = lambda: sum(g.due for g in due_groups(engine, clock.now()))
        self.paid = allowance_booked(engine)
        now = clock.now()
        self.begin(due_groups(engine, now), now)

    def begin(self, groups: Sequence[DueGroup], now: datetime) -> None:
        """What is due at the start of the sweep (``now``), then the clock starts."""
        for g in groups:
            self.due += g.due
            self.due_by_kind[g.kind] = self.due_by_kind.get(g.kind, 0) + g.due
            self.most_late_seconds = max(self.most_late_seconds, g.late_seconds(now))
        self.started = self._last_shown = self.timer()
        self.show_start()

    def advance(self, results: Sequence[Fired]) -> None:
        """One fired chunk's results."""
        for fired in results:
            if fired.outcome == "fired":
                kind = (fired.kind or "?").partition("/")[0]
                self.fired += 1
                self.fired_by_kind[kind] = self.fired_by_kind.get(kind, 0) + 1
                self.max_late_seconds = max(self.max_late_seconds, fired.late_by_seconds or 0.0)
            elif fired.outcome == "failed":
                self.failed += 1
        self.show_progress()

    def end(self) -> dict[str, Any]:
        """The summary, shown and returned."""
        self.count_paid()
        summary = self.summary()
        self.show_end(summary)
        return summary

    @property
    def total(self) -> int:
        done = self.fired + self.failed
        return max(self.due if self.still_due is None else 0, done + (self.still_due or 0))

    def elapsed(self) -> float:
        return max(0.0, self.timer() - self.started)

    def rate(self) -> float:
        """Deadlines fired per second so far."""
        elapsed = self.elapsed()
        return self.fired / elapsed if elapsed > 0 else 0.0

    def eta_seconds(self) -> float | None:
        rate = self.rate()
        return (self.total - self.fired - self.failed) / rate if rate > 0 else None

    def summary(self) -> dict[str, Any]:
        out = {"due_at_start": self.due, "fired": self.fired,
               "fired_by_kind": dict(sorted(self.fired_by_kind.items())),
               "failed": self.failed, "max_late_seconds": round(self.max_late_seconds),
               "elapsed_seconds": round(self.elapsed(), 3),
               "rate_per_second": round(self.rate(), 1)}  # fmt: skip
        if self.paid is not None:
            out |= {"allowance_months_paid": self.paid_months,
                    "allowance_paid_yuan": yuan(self.paid_fen)}  # fmt: skip
        return out

    def count_paid(self) -> None:
        """Ask the ledger what the run paid so far (when ``paid`` is given)."""
        if self.paid is not None:
            self.paid_months, self.paid_fen = self.paid()

    def paid_text(self) -> str:
        """The months paid and their amount, or nothing when the run paid none."""
        if not self.paid_months:
            return ""
        return f"paid 已发放 {self.paid_months:,} month(s) 月次, {self.yuan_text()} yuan 元"

    def yuan_text(self) -> str:
        whole, _, cents = yuan(self.paid_fen).partition(".")
        return f"{int(whole):,}.{cents}"

    # -- the lines (the console program overrides these with a progress bar) ------------------
    def start_text(self) -> str:
        if not self.due:
            return "catch-up: nothing due 无到期期限"
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(self.due_by_kind.items()))
        return (f"catch-up: {self.due:,} deadline(s) due 到期期限 ({kinds}); the most late "
                f"最迟 {late_text(self.most_late_seconds)}")  # fmt: skip

    def progress_text(self) -> str:
        eta = self.eta_seconds()
        left = "-" if eta is None else f"{eta:.0f} s"
        paid = self.paid_text()
        return (f"catch-up: fired {self.fired:,} of {self.total:,} 已触发, failed "
                f"{self.failed:,}; {self.rate():,.0f}/s, about {left} left 预计剩余"
                + (f"; {paid}" if paid else ""))  # fmt: skip

    def end_text(self, summary: dict[str, Any]) -> str:
        kinds = ", ".join(f"{k} {n:,}" for k, n in summary["fired_by_kind"].items()) or "-"
        paid = self.paid_text()
        return (f"catch-up done 补扫完成: fired {self.fired:,} ({kinds}), failed "
                f"{self.failed:,}, up to {late_text(self.max_late_seconds)} late 最迟; "
                f"{summary['elapsed_seconds']:.1f} s, {summary['rate_per_second']:,.0f}/s"
                + (f"; {paid}" if paid else ""))  # fmt: skip

    def show_start(self) -> None:
        log.info("%s", self.start_text())

    def due_again(self) -> bool:
        """Every ``every`` seconds: recount what is still due; True when it is time to show."""
        now = self.timer()
        if now - self._last_shown < self.every:
            return False
        self._last_shown = now
        if self.recount is not None:
            self.still_due = self.recount()
        self.count_paid()
        return True

    def show_progress(self) -> None:
        if self.due_again():
            log.info("%s", self.progress_text())

    def show_end(self, summary: dict[str, Any]) -> None:
        log.log(logging.WARNING if self.failed else logging.INFO, "%s", self.end_text(summary))


def allowance_booked(engine: Engine) -> Callable[[], tuple[int, int]]:
    """A counter of the ``allowance`` ledger lines booked after now: (lines, fen) so far.

    Each call counts every line after the ledger's last id at the start (an index range): a
    line another worker committed late, under a lower id than one already seen, still counts.
    """
    led = rows.ledger
    with engine.connect() as conn:
        start = conn.execute(select(func.max(led.c.id))).scalar() or 0
    query = select(func.count(), func.coalesce(func.sum(led.c.amount_fen), 0)).where(
        led.c.id > start, led.c.kind == "allowance")  # fmt: skip

    def booked() -> tuple[int, int]:
        with engine.connect() as conn:
            lines, fen = conn.execute(query).one()
        return int(lines), int(fen)

    return booked
