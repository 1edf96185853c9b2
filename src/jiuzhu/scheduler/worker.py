"""The deadline worker: APScheduler 3.11 as the alarm clock of the deadline rows (docs/design.md §5).

Deadlines are rows; APScheduler only says *when to look*.  Its job store is in memory and holds
two jobs per worker, both calling :func:`run_sweep` with the worker's id as their only argument:

* ``jiuzhu-sweep:<worker>``, an interval job that also runs once at start, so that everything
  that fell due while no worker ran fires at once (catch-up), late and saying how late;
* ``jiuzhu-wakeup:<worker>``, a date job re-armed after every sweep at the earliest pending due
  time when that comes before the next interval run, so that a deadline fires close to its time;
* ``jiuzhu-checkpoint:<worker>``, a cron job at 00:05 Shanghai time that takes the daily audit
  checkpoint (:mod:`jiuzhu.audit.checkpoint`), signed when the worker was given a key; with
  several workers, one taken in the last hour makes the others skip.

The service lives in a module-level holder keyed by the worker id (never pickled, never in a job
store).  Job defaults (docs/design.md §6): ``misfire_grace_time=None`` (a late run is never dropped),
``coalesce=True``, ``max_instances=1``, one executor thread, the scheduler in UTC.  Job errors
and misses are logged on ``jiuzhu.scheduler``, never swallowed.

SQLite serves ONE worker: it holds an exclusive ``flock`` on ``<db>.worker.lock`` (holding its
pid) for its whole life, and a second worker refuses to start.  On PostgreSQL any number of
workers share the due rows (``FOR UPDATE SKIP LOCKED`` claims with leases, see ``sweep.py``).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from ..clock import SHANGHAI, Clock, SystemClock, local_date, parse_iso_utc
from .catchup import CatchUp
from .startup import (
    DEFAULT_INTERVAL,
    WorkerAlreadyRunning,
    check_settings,
    check_worker_id,
    worker_lock,
)
from .sweep import DEFAULT_BATCH, DEFAULT_LEASE, SweepReport, earliest_pending, sweep

if TYPE_CHECKING:
    from apscheduler.events import JobExecutionEvent
    from apscheduler.schedulers.base import BaseScheduler

    from ..service.service import CaseService

log = logging.getLogger("jiuzhu.scheduler")

SILENT_AFTER = timedelta(minutes=1)  # at least; else three sweep intervals without a beat
WAKE_GAP = timedelta(milliseconds=100)  # a wake-up is never armed for "right now" in a loop
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass
class WorkerStats:
    """What a worker did, for its caller and tests: sweeps, firings, job errors and misses."""

    worker_id: str
    sweeps: int = 0
    wakeups: int = 0  # sweeps run by the wake-up job (the rest: start and interval)
    fired: int = 0
    failed: int = 0
    job_errors: int = 0
    jobs_missed: int = 0


@dataclass
class _Worker:
    """Everything a job needs, held in memory under the worker id (jobs carry only the id)."""

    svc: CaseService
    scheduler: BaseScheduler
    batch: int
    lease: timedelta
    stats: WorkerStats
    arm_lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: bool = False
    checkpoint_key: Any = None  # an Ed25519 private key: daily checkpoints are signed
    silent_after: timedelta = SILENT_AFTER  # no heartbeat this long: another worker is dead


_WORKERS: dict[str, _Worker] = {}


def sweep_job_id(worker_id: str) -> str:
    return f"jiuzhu-sweep:{worker_id}"


def wakeup_job_id(worker_id: str) -> str:
    return f"jiuzhu-wakeup:{worker_id}"


def checkpoint_job_id(worker_id: str) -> str:
    return f"jiuzhu-checkpoint:{worker_id}"


CHECKPOINT_GAP = timedelta(hours=1)  # another worker's checkpoint this recent: skip


def warn_calendar(svc: CaseService) -> list[dict[str, Any]]:
    """From 1 October, log that next year's working-day calendar is missing, and which
    limits are refused from which day (at start, after ``--once`` and daily at 00:05)."""
    today = local_date(svc.clock.now())
    warnings = svc.calendar.warnings(today, svc.policy_book.settings_on(today))
    if warnings:
        log.warning(
            "the working-day calendar of %d is not loaded: limits are refused %s; load the "
            "State Council's notice with `%s` (docs/calendar.md)", warnings[0]["year"],
            ", ".join(f"from {w['refused_from']} for {w['working_days']} working days "
                      f"({w['setting']})" for w in warnings), warnings[0]["fix"])  # fmt: skip
    return warnings


def run_checkpoint(worker_id: str) -> dict[str, Any] | None:
    """The daily job: take an audit checkpoint, unless one was taken in the last hour."""
    from ..audit.checkpoint import load_checkpoints, take_checkpoint

    worker = _WORKERS[worker_id]
    warn_calendar(worker.svc)
    now = worker.svc.clock.now()
    with worker.svc.engine.connect() as conn:
        latest = load_checkpoints(conn)[-1:]
    if latest and now - parse_iso_utc(latest[0].taken_at) < CHECKPOINT_GAP:
        return None
    cp = take_checkpoint(worker.svc.engine, now=now, taken_by=worker_id,
                         key=worker.checkpoint_key)  # fmt: skip
    log.info("checkpoint %d by %s: %d cases, %d events, %d heads changed%s", cp.number,
             worker_id, cp.cases, cp.events, cp.changed, ", signed" if cp.signature else "")  # fmt: skip
    return cp.to_dict()


# -- the job ---------------------------------------------------------------------------------


def run_sweep(worker_id: str, woken: bool = False) -> dict[str, Any]:
    """The job: one sweep for ``worker_id``, a log line if it fired anything, the next wake-up."""
    worker = _WORKERS[worker_id]
    report = sweep(
        worker.svc,
        worker=worker_id,
        batch=worker.batch,
        lease=worker.lease,
        should_stop=lambda: worker.stopping,
        silent_after=worker.silent_after,
    )
    stats = worker.stats
    stats.sweeps, stats.wakeups = stats.sweeps + 1, stats.wakeups + int(woken)
    stats.fired, stats.failed = stats.fired + report.fired, stats.failed + report.failed
    _log_report(worker_id, report, "wake-up" if woken else "sweep")
    _arm_wakeup(worker_id, worker)
    return report.to_dict()


def _log_report(worker_id: str, report: SweepReport, source: str) -> None:
    if not (report.fired or report.skipped or report.stale or report.failed):
        return
    log.log(logging.WARNING if report.failed else logging.INFO,
            "%s by %s: fired %d, skipped %d, stale %d, failed %d; max lateness %s",
            source, worker_id, report.fired, report.skipped, report.stale, report.failed,
            _lateness(report.to_dict()["max_late_seconds"]))  # fmt: skip


def _lateness(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 86400:
        return f"{seconds:.3f} s"
    return f"{seconds:.0f} s ({seconds / 86400:.1f} days)"


def _arm_wakeup(worker_id: str, worker: _Worker) -> None:
    """Arm the wake-up at the earliest pending due time, if that beats the next interval run.

    The delay is measured on the service's clock and applied to APScheduler's (wall) clock.
    """
    due = earliest_pending(worker.svc)
    if due is None:
        return
    delay = due - worker.svc.clock.now()
    if delay <= timedelta(0):  # still due after a sweep: failing or claimed rows; don't spin
        delay = WAKE_GAP
    run_at = SystemClock().now() + delay
    with worker.arm_lock:  # shutdown holds the scheduler's locks while it waits for this job
        if worker.stopping:
            return
        job = worker.scheduler.get_job(sweep_job_id(worker_id))
        if job is not None and job.next_run_time is not None and run_at >= job.next_run_time:
            return
        worker.scheduler.add_job(run_sweep, "date", run_date=run_at, args=[worker_id, True],
                                 id=wakeup_job_id(worker_id), replace_existing=True)  # fmt: skip


# -- running -----------------------------------------------------------------------------------


def run_worker(url: str | None = None, *, worker_id: str | None = None,
               interval: float = DEFAULT_INTERVAL, batch: int = DEFAULT_BATCH,
               lease: timedelta = DEFAULT_LEASE, stop_after: float | None = None,
               clock: Clock | None = None, stop: threading.Event | None = None,
               checkpoint_key: Any = None, catch_up: CatchUp | None = None) -> WorkerStats:  # fmt: skip
    """Fire due deadlines until SIGTERM/SIGINT, ``stop`` is set or ``stop_after`` seconds pass.

    ``clock`` is the sweep's notion of now (default: the system clock); APScheduler itself
    always runs on wall time.  Signals are handled only when called on the main thread; from
    another thread, stop the worker with ``stop``.  On SQLite, raises
    :class:`WorkerAlreadyRunning` when another worker holds the database.  ``catch_up`` shows
    the first sweep's progress and summary, as ``run_once`` does (``catchup.py``): what fell
    due while no worker ran is fired before the scheduler starts.
    """
    worker_id = check_worker_id(worker_id)
    check_settings(batch, lease, interval)
    if worker_id in _WORKERS:
        raise WorkerAlreadyRunning(f"worker '{worker_id}' already runs in this process",
                                   f"调度进程“{worker_id}”已在本进程中运行")  # fmt: skip
    import jiuzhu

    with worker_lock(url):
        svc = jiuzhu.connect(url, clock=clock)
        try:
            return _serve(svc, worker_id, interval, batch, lease, stop_after,
                          stop or threading.Event(), checkpoint_key, catch_up)  # fmt: skip
        finally:
            svc.close()


def run_once(url: str | None = None, *, worker_id: str | None = None,
             batch: int = DEFAULT_BATCH, lease: timedelta = DEFAULT_LEASE,
             clock: Clock | None = None, catch_up: CatchUp | None = None) -> SweepReport:  # fmt: skip
    """One catch-up sweep and return (for cron-driven deployments); same lock as a worker.

    ``catch_up`` is told what is due at the start and each fired chunk, and shows its progress
    and summary (``catchup.py``).
    """
    worker_id = check_worker_id(worker_id)
    check_settings(batch, lease)
    import jiuzhu

    with worker_lock(url):
        svc = jiuzhu.connect(url, clock=clock)
        try:
            if catch_up is not None:
                catch_up.watch(svc.engine, svc.clock)  # what is due now, recounted as it goes
            report = sweep(svc, worker=worker_id, batch=batch, lease=lease,
                           on_chunk=catch_up.advance if catch_up else None)  # fmt: skip
            if catch_up is not None:
                catch_up.end()
            warn_calendar(svc)
        finally:
            svc.close()
    _log_report(worker_id, report, "sweep")
    return report


def _serve(svc: CaseService, worker_id: str, interval: float, batch: int, lease: timedelta,
           stop_after: float | None, stop: threading.Event,
           checkpoint_key: Any = None, catch_up: CatchUp | None = None) -> WorkerStats:  # fmt: skip
    worker = _Worker(svc, _scheduler(), batch, lease, WorkerStats(worker_id),
                     checkpoint_key=checkpoint_key,
                     silent_after=max(SILENT_AFTER, timedelta(seconds=3 * interval)))  # fmt: skip
    _WORKERS[worker_id] = worker
    try:
        worker.scheduler.add_listener(_listener(worker.stats), _job_events())
        first = SystemClock().now()  # the catch-up, unless _first_sweep has done it
        if catch_up is not None:
            first += timedelta(seconds=interval)
        worker.scheduler.add_job(run_sweep, "interval", seconds=interval, args=[worker_id],
                                 id=sweep_job_id(worker_id), replace_existing=True,
                                 next_run_time=first)  # fmt: skip
        worker.scheduler.add_job(run_checkpoint, "cron", hour=0, minute=5, timezone=SHANGHAI,
                                 args=[worker_id], id=checkpoint_job_id(worker_id),
                                 replace_existing=True)  # fmt: skip  # daily audit checkpoint
        with _stop_on_signals(stop):
            if catch_up is not None:
                _first_sweep(worker, worker_id, catch_up, stop)
                _arm_wakeup(worker_id, worker)  # the next due deadline, once started
            worker.scheduler.start()
            log.info("worker %s started on %s: sweeping every %g s (batch %d, lease %g s)",
                     worker_id, _shown(svc), interval, batch, lease.total_seconds())  # fmt: skip
            warn_calendar(svc)
            try:
                stop.wait(stop_after)
                log.info("worker %s stopping (after the current chunk)", worker_id)
            finally:
                _shutdown(worker)
    finally:
        _WORKERS.pop(worker_id, None)
    stats = worker.stats
    log.info("worker %s stopped: %d sweeps, %d fired, %d failed, %d job errors, %d missed",
             worker_id, stats.sweeps, stats.fired, stats.failed, stats.job_errors,
             stats.jobs_missed)  # fmt: skip
    return stats


def _first_sweep(worker: _Worker, worker_id: str, catch_up: CatchUp,
                 stop: threading.Event) -> None:  # fmt: skip
    """The catch-up before the scheduler starts, its progress shown by ``catch_up``."""
    catch_up.watch(worker.svc.engine, worker.svc.clock)
    report = sweep(worker.svc, worker=worker_id, batch=worker.batch, lease=worker.lease,
                   should_stop=stop.is_set, on_chunk=catch_up.advance,
                   silent_after=worker.silent_after)  # fmt: skip
    catch_up.end()
    stats = worker.stats
    stats.sweeps, stats.fired, stats.failed = (stats.sweeps + 1, stats.fired + report.fired,
                                               stats.failed + report.failed)  # fmt: skip
    _log_report(worker_id, report, "catch-up")


def _shutdown(worker: _Worker) -> None:
    """Stop arming wake-ups, then wait for the running sweep (shutdown holds the job store)."""
    with worker.arm_lock:
        worker.stopping = True
    worker.scheduler.shutdown(wait=True)


def _scheduler() -> BaseScheduler:
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    # One thread: the interval and wake-up jobs never sweep at the same time.
    return BackgroundScheduler(jobstores={"default": MemoryJobStore()},
                               executors={"default": ThreadPoolExecutor(1)},
                               job_defaults=dict(JOB_DEFAULTS), timezone=UTC)  # fmt: skip


def _job_events() -> int:
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED

    return int(EVENT_JOB_ERROR | EVENT_JOB_MISSED)


def _listener(stats: WorkerStats) -> Any:
    from apscheduler.events import EVENT_JOB_ERROR

    def on_job_event(event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_ERROR:
            stats.job_errors += 1
            log.error("job %s failed: %s: %s (retried at the next run)", event.job_id,
                      type(event.exception).__name__, event.exception)  # fmt: skip
        else:
            stats.jobs_missed += 1
            log.warning("job %s missed its run time %s", event.job_id, event.scheduled_run_time)

    return on_job_event


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """The first SIGTERM/SIGINT sets ``stop`` (graceful); a second one exits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may install handlers; the caller sets ``stop`` instead
        return
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()
        for sig in STOP_SIGNALS:
            signal.signal(sig, _hard_stop)

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_signal)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _hard_stop(signum: int, _frame: Any) -> NoReturn:
    # Mid-sweep if need be: each firing is one transaction and claims are leased, so dying
    # here leaves nothing half-done (the same as SIGKILL, which the tests exercise).
    os._exit(128 + signum)


def _shown(svc: CaseService) -> str:
    return svc.engine.url.render_as_string(hide_password=True)
