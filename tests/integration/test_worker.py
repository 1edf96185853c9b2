"""The deadline worker on real databases, real processes and (once) the real APScheduler loop.

Time is injected: the processes sweep with an explicit ``now`` far after the due times, and
are coordinated by barriers and pipes, never by sleeping.  The one exception is the smoke test
at the end, which runs ``run_worker`` for a few seconds of real time, on a simulated clock
that starts on a pinned day and advances with the system clock.

* two worker processes on PostgreSQL share ~2,000 due deadlines, each fired exactly once;
* a worker killed with SIGKILL leaves nothing half-done, and its claims wait for the lease;
* an SQLite database serves one worker; a second one refuses, naming the holder's pid.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from helpers import Org, case_in, make_county
from sqlalchemy import select, text

import jiuzhu
from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.verify import verify_database
from jiuzhu.clock import SHANGHAI, SimulatedClock, iso_utc
from jiuzhu.models import rows as store
from jiuzhu.scheduler.catchup import CatchUp
from jiuzhu.scheduler.startup import WorkerAlreadyRunning, lock_path, sqlite_file, worker_lock
from jiuzhu.scheduler.sweep import DEFAULT_LEASE, claim, sweep
from jiuzhu.scheduler.worker import run_once, run_worker

# These tests are about the verification and visit deadlines; the monthly payment run,
# which adds an allowance deadline to every paying case, has its own tests (test_payments.py).
pytestmark = pytest.mark.policy(monthly_payments=False)

TIMEOUT = 120  # seconds; only ever reached when something hangs
DOWNTIME = timedelta(days=40)  # every verification month and ~80 visits fell due meanwhile
DOOMED, HEIR = "doomed:1", "heir:2"
SPAWN = multiprocessing.get_context("spawn")


# -- looking at the database ------------------------------------------------------------------


def deadline_table(svc: CaseService) -> list[Any]:
    d = store.deadlines
    with svc.engine.connect() as conn:
        return list(conn.execute(select(d).order_by(d.c.id)))


def firing_events(svc: CaseService) -> list[Any]:
    """Every event a deadline fired (system triggers), in case and chain order."""
    e = store.events
    query = (
        select(e.c.case_id, e.c.seq, e.c.type, e.c.payload, e.c.actor_user)
        .where(e.c.type.in_(("mark_overdue", "plan.miss", "remind")))
        .order_by(e.c.case_id, e.c.seq)
    )
    with svc.engine.connect() as conn:
        return list(conn.execute(query))


def assert_each_fired_once(svc: CaseService, due_rows: list[Any]) -> list[Any]:
    """Each due row is 'fired' and has exactly one event: same case, kind, due time and seq."""
    assert {r.status for r in due_rows} == {"fired"}
    events = firing_events(svc)
    keys = Counter((e.case_id, e.payload["deadline"], e.payload["due_at"]) for e in events)
    assert keys == Counter((r.case_id, r.kind, iso_utc(r.due_at)) for r in due_rows)
    by_seq = {(e.case_id, e.seq): e for e in events}
    for row in due_rows:
        assert by_seq[(row.case_id, row.closed_seq)].actor_user == row.claimed_by
    report = verify_database(svc.engine)
    assert report.ok, report.breaks[:3]
    return events


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    """Poll a condition another process brings about (not a deadline: time is not the cue)."""
    give_up = time.monotonic() + TIMEOUT
    while not (result := condition()):
        if time.monotonic() > give_up:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)
    return result


def stop(child: Any) -> None:
    child.join(TIMEOUT)
    if child.is_alive():
        child.kill()
        child.join()


# -- PostgreSQL fixtures ----------------------------------------------------------------------


@pytest.fixture
def pg_svc(postgres_url: str, clock: FakeClock) -> Iterator[CaseService]:
    service = jiuzhu.connect(postgres_url, clock=clock, upgrade=False,
                             policy={"monthly_payments": False})  # fmt: skip
    yield service
    service.close()


@pytest.fixture
def pg_org(pg_svc: CaseService) -> Org:
    return make_county(pg_svc)


# -- two workers, thousands of deadlines ------------------------------------------------------

CASES, EVERY_HOURS, GRACE_HOURS = 25, 12, 1
VISITS = (DOWNTIME - timedelta(hours=GRACE_HOURS)) // timedelta(hours=EVERY_HOURS) + 1  # 80


def sweep_in_child(url: str, now: datetime, name: str, batch: int, barrier: Any,
                   results: Any) -> None:  # fmt: skip
    """A worker process: connect on its own, start with the other one, sweep everything due."""
    try:
        svc = jiuzhu.connect(url)
        barrier.wait(TIMEOUT)
        report = sweep(svc, worker=name, now=now, batch=batch)
        svc.close()
        results.put((name, report.to_dict()))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        barrier.abort()
        results.put((name, {"crash": repr(exc)}))


@pytest.mark.postgres
@pytest.mark.slow
def test_two_worker_processes_fire_each_of_thousands_of_deadlines_once(
    pg_svc: CaseService, pg_org: Org, postgres_url: str, clock: FakeClock
) -> None:
    for _ in range(CASES):  # each: a verification month and a visit every 12 hours
        case = case_in(pg_svc, pg_org, "provisionally_approved")
        pg_svc.open_service_plan(pg_org.village, case.id, kind="home_visit",
                                 provider={"name": "暖心家政"}, grace_hours=GRACE_HOURS,
                                 recurrence={"type": "interval", "hours": EVERY_HOURS})  # fmt: skip
    now = clock.now() + DOWNTIME
    barrier, results = SPAWN.Barrier(2), SPAWN.Queue()
    names = ("east:1", "west:2")
    children = [SPAWN.Process(target=sweep_in_child,
                              args=(postgres_url, now, name, 20, barrier, results))
                for name in names]  # fmt: skip
    for child in children:
        child.start()
    try:
        reports = dict(results.get(timeout=TIMEOUT) for _ in children)
    finally:
        for child in children:
            stop(child)
    assert all("crash" not in r and r["failed"] == 0 for r in reports.values()), reports

    rows = deadline_table(pg_svc)
    due = [r for r in rows if r.due_at <= now]
    assert len(due) == CASES * (1 + VISITS) == 2025
    assert [r.status for r in rows if r.due_at > now] == ["pending"] * 2 * CASES  # next ones
    events = assert_each_fired_once(pg_svc, due)
    assert Counter(e.type for e in events) == {"mark_overdue": CASES, "plan.miss": CASES * VISITS}
    for case_id in {r.case_id for r in rows}:  # catch-up one occurrence at a time, in order
        misses = [e.payload["n"] for e in events if e.case_id == case_id and e.type == "plan.miss"]
        assert misses == list(range(1, VISITS + 1))
    by_worker = Counter(e.actor_user for e in events)
    assert by_worker == {name: reports[name]["fired"] for name in names}
    assert all(by_worker[name] > 0 for name in names), by_worker


# -- a worker killed mid-sweep ----------------------------------------------------------------


def fire_some_then_hang(url: str, now: datetime, batch: int, fire: int, pipe: Any) -> None:
    """Claim a batch, fire only its first ``fire`` rows, tell the parent, wait to be killed."""
    svc = jiuzhu.connect(url)
    ids = claim(svc, worker=DOOMED, now=now, batch=batch)
    outcomes = [svc.fire_deadline(i, worker=DOOMED, now=now).outcome for i in ids[:fire]]
    pipe.send((ids, outcomes))
    pipe.recv()  # never answered: SIGKILL ends this process here


def kill(child: Any) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.join(TIMEOUT)
    assert child.exitcode == -signal.SIGKILL


def test_killed_worker_leaves_fired_rows_whole_and_its_claims_to_the_lease(
    svc: CaseService, org: Org, db_url: str, clock: FakeClock
) -> None:
    for _ in range(12):
        case_in(svc, org, "provisionally_approved")
    now = clock.now() + DOWNTIME
    parent, child_end = SPAWN.Pipe()
    child = SPAWN.Process(target=fire_some_then_hang, args=(db_url, now, 8, 3, child_end))
    child.start()
    try:
        assert parent.poll(TIMEOUT), "the worker process did not report"
        ids, outcomes = parent.recv()
        kill(child)
    finally:
        stop(child)
    assert len(ids) == 8 and outcomes == ["fired"] * 3
    fired, held = set(ids[:3]), set(ids[3:])

    rows = {r.id: r for r in deadline_table(svc) if r.kind == "verification_due"}
    assert {i for i, r in rows.items() if r.status == "fired"} == fired
    assert {i for i, r in rows.items() if r.status == "claimed"} == held
    assert {rows[i].claimed_by for i in held} == {DOOMED}
    assert sum(r.status == "pending" for r in rows.values()) == 4
    assert {e.case_id for e in firing_events(svc)} == {rows[i].case_id for i in fired}

    before_lease = sweep(svc, worker=HEIR, now=now + DEFAULT_LEASE - timedelta(seconds=1))
    assert (before_lease.fired, before_lease.failed) == (4, 0)
    assert {r.id for r in deadline_table(svc) if r.status == "claimed"} == held

    after_lease = sweep(svc, worker=HEIR, now=now + DEFAULT_LEASE + timedelta(seconds=1))
    assert (after_lease.fired, after_lease.failed) == (5, 0)
    final = [r for r in deadline_table(svc) if r.kind == "verification_due"]
    events = assert_each_fired_once(svc, final)
    assert Counter(e.actor_user for e in events) == {DOOMED: 3, HEIR: 9}


def fire_one_in_child(url: str, now: datetime, pipe: Any) -> None:
    """Claim one row; on the parent's go, fire it (while the parent blocks event appends)."""
    svc = jiuzhu.connect(url)
    pipe.send(claim(svc, worker=DOOMED, now=now, batch=1))
    svc.fire_deadline(pipe.recv(), worker=DOOMED, now=now)  # blocks, and is killed, in here


