"""Audit over a database: verify every chain, replay a case and compare it with its row.

``verify_database`` streams the events ordered by case and sequence (server-side cursor on
PostgreSQL), so memory stays flat whatever the size of the database.  It reports every break it
finds rather than stopping at the first: altered or re-linked events, gaps, chains whose end no
longer matches the case row (truncation or appended forgeries), and projections that differ
from what the events imply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select

from ..clock import iso_utc
from ..errors import JiuzhuError, NotFound
from ..models.db import snapshot
from ..service import store
from .chain import ChainBreak, verify_chain
from .replay import expected_row

COMPARED = ("state", "row_version", "programme", "household_id", "village_id", "org_path",
            "expenditure_fen", "monthly_amount_fen", "facts", "deadlines", "last_seq",
            "head_hash", "workflow", "workflow_version", "opened_at", "updated_at")  # fmt: skip


@dataclass
class VerifyReport:
    cases: int = 0
    events: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


@dataclass(frozen=True)
class ReplayResult:
    case_id: str
    events: int
    expected: dict[str, Any]
    stored: dict[str, Any]
    differences: list[tuple[str, Any, Any]]

    @property
    def ok(self) -> bool:
        return not self.differences


def stored_row(row: Any, open_deadlines: dict[str, str]) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in COMPARED}
    values["opened_at"] = iso_utc(row.opened_at)
    values["updated_at"] = iso_utc(row.updated_at)
    values["open_deadline_rows"] = open_deadlines
    return values


def compare(case_id: str, events: list[dict[str, Any]], row: Any,
            open_deadlines: dict[str, str]) -> ReplayResult:  # fmt: skip
    stored = stored_row(row, open_deadlines)
    try:
        expected = expected_row(events)
    except JiuzhuError as exc:
        return ReplayResult(case_id, len(events), {}, stored, [("replay", str(exc), None)])
    expected["open_deadline_rows"] = expected["deadlines"]
    diffs = [(k, expected[k], stored[k]) for k in stored if expected.get(k) != stored[k]]
    return ReplayResult(case_id, len(events), expected, stored, diffs)


def _open_deadlines(conn: Connection, case_id: str | None = None) -> dict[str, dict[str, str]]:
    d = store.deadlines
    query = select(d.c.case_id, d.c.kind, d.c.due_at).where(d.c.status.in_(("pending", "claimed")))
    if case_id is not None:
        query = query.where(d.c.case_id == case_id)
    result: dict[str, dict[str, str]] = {}
    for cid, kind, due in conn.execute(query):
        result.setdefault(cid, {})[kind] = iso_utc(due)
    return result


def replay_case(engine: Engine, case_id: str) -> ReplayResult:
    with snapshot(engine) as conn:
        row = conn.execute(store.SELECT_CASE, {"id": case_id}).first()
        if row is None:
            raise NotFound(f"case {case_id} not found", f"未找到案件 {case_id}")
        events = store.event_dicts(conn.execute(store.SELECT_EVENTS, {"case_id": case_id}))
        deadlines = _open_deadlines(conn, case_id).get(case_id, {})
    return compare(case_id, events, row, deadlines)


def _grouped_events(conn: Connection) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    query = select(store.events).order_by(store.events.c.case_id, store.events.c.seq)
    with conn.execution_options(stream_results=True, yield_per=2000).execute(query) as rows:
        current: str | None = None
        batch: list[dict[str, Any]] = []
        for row in rows:
            if row.case_id != current:
                if current is not None:
                    yield current, batch
                current, batch = row.case_id, []
            batch.append(store.event_dict(row))
        if current is not None:
            yield current, batch


def _cases(conn: Connection) -> Iterator[Any]:
    query = select(store.cases).order_by(store.cases.c.id)
    with conn.execution_options(stream_results=True, yield_per=2000).execute(query) as rows:
        yield from rows


def verify_database(engine: Engine, *,
                    progress: Callable[[int], None] | None = None) -> VerifyReport:  # fmt: skip
    """Check every chain and every case row; ``progress(n_events)`` is called per case."""
    with snapshot(engine) as conn:  # one consistent view, even while others write
        return _verify(conn, progress)


def _verify(conn: Connection, progress: Callable[[int], None] | None) -> VerifyReport:
    report = VerifyReport()
    deadlines = _open_deadlines(conn)
    chains = _grouped_events(conn)
    pending = next(chains, None)
    for row in _cases(conn):
        report.cases += 1
        # events of cases that have no row (a deleted case row) come first in id order
        while pending is not None and pending[0] < row.id:
            report.breaks.append(ChainBreak(pending[0], pending[1][0]["seq"], "orphan_events",
                                            "events exist for a case that has no row"))  # fmt: skip
            pending = next(chains, None)
        if pending is None or pending[0] != row.id:
            report.breaks.append(ChainBreak(row.id, 1, "missing", "the case has no events"))
            continue
        _, events = pending
        pending = next(chains, None)
        report.events += len(events)
        _check_case(report, row, events, deadlines.get(row.id, {}))
        if progress is not None:
            progress(len(events))
    while pending is not None:
        report.breaks.append(ChainBreak(pending[0], pending[1][0]["seq"], "orphan_events",
                                        "events exist for a case that has no row"))  # fmt: skip
        pending = next(chains, None)
    return report


def _check_case(report: VerifyReport, row: Any, events: list[dict[str, Any]],
                open_deadlines: dict[str, str]) -> None:  # fmt: skip
    breaks = list(verify_chain(row.id, events))
    report.breaks.extend(breaks)
    last = events[-1]
    if last["seq"] != row.last_seq or last["hash"] != row.head_hash:
        report.breaks.append(ChainBreak(
            row.id, last["seq"], "head_mismatch",
            f"the chain ends at seq {last['seq']} but the case row names seq {row.last_seq}"
            + ("" if last["seq"] != row.last_seq else " with another hash"),
        ))  # fmt: skip
    if breaks:
        return  # a broken chain cannot be replayed meaningfully
    result = compare(row.id, events, row, open_deadlines)
    for name, expected, stored in result.differences:
        report.breaks.append(
            ChainBreak(
                row.id,
                row.last_seq,
                "projection_differs",
                f"{name}: events imply {expected!r}, row has {stored!r}",
            )
        )
