"""Audit verification speed and memory: ``jiuzhu audit verify`` against the eventsourcing library.

Prints JSON lines (see README.md): per backend, ``engine`` (events verified per second by
:func:`jiuzhu.audit.verify.verify_database`: every hash chain, the checkpoint, and every case
row, open deadline and ledger row against a replay of its events), ``baseline:eventsourcing``
(the eventsourcing library replaying the same number of aggregates and events from its own
store on the same engine) and the ratio.  Each measurement runs in a fresh child process, whose
peak resident memory (``VmHWM``, reset when the child starts) is reported as ``peak_mb``.

The database holds N fast-track cases of five events each (apply, promise, appraisal,
approve, verify), written with bulk inserts: the five events of one case made by the real
service are the template, and each generated case gets its own ids, hashes, case row,
deadline rows and ledger rows, computed with jiuzhu's own chain and replay (so the database
verifies clean).  The SQLite files are cached between runs under ``--cache`` (keyed by N).
"""

from __future__ import annotations

import _common

_common.import_library_transitions()  # before anything imports jiuzhu

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from eventsourcing.domain import Aggregate, event  # noqa: E402

import jiuzhu  # noqa: E402
from jiuzhu import FakeClock  # noqa: E402

START = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)
BATCH = 2000


# -- the generated database ------------------------------------------------------------------
def template() -> tuple[list[dict[str, Any]], tuple[Any, ...]]:
    """The five events of one real fast-track case, and the org units they name."""
    from jiuzhu.audit.sources import DatabaseSource
    from jiuzhu.models.db import snapshot

    with tempfile.TemporaryDirectory() as tmp:
        svc = jiuzhu.connect(f"sqlite:///{tmp}/t.db", clock=FakeClock(START))
        village, township = _common.setup_county(svc)
        county = jiuzhu.Actor(jiuzhu.Role.COUNTY, _common.COUNTY, "bench-county")
        home = svc.register_household(village, members=[
            {"name": "居民", "id_number": _common.id_number(1), "relation": "head"}])  # fmt: skip
        case = svc.apply(village, household_id=home.id, applicant_id=home.member_ids[0],
                         programme="dibao", cause="major_illness", expenditure="90000")  # fmt: skip
        svc.promise(village, case.id, signed_by=home.member_ids[0])
        svc.record_appraisal(village, case.id, outcome="passed", attendance=20, votes_for=18,
                             votes_against=1, abstentions=1)  # fmt: skip
        svc.approve(township, case.id, monthly_amount="2000")
        svc.record_verification(county, case.id, result="meets_standard")
        with snapshot(svc.engine) as conn:
            events = DatabaseSource(conn).case(case.id)[1]
            units = conn.exec_driver_sql("SELECT id, name, level, parent_id, path, created_at "
                                         "FROM org_units ORDER BY path").all()  # fmt: skip
        svc.close()
    return events, tuple(tuple(u) for u in units)


def generated_case(events: list[dict[str, Any]], i: int) -> dict[str, Any]:
    """Case ``i``: the template's events with fresh ids, re-hashed; its rows as replay gives."""
    from jiuzhu.audit.chain import GENESIS, event_hash
    from jiuzhu.audit.replay import expected_row, fold, ledger_entries

    old = events[0]["payload"]
    ids = {old["household_id"]: str(uuid.UUID(int=2 * i + 1)),
           old["applicant_id"]: str(uuid.UUID(int=2 * i + 2)),
           old["case_no"]: f"{old['case_no'].rsplit('-', 1)[0]}-{i + 1:06d}"}  # fmt: skip
    case_id = str(uuid.UUID(int=(1 << 100) + i))
    out, prev = [], GENESIS
    for ev in events:
        payload = _swap(ev["payload"], ids)
        fields = {"case_id": case_id, "seq": ev["seq"], "type": ev["type"], "payload": payload,
                  "actor": ev["actor"], "occurred_at": ev["occurred_at"], "prev_hash": prev}  # fmt: skip
        prev = event_hash(**fields)
        out.append({**fields, "hash": prev})
    row = {**expected_row(out), "case_no": out[0]["payload"]["case_no"]}
    return {"events": out, "row": row, "deadlines": fold(out).deadlines,
            "ledger": ledger_entries(out)}  # fmt: skip


