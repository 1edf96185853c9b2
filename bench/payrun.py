"""Benchmark: the monthly payment run for N paying cases, fired by ``jiuzhu worker --once``.

Set-up (untimed, ``_payrun_setup.py``): a fresh scratch database holding N fast-track cases in
``provisionally_approved`` (a paying state) whose ``allowance_due`` deadline for 2026-03 is due
on the pay day, 2026-03-15; four are made through the service, the rest cloned in bulk with
their own ids, case numbers, ID numbers, hash chains and Merkle log leaves.  The database is
marked as a simulation, and each run is a copy of it (``CREATE DATABASE ... TEMPLATE``).

Timed (``run:1-worker``, ``run:2-workers``): ``jiuzhu worker --once`` subprocesses, as an
operator runs them, on ``$JIUZHU_SIMULATED_TIME`` = the pay day 09:00 Shanghai, started
together; seconds = from the start until the last one exits (their start-up included).  Each
case pays one month: the ``pay_allowance`` transition, its hashed event, one ``allowance``
ledger line, one ``household_months`` row, the Merkle leaves, the next month's deadline.
Afterwards every case-month must be paid exactly once (``check``), or the run fails.

Baseline (``baseline:bulk-insert``), in the same run: one ``INSERT ... SELECT`` of the same N
ledger rows into a copy of ``ledger_entries`` (its indexes and constraints), the floor of any
payment run that writes one ledger line per case.

Resume (``--kill-after S``): on a fresh copy one worker is killed (SIGKILL) S seconds into
the run and a worker restarted after the lease; then ``resume-check`` says whether every
case-month has exactly one ledger line and one event (exit 1 if not).

Output: JSON lines on stdout (see bench/README.md); the workers' progress lines on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)
import _common  # noqa: E402

_common.import_library_transitions()

import argparse  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import _payrun_setup as setup  # noqa: E402
from _common import emit, info  # noqa: E402
from sqlalchemy import text  # noqa: E402

import jiuzhu  # noqa: E402
from jiuzhu.models.db import make_engine  # noqa: E402

BENCH = "payrun"
UNIT = "cases/s"
QUICK_N, DEFAULT_N = 2_000, 1_000_000
RUN_AT = "2026-03-15T09:00:00+08:00"  # the pay day, as the operator's simulated clock
RESTART_AT = "2026-03-15T10:00:00+08:00"  # after the killed worker's lease (300 s) ran out
TARGET_SECONDS_1M = 300.0


# -- scratch databases -----------------------------------------------------------------------------
class Scratch:
    """The template database and its copies, on PostgreSQL or in an SQLite directory."""

    def __init__(self, pg: _common.PostgresScratch | None, directory: Path | None) -> None:
        self.pg, self.directory, self._k = pg, directory, 0

    @property
    def backend(self) -> str:
        return "postgresql" if self.pg is not None else "sqlite"

    def fresh(self, name: str) -> str:
        self._k += 1
        if self.pg is not None:
            return self.pg.create(f"{name}_{self._k}")
        assert self.directory is not None
        return _common.sqlite_url(self.directory, f"{name}-{self._k}.db")

    def copy(self, template: str, name: str) -> str:
        self._k += 1
        if self.pg is not None:
            return self.pg.create(f"{name}_{self._k}", template=template)
        url = self.fresh(name)
        engine = make_engine(template)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        shutil.copyfile(template.removeprefix("sqlite:///"), url.removeprefix("sqlite:///"))
        return url

    def drop(self, url: str) -> None:
        if self.pg is not None:
            self.pg.drop(url)
        else:
            for extra in ("", "-wal", "-shm", ".worker.lock"):
                Path(f"{url.removeprefix('sqlite:///')}{extra}").unlink(missing_ok=True)


# -- the workers ------------------------------------------------------------------------------------
def jiuzhu_command(url: str, worker: str, profile: str | None = None) -> list[str]:
    prefix = [sys.executable]
    if profile is not None:
        prefix += ["-m", "cProfile", "-o", profile]
    return [*prefix, "-m", "jiuzhu.cli", "worker", "--once", "--db", url, "--worker-id", worker]


def start_workers(url: str, count: int, at: str, tag: str,
                  profile: str | None = None) -> list[subprocess.Popen[str]]:  # fmt: skip
    env = {**os.environ, "JIUZHU_SIMULATED_TIME": at}
    return [subprocess.Popen(jiuzhu_command(url, f"payrun-{tag}-{i}", profile if i == 0 else None),
                             env=env, stdout=subprocess.PIPE, text=True)
            for i in range(count)]  # fmt: skip


def wait_workers(procs: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    import json

    reports = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"worker exited {proc.returncode}: {out.strip()}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


def run(url: str, workers: int, n: int, profile: str | None) -> dict[str, Any]:
    """Time one payment run on ``url`` with ``workers`` processes; check it; the JSON line."""
    t0 = time.perf_counter()
    reports = wait_workers(start_workers(url, workers, RUN_AT, f"w{workers}", profile))
    seconds = time.perf_counter() - t0
    fired = sum(r["fired"] for r in reports)
    # the same command again: nothing is left to pay, so this is the worker's start-up and
    # end (imports, connecting, counting what is due), a fixed cost the projection keeps once
    t1 = time.perf_counter()
    again = wait_workers(start_workers(url, 1, RUN_AT, f"w{workers}-again"))
    fixed = time.perf_counter() - t1
    problems = check_paid_once(url, n)
    if again[0]["fired"]:
        problems.append(f"running again paid {again[0]['fired']} more")
    label = f"run:{workers}-worker{'s' if workers > 1 else ''}"
    per_case = max(seconds - fixed, 1e-9) / fired if fired else None
    return {"label": label, "cases_paid": fired, "seconds": round(seconds, 2),
            "rate": round(fired / seconds, 1), "startup_seconds": round(fixed, 2),
            "rate_after_startup": round(1 / per_case, 1) if per_case else None,
            "minutes_for_1M": round((fixed + 1e6 * per_case) / 60, 1) if per_case else None,
            "failed": sum(r["failed"] for r in reports),
            "skipped": sum(r["skipped"] for r in reports), "exactly_once": not problems,
            "problems": problems}  # fmt: skip


# -- the exactly-once check --------------------------------------------------------------------------
def check_paid_once(url: str, n: int) -> list[str]:
    """Every case paid :data:`setup.MONTH` exactly once: one ``allowance`` ledger line, one
    ``pay_allowance`` event, one ``household_months`` row and its ``allowance_due`` row fired;
    none missing, none double.  The problems found (empty: all well)."""
    engine = make_engine(url)
    month = {"m": setup.MONTH}
    try:
        with engine.connect() as conn:
            lines = conn.execute(text(
                "SELECT count(*), count(DISTINCT case_id), coalesce(sum(amount_fen), 0) "
                "FROM ledger_entries WHERE kind = 'allowance' AND period = :m"), month).one()  # fmt: skip
            other = conn.execute(text("SELECT count(*) FROM ledger_entries WHERE kind = "
                                      "'allowance' AND period <> :m"), month).scalar_one()  # fmt: skip
            events = conn.execute(text(
                "SELECT count(*), count(DISTINCT case_id) FROM events "
                "WHERE type = 'pay_allowance'")).one()  # fmt: skip
            unpaid = conn.execute(text(
                "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM ledger_entries l "
                "WHERE l.case_id = c.id AND l.kind = 'allowance' AND l.period = :m)"),
                month).scalar_one()  # fmt: skip
            months = conn.execute(text("SELECT count(*) FROM household_months "
                                       "WHERE period = :m"), month).scalar_one()  # fmt: skip
            due: dict[str, int] = {str(k): int(v) for k, v in conn.execute(text(
                "SELECT status, count(*) FROM deadlines WHERE kind = 'allowance_due' "
                "GROUP BY status")).all()}  # fmt: skip
    finally:
        engine.dispose()
    problems = []
    if tuple(lines) != (n, n, n * setup.MONTHLY_FEN):
        problems.append(f"{lines[0]} ledger lines on {lines[1]} cases, {lines[2]} fen; "
                        f"expected {n} on {n}, {n * setup.MONTHLY_FEN} fen")  # fmt: skip
    if unpaid:
        problems.append(f"{unpaid} case(s) without their {setup.MONTH} allowance")
    if other:
        problems.append(f"{other} allowance line(s) for another month")
    if tuple(events) != (n, n):
        problems.append(f"{events[0]} pay_allowance events on {events[1]} cases, expected {n}")
    if months != n:
        problems.append(f"{months} household_months rows, expected {n}")
    if due != {"fired": n, "pending": n}:  # this month's fired, next month's armed
        problems.append(f"allowance_due rows by status {due}, expected {n} fired, {n} pending")
    return problems


# -- the baseline -------------------------------------------------------------------------------------
def bulk_insert(url: str, n: int) -> dict[str, Any]:
    """One ``INSERT ... SELECT`` of the N ledger lines into a copy of ``ledger_entries``."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("CREATE TABLE payrun_floor (LIKE ledger_entries INCLUDING ALL)"))
            else:
                ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = "
                                        "'ledger_entries'")).scalar_one()  # fmt: skip
                conn.execute(text(ddl.replace("ledger_entries", "payrun_floor", 1)))
        t0 = time.perf_counter()
        with engine.begin() as conn:
            done = conn.execute(text(
                "INSERT INTO payrun_floor (case_id, seq, line, kind, amount_fen, period, "
                "booked_on, org_path, created_at) SELECT id, last_seq + 1, 0, 'allowance', "
                "monthly_amount_fen, :m, :day, org_path, updated_at FROM cases"),
                {"m": setup.MONTH, "day": "2026-03-15"}).rowcount  # fmt: skip
        seconds = time.perf_counter() - t0
    finally:
        engine.dispose()
    return {"label": "baseline:bulk-insert", "cases_paid": done, "seconds": round(seconds, 2),
            "rate": round(done / seconds, 1),
            "minutes_for_1M": round(1e6 / done * seconds / 60, 2)}  # fmt: skip


