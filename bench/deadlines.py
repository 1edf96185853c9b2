"""Benchmark: due deadlines fired per second by jiuzhu's sweep vs APScheduler's own job store.

Engine (``engine:1-worker``, ``engine:2-workers``): N cases wait in ``provisionally_approved``
with their ``verification_due`` deadline rows due.  Worker processes (spawn context), started
together behind a barrier, each run :func:`jiuzhu.scheduler.sweep.sweep` with their own worker
id: claim due rows in batches, fire them in chunks of 200 per transaction (``mark_overdue``: the case row,
its hashed audit event, the row marked fired and the weekly reminder armed).  Rate = N / wall
time from the barrier's release until the last worker is done.  Afterwards every deadline must
have fired exactly once (one event per case), or the benchmark fails.

Baseline (``baseline:apscheduler-jobstore``): APScheduler 3.11's ``SQLAlchemyJobStore`` on the
same kind of database holding N date jobs already due, drained by a ``BackgroundScheduler``
(ThreadPoolExecutor, ``misfire_grace_time=None``) whose job only counts; rate = N / wall time
from ``scheduler.start()`` until the N-th job has run.

Then the lag from due time to firing with a running worker (``lag:worker``): deadlines due at
known wall-clock instants over a few seconds, :func:`jiuzhu.scheduler.worker.run_worker` (the
real APScheduler loop) running, lag = the event's ``occurred_at`` minus the deadline's
``due_at``.

Output: JSON lines on stdout (see bench/README.md); progress on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds transitions.py, which shadows the state-machine library jiuzhu imports: have the
# library imported (and cached) with bench/ hidden from sys.path before jiuzhu is imported.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)
import _common  # noqa: E402

_common.import_library_transitions()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

import sqlalchemy  # noqa: E402
import sqlalchemy.exc  # noqa: E402
from _common import emit, info  # noqa: E402
from sqlalchemy import text  # noqa: E402

import jiuzhu  # noqa: E402
from jiuzhu import FakeClock  # noqa: E402
from jiuzhu.models.db import make_engine  # noqa: E402
from jiuzhu.scheduler.sweep import DEFAULT_BATCH  # noqa: E402
from jiuzhu.workflows.calendar import add_months  # noqa: E402

BENCH = "deadlines"
UNIT = "deadlines/s"
BASELINE = "baseline:apscheduler-jobstore"
STOCK = "baseline:apscheduler-jobstore-stock"
NOOP = "baseline:noop-queue"  # the sweep's claims marked done in bulk: no transition  # --stock-baseline: APScheduler's own engine
QUICK_N, DEFAULT_N = 400, 3000
QUICK_REPEAT, DEFAULT_REPEAT = 1, 3
QUICK_LAG, DEFAULT_LAG = (100, 2.0), (200, 5.0)  # (deadlines, seconds over which they fall due)
START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai: the template's approvals
APPROVAL_STEP = timedelta(minutes=1)  # the template's approvals (and so due times) are spread

JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": False, "max_instances": 1}
LAG_INTERVAL = 0.5  # seconds: the lag worker's interval sweep (its wake-up job does the rest)
LAG_LEAD = timedelta(seconds=1.5)  # from the end of the lag set-up to the first due time
LAG_TAIL = timedelta(seconds=1)  # the lag worker runs until this long after the last due time


def label_of(workers: int) -> str:
    return f"engine:{workers}-worker{'s' if workers > 1 else ''}"


def noop_label(workers: int) -> str:
    return NOOP if workers == 1 else f"{NOOP}:{workers}-workers"


# -- building due deadlines through the real service ---------------------------------------------
class CaseFactory:
    """Cases taken to ``provisionally_approved`` through the service, on a FakeClock.

    Set-up only (untimed).  ``prepare`` opens N cases up to the appraisal; ``approve`` approves
    case i at ``instants[i]``, which opens its ``verification_due`` deadline one calendar month
    (the policy's ``verification_months``) later.
    """

    def __init__(self, url: str, start: datetime, months: int = 1) -> None:
        self.clock = FakeClock(start)
        # each case holds exactly one due deadline (its data check); the monthly payment run,
        # which would add an allowance deadline per case, is left out of what is measured
        self.svc = jiuzhu.connect(
            url, clock=self.clock, policy={"verification_months": months, "monthly_payments": False}
        )
        self.village, self.township = _common.setup_county(self.svc)

    def prepare(self, n: int) -> list[str]:
        svc, village, ids = self.svc, self.village, []
        for i in range(n):
            hh = svc.register_household(village, members=[
                {"id_number": _common.id_number(2 * i), "name": f"成员{i}", "relation": "head"},
                {"id_number": _common.id_number(2 * i + 1), "name": f"配偶{i}",
                 "relation": "spouse"},
            ])  # fmt: skip
            case = svc.apply(village, household_id=hh.id, applicant_id=hh.member_ids[0],
                             programme="dibao", cause="major_illness",
                             expenditure="52000.00")  # fmt: skip
            svc.promise(village, case.id, signed_by=hh.member_ids[0])
            svc.record_appraisal(village, case.id, outcome="passed", attendance=21,
                                 votes_for=18, votes_against=2, abstentions=1)  # fmt: skip
            ids.append(case.id)
        return ids

    def approve(self, case_ids: list[str], instants: list[datetime]) -> None:
        for case_id, at in zip(case_ids, instants, strict=True):
            self.clock.set(at)
            case = self.svc.approve(self.township, case_id, monthly_amount="860")
            if case.state != "provisionally_approved":
                raise RuntimeError(f"set-up: case {case_id} is {case.state}")

    def close(self) -> None:
        self.svc.close()


# -- scratch databases per backend ---------------------------------------------------------------
class SqliteDatabases:
    """Fresh and copied SQLite files in one scratch directory."""

    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._k = 0

    def fresh(self, suffix: str) -> str:
        self._k += 1
        return _common.sqlite_url(self.directory, f"{suffix}-{self._k}.db")

    def seal(self, url: str) -> None:
        """Fold the WAL into the main file, so that copying the file copies everything."""
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()

    def copy(self, template: str, suffix: str) -> str:
        url = self.fresh(suffix)
        shutil.copyfile(_sqlite_path(template), _sqlite_path(url))
        return url

    def drop(self, url: str) -> None:
        path = _sqlite_path(url)
        for extra in ("", "-wal", "-shm", "-journal", ".worker.lock"):  # the last: run_worker
            Path(f"{path}{extra}").unlink(missing_ok=True)


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


class PostgresDatabases:
    """Fresh databases, and copies (``CREATE DATABASE ... TEMPLATE``) of a template."""

    name = "postgresql"

    def __init__(self, pg: _common.PostgresScratch) -> None:
        self.pg = pg
        self._k = 0

    def fresh(self, suffix: str) -> str:
        self._k += 1
        return self.pg.create(f"{suffix}_{self._k}")

    def seal(self, url: str) -> None:
        pass  # CREATE DATABASE ... TEMPLATE copies a committed database as it is

    def copy(self, template: str, suffix: str) -> str:
        self._k += 1
        return self.pg.create(f"{suffix}_{self._k}", template=template)

    def drop(self, url: str) -> None:
        self.pg.drop(url)


Databases = SqliteDatabases | PostgresDatabases


def build_template(dbs: Databases, n: int) -> tuple[str, datetime]:
    """A database with N cases whose ``verification_due`` rows are all due at the returned
    instant (set-up, untimed).  PostgreSQL commits skip the WAL flush here: set-up only."""
    url = dbs.fresh("template")
    t = time.perf_counter()
    factory = CaseFactory(_common.without_commit_flush(url), START - timedelta(hours=1))
    try:
        ids = factory.prepare(n)
        instants = [START + i * APPROVAL_STEP for i in range(n)]
        factory.approve(ids, instants)
    finally:
        factory.close()
    dbs.seal(url)
    info(f"{dbs.name}: template of {n} due deadlines built in {time.perf_counter() - t:.1f}s "
         f"({5 * n / (time.perf_counter() - t):.0f} set-up commands/s)")  # fmt: skip
    sweep_at = add_months(instants[-1], 1) + timedelta(hours=1)  # after every due time
    return url, sweep_at


# -- the engine: sweep in worker processes --------------------------------------------------------
def _sweep_task(index: int, task: dict[str, Any], barrier: Any) -> dict[str, Any]:
    """In a worker process: connect, warm up, wait at the barrier, sweep, say when done."""
    from jiuzhu.scheduler.sweep import claim, earliest_pending, sweep
    from jiuzhu.workflows import get as get_workflow

    worker = f"bench-worker-{index}"
    svc = jiuzhu.connect(task["url"], upgrade=False)
    try:
        get_workflow("fast_track")  # build the machine, compile, open a pooled connection
        earliest_pending(svc)
        claim(svc, worker=worker, now=datetime(2000, 1, 1, tzinfo=UTC))  # due: none
        prof = cProfile.Profile() if task["profile"] else None
        barrier.wait(timeout=300)
        t0, cpu0 = time.perf_counter(), time.process_time()
        if prof is not None:
            prof.enable()
        if task["noop"]:
            report = _noop_sweep(svc, worker, task["now"], task["batch"])
        else:
            report = sweep(svc, worker=worker, now=task["now"], batch=task["batch"])
        if prof is not None:
            prof.disable()
        t1, cpu = time.perf_counter(), time.process_time() - cpu0
        if prof is not None:
            prof.dump_stats(task["profile"])
    finally:
        svc.close()
    return {"worker": worker, "t0": t0, "t1": t1, "cpu": cpu, "fired": report.fired,
            "skipped": report.skipped, "stale": report.stale, "failed": report.failed}  # fmt: skip


def _noop_sweep(svc: Any, worker: str, now: datetime, batch: int) -> Any:
    """The no-op bulk queue: the sweep's own claims, each chunk then marked fired in one
    ``UPDATE`` (guarded on the claim, as the sweep's) and committed -- no case read, no
    transition, no event: what claiming and completing in bulk costs on this database."""
    from jiuzhu.scheduler.sweep import DEFAULT_CHUNK, SweepReport, claim

    report = SweepReport()
    ph = svc.sql.codec.placeholder
    while ids := claim(svc, worker=worker, now=now, batch=batch):
        for i in range(0, len(ids), DEFAULT_CHUNK):
            part = ids[i : i + DEFAULT_CHUNK]
            params: dict[str, Any] = {f"id{k}": v for k, v in enumerate(part)}
            params.update(worker=worker, at=svc.sql.codec.write_instant(now))
            with svc.uow.write() as conn:
                cur = conn.connection.cursor()
                cur.execute(
                    f"UPDATE deadlines SET status = 'fired', fired_at = {ph('at')} WHERE id IN "
                    f"({svc.sql.codec.marks('id', len(part))}) AND status = 'claimed' "
                    f"AND claimed_by = {ph('worker')}", params)  # fmt: skip
                report.fired += cur.rowcount
                cur.close()
    return report


def _worker_main(index: int, tasks: Any, results: Any, barriers: dict[int, Any]) -> None:
    """Entry point of a spawned worker process: run tasks until told to stop (None)."""
    while True:
        task = tasks.get()
        if task is None:
            return
        barrier = barriers[task["workers"]]
        try:
            results.put(_sweep_task(index, task, barrier))
        except BaseException as exc:  # noqa: B036 -- tell the parent, whatever it was
            barrier.abort()  # nobody waits forever for a worker that will not come
            results.put({"worker": f"bench-worker-{index}", "error": repr(exc)})
            if not isinstance(exc, Exception):
                raise


class WorkerPool:
    """Worker processes spawned once (their imports overlap the set-up), given one sweep
    task per measurement; one barrier per worker count, the parent being one of the parties."""

    def __init__(self, size: int) -> None:
        ctx = mp.get_context("spawn")
        self.barriers = {k: ctx.Barrier(k + 1) for k in range(1, size + 1)}
        self.results: Any = ctx.Queue()
        self.tasks: list[Any] = [ctx.Queue() for _ in range(size)]
        self.procs = [
            ctx.Process(
                target=_worker_main,
                args=(i, self.tasks[i], self.results, self.barriers),
                name=f"bench-worker-{i}",
                daemon=True,
            )  # fmt: skip
            for i in range(size)
        ]
        for proc in self.procs:
            proc.start()

    def run(self, url: str, workers: int, now: datetime, batch: int,
            profile: str | None, noop: bool = False) -> tuple[float, list[dict[str, Any]]]:  # fmt: skip
        """Sweep ``url`` with ``workers`` processes; (wall seconds, per-worker results)."""
        barrier = self.barriers[workers]
        for i in range(workers):
            prof = None if profile is None else f"{profile}.w{i}.prof"
            self.tasks[i].put({"url": url, "workers": workers, "now": now, "batch": batch,
                               "profile": prof, "noop": noop})  # fmt: skip
        try:
            barrier.wait(timeout=300)
        except threading.BrokenBarrierError:
            barrier.reset()
            errors = [self.results.get(timeout=60) for _ in range(workers)]
            raise RuntimeError(f"a worker failed before the start: {errors}") from None
        t0 = time.perf_counter()
        results = [self.results.get(timeout=3600) for _ in range(workers)]
        failed = [r for r in results if "error" in r]
        if failed:
            raise RuntimeError(f"worker(s) failed: {failed}")
        return max(r["t1"] for r in results) - t0, results

    def close(self) -> None:
        for queue, proc in zip(self.tasks, self.procs, strict=True):
            if proc.is_alive():
                queue.put(None)
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()  # one of ours, by its own handle
                proc.join(timeout=5)


def check_fired_once(url: str, n: int, results: list[dict[str, Any]] | None = None) -> None:
    """Every ``verification_due`` fired exactly once: one row fired per case, one
    ``mark_overdue`` event per case, a reminder armed per case, the workers' counts agree."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            due: dict[str, int] = dict(conn.execute(text(
                "SELECT status, count(*) FROM deadlines WHERE kind = 'verification_due' "
                "GROUP BY status")).all())  # fmt: skip
            events, cases = conn.execute(text(
                "SELECT count(*), count(DISTINCT case_id) FROM events "
                "WHERE type = 'mark_overdue'")).one()  # fmt: skip
            reminders = conn.execute(text(
                "SELECT count(*) FROM deadlines WHERE kind = 'verification_reminder' "
                "AND status = 'pending'")).scalar_one()  # fmt: skip
            # apply, promise, review, approve, mark_overdue: seq 5 once fired, and only once
            overdue_rows = conn.execute(text(
                "SELECT count(*) FROM cases WHERE state = 'provisionally_approved' "
                "AND last_seq = 5")).scalar_one()  # fmt: skip
    finally:
        engine.dispose()
    problems = []
    if due != {"fired": n}:
        problems.append(f"verification_due rows by status {due}, expected {{'fired': {n}}}")
    if (events, cases) != (n, n):
        problems.append(f"{events} mark_overdue events on {cases} cases, expected {n} on {n}")
    if reminders != n:
        problems.append(f"{reminders} pending reminders, expected {n}")
    if overdue_rows != n:
        problems.append(f"{overdue_rows} case rows at seq 5, expected {n}")
    if results is not None:
        fired = sum(r["fired"] for r in results)
        failed = sum(r["failed"] + r["skipped"] + r["stale"] for r in results)
        if fired != n or failed:
            problems.append(f"workers reported {results}, expected {n} fired in all")
    if problems:
        raise RuntimeError("deadlines not fired exactly once: " + "; ".join(problems))


