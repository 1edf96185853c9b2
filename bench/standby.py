"""Benchmark: ``audit verify`` on a streaming replica while a writer commits on the primary.

It sets up a hot standby of the PostgreSQL on ``--primary`` (default 127.0.0.1:5432):
``pg_basebackup -R`` into a temporary directory, then ``pg_ctl start`` on ``--standby-port``
(5434).  The binaries are found under /usr/lib/postgresql/*/bin; as root they run as the
``postgres`` user.  When the primary refuses replication connections (no ``replication`` line
in its pg_hba.conf), it says what line is needed and, unless ``--no-scratch``, makes its own
scratch primary (``initdb`` on ``--scratch-port``, 5433) and a standby of that instead.

On the primary it creates a bench database of ``--cases`` fast-track cases (five events each,
bench/audit.py's generator), waits for the standby to replay it, then runs three phases of
``--seconds`` each, one writer process (register a household, apply, promise, appraisal,
approve: five commands per round) committing on the primary throughout:

- ``writer-alone``: the writer by itself;
- ``writer+verify-standby``: ``verify_database`` in a loop on the standby at the same time;
- ``writer+verify-primary``: the same verify loop on the primary, for comparison;
- ``writer-alone`` again (so that drift over the run falls on both sides),

and then ``checkpoint-primary``: an audit checkpoint (``take_checkpoint``) on the primary while
the writer runs, timed, with the writer's slowest command during it.

A verify's snapshot on the standby can conflict with the replay of what vacuum and page pruning
removed on the primary: replay then waits (up to ``max_standby_streaming_delay``, 30 s here)
and the standby lags; ``--feedback`` turns ``hot_standby_feedback`` on instead.  The last line
counts the standby's cancelled queries (``pg_stat_database_conflicts``).

Output: JSON lines on stdout -- the bytes per row of the big tables after the build, then per
phase the writer's commands/s and p99/max latency, the
verify rate (events/s, whether it verified clean) and the replay lag sampled every 0.25 s on
the primary (bytes behind, ``pg_stat_replication.replay_lag``); progress on stderr.  Everything
is torn down at the end, also on Ctrl-C or SIGTERM: both clusters it started are stopped and
their directories removed, the bench database on the given primary is dropped.

On one machine the standby shares the primary's CPUs and disk, so the verify's CPU competes
with the writer wherever it runs; what the standby removes is the verify's snapshot and reads
on the primary.  Compare the two verify phases against each other, and both against alone.
"""

from __future__ import annotations

import _common

_common.import_library_transitions()  # before anything imports jiuzhu

import argparse  # noqa: E402
import glob  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import audit as generated  # noqa: E402  (bench/audit.py: the generated cases)

HBA_LINE = "host replication postgres 127.0.0.1/32 trust"
APPRAISAL = {"outcome": "passed", "attendance": 21, "votes_for": 19, "votes_against": 1,
             "abstentions": 1}  # fmt: skip
FIRST_ID = 5_000_000  # the writer's ID numbers (born from 1963), clear of the generated ones


# -- the clusters ------------------------------------------------------------------------------
def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise SystemExit(f"no {name} under /usr/lib/postgresql/*/bin (install postgresql)")
    return found[-1]


def as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL's programs refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def run(args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(as_postgres(args), capture_output=True, text=True, **kw)