def blocked_appender(svc: CaseService) -> int | None:
    """The server process of a session waiting to append an event (a fresh look each call)."""
    query = text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO events%'"
    )
    with svc.engine.connect() as conn:  # pg_stat_activity is frozen within one transaction
        return conn.execute(query).scalar()  # type: ignore[no-any-return]


def backend_alive(svc: CaseService, pid: int) -> bool:
    with svc.engine.connect() as conn:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
        return bool(conn.execute(query, {"pid": pid}).scalar_one())


@pytest.mark.postgres
def test_worker_killed_inside_a_firing_transaction_leaves_nothing_half_done(
    pg_svc: CaseService, pg_org: Org, postgres_url: str, clock: FakeClock
) -> None:
    case = case_in(pg_svc, pg_org, "provisionally_approved")
    now = clock.now() + DOWNTIME
    parent, child_end = SPAWN.Pipe()
    child = SPAWN.Process(target=fire_one_in_child, args=(postgres_url, now, child_end))
    child.start()
    try:
        assert parent.poll(TIMEOUT), "the worker process did not report"
        (deadline_id,) = parent.recv()
        with pg_svc.engine.connect() as blocker:  # writers of events wait; readers do not
            blocker.execute(text("LOCK TABLE events IN SHARE MODE"))
            parent.send(deadline_id)
            # the child has marked the row fired and updated the case, uncommitted, and now
            # waits to append the event: kill it there
            backend = wait_for(lambda: blocked_appender(pg_svc),
                               "the worker to block inside its firing transaction")  # fmt: skip
            kill(child)
            blocker.rollback()
    finally:
        stop(child)
    wait_for(lambda: not backend_alive(pg_svc, backend), "the dead worker's session to end")

    (row,) = [r for r in deadline_table(pg_svc) if r.id == deadline_id]
    assert (row.status, row.claimed_by, row.fired_at) == ("claimed", DOOMED, None)
    stored = pg_svc.get_case(pg_org.county, case.id)
    assert (stored.state, stored.row_version, stored.last_seq) == ("provisionally_approved", 4, 4)
    assert firing_events(pg_svc) == []
    assert sweep(pg_svc, worker=HEIR, now=now + timedelta(minutes=1)).fired == 0
    assert sweep(pg_svc, worker=HEIR, now=now + DEFAULT_LEASE + timedelta(seconds=1)).fired == 1
    assert_each_fired_once(pg_svc, [r for r in deadline_table(pg_svc) if r.id == deadline_id])