def check_chains(url: str) -> None:
    """Every hash chain and case row consistent (``audit verify``), once per backend."""
    from jiuzhu.audit.verify import verify_database

    engine = make_engine(url)
    try:
        report = verify_database(engine)
    finally:
        engine.dispose()
    if not report.ok:
        raise RuntimeError(f"audit verify failed: {report.breaks[:3]}")
    info(f"  audit verify: {report.cases} cases, {report.events} events, all chains intact")


# -- the baseline: APScheduler's SQLAlchemyJobStore -----------------------------------------------
class _Counter:
    """Counts job runs; sets ``done`` when the target is reached (job threads call ``hit``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.count = 0
        self.target = 0

    def reset(self, target: int) -> None:
        self.count, self.target = 0, target
        self.done.clear()

    def hit(self) -> None:
        with self.lock:
            self.count += 1
            if self.count == self.target:
                self.done.set()


_COUNTER = _Counter()


def count_job() -> None:
    """The baseline's job: nothing but counting (pickled by reference into the job store)."""
    _COUNTER.hit()


def _scheduler(engine: sqlalchemy.Engine) -> Any:
    """The baseline's scheduler: the job store on ``engine``, a ThreadPoolExecutor (10
    threads, the default), late jobs never dropped (``misfire_grace_time=None``), UTC."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)},
        executors={"default": ThreadPoolExecutor()},
        job_defaults=JOB_DEFAULTS, timezone=UTC,
    )  # fmt: skip


def fill_job_store(url: str, n: int) -> None:
    """N date jobs already due, written by the job store's own ``add_job`` (set-up, untimed).

    The jobs are built as ``scheduler.add_job`` builds them, on a scheduler that is never
    started: a started one, even paused, runs one pass of due jobs when it is shut down.
    """
    from apscheduler.job import Job
    from apscheduler.triggers.date import DateTrigger

    engine = make_engine(_common.without_commit_flush(url))
    sched = _scheduler(engine)
    store = sched._lookup_jobstore("default")
    store.start(sched, "default")  # creates the table
    due = datetime.now(UTC) - timedelta(hours=1)
    try:
        for i in range(n):
            run_at = due + timedelta(milliseconds=i)
            store.add_job(Job(sched, id=f"due-{i:07d}", name="count", func=count_job, args=(),
                              kwargs={}, trigger=DateTrigger(run_at, timezone=UTC),
                              executor="default", next_run_time=run_at,
                              **JOB_DEFAULTS))  # fmt: skip
    finally:
        store.shutdown()  # disposes the engine


def run_baseline(dbs: Databases, n: int, *, stock: bool = False) -> tuple[float, float]:
    """(wall, CPU) seconds for a fresh scheduler on a job store of N due jobs to run them all.

    The store's engine has jiuzhu's settings (``make_engine``), as the engine side has; with
    ``stock`` it is the one ``SQLAlchemyJobStore(url=...)`` makes itself (SQLite: rollback
    journal, ``synchronous=FULL``; PostgreSQL: no ``pool_pre_ping``).
    """
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED

    url = dbs.fresh("baseline")
    sched = None
    try:
        fill_job_store(url, n)
        engine = sqlalchemy.create_engine(url) if stock else make_engine(url)
        with engine.connect():
            pass  # one pooled connection, as the engine's workers have before their barrier
        sched = _scheduler(engine)
        trouble: list[Any] = []
        sched.add_listener(trouble.append,
                           EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)  # fmt: skip
        _COUNTER.reset(n)
        t0, cpu0 = time.perf_counter(), time.process_time()
        sched.start()
        finished = _COUNTER.done.wait(timeout=max(300.0, n / 10))
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        sched.shutdown(wait=True)  # also disposes the engine
        left = _count_rows(url, "apscheduler_jobs")
        if not finished or _COUNTER.count != n or left or trouble:
            raise RuntimeError(f"baseline: {_COUNTER.count} of {n} jobs ran, {left} left in the "
                               f"store, events {trouble[:3]}")  # fmt: skip
        return elapsed, cpu
    finally:
        if sched is not None and sched.running:
            sched.shutdown(wait=False)  # interrupted: stop it before its database goes
        dbs.drop(url)


def _count_rows(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


# -- lag with a running worker ---------------------------------------------------------------------
def reaches(months: int, targets: list[datetime]) -> bool:
    """Approving at ``t - months`` makes ``t`` exactly the due time, for every target (not so
    for days 29-31 after a shorter month: the due date is clamped to the month's end)."""
    return all(add_months(add_months(t, -months), months) == t for t in targets)


def months_back(targets: list[datetime]) -> int:
    """The shortest verification period (months) that reaches every target."""
    for months in range(1, 13):
        if reaches(months, targets):
            return months
    raise RuntimeError("no verification period reaches these due times")  # cannot happen


def run_lag(dbs: Databases, n: int, spread: float) -> list[float]:
    """Lag (ms) of each of N deadlines due over ``spread`` seconds of wall time, fired by a
    running worker; checks that each fired exactly once."""
    url = dbs.fresh("lag")
    try:
        now = datetime.now(UTC)
        # The period is copied into each case at `apply`, before the due times are known: pick
        # one that reaches every instant of the next 15 minutes (at most one day boundary).
        months = months_back([now, now + timedelta(minutes=15)])
        factory = CaseFactory(_common.without_commit_flush(url), now - timedelta(days=400),
                              months=months)  # fmt: skip
        try:
            t = time.perf_counter()
            ids = factory.prepare(n)
            per_command = (time.perf_counter() - t) / (4 * n)
            # the approvals are n more commands; then the worker starts
            first = datetime.now(UTC) + timedelta(seconds=2 * n * per_command) + LAG_LEAD
            targets = [first + timedelta(seconds=spread * i / n) for i in range(n)]
            if not reaches(months, targets):
                raise RuntimeError("lag set-up took over 15 minutes")
            factory.approve(ids, [add_months(t, -months) for t in targets])
        finally:
            factory.close()
        lead = (targets[0] - datetime.now(UTC)).total_seconds()
        info(f"{dbs.name}: lag: {n} deadlines due from {lead:.2f}s from now, over {spread:.0f}s")
        started = run_worker_until(url, n, targets[-1] + LAG_TAIL)
        if started > targets[0]:
            info(f"{dbs.name}: lag: WARNING the worker started after the first due time")
        check_fired_once(url, n)
        return lags_ms(url)
    finally:
        dbs.drop(url)


def run_worker_until(url: str, n: int, until: datetime) -> datetime:
    """Run jiuzhu's worker (``run_worker``, the real APScheduler loop, short interval) on the
    wall clock until ``until``; check it fired N deadlines; return when it was started.

    It runs in a daemon thread (``stop_after``), so that it leaves the signal handlers alone.
    """
    from jiuzhu.scheduler.worker import run_worker

    stats: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            stats.append(
                run_worker(
                    url,
                    worker_id="bench-lag",
                    interval=LAG_INTERVAL,
                    stop_after=(until - datetime.now(UTC)).total_seconds(),
                )
            )
        except BaseException as exc:  # noqa: B036 -- reported by the caller's thread
            errors.append(exc)

    started = datetime.now(UTC)
    thread = threading.Thread(target=work, name="bench-lag-worker", daemon=True)
    thread.start()
    thread.join(timeout=(until - started).total_seconds() + 60)
    if thread.is_alive() or errors or not stats:
        raise RuntimeError(f"lag: the worker did not end cleanly: {errors or 'still running'}")
    if stats[0].fired != n or stats[0].failed or stats[0].job_errors:
        raise RuntimeError(f"lag: the worker reported {stats[0]}, expected {n} fired")
    info(f"  worker: {stats[0].sweeps} sweeps ({stats[0].wakeups} by the wake-up job), "
         f"{stats[0].fired} fired")  # fmt: skip
    return started


def lags_ms(url: str) -> list[float]:
    """occurred_at - due_at of every mark_overdue event, in milliseconds."""
    from sqlalchemy import select

    from jiuzhu.clock import parse_iso_utc
    from jiuzhu.models import rows as store

    e = store.events
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(e.c.payload, e.c.occurred_at)
                                .where(e.c.type == "mark_overdue")).all()  # fmt: skip
    finally:
        engine.dispose()
    return [(at - parse_iso_utc(payload["due_at"])).total_seconds() * 1e3 for payload, at in rows]


