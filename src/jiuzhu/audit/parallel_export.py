"""``jiuzhu audit export --jobs N``: the export of :mod:`.export` written by several processes
from one consistent snapshot (as :mod:`.parallel` shares it), byte for byte the serial files.

Each worker writes the events and case rows of a span of case ids (:func:`.parallel.case_spans`)
to part files in the export directory; the parent meanwhile writes the checkpoints and head
lines, then appends the parts in span order into ``events.jsonl`` and ``cases.jsonl`` (hashing
and counting their lines as it goes) and removes them.  When an SQLite database changed while
the workers opened their snapshots, the parts are dropped and the parent writes the cases
itself, in its own snapshot.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ..models.db import is_sqlite, make_readonly_engine, snapshot
from . import parallel_tasks, sources
from .export import (
    FILES,
    ExportFilter,
    Writer,
    _prepare,
    export,
    finish,
    newest_event,
    org_path_of,
    write_cases,
    write_checkpoints,
)
from .parallel import _data_version, await_ready, case_spans, last_peaks

PARTS = ("events.jsonl", "cases.jsonl")


def export_part(span: tuple[str | None, str | None], number: int, out: str,
                org_path: str | None, where: ExportFilter) -> dict[str, int]:  # fmt: skip
    """Write the selected cases of ``span`` to part files ``number`` in ``out``; their counts."""
    conn = parallel_tasks._STATE["conn"]
    writers = {name: Writer(_part(Path(out), name, number)) for name in PARTS}
    counts = write_cases(sources.DatabaseSource(conn, span), writers, org_path, where, None)
    for writer in writers.values():
        writer.close()
    return counts | {"pid": os.getpid(), "peak_kb": parallel_tasks.peak_kb()}


def _part(out: Path, name: str, number: int) -> Path:
    return out / f".{name}.part{number:05d}"


def export_parallel(engine: Engine, out: Path, jobs: int, *, now: datetime,
                    where: ExportFilter | None = None, key: Any = None,
                    advance: Callable[[int], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """:func:`~.export.export` in ``jobs`` processes; ``advance(n)``: n more cases read."""
    where = where or ExportFilter()
    if jobs <= 1 or (is_sqlite(engine) and engine.url.database in (None, "", ":memory:")):
        progress = None if advance is None else (lambda _events: advance(1))
        return export(engine, out, now=now, where=where, progress=progress, key=key)
    _prepare(out)
    last_peaks.clear()
    url = engine.url.render_as_string(hide_password=False)
    probe = make_readonly_engine(url) if is_sqlite(engine) else None
    try:
        before = _data_version(probe)
        with snapshot(engine) as conn:
            exported = None if probe else str(conn.exec_driver_sql(
                "SELECT pg_export_snapshot()").scalar_one())  # fmt: skip
            org_path = org_path_of(conn, where)
            spans = case_spans(conn, jobs)
            writers = {name: Writer(out / name) for name in FILES}
            context = multiprocessing.get_context("spawn")
            ready = context.Queue()
            with ProcessPoolExecutor(jobs, mp_context=context, initializer=parallel_tasks.start,
                                     initargs=(url, exported, ready)) as pool:  # fmt: skip
                futures = [pool.submit(export_part, span, i, str(out), org_path, where)
                           for i, span in enumerate(spans)]  # fmt: skip
                if advance is not None:
                    for future in futures:
                        future.add_done_callback(_advancing(advance))
                await_ready(ready, jobs, futures)
                same = before == _data_version(probe)
                checkpoints = write_checkpoints(conn, writers)
                if not same:
                    for waiting in futures:
                        waiting.cancel()
                counts = [f.result() for f in futures if not f.cancelled()] if same else []
            for done in counts:
                last_peaks[done["pid"]] = max(last_peaks.get(done["pid"], 0), done["peak_kb"])
            if same:
                totals = _join(out, writers, len(spans), counts)
            else:  # SQLite changed as the workers opened it: write the cases here
                _drop_parts(out, len(spans))
                source = sources.DatabaseSource(conn)
                totals = write_cases(source, writers, org_path, where, None)
            newest = newest_event(conn)
    finally:
        if probe is not None:
            probe.dispose()
    files = {name: writer.close() for name, writer in writers.items()}
    return finish(out, now=now, where=where, counts=totals, checkpoints=checkpoints,
                  newest=newest, files=files, key=key)  # fmt: skip


def _join(out: Path, writers: dict[str, Writer], parts: int,
          counts: list[dict[str, int]]) -> dict[str, int]:  # fmt: skip
    for number in range(parts):
        for name in PARTS:
            path = _part(out, name, number)
            writers[name].append(path)
            path.unlink()
    return {k: sum(c[k] for c in counts) for k in ("cases", "events", "database_cases")}


def _drop_parts(out: Path, parts: int) -> None:
    for number in range(parts):
        for name in PARTS:
            _part(out, name, number).unlink(missing_ok=True)


def _advancing(advance: Callable[[int], None]) -> Callable[[Future[dict[str, int]]], None]:
    def done(future: Future[dict[str, int]]) -> None:
        if not future.cancelled() and future.exception() is None:
            advance(future.result()["database_cases"])

    return done
