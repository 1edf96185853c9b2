"""Metrics for operators, in Prometheus' text format (``GET /metrics``).

Two kinds, from two places:

- what this process did: commands run, by command and outcome (``ok`` or the refusal's
  code), and how long each took (``jiuzhu_commands_total``, ``jiuzhu_command_seconds``);
- what the database holds, read when the page is asked for, so that it is the same whichever
  process answers and counts the work of every worker: deadlines by status, deadlines due now,
  the worker's lag (how late the oldest due deadline is), deadlines fired, cases by workflow
  and state, and the latest audit checkpoint.

prometheus-client writes the format, imported only when the page is asked for; each page has
its own registry, so that nothing else registered in the process mixes in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select

from .clock import ensure_utc
from .errors import JiuzhuError
from .models import rows
from .models.audit_tables import CheckpointRecord
from .scheduler.due import due_groups

T = TypeVar("T")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)  # seconds


@dataclass
class Timing:
    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))  # per bucket
    total: int = 0
    seconds: float = 0.0


@dataclass(eq=False)  # registered by identity
class Tally:
    """This process' commands: a lock and two dicts, so that counting costs a command next to
    nothing and no command line pays for importing prometheus-client."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: dict[tuple[str, str], int] = field(default_factory=dict)
    timings: dict[str, Timing] = field(default_factory=dict)

    def add(self, command: str, outcome: str, seconds: float) -> None:
        with self.lock:
            key = (command, outcome)
            self.outcomes[key] = self.outcomes.get(key, 0) + 1
            timing = self.timings.setdefault(command, Timing())
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    timing.counts[i] += 1
                    break
            timing.total += 1
            timing.seconds += seconds

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

        commands = CounterMetricFamily("jiuzhu_commands", "Commands run by this process, by "
                                       "command and outcome (ok, or the code of the refusal)",
                                       labels=["command", "outcome"])  # fmt: skip
        seconds = HistogramMetricFamily("jiuzhu_command_seconds", "Time a command took in this "
                                        "process, from its check to its commit",
                                        labels=["command"])  # fmt: skip
        with self.lock:
            for (command, outcome), n in sorted(self.outcomes.items()):
                commands.add_metric([command, outcome], n)
            for command, t in sorted(self.timings.items()):
                running, buckets = 0, []
                for bound, n in zip(BUCKETS, t.counts, strict=True):
                    running += n
                    buckets.append((repr(bound), running))
                buckets.append(("+Inf", t.total))
                seconds.add_metric([command], buckets, t.seconds)
        yield from (commands, seconds)


PROCESS = Tally()


def measured(command: str, call: Callable[[], T]) -> T:
    """Run a command, counting it by outcome (``ok``, the refusal's code, or ``internal`` for an
    error jiuzhu did not raise) and timing it."""
    started, outcome = perf_counter(), "internal"
    try:
        result = call()
        outcome = "ok"
        return result
    except JiuzhuError as exc:
        outcome = exc.code
        raise
    finally:
        PROCESS.add(command, outcome, perf_counter() - started)


class DatabaseCollector:
    """The database's gauges, read at ``now`` (one read transaction per scrape)."""

    def __init__(self, engine: Engine, now: datetime) -> None:
        self.engine, self.now = engine, now

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        d, c = rows.deadlines, rows.cases
        k = CheckpointRecord.__table__  # type: ignore[attr-defined]
        by_status = GaugeMetricFamily("jiuzhu_deadlines", "Deadlines by status", labels=["status"])
        due = GaugeMetricFamily("jiuzhu_deadlines_due", "Deadlines a sweep would claim now "
                                "(due, or under an expired claim), by kind",
                                labels=["kind"])  # fmt: skip
        fired = CounterMetricFamily("jiuzhu_deadlines_fired", "Deadlines fired, by every worker")
        lag = GaugeMetricFamily("jiuzhu_worker_lag_seconds", "How late the oldest deadline a "
                                "sweep would claim is (0 when none is due)")  # fmt: skip
        cases = GaugeMetricFamily("jiuzhu_cases", "Cases by workflow and state",
                                  labels=["workflow", "state"])  # fmt: skip
        checkpoint = GaugeMetricFamily("jiuzhu_audit_checkpoint_timestamp_seconds", "When the "
                                       "latest audit checkpoint was taken (0: none yet)")  # fmt: skip
        groups = due_groups(self.engine, self.now)  # what a sweep at now would claim
        with self.engine.connect() as conn:
            counts = dict(conn.execute(select(d.c.status, func.count()).group_by(d.c.status)).all())
            states = conn.execute(select(c.c.workflow, c.c.state, func.count())
                                  .group_by(c.c.workflow, c.c.state)).all()  # fmt: skip
            taken = conn.execute(select(func.max(k.c.taken_at))).scalar()
        for status in ("pending", "claimed", "fired", "done", "cancelled"):
            by_status.add_metric([status], counts.get(status, 0))
        merged: dict[str, int] = {}
        for g in groups:  # one family per kind, whichever workflow
            merged[g.kind] = merged.get(g.kind, 0) + g.due
        for kind, n in sorted(merged.items()):
            due.add_metric([kind], n)
        fired.add_metric([], counts.get("fired", 0))
        lag.add_metric([], max((g.late_seconds(self.now) for g in groups), default=0.0))
        for workflow, state, n in states:
            cases.add_metric([workflow, state], n)
        checkpoint.add_metric([], 0 if taken is None else ensure_utc(taken).timestamp())
        yield from (by_status, due, fired, lag, cases, checkpoint)


def exposition(engine: Engine, now: datetime) -> bytes:
    """The metrics page: this process' counters, then the database's gauges at ``now``."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(PROCESS)
    registry.register(DatabaseCollector(engine, now))
    return generate_latest(registry)