# -- one worker per SQLite database -----------------------------------------------------------


def hold_worker_lock(url: str, pipe: Any) -> None:
    """Another process holding the worker lock (as a running worker does), until killed."""
    with worker_lock(url):
        pipe.send(os.getpid())
        pipe.recv()


def test_second_worker_on_sqlite_refuses_naming_the_holder_until_it_dies(
    sqlite_url: str,
) -> None:
    parent, child_end = SPAWN.Pipe()
    child = SPAWN.Process(target=hold_worker_lock, args=(sqlite_url, child_end))
    child.start()
    try:
        assert parent.poll(TIMEOUT), "the lock holder did not report"
        holder = parent.recv()
        database = sqlite_file(sqlite_url)
        assert database is not None
        lock = lock_path(database)
        assert lock.read_text().strip() == str(holder)
        for start in (lambda: run_worker(sqlite_url, stop_after=0), lambda: run_once(sqlite_url)):
            with pytest.raises(WorkerAlreadyRunning) as refused:
                start()
            message, zh = str(refused.value), refused.value.zh
            assert f"pid {holder}" in message and "serves one worker" in message, message
            assert "use PostgreSQL to run several workers" in message
            assert f"pid {holder}" in zh and "只能由一个调度进程服务" in zh
        kill(child)  # the kernel drops a dead holder's flock: no stale lock
    finally:
        stop(child)
    assert run_once(sqlite_url, worker_id="next").fired == 0
    assert lock.read_text() == ""  # released: no pid left behind