# -- one backend -----------------------------------------------------------------------------------
@dataclass
class Results:
    """Wall seconds per label (one per repetition), and the lag samples."""

    n: int
    seconds: dict[str, list[float]] = field(default_factory=dict)
    lag_ms: list[float] = field(default_factory=list)

    def add(self, label: str, seconds: float, cpu: float) -> None:
        """One measurement: wall seconds, and the CPU seconds of the process(es) measured."""
        self.seconds.setdefault(label, []).append(seconds)
        info(f"  {label}: {self.n} in {seconds:.3f}s = {self.n / seconds:,.0f} {UNIT}; "
             f"client CPU {cpu / self.n * 1e6:.0f} µs per deadline")  # fmt: skip

    def rate(self, label: str) -> float:
        """N / the median wall time of the repetitions."""
        return self.n / statistics.median(self.seconds[label])


def run_backend(dbs: Databases, pool: WorkerPool, args: argparse.Namespace,
                lag: tuple[int, float]) -> Results:  # fmt: skip
    """Template, then R repetitions of every engine configuration and the baseline (the order
    alternating between repetitions), each on its own copy / fresh database; then the lag."""
    n, results = args.n, Results(args.n)
    template, sweep_at = build_template(dbs, n)
    try:
        # (label, worker processes); 0: a baseline, run in this process
        runs = [(label_of(k), k) for k in args.workers_for[dbs.name]] + [(BASELINE, 0)]
        runs += [(noop_label(k), -k) for k in args.workers_for[dbs.name]]
        runs += [(STOCK, 0)] if args.stock_baseline else []
        for rep in range(args.repeat):
            info(f"{dbs.name}: repetition {rep + 1}/{args.repeat}")
            for label, k in runs if rep % 2 == 0 else reversed(runs):
                if k < 0:
                    noop_run(dbs, pool, template, -k, sweep_at, args, results)
                elif k:
                    engine_run(dbs, pool, template, k, sweep_at, args, results, rep)
                else:
                    results.add(label, *run_baseline(dbs, n, stock=label == STOCK))
    finally:
        dbs.drop(template)
    results.lag_ms = run_lag(dbs, *lag)
    return results


