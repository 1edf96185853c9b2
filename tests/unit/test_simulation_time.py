"""Unit tests for reading ``$JIUZHU_SIMULATED_TIME`` (jiuzhu.simulation.simulated_start)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jiuzhu.errors import InvalidInput
from jiuzhu.simulation import ENV_SIMULATED_TIME, simulated_start


@pytest.mark.parametrize("environ", [{}, {ENV_SIMULATED_TIME: ""}, {ENV_SIMULATED_TIME: "  "}])
def test_unset_or_empty_means_no_simulated_time(environ: dict[str, str]) -> None:
    assert simulated_start(environ) is None


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2024-03-15T10:00:00+08:00", datetime(2024, 3, 15, 2, 0, tzinfo=UTC)),
        ("2026-12-31T23:30+08:00", datetime(2026, 12, 31, 15, 30, tzinfo=UTC)),
        ("2028-02-29T00:00:00Z", datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
    ],
)
def test_an_instant_with_an_offset_is_read_in_utc(text: str, instant: datetime) -> None:
    start = simulated_start({ENV_SIMULATED_TIME: text})
    assert start == instant and start is not None and start.tzinfo is UTC


@pytest.mark.parametrize("text", ["2024-03-15T10:00:00", "2024-03-15", "tomorrow",
                                  "2024-02-30T10:00+08:00"])  # fmt: skip
def test_a_text_without_offset_or_not_an_instant_is_refused_in_both_languages(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        simulated_start({ENV_SIMULATED_TIME: text})
    assert ENV_SIMULATED_TIME in refused.value.message and text in refused.value.message
    assert "带时区偏移" in refused.value.zh
