"""Bringing an existing caseload in (docs/import.md): households and running cases from files.

:meth:`ImportCommands.start_import` hashes a file and records its job (or finds the job of the
same file: running it again adds nothing); :meth:`ImportCommands.run_import` reads it in chunks
of ``chunk_rows`` rows, each chunk one transaction (:mod:`.import_chunks`), and resumes after
the last chunk committed.  Refused rows go to an error report (``FILE.errors.csv``, UTF-8 with
a BOM, ID numbers masked); the good rows go in.  ``dry_run`` checks everything in one
transaction that is rolled back: it writes nothing but the error report.
"""

from __future__ import annotations

import csv
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from ..clock import local_date
from ..errors import InvalidInput, JiuzhuError, NotFound, PermissionDenied
from ..models import import_sql as q
from .actors import Actor, Role, require_role
from .import_checks import ID_COLUMNS, RowRefused
from .import_chunks import ImportChunks, Run
from .import_layout import COLUMNS, count_rows, file_sha256, kind_of, map_header, read_rows
from .personal_data import digest_secret

Progress = Callable[[int, int], None]
MAX_CHUNK_ROWS = 10_000


@dataclass(frozen=True)
class ImportJob:
    id: str
    kind: str
    file_sha256: str
    file_name: str
    state: str  # queued | running | done | failed
    rows_total: int
    rows_done: int
    rows_refused: int
    added_households: int
    added_persons: int
    linked_persons: int
    added_cases: int
    actor_role: str
    actor_org: str
    actor_user: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class ImportResult:
    job_id: str
    kind: str
    sha256: str
    state: str
    rows_total: int
    added_households: int
    added_persons: int
    linked_persons: int
    added_cases: int
    skipped: int  # imported by an earlier run of the same file
    refused: int  # in the error report (this run's and earlier runs' refusals)
    errors_file: str | None
    dry_run: bool


def _job(row: Any) -> ImportJob:
    return ImportJob(**{f.name: getattr(row, f.name) for f in fields(ImportJob)})


def mask(value: str) -> str:
    """An ID number for the error report: ``110105********002X`` (short text: all masked)."""
    value = value.strip()
    if len(value) < 14:  # too short to keep ten characters of it
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:].upper()


class _DryRun(Exception):
    """Raised to roll back a dry run's one transaction."""


class ErrorReport:
    """``FILE.errors.csv``: row, column, reasons, and the row's values (ID numbers masked)."""

    def __init__(self, path: Path, kind: str, header: list[str], positions: dict[str, int]):
        self.path, self.header, self.count = path, header, 0
        self.masked = {i for key, i in positions.items() if key in ID_COLUMNS}
        self.labels = {c.key: c.header for c in COLUMNS[kind]}
        self._file: Any = None

    def add(self, row_no: int, column: str | None, zh: str, en: str, cells: list[str]) -> None:
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._file)
            self._csv.writerow(["行号 row", "列 column", "原因 reason (zh)", "reason (en)",
                                *self.header])  # fmt: skip
        values = [mask(v) if i in self.masked and v else v for i, v in enumerate(cells)]
        self._csv.writerow([row_no, self.labels.get(column or "", column or ""), zh, en, *values])
        self.count += 1

    def close(self) -> str | None:
        if self._file is None:
            return None
        self._file.close()
        return str(self.path)