def _swap(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_swap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, ids) for k, v in value.items()}
    return value


def build(url: str, n: int) -> None:
    """Migrate ``url`` and write ``n`` generated cases into it."""
    from sqlalchemy import insert

    from jiuzhu.models import log_sql
    from jiuzhu.models import rows as store

    events, units = template()
    svc = jiuzhu.connect(_common.without_commit_flush(url))
    engine = svc.engine
    at = START
    with engine.begin() as conn:
        conn.execute(insert(store.org_units), [dict(zip(
            ("id", "name", "level", "parent_id", "path", "created_at"), u, strict=True),
            created_at=at) for u in units])  # fmt: skip
        log_sql.log_records(conn, "org_unit", [u[0] for u in units])
    for first in range(0, n, BATCH):
        made = [generated_case(events, i) for i in range(first, min(n, first + BATCH))]
        _write(engine, made, at)
        _common.info(f"generated {first + len(made):,} / {n:,} cases")
    svc.close()


def _write(engine: Any, made: list[dict[str, Any]], at: datetime) -> None:
    from sqlalchemy import insert

    from jiuzhu.audit.leaves import entry_leaves, event_leaf
    from jiuzhu.clock import parse_iso_utc
    from jiuzhu.models import log_sql
    from jiuzhu.models import rows as store

    households, cases, evs, deadlines, money = [], [], [], [], []
    for case in made:
        row = case["row"]
        households.append({"id": row["household_id"], "village_id": row["village_id"],
                           "created_at": at})  # fmt: skip
        cases.append({**row, "opened_at": parse_iso_utc(row["opened_at"]),
                      "updated_at": parse_iso_utc(row["updated_at"])})  # fmt: skip
        last = case["events"][-1]["seq"]
        for ev in case["events"]:
            actor = ev["actor"]
            evs.append({"case_id": ev["case_id"], "seq": ev["seq"], "type": ev["type"],
                        "payload": ev["payload"], "actor_role": actor["role"],
                        "actor_org": actor["org"], "actor_user": actor.get("user"),
                        "occurred_at": parse_iso_utc(ev["occurred_at"]),
                        "prev_hash": ev["prev_hash"], "hash": ev["hash"]})  # fmt: skip
        for kind, due in case["deadlines"].items():
            deadlines.append({"case_id": row["id"], "kind": kind, "due_at": due,
                              "status": "pending", "opened_seq": last})  # fmt: skip
        for e in case["ledger"]:
            money.append({**e.as_dict(), "booked_on": e.booked_on, "org_path": row["org_path"],
                          "created_at": at})  # fmt: skip
    with engine.begin() as conn:
        for table, rows in ((store.households, households), (store.cases, cases),
                            (store.events, evs), (store.deadlines, deadlines),
                            (store.ledger, money)):  # fmt: skip
            if rows:
                conn.execute(insert(table), rows)
        # the Merkle log, as the service writes it: the household, then each event and its money
        leaves = log_sql.record_leaves(conn, "household", [h["id"] for h in households])
        for case in made:
            for ev in case["events"]:
                leaves.append(event_leaf(ev["case_id"], ev["seq"], ev["hash"]))
                leaves += entry_leaves([e for e in case["ledger"] if e.seq == ev["seq"]])
        log_sql.flush(conn, leaves)


def cached_sqlite(cache: Path, n: int) -> Path:
    path = cache / f"audit-log-{n}.db"  # databases with the Merkle log (migration 0014)
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / f"audit-log-{n}.partial.db"
        for leftover in cache.glob(f"audit-log-{n}.partial.db*"):
            leftover.unlink()
        build(f"sqlite:///{partial}", n)
        from sqlalchemy import create_engine

        engine = create_engine(f"sqlite:///{partial}")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        partial.rename(path)
    return path