class Clusters:
    """The clusters this run started (a scratch primary, the standby), stopped on close."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="jiuzhu-standby-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.started: list[Path] = []
        self.feedback = False  # hot_standby_feedback on the standby

    def start(self, data: Path, port: int, *extra: str) -> None:
        options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 " + " ".join(extra)
        done = run([pg_bin("pg_ctl"), "-D", str(data), "-l", f"{data}.log", "-w", "-t", "60",
                    "-o", options, "start"])  # fmt: skip
        if done.returncode != 0:
            log = Path(f"{data}.log")
            raise SystemExit(f"pg_ctl start on port {port} failed: {done.stderr.strip()}\n"
                             f"{log.read_text() if log.exists() else ''}")  # fmt: skip
        self.started.append(data)

    def scratch_primary(self, port: int) -> str:
        data = self.root / "primary"
        made = run([pg_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                    "--no-sync"])  # fmt: skip
        if made.returncode != 0:
            raise SystemExit(f"initdb failed: {made.stderr.strip()}")
        self.start(data, port, "-c wal_level=replica -c max_wal_senders=4")
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def standby(self, host: str, port: int, standby_port: int) -> tuple[str, str]:
        """``pg_basebackup -R`` of the primary, started as a hot standby. ('' , error) if
        the primary refused the replication connection."""
        data = self.root / "standby"
        done = run([pg_bin("pg_basebackup"), "-h", host, "-p", str(port), "-U", "postgres",
                    "-D", str(data), "-R", "-X", "stream", "-c", "fast", "--no-sync"],
                   timeout=600)  # fmt: skip
        if done.returncode != 0:
            return "", done.stderr.strip()
        # A Debian primary keeps its configuration in /etc: the copy then has none of its own.
        for name, text in (("postgresql.conf", ""), ("pg_hba.conf", "local all all trust\n"
                           "host all all 127.0.0.1/32 trust\n")):  # fmt: skip
            path = data / name
            if not path.exists():
                path.write_text(text)
                if os.geteuid() == 0:
                    shutil.chown(path, "postgres", "postgres")
        self.start(
            data,
            standby_port,
            "-c hot_standby=on -c max_standby_streaming_delay=30s",
            f"-c hot_standby_feedback={'on' if self.feedback else 'off'}",
        )
        return f"postgresql://postgres@127.0.0.1:{standby_port}/postgres", ""

    def close(self) -> None:
        for data in reversed(self.started):
            run([pg_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        self.started.clear()
        shutil.rmtree(self.root, ignore_errors=True)


# -- the processes ---------------------------------------------------------------------------
def writer(url: str, seconds: float, first_i: int, out: Any) -> None:
    """Rounds of five commands on the primary until ``seconds`` pass; latencies (ns) out."""
    import jiuzhu
    from jiuzhu import Actor, Role

    svc = jiuzhu.connect(url, upgrade=False)
    v = Actor(Role.VILLAGE, _common.VILLAGE, "bench-village")
    t = Actor(Role.TOWNSHIP, _common.TOWNSHIP, "bench-township")
    latencies: list[int] = []

    def timed(call: Any) -> Any:
        started = time.perf_counter_ns()
        result = call()
        latencies.append(time.perf_counter_ns() - started)
        return result

    stop_at, i = time.perf_counter() + seconds, first_i
    began = time.perf_counter()
    while time.perf_counter() < stop_at:
        member = [{"name": "居民", "id_number": _common.id_number(i), "relation": "head"}]
        home = timed(lambda: svc.register_household(v, members=member))  # noqa: B023
        case = timed(lambda: svc.apply(v, household_id=home.id, applicant_id=home.member_ids[0],  # noqa: B023
                                       programme="dibao", cause="major_illness",
                                       expenditure="90000"))  # fmt: skip
        timed(lambda: svc.promise(v, case.id, signed_by=home.member_ids[0]))  # noqa: B023
        timed(lambda: svc.record_appraisal(v, case.id, **APPRAISAL))  # noqa: B023
        timed(lambda: svc.approve(t, case.id, monthly_amount="2000"))  # noqa: B023
        i += 1
    wall = time.perf_counter() - began
    svc.close()
    out.put({"commands": len(latencies), "wall": wall, "latencies": latencies})


def verifier(url: str, stop_at: float, out: Any) -> None:
    """``verify_database`` in a loop until ``stop_at`` (time.time, shared by processes)."""
    from jiuzhu.audit.verify import verify_database
    from jiuzhu.models import make_engine

    engine = make_engine(url)
    runs, events, clean, began = 0, 0, True, time.perf_counter()
    while runs == 0 or time.time() < stop_at:
        report = verify_database(engine)
        runs, events, clean = runs + 1, events + report.events, clean and report.ok
    wall = time.perf_counter() - began
    engine.dispose()
    out.put({"runs": runs, "events": events, "wall": wall, "clean": clean})


def checkpointer(url: str, delay: float, out: Any) -> None:
    from datetime import UTC, datetime

    from jiuzhu.audit.checkpoint import take_checkpoint
    from jiuzhu.models import make_engine

    engine = make_engine(url)
    time.sleep(delay)  # the writer is under way
    started = time.perf_counter()
    cp = take_checkpoint(engine, now=datetime.now(UTC), taken_by="bench-standby")
    out.put({"checkpoint_seconds": time.perf_counter() - started, "heads": cp.cases,
             "window": (started, time.perf_counter())})  # fmt: skip
    engine.dispose()


class Lag:
    """The standby's replay lag, sampled on the primary every 0.25 s while a phase runs."""

    def __init__(self, primary_url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(primary_url.replace("postgresql+psycopg", "postgresql"),
                                    autocommit=True)  # fmt: skip
        self.bytes: list[int] = []
        self.seconds: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self.stop.wait(0.25):
            row = self.conn.execute(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), "
                "EXTRACT(EPOCH FROM replay_lag) FROM pg_stat_replication").fetchone()  # fmt: skip
            if row is not None and row[0] is not None:
                self.bytes.append(int(row[0]))
                self.seconds.append(float(row[1] or 0.0))

    def wal_lsn(self) -> int:
        """The primary's current WAL position, in bytes."""
        row = self.conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')").fetchone()
        return int(row[0])  # type: ignore[index]

    def __enter__(self) -> Lag:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def figures(self) -> dict[str, Any]:
        if not self.bytes:
            return {"lag_samples": 0}
        return {"lag_samples": len(self.bytes), "lag_bytes_max": max(self.bytes),
                "lag_bytes_mean": round(sum(self.bytes) / len(self.bytes)),
                "replay_lag_seconds_max": round(max(self.seconds), 3)}  # fmt: skip