@pytest.mark.postgres
def test_postgres_workers_take_no_lock(postgres_url: str) -> None:
    with worker_lock(postgres_url) as held:
        assert held is None
        assert run_once(postgres_url, worker_id="second").failed == 0


def test_worker_in_a_thread_stops_when_told_and_leaves_signals_alone(sqlite_url: str) -> None:
    stop, handlers = threading.Event(), signal.getsignal(signal.SIGTERM)
    stop.set()  # already told: the worker starts, sees it, and shuts down cleanly
    result: list[Any] = []
    thread = threading.Thread(
        target=lambda: result.append(run_worker(sqlite_url, worker_id="embedded", stop=stop))
    )
    thread.start()
    thread.join(TIMEOUT)
    assert not thread.is_alive() and result[0].job_errors == 0
    assert signal.getsignal(signal.SIGTERM) is handlers
    database = sqlite_file(sqlite_url)
    assert database is not None and lock_path(database).read_text() == ""  # lock released


# -- the real loop, for a few seconds ---------------------------------------------------------

WAKE_IN = timedelta(seconds=2)  # a visit falls due this long after the set-up
RUN_FOR = 3.5  # seconds of real APScheduler loop (the whole test takes ~4 s)


def due_by_the_running_clock(url: str, clock: FakeClock, running: SimulatedClock) -> str:
    """Three verification months overdue since March 2024, and a visit due WAKE_IN from now
    on the ``running`` clock."""
    svc = jiuzhu.connect(url, clock=clock, upgrade=False, policy={"monthly_payments": False})
    org = make_county(svc)
    for _ in range(3):
        case_in(svc, org, "provisionally_approved")
    clock.set(running.now() + WAKE_IN - timedelta(hours=1))  # first visit + 1 h grace
    case = case_in(svc, org, "provisionally_approved")
    view = svc.open_service_plan(org.village, case.id, kind="cleaning",
                                 provider={"name": "暖心家政"}, grace_hours=1,
                                 recurrence={"type": "interval", "hours": 1})  # fmt: skip
    svc.close()
    return f"visit_due/{next(iter(view.facts['plans']))}"