def add_checkpoint(url: str) -> None:
    from jiuzhu.audit.checkpoint import load_checkpoints, take_checkpoint
    from jiuzhu.models import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        present = load_checkpoints(conn)
    if not present:
        take_checkpoint(engine, now=START, taken_by="bench")
    engine.dispose()


# -- the eventsourcing baseline --------------------------------------------------------------
def baseline_env(url: str) -> dict[str, str]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": parsed.database}
    return {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": parsed.database,
            "POSTGRES_HOST": parsed.host or "127.0.0.1", "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": parsed.username or "postgres",
            "POSTGRES_PASSWORD": parsed.password or ""}  # fmt: skip


def baseline_app(url: str) -> Any:
    from eventsourcing.application import Application

    return Application(env=baseline_env(url))


def baseline_ids(n: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=(1 << 101) + i) for i in range(n)]


class CaseAggregate(Aggregate):  # type: ignore[misc]
    """A case as eventsourcing models it: an opening event, then one event per step."""

    @staticmethod
    def create_id(number: int) -> uuid.UUID:
        return uuid.UUID(int=(1 << 101) + number)

    @event("Opened")
    def __init__(self, number: int, payload: dict[str, Any]) -> None:
        self.facts = dict(payload)
        self.steps: list[str] = []

    @event("Recorded")
    def record(self, kind: str, payload: dict[str, Any]) -> None:
        self.steps.append(kind)
        self.facts.update(payload)


def fill_baseline(url: str, n: int, events: list[dict[str, Any]]) -> None:
    """``n`` aggregates with five events each, payloads like jiuzhu's, saved in batches."""
    app = baseline_app(url)
    for first in range(0, n, BATCH):
        batch = []
        for number in range(first, min(n, first + BATCH)):
            case = CaseAggregate(number=number, payload=events[0]["payload"])
            for ev in events[1:]:
                case.record(ev["type"], ev["payload"])
            batch.append(case)
        app.save(*batch)
        _common.info(f"baseline: saved {min(n, first + BATCH):,} / {n:,} aggregates")
    app.close()


def replay_baseline(url: str, n: int) -> dict[str, Any]:
    app = baseline_app(url)
    events = 0
    started = time.perf_counter()
    for aggregate_id in baseline_ids(n):
        events += app.repository.get(aggregate_id).version
    seconds = time.perf_counter() - started
    app.close()
    return {"events": events, "cases": n, "seconds": seconds, "ok": events == 5 * n}


# -- children ------------------------------------------------------------------------------------
def child(kind: str, url: str, n: int) -> None:
    _common.reset_peak_memory()
    workers_mb = 0.0
    if kind.startswith("engine"):
        from jiuzhu.audit import parallel
        from jiuzhu.models import make_engine

        engine = make_engine(url)
        jobs = int(kind.split(":")[1])
        started = time.perf_counter()
        report = parallel.verify_parallel(engine, jobs)
        seconds = time.perf_counter() - started
        workers_mb = sum(parallel.last_peaks.values()) / 1024
        result = {"events": report.events, "cases": report.cases, "seconds": seconds,
                  "ok": report.ok and report.checkpoints == 1 and not report.notes,
                  "breaks": [str(b) for b in report.breaks[:5]], "jobs": jobs,
                  "workers": len(parallel.last_peaks)}  # fmt: skip
    elif kind.startswith("export"):
        from jiuzhu.audit import parallel
        from jiuzhu.audit.parallel_export import export_parallel
        from jiuzhu.models import make_engine

        jobs = int(kind.split(":")[1])
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            manifest = export_parallel(make_engine(url), Path(tmp) / "out", jobs, now=START)
            seconds = time.perf_counter() - started
        workers_mb = sum(parallel.last_peaks.values()) / 1024
        result = {"events": manifest["events"], "cases": manifest["cases"], "seconds": seconds,
                  "ok": manifest["events"] == 5 * n, "jobs": jobs}  # fmt: skip
    else:
        result = replay_baseline(url, n)
    result["peak_mb"] = round(_common.peak_memory_mb() + workers_mb, 1)
    print(json.dumps(result))


