"""A catch-up sweep's tally and lines (``scheduler/catchup.py``), on an injected timer: what
was due at the start, progress every few seconds with rate and time left, and the summary."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from jiuzhu.scheduler.catchup import CatchUp
from jiuzhu.scheduler.due import DueGroup
from jiuzhu.service.firing import Fired
from jiuzhu.workflows.base import Label

NOW = datetime(2025, 6, 3, 1, tzinfo=UTC)


class Timer:
    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def group(workflow: str, kind: str, due: int, days_late: int) -> DueGroup:
    earliest = NOW - timedelta(days=days_late)
    return DueGroup(workflow, kind, Label(kind, kind), due, 0, earliest, NOW)


def fired(kind: str, late: float) -> Fired:
    return Fired(1, "fired", "case", kind, late)


def test_catch_up_logs_what_is_due_its_progress_every_five_seconds_and_a_summary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    timer = Timer()
    tally = CatchUp(timer=timer)
    caplog.set_level(logging.INFO, logger="jiuzhu.scheduler")
    tally.begin([group("fast_track", "verification_due", 30, 10),
                 group("standard", "visit_due", 10, 649),
                 group("fast_track", "visit_due", 60, 3)], NOW)  # fmt: skip
    assert tally.due == 100 and tally.due_by_kind == {"verification_due": 30, "visit_due": 70}
    assert caplog.messages == ["catch-up: 100 deadline(s) due 到期期限 (verification_due 30, "
                               "visit_due 70); the most late 最迟 649 天 days 0 小时 h"]  # fmt: skip
    timer.seconds += 2
    tally.advance([fired("verification_due", 864_000.0)] * 20)
    assert len(caplog.messages) == 1  # under five seconds since the start: no line yet
    timer.seconds += 3
    tally.advance([fired("visit_due/plan-1", 60.0)] * 20 + [Fired(2, "failed", "case")])
    assert caplog.messages[-1] == ("catch-up: fired 40 of 100 已触发, failed 1; 8/s, "
                                   "about 7 s left 预计剩余")  # fmt: skip
    timer.seconds += 5  # firing armed more that were due: the total grows to match
    tally.advance([fired("visit_due/plan-2", 56_073_600.0)] * 70)
    assert tally.total == 111
    assert caplog.messages[-1].startswith("catch-up: fired 110 of 111 已触发, failed 1; 11/s")
    summary = tally.end()
    assert summary == {"due_at_start": 100, "fired": 110,
                       "fired_by_kind": {"verification_due": 20, "visit_due": 90},
                       "failed": 1, "max_late_seconds": 56_073_600, "elapsed_seconds": 10.0,
                       "rate_per_second": 11.0}  # fmt: skip
    assert caplog.records[-1].levelno == logging.WARNING  # one could not fire
    assert caplog.messages[-1] == ("catch-up done 补扫完成: fired 110 (verification_due 20, "
                                   "visit_due 90), failed 1, up to 649 天 days 0 小时 h late "
                                   "最迟; 10.0 s, 11/s")  # fmt: skip


def test_catch_up_with_nothing_due_says_so_and_has_no_time_left() -> None:
    tally = CatchUp(timer=Timer())
    tally.begin([], NOW)
    assert tally.start_text() == "catch-up: nothing due 无到期期限"
    assert tally.eta_seconds() is None and tally.rate() == 0.0
    assert tally.summary()["fired_by_kind"] == {}


def test_the_total_follows_the_recount_of_what_is_still_due(
    caplog: pytest.LogCaptureFixture,
) -> None:
    timer, still_due = Timer(), [40]
    tally = CatchUp(timer=timer, recount=lambda: still_due[0])
    caplog.set_level(logging.INFO, logger="jiuzhu.scheduler")
    tally.begin([group("standard", "allowance_due", 10, 400)], NOW)
    timer.seconds += 5  # each of the 10 monthly chains armed its next month, due too
    tally.advance([fired("allowance_due", 3600.0)] * 10)
    assert tally.total == 50  # 10 fired and 40 still due
    assert caplog.messages[-1] == ("catch-up: fired 10 of 50 已触发, failed 0; 2/s, "
                                   "about 20 s left 预计剩余")  # fmt: skip