def engine_run(dbs: Databases, pool: WorkerPool, template: str, workers: int, now: datetime,
               args: argparse.Namespace, results: Results, rep: int) -> None:  # fmt: skip
    label = label_of(workers)
    url = dbs.copy(template, f"engine{workers}")
    try:
        profile = None
        if args.profile and rep == 0:
            profile = f"{args.profile}.{label.replace(':', '-')}.{dbs.name}"
        seconds, per_worker = pool.run(url, workers, now, args.batch, profile)
        if workers > 1:
            info("  " + ", ".join(f"{r['worker']} fired {r['fired']}" for r in per_worker))
        check_fired_once(url, args.n, per_worker)
        if rep == 0 and workers == max(args.workers_for[dbs.name]):
            check_chains(url)
        if profile is not None:
            info(f"  profile written: {profile}.w*.prof (python -m pstats ...)")
        results.add(label, seconds, sum(r["cpu"] for r in per_worker))
    finally:
        dbs.drop(url)


def noop_run(dbs: Databases, pool: WorkerPool, template: str, workers: int, now: datetime,
             args: argparse.Namespace, results: Results) -> None:  # fmt: skip
    url = dbs.copy(template, f"noop{workers}")
    try:
        seconds, per_worker = pool.run(url, workers, now, args.batch, None, noop=True)
        if sum(r["fired"] for r in per_worker) != args.n:
            raise RuntimeError(f"{noop_label(workers)}: {per_worker}: not {args.n} marked")
        results.add(noop_label(workers), seconds, sum(r["cpu"] for r in per_worker))
    finally:
        dbs.drop(url)


