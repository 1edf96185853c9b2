"""The process' command tally behind ``GET /metrics``: counts by outcome, cumulative buckets."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from jiuzhu.errors import InvalidInput
from jiuzhu.metrics import Tally


def samples(tally: Tally) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(tally)
    text = generate_latest(registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


def test_tally_counts_outcomes_and_fills_cumulative_buckets() -> None:
    tally = Tally()
    tally.add("approve", "ok", 0.003)
    tally.add("approve", "ok", 0.2)
    tally.add("approve", "invalid_transition", 10.0)  # beyond the last bucket
    got = samples(tally)
    assert got[("jiuzhu_commands_total", (("command", "approve"), ("outcome", "ok")))] == 2
    assert got[("jiuzhu_commands_total", (("command", "approve"),
                                          ("outcome", "invalid_transition")))] == 1  # fmt: skip
    bucket = "jiuzhu_command_seconds_bucket"
    assert got[(bucket, (("command", "approve"), ("le", "0.0025")))] == 0
    assert got[(bucket, (("command", "approve"), ("le", "0.005")))] == 1
    assert got[(bucket, (("command", "approve"), ("le", "0.25")))] == 2
    assert got[(bucket, (("command", "approve"), ("le", "5.0")))] == 2
    assert got[(bucket, (("command", "approve"), ("le", "+Inf")))] == 3
    assert got[("jiuzhu_command_seconds_count", (("command", "approve"),))] == 3
    assert got[("jiuzhu_command_seconds_sum", (("command", "approve"),))] == pytest.approx(10.203)


def test_a_refusal_is_counted_under_its_code_and_raised_unchanged() -> None:
    from jiuzhu import metrics

    def refused() -> None:
        raise InvalidInput("bad", "错")

    before = metrics.PROCESS.outcomes.get(("probe", "invalid_input"), 0)
    with pytest.raises(InvalidInput):
        metrics.measured("probe", refused)
    assert metrics.PROCESS.outcomes[("probe", "invalid_input")] == before + 1
    assert metrics.measured("probe", lambda: 42) == 42
    assert metrics.PROCESS.outcomes[("probe", "ok")] >= 1