# -- kill and resume ---------------------------------------------------------------------------------
def kill_and_resume(url: str, n: int, after: float) -> dict[str, Any]:
    """Kill a worker ``after`` seconds into the run (SIGKILL), restart one after the lease."""
    (proc,) = start_workers(url, 1, RUN_AT, "killed")
    try:
        proc.wait(timeout=after)
        killed = False  # it finished first
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)  # our own child, by its handle
        proc.communicate()
        killed = True
    engine = make_engine(url)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one()
        held = conn.execute(text("SELECT count(*) FROM deadlines WHERE status = 'claimed'"))
        claimed = held.scalar_one()
    engine.dispose()
    info(f"  killed after {after} s: {before:,} paid, {claimed:,} claims left behind")
    t0 = time.perf_counter()
    reports = wait_workers(start_workers(url, 1, RESTART_AT, "resumed"))
    problems = check_paid_once(url, n)
    return {"label": "resume-check", "killed": killed, "kill_after_s": after,
            "paid_before_kill": before, "claims_left_by_killed": claimed,
            "paid_after_restart": sum(r["fired"] for r in reports),
            "restart_seconds": round(time.perf_counter() - t0, 2),
            "exactly_once": not problems, "problems": problems}  # fmt: skip


# -- the whole ------------------------------------------------------------------------------------------
def audit_verify(url: str) -> dict[str, Any]:
    """``jiuzhu audit verify`` on the set-up database (a subprocess, as an auditor runs it)."""
    done = subprocess.run([sys.executable, "-m", "jiuzhu.cli", "audit", "verify", "--db", url],
                          capture_output=True, text=True)  # fmt: skip
    tail = (done.stdout.strip().splitlines() or [""])[-1]
    return {"label": "setup:audit-verify", "exit": done.returncode, "said": tail[:300]}


