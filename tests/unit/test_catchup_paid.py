"""The payment run's progress (``scheduler/catchup.py``): the allowance months paid and their
amount in yuan in the progress lines and the summary, on an injected timer and counter."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from jiuzhu.scheduler.catchup import CatchUp
from jiuzhu.scheduler.due import DueGroup
from jiuzhu.service.firing import Fired
from jiuzhu.workflows.base import Label

NOW = datetime(2026, 3, 15, 1, tzinfo=UTC)


class Timer:
    def __init__(self) -> None:
        self.seconds = 100.0

    def __call__(self) -> float:
        return self.seconds


def test_progress_and_summary_show_the_months_paid_and_their_amount_in_yuan(
    caplog: pytest.LogCaptureFixture,
) -> None:
    timer, booked = Timer(), [(0, 0)]
    tally = CatchUp(timer=timer, paid=lambda: booked[-1])
    caplog.set_level(logging.INFO, logger="jiuzhu.scheduler")
    label = Label("按月发放救助金", "pay the monthly allowance")
    tally.begin([DueGroup("fast_track", "allowance_due", label, 1_500, 0, NOW, NOW)], NOW)
    timer.seconds += 5
    booked.append((1_200, 1_200 * 86_000))
    tally.advance([Fired(1, "fired", "case", "allowance_due", 0.0)] * 1_200)
    assert caplog.messages[-1] == (
        "catch-up: fired 1,200 of 1,500 已触发, failed 0; 240/s, about 1 s left 预计剩余; "
        "paid 已发放 1,200 month(s) 月次, 1,032,000.00 yuan 元"
    )
    booked.append((1_500, 1_500 * 86_000 + 1))  # counted once more at the end
    tally.advance([Fired(2, "fired", "case", "allowance_due", 0.0)] * 300)
    summary = tally.end()
    assert summary["allowance_months_paid"] == 1_500
    assert summary["allowance_paid_yuan"] == "1290000.01"
    assert caplog.messages[-1].endswith("; paid 已发放 1,500 month(s) 月次, 1,290,000.01 yuan 元")


def test_nothing_is_said_of_payments_when_the_run_paid_none(
    caplog: pytest.LogCaptureFixture,
) -> None:
    timer = Timer()
    tally = CatchUp(timer=timer, paid=lambda: (0, 0))
    caplog.set_level(logging.INFO, logger="jiuzhu.scheduler")
    tally.begin([], NOW)
    summary = tally.end()
    assert (summary["allowance_months_paid"], summary["allowance_paid_yuan"]) == (0, "0.00")
    assert "paid" not in caplog.messages[-1] and "yuan" not in caplog.messages[-1]
    assert "allowance_months_paid" not in CatchUp(timer=timer).summary()  # not asked: not said
