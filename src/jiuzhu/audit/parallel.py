"""``jiuzhu audit verify --jobs N``: the audit of :mod:`.verify` in several processes, over one
consistent snapshot, with the findings of a serial audit (the same breaks, in the same order).

The parent opens the snapshot and holds it to the end.  On PostgreSQL it exports it
(``pg_export_snapshot()``) and every worker enters it (``SET TRANSACTION SNAPSHOT``), so all
read the very same state even while others write.  SQLite has no shared snapshot: a reader in
WAL mode sees the database as of its own first read.  So the parent reads ``PRAGMA
data_version`` on a separate connection before it opens its own read transaction and again
once every worker has opened its one; unchanged, no other connection committed in between,
and every process reads the same state.  Changed, the workers are let go and the audit runs in
one process, in the parent's snapshot (the report's notes say so).

The work is cut into parts (:mod:`.parallel_tasks`), handed to a pool of ``spawn``ed
processes (no fork of open connections):

- spans of case ids (bounds taken from the cases, in the streams' code-point order): each
  checked as the serial audit checks its cases; their breaks, joined in span order, are the
  serial ones;
- aligned ranges of the Merkle log's leaves, whose peaks the parent joins into the tree's root
  at each checkpoint's size.

Meanwhile the parent recomputes the checkpoints' roots from the head lines, reads the registry
records and the stuck claims.  The log is judged clean only when every leaf hashes to its data
with no gap, every checkpoint root holds, the rows' leaves in every span are exactly the log's
row leaves under it, with as many row leaves in the log as in the spans, and every registry
record matches its latest leaf: exactly when :func:`~.log.log_breaks` finds nothing.  When
anything is amiss there, :func:`~.log.log_breaks` itself runs in the parent's snapshot, so the
log's breaks are the serial ones, word for word.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import queue
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

from ..models import log_sql
from ..models.db import is_sqlite, make_readonly_engine, snapshot
from . import merkle, sources
from .breaks import Break
from .checkpoint import checkpoint_breaks, head_line, load_checkpoints
from .claims import bad_claims
from .log import _checkpoint_breaks, checkpoints, log_breaks
from .parallel_tasks import (
    CasesPart,
    LogPart,
    cases_part,
    log_part,
    records_digest,
    records_part,
    start,
)
from .verify import Audit, VerifyReport, verify_connection

MAX_JOBS = 64
SMALL = 20_000  # cases: below this, spawning processes costs more than it saves
LOG_RANGE = 1 << 16  # leaves per log part (a power of two)
SPAN_CASES = 5_000  # cases per span, at least one span per job
READY_SECONDS = 120
last_peaks: dict[int, int] = {}  # pid -> peak resident kB of the last run's workers
last_workers: list[int] = []  # the pids of the last run's workers, once in the snapshot


def default_jobs(cases: int) -> int:
    """The cores this process may use; 1 for a small database, which one process checks
    faster than it can start others."""
    if cases < SMALL:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_JOBS, cores))


def verify_parallel(engine: Engine, jobs: int, *, trusted_key: str | None = None,
                    now: datetime | None = None,
                    advance: Callable[[int], None] | None = None) -> VerifyReport:  # fmt: skip
    """:func:`~.verify.verify_database` in ``jobs`` processes; ``advance(n)``: n more cases
    checked (one progress bar over all the workers)."""
    url = engine.url.render_as_string(hide_password=False)
    last_peaks.clear()
    last_workers.clear()
    if jobs <= 1 or (is_sqlite(engine) and engine.url.database in (None, "", ":memory:")):
        with snapshot(engine) as conn:
            return verify_connection(conn, trusted_key=trusted_key, now=now,
                                     progress=_per_case(advance))  # fmt: skip
    probe = make_readonly_engine(url) if is_sqlite(engine) else None
    try:
        before = _data_version(probe)
        with snapshot(engine) as conn:
            exported = None if probe else str(conn.exec_driver_sql(
                "SELECT pg_export_snapshot()").scalar_one())  # fmt: skip
            log_sql.size(conn)  # the first read: on SQLite it fixes the parent's snapshot
            return _run(conn, url, exported, jobs, trusted_key, now, advance,
                        lambda: before == _data_version(probe))  # fmt: skip
    finally:
        if probe is not None:
            probe.dispose()


def _per_case(advance: Callable[[int], None] | None) -> Callable[[int], None] | None:
    return None if advance is None else (lambda _events: advance(1))


def _advancing(advance: Callable[[int], None]) -> Callable[[Future[CasesPart]], None]:
    def done(future: Future[CasesPart]) -> None:
        if not future.cancelled() and future.exception() is None:
            advance(future.result().cases)

    return done


def _data_version(probe: Engine | None) -> int | None:
    if probe is None:
        return None
    with probe.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA data_version").scalar_one())


def _run(conn: Connection, url: str, exported: str | None, jobs: int, trusted_key: str | None,
         now: datetime | None, advance: Callable[[int], None] | None,
         unchanged: Callable[[], bool]) -> VerifyReport:  # fmt: skip
    size = log_sql.size(conn)
    cps = load_checkpoints(conn)
    log_cps = checkpoints(conn)
    spans = case_spans(conn, jobs)
    ranges = [(lo, min(size, lo + LOG_RANGE)) for lo in range(0, size, LOG_RANGE)]
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=start,
                             initargs=(url, exported, ready)) as pool:  # fmt: skip
        records = pool.submit(records_part)
        case_futures: list[Future[CasesPart]] = []
        log_futures: list[Future[LogPart]] = []
        for i in range(max(len(spans), len(ranges))):
            if i < len(ranges):
                lo, hi = ranges[i]
                sizes = [cp.size for cp in log_cps if lo < cp.size <= hi]
                log_futures.append(pool.submit(log_part, lo, hi, sizes))
            if i < len(spans):
                future = pool.submit(cases_part, spans[i], trusted_key, size)
                if advance is not None:
                    future.add_done_callback(_advancing(advance))
                case_futures.append(future)
        await_ready(ready, jobs, [*case_futures, *log_futures])
        if not unchanged():  # SQLite: something committed while the workers opened theirs
            for waiting in case_futures:
                waiting.cancel()
            for pending in log_futures:
                pending.cancel()
            report = verify_connection(conn, trusted_key=trusted_key, now=now,
                                       progress=None)  # fmt: skip
            report.notes.append("the database changed while the worker processes opened it: "
                                "verified in one process, in one snapshot")  # fmt: skip
            return report
        roots = head_roots(conn, cps)
        claims = [Break(b.case_id, b.seq, "stuck_claim", b.detail)
                  for b in bad_claims(conn, now=now)]  # fmt: skip
        log_clean = not _checkpoint_breaks(conn, log_cps, size, trusted_key)
        parts = [f.result() for f in case_futures]
        pieces = [f.result() for f in log_futures]
        stored = records.result()
    latest: dict[tuple[str, str], bytes] = {}
    for piece in pieces:  # the latest leaf of each record, the later range's last
        latest.update(piece.latest)
        piece.latest = {}
    last_peaks[stored[3]] = stored[4]
    for pid, kb in [(p.pid, p.peak_kb) for p in parts] + [(p.pid, p.peak_kb) for p in pieces]:
        last_peaks[pid] = max(last_peaks.get(pid, 0), kb)
    audit = Audit(cps, trusted_key, with_ids=True)
    audit.roots = roots
    report = audit.report
    report.breaks += checkpoint_breaks(cps, trusted_key)
    for part in parts:
        report.breaks += part.breaks
        report.cases += part.cases
        report.events += part.events
        audit.new_cases = [a + b for a, b in zip(audit.new_cases, part.new_cases, strict=True)]
        audit.grown_events = [a + b for a, b in zip(audit.grown_events, part.grown_events,
                                                    strict=True)]  # fmt: skip
    report.breaks += audit.checkpoint_totals()
    count, distinct, digest = stored[:3]  # each record read once, and as its latest leaf
    log_clean = log_clean and count == distinct == len(latest) and digest == records_digest(latest)
    log_clean = log_clean and _log_holds(pieces, parts, log_cps, size)
    report.breaks += [] if log_clean else log_breaks(conn, trusted_key)
    report.breaks += claims
    return report


def case_spans(conn: Connection, jobs: int) -> list[tuple[str | None, str | None]]:
    """Spans of case ids [low, high) covering every id, about :data:`SPAN_CASES` cases each
    (at least ``jobs`` spans), bounded by case ids in the streams' order."""
    source = sources.DatabaseSource(conn)
    order = source.order.replace("case_id", "id", 1)
    count = int(conn.exec_driver_sql("SELECT count(*) FROM cases").scalar_one())
    parts = max(jobs, min(64 * jobs, count // SPAN_CASES))
    bounds: list[str | None] = [None]
    for i in range(1, parts):
        offset = count * i // parts
        found = conn.exec_driver_sql(
            f"SELECT id FROM cases ORDER BY {order} LIMIT 1 OFFSET {offset}").scalar()  # fmt: skip
        if found is not None and found != bounds[-1]:
            bounds.append(str(found))
    bounds.append(None)
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def head_roots(conn: Connection, cps: list[Any]) -> list[Any]:
    """Each checkpoint's root recomputed from its head lines, as :class:`~.verify.Audit` does."""
    index = {cp.number: i for i, cp in enumerate(cps)}
    roots = [hashlib.sha256() for _ in cps]
    for case_id, heads in sources.DatabaseSource(conn).heads():
        for k, seq, digest in heads:
            i = index.get(k)
            if i is not None:
                roots[i].update(head_line(case_id, seq, digest))
    return roots


def await_ready(ready: Any, jobs: int, futures: list[Any]) -> None:
    """Wait until every worker is inside the snapshot; a worker that failed to start (its
    parts fail with it) raises its error here instead of a wait to the time-out."""
    waited = 0.0
    last_workers.clear()
    while len(last_workers) < jobs:
        try:
            last_workers.append(int(ready.get(timeout=0.2)))
        except queue.Empty:
            waited += 0.2
            for future in futures:
                if future.done() and future.exception() is not None:
                    future.result()
            if waited > READY_SECONDS:
                message = f"the worker processes did not start in {READY_SECONDS} s"
                raise TimeoutError(message) from None


def _log_holds(pieces: list[LogPart], parts: list[CasesPart], log_cps: list[Any],
               size: int) -> bool:  # fmt: skip
    """Whether :func:`~.log.log_breaks` would find nothing (see the module's docstring)."""
    if not all(p.whole for p in pieces) or not all(p.leaves_match for p in parts):
        return False
    if sum(p.rows for p in pieces) != sum(p.logged for p in parts):
        return False
    due = {cp.size: cp.root for cp in log_cps}
    whole = merkle.TreeBuilder()  # over the parts' roots: its peaks are the tree's at a start
    for piece in pieces:
        full = piece.end - piece.start == LOG_RANGE
        for at, peaks in piece.peaks.items():
            if at in due and not (full and at == piece.end):
                tree = merkle.TreeBuilder.resume(at, whole.peaks + peaks)
                if tree.root() != due[at]:
                    return False
        if full:
            whole.append(piece.peaks[piece.end][0])
            if piece.end in due and whole.root() != due[piece.end]:
                return False
    return size == (pieces[-1].end if pieces else 0)