def report(backend: str, results: Results) -> None:
    n = results.n
    engine_labels = [label for label in results.seconds if label.startswith("engine:")]
    noops = [label for label in results.seconds if label.startswith(NOOP)]
    baselines = [label for label in (BASELINE, STOCK, *noops) if label in results.seconds]
    for label in [*engine_labels, *baselines]:
        emit({"bench": BENCH, "label": label, "backend": backend, "n": n,
              "rate": round(results.rate(label), 1), "unit": UNIT,
              "p50_ms": None, "p99_ms": None})  # fmt: skip
        runs = ", ".join(f"{n / s:,.0f}" for s in results.seconds[label])
        info(f"{backend} {label}: {UNIT} per repetition: {runs}")
    best = max(engine_labels, key=results.rate)
    ratio = results.rate(best) / results.rate(BASELINE)
    emit({"bench": BENCH, "label": "ratio:engine/baseline", "backend": backend, "n": n,
          "rate": round(ratio, 2), "unit": "x", "p50_ms": None, "p99_ms": None})  # fmt: skip
    info(f"{backend}: best engine configuration {best}: {ratio:.2f}x the baseline (target 4x)")
    for label in engine_labels:  # against the no-op queue with as many workers
        noop = noop_label(int(label.split(":")[1].split("-")[0]))
        if noop in results.seconds:
            ratio = results.rate(label) / results.rate(noop)
            emit({"bench": BENCH, "label": f"ratio:{label}/{noop}", "backend": backend, "n": n,
                  "rate": round(ratio, 2), "unit": "x", "p50_ms": None, "p99_ms": None})  # fmt: skip
            info(f"{backend}: {label} at {ratio:.2f}x {noop} (target 0.3x)")
    if len(engine_labels) > 1:
        scale = results.rate(engine_labels[-1]) / results.rate(engine_labels[0])
        emit({"bench": BENCH, "label": f"ratio:{engine_labels[-1]}/{engine_labels[0]}",
              "backend": backend, "n": n, "rate": round(scale, 2), "unit": "x",
              "p50_ms": None, "p99_ms": None})  # fmt: skip
        info(f"{backend}: {engine_labels[-1]} at {scale:.2f}x {engine_labels[0]} (target 1.6x)")
    if STOCK in results.seconds:
        stock_ratio = results.rate(best) / results.rate(STOCK)
        emit({"bench": BENCH, "label": "ratio:engine/baseline-stock", "backend": backend,
              "n": n, "rate": round(stock_ratio, 2), "unit": "x", "p50_ms": None,
              "p99_ms": None})  # fmt: skip
    lag = sorted(int(ms * 1e6) for ms in results.lag_ms)
    emit({"bench": BENCH, "label": "lag:worker", "backend": backend, "n": len(lag),
          "rate": None, "unit": "ms", "p50_ms": round(_common.percentile_ns(lag, 50), 1),
          "p99_ms": round(_common.percentile_ns(lag, 99), 1)})  # fmt: skip
    info(f"{backend}: lag min {lag[0] / 1e6:.1f} ms, max {lag[-1] / 1e6:.1f} ms")