@pytest.mark.slow
def test_worker_loop_catches_up_then_wakes_for_the_next_due_deadline(
    sqlite_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    running = SimulatedClock(datetime(2024, 6, 3, 9, 0, tzinfo=SHANGHAI))  # real time from then
    visit = due_by_the_running_clock(sqlite_url, clock, running)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    caplog.set_level(logging.INFO, logger="jiuzhu.scheduler")

    stats = run_worker(sqlite_url, worker_id="smoke", interval=10, stop_after=RUN_FOR,
                       clock=running)  # fmt: skip

    assert (stats.job_errors, stats.jobs_missed, stats.failed) == (0, 0, 0)
    assert (stats.fired, stats.wakeups) == (4, 1)  # 3 at start; the visit by the wake-up
    svc = jiuzhu.connect(sqlite_url, upgrade=False)
    try:
        rows = deadline_table(svc)
    finally:
        svc.close()
    assert sorted(r.kind for r in rows if r.status == "fired") == ["verification_due"] * 3 + [visit]
    (fired_visit,) = [r for r in rows if r.kind == visit and r.status == "fired"]
    lag = fired_visit.fired_at - fired_visit.due_at
    assert timedelta(0) <= lag < timedelta(seconds=1), lag  # the interval alone would be 10 s
    assert all(r.due_at > running.now() for r in rows if r.status == "pending")
    problems = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING
        and r.name.startswith(("jiuzhu", "apscheduler"))
        # this loop runs on the wall clock: from 1 October the worker rightly warns that next
        # year's working-day calendar is not loaded (tests/integration/test_calendar.py)
        and not r.getMessage().startswith("the working-day calendar of ")
    ]
    assert problems == []
    lines = [r.getMessage() for r in caplog.records if r.name == "jiuzhu.scheduler"]
    assert any(line.startswith("sweep by smoke: fired 3,") for line in lines), lines
    assert any(line.startswith("wake-up by smoke: fired 1,") for line in lines), lines
    assert {sig: signal.getsignal(sig) for sig in handlers} == handlers


class StopAfterCatchUp(CatchUp):
    """The first sweep's tally; when it ends, the worker is told to stop (no waiting)."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__(timer=lambda: 0.0)
        self.stop = stop
        self.summaries: list[dict[str, Any]] = []

    def show_end(self, summary: dict[str, Any]) -> None:
        self.summaries.append(summary)
        self.stop.set()


def test_a_long_running_worker_shows_its_first_catch_up_before_its_loop_starts(
    sqlite_url: str, clock: FakeClock
) -> None:
    svc = jiuzhu.connect(sqlite_url, clock=clock, upgrade=False,
                         policy={"monthly_payments": False})  # fmt: skip
    org = make_county(svc)
    for _ in range(3):
        case_in(svc, org, "provisionally_approved")
    svc.close()
    clock.advance(DOWNTIME)
    stop = threading.Event()
    tally = StopAfterCatchUp(stop)

    stats = run_worker(sqlite_url, worker_id="long", stop=stop, clock=clock, catch_up=tally)

    assert (tally.due, tally.fired, tally.due_by_kind) == (3, 3, {"verification_due": 3})
    assert len(tally.summaries) == 1 and stats.fired == 3 and stats.job_errors == 0