class ImportCommands(ImportChunks):
    """Import jobs: households and running cases from CSV or XLSX files."""

    def start_import(self, actor: Actor, kind: str, path: str | PathLike[str], *,
                     filename: str | None = None) -> ImportJob:  # fmt: skip
        """Hash the file and record its job (state ``queued``), or find the job of the same
        file: a file already imported is not imported twice."""
        require_role(actor, "import")
        self._actor_path(actor)
        kind, source = kind_of(kind), _source(path)
        self._check_file(kind, source)
        sha, now = file_sha256(source), self.clock.now()
        with self.uow.write() as conn:
            found = conn.execute(q.SELECT_JOB_OF_FILE, {"kind": kind, "sha": sha}).first()
            if found is not None:
                return self._visible(actor, _job(found))
            values = self._new_job(actor, kind, source, sha, filename, now)
            conn.execute(q.INSERT_JOB, values)
        return ImportJob(**values)

    def run_import(self, actor: Actor, job_id: str, path: str | PathLike[str], *,
                   dry_run: bool = False, chunk_rows: int = 500,
                   errors_path: str | PathLike[str] | None = None,
                   progress: Progress | None = None) -> ImportResult:  # fmt: skip
        """Import the job's file in chunks (resuming after the last chunk committed)."""
        job = self.import_job(actor, job_id)
        source = _source(path)
        if file_sha256(source) != job.file_sha256:
            raise InvalidInput(
                f"{source.name} is not the file of import job {job.id} (its SHA-256 differs)",
                f"文件 {source.name} 与导入任务 {job.id} 的文件不一致（SHA-256 不同）",
            )
        return self._run(actor, job, source, dry_run, chunk_rows, errors_path, progress, True)

    def import_file(self, actor: Actor, kind: str, path: str | PathLike[str], *,
                    filename: str | None = None, dry_run: bool = False, chunk_rows: int = 500,
                    errors_path: str | PathLike[str] | None = None,
                    progress: Progress | None = None) -> ImportResult:  # fmt: skip
        """:meth:`start_import` then :meth:`run_import` (a dry run records no job)."""
        if not dry_run:
            job = self.start_import(actor, kind, path, filename=filename)
            return self.run_import(actor, job.id, path, chunk_rows=chunk_rows,
                                   errors_path=errors_path, progress=progress)  # fmt: skip
        require_role(actor, "import")
        self._actor_path(actor)
        kind, source = kind_of(kind), _source(path)
        self._check_file(kind, source)
        sha = file_sha256(source)
        with self.uow.read() as conn:
            found = conn.execute(q.SELECT_JOB_OF_FILE, {"kind": kind, "sha": sha}).first()
        recorded = found is not None
        job = (self._visible(actor, _job(found)) if found is not None else ImportJob(
            **self._new_job(actor, kind, source, sha, filename, self.clock.now())))  # fmt: skip
        return self._run(actor, job, source, True, chunk_rows, errors_path, progress, recorded)

    def import_job(self, actor: Actor, job_id: str) -> ImportJob:
        require_role(actor, "import")
        self._actor_path(actor)
        with self.uow.read() as conn:
            found = conn.execute(q.SELECT_JOB, {"id": str(job_id)}).first()
        if found is None:
            raise NotFound(f"import job {job_id} not found", f"未找到导入任务 {job_id}")
        return self._visible(actor, _job(found))

    def import_jobs(self, actor: Actor, *, limit: int = 50) -> list[ImportJob]:
        """The latest import jobs (a county sees its own), newest first."""
        require_role(actor, "import")
        path = self._actor_path(actor)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InvalidInput("limit must be 1-1000", "条数应为 1-1000")
        with self.uow.read() as conn:
            found = conn.execute(q.list_jobs(limit, None if actor.role is Role.ADMIN else path))
            return [_job(r) for r in found]

    # -- the run -------------------------------------------------------------------------------
    def _new_job(self, actor: Actor, kind: str, source: Path, sha: str, filename: str | None,
                 now: datetime) -> dict[str, Any]:  # fmt: skip
        name = (filename or source.name)[:255]
        return {"id": str(uuid.uuid4()), "kind": kind, "file_sha256": sha, "file_name": name,
                "state": "queued", "rows_total": count_rows(source), "rows_done": 0,
                "rows_refused": 0, "added_households": 0, "added_persons": 0,
                "linked_persons": 0, "added_cases": 0, "actor_role": actor.role.value,
                "actor_org": actor.org, "actor_user": actor.user, "error": None,
                "created_at": now, "started_at": None, "finished_at": None}  # fmt: skip

    def _visible(self, actor: Actor, job: ImportJob) -> ImportJob:
        if actor.role is not Role.ADMIN and job.actor_org != actor.org:
            raise PermissionDenied(f"import job {job.id} was run by another unit",
                                   f"导入任务 {job.id} 由其他单位发起")  # fmt: skip
        return job

    def _check_file(self, kind: str, source: Path) -> None:
        rows = read_rows(source)
        header = next(rows, None)
        if header is None:
            raise InvalidInput(f"{source.name} is empty", f"文件 {source.name} 为空")
        map_header(kind, header[1])
        if next(rows, None) is None:
            raise InvalidInput(f"{source.name} has a header but no rows",
                               f"文件 {source.name} 只有表头，没有数据行")  # fmt: skip

    def _run(self, actor: Actor, job: ImportJob, source: Path, dry_run: bool, chunk_rows: int,
             errors_path: str | PathLike[str] | None, progress: Progress | None,
             recorded: bool) -> ImportResult:  # fmt: skip
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or not (
                1 <= chunk_rows <= MAX_CHUNK_ROWS):  # fmt: skip
            raise InvalidInput(f"chunk rows must be 1-{MAX_CHUNK_ROWS}",
                               f"每批行数应为 1-{MAX_CHUNK_ROWS}")  # fmt: skip
        now = self.clock.now()
        with self.uow.read() as conn:
            last_done, earlier = _done(conn, job)
            units = q.units(conn)
        run = Run(job.id, job.file_sha256, job.kind, actor, self._actor_path(actor), now,
                  local_date(now), units)  # fmt: skip
        rows = read_rows(source)
        header = next(rows)[1]
        positions = map_header(job.kind, header)
        report = ErrorReport(Path(errors_path) if errors_path else _errors_path(source),
                             job.kind, header, positions)  # fmt: skip
        counts: Counter[str] = Counter()
        chunks = _chunks(rows, positions, chunk_rows, last_done, earlier, report, counts)
        try:
            if dry_run:
                self._dry_run(run, job, chunks, counts, report, progress, recorded)
            else:
                self._commit_chunks(run, job, chunks, counts, report, progress)
        except BaseException as err:
            report.close()
            if not dry_run and not isinstance(err, _DryRun):
                self._finish(job.id, "failed", f"{type(err).__name__}: {err}"[:500])
            raise
        errors_file = report.close()
        state = job.state if dry_run else "done"
        return ImportResult(job.id, job.kind, job.file_sha256, state, job.rows_total,
                            counts["added_households"], counts["added_persons"],
                            counts["linked_persons"], counts["added_cases"], counts["skipped"],
                            report.count, errors_file, dry_run)  # fmt: skip

    def _dry_run(self, run: Run, job: ImportJob, chunks: Iterator[list[Any]],
                 counts: Counter[str], report: ErrorReport, progress: Progress | None,
                 recorded: bool) -> None:  # fmt: skip
        try:
            with self.uow.write() as conn:
                if not recorded:  # the job row lives only inside the rolled-back transaction
                    conn.execute(q.INSERT_JOB, {f.name: getattr(job, f.name)
                                                for f in fields(ImportJob)})  # fmt: skip
                run.secret = digest_secret(self.sql, conn, now=run.now, create=True) or ""
                for batch in chunks:
                    self._take(conn, run, batch, counts, report, progress, job.rows_total)
                raise _DryRun
        except _DryRun:
            pass

    def _commit_chunks(self, run: Run, job: ImportJob, chunks: Iterator[list[Any]],
                       counts: Counter[str], report: ErrorReport,
                       progress: Progress | None) -> None:  # fmt: skip
        with self.uow.write() as conn:
            q.update_job(conn, job.id, state="running", error=None,
                         started_at=job.started_at or run.now)  # fmt: skip
        for n, batch in enumerate(chunks, 1):
            if n & (n - 1) == 0:  # chunks 1, 2, 4, 8, ...: the look-ups' tables have grown
                self._analyze()
            with self.uow.write() as conn:
                run.secret = digest_secret(self.sql, conn, now=run.now, create=True) or ""
                done = self._take(conn, run, batch, counts, report, None, job.rows_total)
                q.update_job(conn, job.id, **{
                    name: getattr(q.jobs.c, name) + done.counts[key] for name, key in (
                        ("rows_refused", "refused"), ("added_households", "added_households"),
                        ("added_persons", "added_persons"), ("linked_persons", "linked_persons"),
                        ("added_cases", "added_cases"))
                }, rows_done=q.jobs.c.rows_done + len(batch))  # fmt: skip
            if progress is not None:
                progress(counts["seen"], job.rows_total)
        self._finish(job.id, "done", None)

    def _analyze(self) -> None:
        """Refresh PostgreSQL's statistics of the tables a chunk looks rows up in.

        A fresh database has none: until autovacuum comes round, the planner takes the growing
        tables for empty and scans them whole for every chunk's look-ups (measured: 54 ms a
        look-up at 20,000 rows, growing with the table).  Cheap: ANALYZE samples."""
        if self.sql.codec.name != "postgresql":
            return
        with self.uow.write() as conn:
            conn.exec_driver_sql("ANALYZE import_rows, persons, households, cases")

    def _take(self, conn: Connection, run: Run, batch: list[Any], counts: Counter[str],
              report: ErrorReport, progress: Progress | None, total: int) -> Any:  # fmt: skip
        chunk = self._chunk(conn, run, [(n, cells) for n, cells, _ in batch])
        raw = {n: values for n, _, values in batch}
        for row_no, why in chunk.refused:
            report.add(row_no, why.column, why.zh, why.en, raw[row_no])
        counts.update({k: v for k, v in chunk.counts.items() if k != "refused"})
        if progress is not None:
            progress(counts["seen"], total)
        return chunk

    def _finish(self, job_id: str, state: str, error: str | None) -> None:
        try:
            with self.uow.write() as conn:
                q.update_job(conn, job_id, state=state, error=error,
                             finished_at=self.clock.now())  # fmt: skip
        except JiuzhuError:
            if state == "done":
                raise  # a failed run's own failure is reported, not this one