def wait_replayed(primary_url: str, standby_url: str, timeout: float = 600) -> float:
    """Seconds until the standby has replayed everything the primary wrote up to now."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(primary_url, autocommit=True) as p, \
            psycopg.connect(standby_url, autocommit=True) as s:  # fmt: skip
        target = p.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        while time.perf_counter() - started < timeout:
            done = s.execute("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s) >= 0",
                             (target,)).fetchone()[0]  # type: ignore[index]  # fmt: skip
            if done:
                return time.perf_counter() - started
            time.sleep(0.1)
    raise SystemExit("the standby did not catch up")


def conflicts(standby_url: str) -> dict[str, Any]:
    """Queries the standby cancelled because replay needed what they read."""
    import psycopg

    with psycopg.connect(standby_url, autocommit=True) as conn:
        row = conn.execute("SELECT confl_snapshot, confl_lock, confl_bufferpin, confl_deadlock "
                           "FROM pg_stat_database_conflicts WHERE datname = current_database()"
                           ).fetchone()  # fmt: skip
    names = ("snapshot", "lock", "bufferpin", "deadlock")
    return {"standby_conflicts": dict(zip(names, row or (0, 0, 0, 0), strict=True))}


def sizes(url: str) -> dict[str, Any]:
    """Bytes per row of the big tables (heap, indexes and TOAST) after the build."""
    import psycopg

    record: dict[str, Any] = {"sizes": "after build"}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        for table in ("events", "deadlines", "cases", "ledger_entries"):
            n, total, heap = conn.execute(  # type: ignore[misc]
                f"SELECT (SELECT count(*) FROM {table}), pg_total_relation_size('{table}'), "
                f"pg_relation_size('{table}')").fetchone()  # fmt: skip
            record[f"{table}_rows"] = n
            record[f"{table}_bytes_per_row"] = round(total / n) if n else None
            record[f"{table}_heap_bytes_per_row"] = round(heap / n) if n else None
    return record


# -- the phases --------------------------------------------------------------------------------
def collect(out: Any, procs: list[Any]) -> list[dict[str, Any]]:
    """One result per process; a process that died without one stops the run."""
    import queue

    results: list[dict[str, Any]] = []
    while len(results) < len(procs):
        try:
            results.append(out.get(timeout=1.0))
        except queue.Empty:
            dead = [p for p in procs if p.exitcode not in (None, 0)]
            if dead:
                for p in procs:
                    p.terminate()
                raise SystemExit(f"a benchmark process failed (exit {dead[0].exitcode})") from None
    for p in procs:
        p.join()
    return results


def phase(label: str, primary: str, verify_on: str | None, seconds: float, first_i: int,
          checkpoint: bool = False) -> dict[str, Any]:  # fmt: skip
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=writer, args=(primary, seconds, first_i, out))]
    if verify_on is not None:
        procs.append(ctx.Process(target=verifier, args=(verify_on, time.time() + seconds, out)))
    if checkpoint:
        procs.append(ctx.Process(target=checkpointer, args=(primary, min(2.0, seconds / 3), out)))
    with Lag(primary) as lag:
        wal_before = lag.wal_lsn()
        for p in procs:
            p.start()
        results = collect(out, procs)
        wal_bytes = lag.wal_lsn() - wal_before
    record: dict[str, Any] = {"label": label, "seconds": seconds}
    for r in results:
        if "latencies" in r:
            ns = sorted(r["latencies"])
            record.update(writer_commands=r["commands"],
                          writer_rate=round(r["commands"] / r["wall"], 1),
                          writer_p99_ms=round(_common.percentile_ns(ns, 99), 2),
                          writer_max_ms=round(ns[-1] / 1e6, 2) if ns else None,
                          wal_bytes=wal_bytes,  # the whole cluster's: the writer's and more
                          wal_bytes_per_command=round(wal_bytes / max(1, r["commands"])))  # fmt: skip
        elif "runs" in r:
            record.update(verify_runs=r["runs"], verify_events=r["events"],
                          verify_rate=round(r["events"] / r["wall"], 1),
                          verify_clean=r["clean"])  # fmt: skip
        else:
            record.update(checkpoint_seconds=round(r["checkpoint_seconds"], 3),
                          checkpoint_heads=r["heads"])  # fmt: skip
    record.update(lag.figures())
    return record


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    clusters, scratch, bench_url = Clusters(), None, None
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM tears down like Ctrl-C
    try:
        from sqlalchemy.engine import make_url

        primary = make_url(args.primary)
        clusters.feedback = args.feedback
        standby, error = clusters.standby(primary.host or "127.0.0.1", primary.port or 5432,
                                          args.standby_port)  # fmt: skip
        admin = args.primary
        if not standby:
            _common.emit({"primary": admin, "replication": "refused", "error": error,
                          "needed": f"'{HBA_LINE}' in its pg_hba.conf, then SELECT "
                                    "pg_reload_conf(); wal_level replica or logical and "
                                    "max_wal_senders >= 1"})  # fmt: skip
            if args.no_scratch:
                return
            admin = clusters.scratch_primary(args.scratch_port)
            _common.info(f"scratch primary on port {args.scratch_port}")
            standby, error = clusters.standby("127.0.0.1", args.scratch_port, args.standby_port)
            if not standby:
                raise SystemExit(f"pg_basebackup of the scratch primary failed: {error}")
        _common.info(f"hot standby on port {args.standby_port}")
        scratch = _common.PostgresScratch(admin)
        version = scratch.server_version()
        bench_url = scratch.create("standby")
        generated.build(bench_url, args.cases)
        generated.add_checkpoint(bench_url)
        standby_url = make_url(bench_url).set(port=args.standby_port).render_as_string(False)
        plain = bench_url.replace("postgresql+psycopg", "postgresql")
        replay = wait_replayed(plain, standby_url.replace("postgresql+psycopg", "postgresql"))
        _common.emit(sizes(plain))
        _common.emit({"setup": "standby", "server": version, "cases": args.cases,
                      "primary": admin, "standby_port": args.standby_port,
                      "replayed_after_build_seconds": round(replay, 2), "cpus": os.cpu_count(),
                      "jiuzhu": _common.source_fingerprint(Path(generated.__file__).parent.parent
                                                           / "src" / "jiuzhu")})  # fmt: skip
        first = FIRST_ID
        for label, on, cp in (("writer-alone", None, False),
                              ("writer+verify-standby", standby_url, False),
                              ("writer+verify-primary", bench_url, False),
                              ("writer-alone", None, False),  # ABBA: drift falls on both
                              ("checkpoint-primary", None, True)):  # fmt: skip
            _common.info(f"phase {label} ({args.seconds:g} s)")
            _common.emit(phase(label, bench_url, on, args.seconds, first, cp))
            first += 1_000_000
        _common.emit(conflicts(standby_url.replace("postgresql+psycopg", "postgresql")))
    except KeyboardInterrupt:
        _common.info("interrupted: tearing down")
    finally:
        if scratch is not None:
            scratch.close()  # drops the bench database (the standby replays the drop)
        clusters.close()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--primary",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="the primary's admin URL (trust or a password in the URL)",
    )
    p.add_argument("--standby-port", type=int, default=5434)
    p.add_argument(
        "--scratch-port",
        type=int,
        default=5433,
        help="port of the scratch primary made when --primary refuses replication",
    )
    p.add_argument(
        "--no-scratch",
        action="store_true",
        help="when the primary refuses replication, say so and stop",
    )
    p.add_argument(
        "--feedback",
        action="store_true",
        help="hot_standby_feedback on: the primary keeps the rows the standby's "
        "verify still reads, so replay need not wait (the primary bloats instead)",
    )
    p.add_argument("--cases", type=int, default=10_000, help="generated cases (5 events each)")
    p.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    p.add_argument("--quick", action="store_true", help="2,000 cases, 5 s phases")
    args = p.parse_args(argv)
    if args.quick:
        args.cases, args.seconds = 2_000, 5.0
    return args


if __name__ == "__main__":
    main()