def run_child(kind: str, url: str, n: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent))
    done = subprocess.run([sys.executable, __file__, "--child", kind, url, "--n", str(n)],
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not result["ok"]:
        raise SystemExit(f"{kind} child did not verify cleanly: {result}")
    return result


def measure(backend: str, url: str, baseline_url: str, n: int, jobs: int) -> None:
    """``engine:1-process`` (the serial audit), ``engine`` (``jobs`` worker processes, what
    ``jiuzhu audit verify`` runs by default at this size; peak_mb: the parent's and every
    worker's peak added up), ``export`` (``jiuzhu audit export``), the baseline, and ratios."""
    runs = {"engine:1-process": run_child("engine:1", url, n),
            "engine": run_child(f"engine:{jobs}", url, n),
            "export": run_child(f"export:{jobs}", url, n),
            "baseline:eventsourcing": run_child("baseline", baseline_url, n)}  # fmt: skip
    rates = {}
    for label, result in runs.items():
        rates[label] = result["events"] / result["seconds"]
        _common.emit({"bench": "audit", "label": label, "backend": backend,
                      "n": result["events"], "rate": round(rates[label], 1), "unit": "events/s",
                      "p50_ms": None, "p99_ms": None, "cases": result["cases"],
                      "seconds": round(result["seconds"], 2), "peak_mb": result["peak_mb"],
                      "jobs": result.get("jobs", 1)})  # fmt: skip
    for label in ("engine", "engine:1-process", "export"):
        _common.emit({"bench": "audit", "label": f"ratio:{label}/baseline", "backend": backend,
                      "n": runs[label]["events"], "rate": round(rates[label] / rates[
                          "baseline:eventsourcing"], 2), "unit": "x", "p50_ms": None,
                      "p99_ms": None})  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 cases (a smoke test)")
    parser.add_argument("--n", type=int, default=100_000, help="cases (default 100,000)")
    parser.add_argument("--pg", metavar="ADMIN_URL", help="also run on PostgreSQL")
    parser.add_argument(
        "--jobs",
        type=int,
        choices=range(1, 65),
        metavar="1-64",
        help="worker processes of the parallel audit (default: the cores)",
    )
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "jiuzhu-bench-audit"),
                        help="directory of the cached SQLite databases")  # fmt: skip
    parser.add_argument("--child", nargs=2, metavar=("KIND", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = 2000 if args.quick else args.n
    if args.child:
        child(args.child[0], args.child[1], n)
        return
    _common.exit_on_sigterm()
    _common.info(f"source {_common.source_fingerprint(Path(jiuzhu.__file__).parent)}; "
                 f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    cache = Path(args.cache)
    db = cached_sqlite(cache, n)
    add_checkpoint(f"sqlite:///{db}")
    es_db = cache / f"eventsourcing-{n}.db"
    if not es_db.exists():
        fill_baseline(f"sqlite:///{cache / f'eventsourcing-{n}.partial.db'}", n, template()[0])
        (cache / f"eventsourcing-{n}.partial.db").rename(es_db)
    from jiuzhu.audit.parallel import SMALL, default_jobs

    jobs = args.jobs or default_jobs(SMALL)  # the cores, whatever the size (--quick too)
    measure("sqlite", f"sqlite:///{db}", f"sqlite:///{es_db}", n, jobs)
    if args.pg:
        with _common.PostgresScratch(args.pg) as pg:
            _common.info(pg.server_version())
            url, es_url = pg.create("audit"), pg.create("es")
            build(url, n)
            add_checkpoint(url)
            fill_baseline(es_url, n, template()[0])
            measure("postgresql", url, es_url, n, jobs)
    _common.info(f"done; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