def _source(path: str | PathLike[str]) -> Path:
    source = Path(path)
    if not source.is_file():
        raise InvalidInput(f"file '{source}' not found", f"未找到文件“{source}”")
    return source


def _errors_path(source: Path) -> Path:
    return source.with_name(source.stem + ".errors.csv")


def _done(conn: Connection, job: ImportJob) -> tuple[int, dict[int, Any]]:
    """The last row of the file recorded, and the refusals recorded before this run."""
    rows = q.row_outcomes
    mine = (rows.c.file_sha256 == job.file_sha256, rows.c.kind == job.kind)
    last = conn.execute(select(func.max(rows.c.row_no)).where(*mine)).scalar() or 0
    refused = conn.execute(select(rows).where(*mine, rows.c.outcome == "refused"))
    return int(last), {r.row_no: r for r in refused}


def _chunks(rows: Iterator[tuple[int, list[str]]], positions: dict[str, int], size: int,
            last_done: int, earlier: dict[int, Any], report: ErrorReport,
            counts: Counter[str]) -> Iterator[list[tuple[int, dict[str, str], list[str]]]]:  # fmt: skip
    """Batches of (row number, cells by column, raw cells) not yet imported; rows imported by
    an earlier run are counted as skipped (their refusals reported again)."""
    batch: list[tuple[int, dict[str, str], list[str]]] = []
    for row_no, values in rows:
        counts["seen"] += 1
        if row_no <= last_done:
            before = earlier.get(row_no)
            if before is None:
                counts["skipped"] += 1
            else:
                report.add(
                    row_no, before.refused_column, before.reason_zh, before.reason_en, values
                )
            continue
        cells = {key: values[i] if i < len(values) else "" for key, i in positions.items()}
        batch.append((row_no, cells, values))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = ["ErrorReport", "ImportCommands", "ImportJob", "ImportResult", "RowRefused", "mask"]