def show_profile(path: str, top: int = 18) -> None:
    stats = pstats.Stats(path, stream=sys.stderr)
    info(f"profile of the 1-worker run ({path}), by own time:")
    stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    n = args.cases or (QUICK_N if args.quick else DEFAULT_N)
    _common.exit_on_sigterm()
    pg = _common.PostgresScratch(args.pg) if args.pg else None
    directory = Path(tempfile.mkdtemp(prefix="jiuzhu-payrun-")) if pg is None else None
    scratch = Scratch(pg, directory)
    failed = False
    try:
        info(f"{scratch.backend}: {pg.server_version() if pg else 'SQLite'}; N = {n:,}; source "
             f"{_common.source_fingerprint(Path(jiuzhu.__file__).parent)}")  # fmt: skip
        t0 = time.perf_counter()
        template = scratch.fresh("template")
        setup.make_templates(template, setup.TEMPLATES)
        setup.clone(template, n)
        built = time.perf_counter() - t0
        emit({"bench": BENCH, "label": "setup", "backend": scratch.backend, "cases": n,
              "seconds": round(built, 1), "cases_per_s": round(n / built)})  # fmt: skip
        if args.verify or (args.quick and args.verify is None):
            emit({"bench": BENCH, "backend": scratch.backend, **audit_verify(template)})
        counts = [1] if scratch.backend == "sqlite" else [1, 2]  # SQLite: one worker per file
        if args.setup_only:
            counts, args.kill_after = [], None
        for workers in counts:
            url = scratch.copy(template, f"w{workers}")
            profile = args.profile if workers == 1 else None
            record = run(url, workers, n, profile)
            failed |= not record["exactly_once"]
            emit({"bench": BENCH, "backend": scratch.backend, "cases": n, "unit": UNIT, **record})
            if workers == 1:
                floor = bulk_insert(url, n)
                emit({"bench": BENCH, "backend": scratch.backend, "cases": n, "unit": UNIT,
                      **floor, "ratio_run_to_floor": round(record["seconds"] / floor["seconds"],
                                                           1)})  # fmt: skip
            scratch.drop(url)
        if args.kill_after is not None:
            url = scratch.copy(template, "kill")
            record = kill_and_resume(url, n, args.kill_after)
            failed |= not record["exactly_once"]
            emit({"bench": BENCH, "backend": scratch.backend, "cases": n, **record})
            scratch.drop(url)
        if args.profile:
            show_profile(args.profile)
    finally:
        if pg is not None:
            pg.close()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
    return 1 if failed else 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--pg", metavar="ADMIN_URL", help="PostgreSQL admin URL: scratch databases "
                   "are made next to it and dropped (required unless --sqlite)")  # fmt: skip
    p.add_argument("--sqlite", action="store_true", help="run on SQLite files instead "
                   f"(one worker; small N only, at most {SQLITE_MAX:,})")  # fmt: skip
    p.add_argument("--quick", action="store_true", help=f"N = {QUICK_N:,} (default "
                   f"{DEFAULT_N:,}), and audit verify on the set-up")  # fmt: skip
    p.add_argument("--cases", type=bounded(1, 5_000_000), help="N paying cases")
    p.add_argument("--kill-after", type=seconds_bounded, metavar="SECONDS",
                   help="also kill a worker this many seconds into a run, restart, check")  # fmt: skip
    p.add_argument("--verify", action=argparse.BooleanOptionalAction, default=None,
                   help="audit verify on the set-up database (default: with --quick)")  # fmt: skip
    p.add_argument("--setup-only", action="store_true",
                   help="time the set-up (and --verify it), run no payment run")  # fmt: skip
    p.add_argument("--profile", metavar="FILE", help="cProfile the 1-worker run into FILE")
    args = p.parse_args(argv)
    if not args.pg and not args.sqlite:
        p.error("give --pg ADMIN_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/"
                "postgres) or --sqlite; 请给出 --pg 管理库地址或 --sqlite")  # fmt: skip
    if args.pg and args.sqlite:
        p.error("--pg and --sqlite exclude each other; --pg 与 --sqlite 只能选一个")
    n = args.cases or (QUICK_N if args.quick else DEFAULT_N)
    if args.sqlite and n > SQLITE_MAX:
        p.error(f"--sqlite runs at most {SQLITE_MAX:,} cases (give --cases); "
                f"SQLite 最多 {SQLITE_MAX:,} 个案件")  # fmt: skip
    return args


SQLITE_MAX = 100_000


def bounded(lo: int, hi: int) -> Any:
    def check(raw: str) -> int:
        value = int(raw)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is not in {lo}..{hi}; 应在 {lo}..{hi} 之间")
        return value

    return check


def seconds_bounded(raw: str) -> float:
    value = float(raw)
    if not 0.1 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{value} is not in 0.1..3600 s; 应在 0.1..3600 秒之间")
    return value


if __name__ == "__main__":
    sys.exit(main())