# -- command line ------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/deadlines.py",
        description=(
            "Due deadlines fired per second by jiuzhu's sweep (each a mark_overdue transition\n"
            "with its hashed audit event, marked fired in the same transaction) against APScheduler 3.11's own\n"
            "SQLAlchemyJobStore draining as many due date jobs, in one run; then the lag from\n"
            "due time to firing with a running worker. SQLite always; PostgreSQL too with --pg.\n\n"
            "  engine:1-worker       one worker process sweeping N due deadlines\n"
            "  engine:2-workers      two processes behind a barrier (PostgreSQL only)\n"
            "  baseline:apscheduler-jobstore   BackgroundScheduler + SQLAlchemyJobStore, N due\n"
            "                        date jobs that only count, misfire_grace_time=None\n"
            "  lag:worker            due time -> event occurred_at, p50/p99 in ms\n\n"
            "stdout: JSON lines (rate in deadlines/s; ratio lines rate = best engine / baseline,\n"
            "unit 'x'; lag lines p50_ms/p99_ms). stderr: progress and per-repetition figures."
        ),
        epilog=(
            "examples:\n"
            "  .venv/bin/python bench/deadlines.py --quick\n"
            "  .venv/bin/python bench/deadlines.py --pg "
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres\n"
            "Scratch databases are fresh and removed at the end (also on error or Ctrl-C)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true",
                        help=f"a short run: N={QUICK_N}, {QUICK_REPEAT} repetition, lag over "
                             f"{QUICK_LAG[1]:.0f}s (< 30 s with --pg)")  # fmt: skip
    parser.add_argument("--n", type=int, metavar="N",
                        help=f"due deadlines (and due jobs) per measurement (default {DEFAULT_N}, "
                             f"or {QUICK_N} with --quick)")  # fmt: skip
    parser.add_argument("--pg", metavar="ADMIN_URL",
                        help="also run on PostgreSQL: a URL of an existing database on the "
                             "server (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)"
                             "; scratch databases are created next to it and dropped at the "
                             "end")  # fmt: skip
    parser.add_argument("--sqlite", metavar="PATH",
                        help="directory for the scratch SQLite files (a fresh subdirectory, "
                             "removed at the end; default: the system temp dir)")  # fmt: skip
    parser.add_argument("--repeat", type=int, metavar="R",
                        help=f"measurements per label and backend, order alternating; the "
                             f"median is reported (default {DEFAULT_REPEAT}, {QUICK_REPEAT} "
                             "with --quick)")  # fmt: skip
    parser.add_argument("--stock-baseline", action="store_true",
                        help=f"also run the job store on the engine SQLAlchemyJobStore(url=...) "
                             f"makes itself ('{STOCK}', SQLite: rollback journal, "
                             "synchronous=FULL), with a ratio line 'ratio:engine/baseline-stock'"
                             "; not in the main ratio")  # fmt: skip
    parser.add_argument(
        "--batch",
        type=int,
        default=DEFAULT_BATCH,
        metavar="B",
        help=f"sweep's claim batch (default {DEFAULT_BATCH}, the worker's default)",
    )
    parser.add_argument("--lag-n", type=int, metavar="K",
                        help=f"deadlines of the lag measurement (default {DEFAULT_LAG[0]}, "
                             f"{QUICK_LAG[0]} with --quick)")  # fmt: skip
    parser.add_argument("--lag-spread", type=float, metavar="SECONDS",
                        help=f"seconds over which they fall due (default {DEFAULT_LAG[1]:.0f}, "
                             f"{QUICK_LAG[1]:.0f} with --quick)")  # fmt: skip
    parser.add_argument("--profile", metavar="PREFIX",
                        help="cProfile the sweep in each worker process, first repetition "
                             "only: PREFIX.engine-1-worker.sqlite.w0.prof, ... (the figures "
                             "then include the profiler's overhead: do not quote them)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.n is None:
        args.n = QUICK_N if args.quick else DEFAULT_N
    if args.repeat is None:
        args.repeat = QUICK_REPEAT if args.quick else DEFAULT_REPEAT
    lag_n, lag_spread = QUICK_LAG if args.quick else DEFAULT_LAG
    args.lag_n = lag_n if args.lag_n is None else args.lag_n
    args.lag_spread = lag_spread if args.lag_spread is None else args.lag_spread
    for name in ("n", "repeat", "batch", "lag_n"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.lag_spread <= 0:
        parser.error("--lag-spread must be positive")
    # SQLite runs one worker (a second one would only queue on the write lock)
    args.workers_for = {"sqlite": [1], "postgresql": [1, 2]}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _common.exit_on_sigterm()
    import sqlite3

    import apscheduler

    info(f"python {sys.version.split()[0]}, SQLAlchemy {sqlalchemy.__version__}, APScheduler "
         f"{apscheduler.__version__}, SQLite {sqlite3.sqlite_version}, jiuzhu "
         f"{jiuzhu.__version__} (source "
         f"{_common.source_fingerprint(Path(jiuzhu.__file__).parent)}); load average "
         f"{os.getloadavg()[0]:.2f}; N={args.n}, {args.repeat} repetition(s), batch "
         f"{args.batch}, lag {args.lag_n} over {args.lag_spread:.0f}s")  # fmt: skip
    started = time.perf_counter()
    pg, pool = None, None
    lag = (args.lag_n, args.lag_spread)
    try:
        if args.pg:  # fail fast, before the SQLite half, when the server is not there
            pg = _common.PostgresScratch(args.pg)
            info(f"postgresql: {pg.server_version()}")
        pool = WorkerPool(max(args.workers_for["postgresql" if pg is not None else "sqlite"]))
        with _common.sqlite_dir(args.sqlite) as directory:
            results = run_backend(SqliteDatabases(directory), pool, args, lag)
        report("sqlite", results)
        if pg is not None:
            results = run_backend(PostgresDatabases(pg), pool, args, lag)
            report("postgresql", results)
    except sqlalchemy.exc.OperationalError as exc:
        info(f"database error: {str(exc.orig).strip()}")
        return 2
    except RuntimeError as exc:
        info(f"ERROR: {exc}")
        return 1
    finally:
        if pool is not None:
            pool.close()
        if pg is not None:
            pg.close()
    info(f"done in {time.perf_counter() - started:.1f}s; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
