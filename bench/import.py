"""Benchmark: importing an existing caseload (jiuzhu import) vs a bare executemany baseline.

Generates, seeded, a households file (default 500,000 persons in 200,000 households, valid ID
numbers) and a cases file (150,000 running cases: 70 % standard ``confirmed``, 20 % fast-track
``provisionally_approved``, 10 % fast-track ``verified``) as CSV, then imports both into a
fresh database through ``CaseService.import_file`` (``engine``) and, into another fresh
database, through ``baseline:executemany``: the same rows written to the same tables
(households, persons, person_digests, cases, events with jiuzhu's ``event_hash``, deadlines,
import_rows), read from the same files with the csv module, one executemany per table per
500-row chunk and one commit per chunk -- with no checks, no look-ups and no workflow.

Each side runs in a child process of its own, so its peak resident memory (``VmHWM``) is its
own.  Output: JSON lines on stdout (see bench/README.md); progress on stderr.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)
import _common  # noqa: E402

_common.import_library_transitions()

import jiuzhu  # noqa: E402

NOW = datetime(2025, 6, 10, 2, 0, tzinfo=UTC)  # the benchmark's fixed import instant
COUNTY = "320104"  # Nanjing (the built-in policy book has its dibao line)
TOWNSHIPS = [f"{COUNTY}{t:03d}" for t in (100, 101)]
VILLAGES = [f"{t}{v:03d}" for t in TOWNSHIPS for v in range(1, 6)]
SIZES = (1, 2, 3, 4, 2, 3)  # household sizes, cycled: 2.5 persons on average
CHUNK = 500


# -- the files ---------------------------------------------------------------------------------
def generate(directory: Path, persons: int, households: int, cases: int) -> tuple[Path, Path]:
    from jiuzhu.service.import_layout import COLUMNS

    heads: list[str] = []
    hfile, cfile = directory / "households.csv", directory / "cases.csv"
    relations = ("户主", "配偶", "子女", "父母")
    with hfile.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow([c.header for c in COLUMNS["households"]])
        i = 0
        for h in range(households):
            left = persons - i
            size = min(SIZES[h % len(SIZES)], left - (households - h - 1)) if h < households - 1 \
                else left  # fmt: skip
            village = VILLAGES[h % len(VILLAGES)]
            for m in range(size):
                number = _common.id_number(i, region=COUNTY)
                if m == 0:
                    heads.append(number)
                out.writerow([f"H{h:07d}", "张三", number, relations[min(m, 3)], village,
                              ""])  # fmt: skip
                i += 1
    with cfile.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow([c.header for c in COLUMNS["cases"]])
        for c in range(cases):
            key = f"H{c:07d}"
            kind = c % 10
            if kind < 7:
                row = [key, "", "dibao", "standard", "confirmed", "650.00", "2025-01-10",
                       "2025-02", "2025-05", "", "", "", "", f"SRC-{c}"]  # fmt: skip
            elif kind < 9:
                row = [key, "", "dibao", "fast_track", "provisionally_approved", "800",
                       "2025-05-20", "2025-05", "2025-05", "", "", "major_illness", "40000",
                       f"SRC-{c}"]  # fmt: skip
            else:
                row = [key, "", "tekun", "fast_track", "verified", "900", "2025-03-05",
                       "2025-03", "2025-05", "", "", "disaster", "35000", f"SRC-{c}"]  # fmt: skip
            out.writerow(row)
    return hfile, cfile


def setup_units(url: str) -> None:
    from jiuzhu import Actor, Role

    svc = jiuzhu.connect(url)
    admin, county = Actor(Role.ADMIN, "admin"), Actor(Role.COUNTY, COUNTY, "bench-county")
    svc.add_org_unit(admin, id=COUNTY, name="秦淮区", level="county")
    for t in TOWNSHIPS:
        svc.add_org_unit(county, id=t, name="街道", level="township", parent_id=COUNTY)
    for v in VILLAGES:
        svc.add_org_unit(county, id=v, name="社区", level="village", parent_id=v[:9])
    svc.close()


# -- the children ----------------------------------------------------------------------------------
def engine_child(url: str, hfile: Path, cfile: Path) -> dict[str, Any]:
    from jiuzhu import Actor, FakeClock, Role

    svc = jiuzhu.connect(url, clock=FakeClock(NOW), upgrade=False)
    county = Actor(Role.COUNTY, COUNTY, "bench-county")
    out: dict[str, Any] = {}
    for kind, path in (("households", hfile), ("cases", cfile)):
        started = time.perf_counter()
        result = svc.import_file(county, kind, path, chunk_rows=CHUNK)
        out[kind] = {"rows": result.rows_total, "seconds": time.perf_counter() - started,
                     "refused": result.refused,
                     "added": result.added_persons + result.linked_persons + result.added_cases}  # fmt: skip
    svc.close()
    return out


def baseline_child(url: str, hfile: Path, cfile: Path) -> dict[str, Any]:
    """The same rows into the same tables: bare executemany, one commit per chunk."""
    from sqlalchemy import select

    from jiuzhu.audit.chain import GENESIS, event_hash
    from jiuzhu.models import import_sql as q
    from jiuzhu.models import make_engine, rows
    from jiuzhu.models.digests import DIGEST_KEY_SETTING, new_secret
    from jiuzhu.models.find_sql import database_settings

    engine = make_engine(url)
    with engine.begin() as conn:
        secret = conn.execute(select(database_settings.c.value).where(
            database_settings.c.key == DIGEST_KEY_SETTING)).scalar() or new_secret()  # fmt: skip
        job_ids = {}
        for kind in ("households", "cases"):
            job_ids[kind] = str(uuid.uuid4())
            conn.execute(q.INSERT_JOB, {
                "id": job_ids[kind], "kind": kind, "file_sha256": kind * 4, "file_name": kind,
                "state": "running", "rows_total": 0, "rows_done": 0, "rows_refused": 0,
                "added_households": 0, "added_persons": 0, "linked_persons": 0,
                "added_cases": 0, "actor_role": "county", "actor_org": COUNTY,
                "actor_user": None, "error": None, "created_at": NOW, "started_at": NOW,
                "finished_at": None})  # fmt: skip
    key = bytes.fromhex(secret)
    # the same policy snapshots the engine's import events record (hashing costs the same)
    from jiuzhu.policy import DEFAULT_BOOK
    from jiuzhu.workflows import fast_track

    today = NOW.date()
    policies = {"standard": DEFAULT_BOOK.snapshot(COUNTY[:4], today),
                "fast_track": fast_track.recorded_policy(DEFAULT_BOOK.settings_on(today), today)}  # fmt: skip
    homes: dict[str, tuple[str, str, list[str]]] = {}
    out: dict[str, Any] = {}

    def chunks(path: Path) -> Any:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            next(reader)
            batch: list[tuple[int, list[str]]] = []
            for n, row in enumerate(reader, 2):
                batch.append((n, row))
                if len(batch) == CHUNK:
                    yield batch
                    batch = []
            if batch:
                yield batch

    started = time.perf_counter()
    count = 0
    for batch in chunks(hfile):
        new_homes, people, index, done = [], [], [], []
        for n, (hkey, name, number, relation, village, _address) in batch:
            if hkey not in homes:
                homes[hkey] = (str(uuid.uuid4()), village, [])
                new_homes.append({"id": homes[hkey][0], "village_id": village, "created_at": NOW})
            pid = str(uuid.uuid4())
            homes[hkey][2].append(pid)
            people.append({"id": pid, "household_id": homes[hkey][0], "name": name,
                           "id_number": number, "relation": relation, "created_at": NOW})  # fmt: skip
            index.append({"person_id": pid, "digest": hmac.new(
                key, number.encode(), hashlib.sha256).hexdigest()})  # fmt: skip
            done.append({"file_sha256": "h" * 64, "kind": "households", "row_no": n,
                         "job_id": job_ids["households"], "outcome": "added", "source_key": hkey,
                         "household_id": homes[hkey][0], "person_id": pid, "case_id": None,
                         "refused_column": None, "reason_zh": None, "reason_en": None})  # fmt: skip
        with engine.begin() as conn:
            if new_homes:
                conn.execute(rows.INSERT_HOUSEHOLD, new_homes)
            conn.execute(rows.INSERT_PERSON, people)
            conn.execute(q.INSERT_DIGESTS, index)
            conn.execute(q.INSERT_ROWS, done)
        count += len(batch)
    out["households"] = {"rows": count, "seconds": time.perf_counter() - started}

    started, count, serial = time.perf_counter(), 0, 0
    actor = {"role": "county", "org": COUNTY, "user": "bench-county"}
    occurred = NOW.isoformat().replace("+00:00", ".000000Z")
    for batch in chunks(cfile):
        case_rows, events, deadlines, done = [], [], [], []
        for n, row in batch:
            hid, village, members = homes[row[0]]
            case_id = str(uuid.uuid4())
            serial += 1
            payload = {"workflow": row[3], "workflow_version": 1, "programme": row[2],
                       "household_id": hid, "applicant_id": members[0], "member_ids": members,
                       "village_id": village, "org_path": f"{COUNTY}/{village[:9]}/{village}",
                       "policy": policies[row[3]], "state": row[4], "case_no": f"{COUNTY}-2025-{serial:06d}",
                       "decision": {"monthly_amount": row[5], "decided_on": row[6],
                                    "start_month": row[7], "paid_through": row[8]},
                       "import": {"job_id": job_ids["cases"], "row": n}}  # fmt: skip
            digest = event_hash(case_id=case_id, seq=1, type="import", payload=payload,
                                actor=actor, occurred_at=occurred, prev_hash=GENESIS)  # fmt: skip
            case_rows.append({
                "id": case_id, "workflow": row[3], "workflow_version": 1, "state": row[4],
                "row_version": 1, "programme": row[2], "household_id": hid,
                "village_id": village, "org_path": payload["org_path"], "expenditure_fen": 0,
                "monthly_amount_fen": 65_000, "facts": payload, "deadlines": {},
                "last_seq": 1, "head_hash": digest, "opened_at": NOW, "updated_at": NOW,
                "case_no": payload["case_no"]})  # fmt: skip
            events.append({"case_id": case_id, "seq": 1, "type": "import", "payload": payload,
                           "actor_role": "county", "actor_org": COUNTY,
                           "actor_user": "bench-county", "occurred_at": NOW,
                           "prev_hash": GENESIS, "hash": digest, "idempotency_key": None})  # fmt: skip
            deadlines.append({"case_id": case_id, "kind": "allowance_due", "due_at": NOW,
                              "status": "pending", "opened_seq": 1})  # fmt: skip
            done.append({"file_sha256": "c" * 64, "kind": "cases", "row_no": n,
                         "job_id": job_ids["cases"], "outcome": "added", "source_key": row[0],
                         "household_id": hid, "person_id": None, "case_id": case_id,
                         "refused_column": None, "reason_zh": None, "reason_en": None})  # fmt: skip
        with engine.begin() as conn:
            conn.execute(rows.cases.insert(), case_rows)
            conn.execute(rows.events.insert(), events)
            conn.execute(rows.deadlines.insert(), deadlines)
            conn.execute(q.INSERT_ROWS, done)
        count += len(batch)
    out["cases"] = {"rows": count, "seconds": time.perf_counter() - started, "refused": 0}
    engine.dispose()
    return out


def child(kind: str, url: str, hfile: Path, cfile: Path) -> None:
    _common.reset_peak_memory()
    result = (engine_child if kind == "engine" else baseline_child)(url, hfile, cfile)
    result["peak_mb"] = _common.peak_memory_mb()
    print(json.dumps(result))


def run_child(kind: str, url: str, hfile: Path, cfile: Path) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [_HERE, *filter(None, [os.environ.get("PYTHONPATH")])]))  # fmt: skip
    done = subprocess.run([sys.executable, __file__, "--child", kind, url, str(hfile),
                           str(cfile)], capture_output=True, text=True, env=env, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(backend: str, fresh: Any, hfile: Path, cfile: Path, repeat: int) -> None:
    """Engine and baseline in ABBA order (``repeat`` = 2; 1: AB), each run into a fresh
    database, so that a change of the machine's load hits both alike; rates are total rows
    over total seconds of each label's runs, the peak the highest of its runs."""
    order = ["engine", "baseline", "baseline", "engine"][: 2 * repeat]
    results: dict[str, dict[str, Any]] = {}
    for n, label in enumerate(order):
        url = fresh(f"{label}{n}")
        setup_units(url)
        _common.info(f"{backend}: {label} (run {n + 1} of {len(order)})")
        got = run_child(label, url, hfile, cfile)
        _common.info(f"  {got}")
        total = results.setdefault(label, {"households": {"rows": 0, "seconds": 0.0},
                                           "cases": {"rows": 0, "seconds": 0.0},
                                           "peak_mb": 0.0, "refused": 0})  # fmt: skip
        for kind in ("households", "cases"):
            total[kind]["rows"] += got[kind]["rows"]
            total[kind]["seconds"] += got[kind]["seconds"]
            total["refused"] += got[kind].get("refused", 0)
        total["peak_mb"] = max(total["peak_mb"], got["peak_mb"])
    rates = {}
    for label, result in results.items():
        rows = result["households"]["rows"] + result["cases"]["rows"]
        seconds = result["households"]["seconds"] + result["cases"]["seconds"]
        name = "engine" if label == "engine" else "baseline:executemany"
        rates[label] = rows / seconds
        _common.emit({"bench": "import", "label": name, "backend": backend, "n": rows,
                      "rate": round(rates[label], 1), "unit": "rows/s", "p50_ms": None,
                      "p99_ms": None, "seconds": round(seconds, 2),
                      "households_rows_per_s": round(result["households"]["rows"]
                                                     / result["households"]["seconds"], 1),
                      "cases_rows_per_s": round(result["cases"]["rows"]
                                                / result["cases"]["seconds"], 1),
                      "refused": result["refused"], "runs": order.count(label),
                      "peak_mb": result["peak_mb"]})  # fmt: skip
    _common.emit({"bench": "import", "label": "ratio:engine/baseline", "backend": backend,
                  "n": None, "rate": round(rates["engine"] / rates["baseline"], 2), "unit": "x",
                  "p50_ms": None, "p99_ms": None})  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="20,000 persons, 8,000 households, 6,000 cases (under 2 minutes)")  # fmt: skip
    parser.add_argument("--persons", type=int, default=500_000)
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--cases", type=int, default=150_000)
    parser.add_argument("--pg", metavar="ADMIN_URL", help="also run on PostgreSQL")
    parser.add_argument("--sqlite", metavar="DIR", help="directory for the scratch files")
    parser.add_argument("--repeat", type=int, choices=(1, 2), default=2,
                        help="2: engine, baseline, baseline, engine (default); 1: engine, "
                        "baseline")  # fmt: skip
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, url, hfile, cfile = args.child
        child(kind, url, Path(hfile), Path(cfile))
        return
    if args.quick:
        args.persons, args.households, args.cases = 20_000, 8_000, 6_000
    if not args.cases <= args.households <= args.persons:
        raise SystemExit("need cases <= households <= persons")
    _common.exit_on_sigterm()
    _common.info(f"source {_common.source_fingerprint(Path(jiuzhu.__file__).parent)}; "
                 f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    with _common.sqlite_dir(args.sqlite) as directory:
        hfile, cfile = generate(directory, args.persons, args.households, args.cases)
        _common.info(f"files: {hfile.stat().st_size >> 20} MiB households, "
                     f"{cfile.stat().st_size >> 20} MiB cases")  # fmt: skip

        def sqlite(name: str) -> str:
            return _common.sqlite_url(directory, f"{name}.db")

        measure("sqlite", sqlite, hfile, cfile, args.repeat)
        if args.pg:
            with _common.PostgresScratch(args.pg) as pg:
                _common.info(pg.server_version())
                measure("postgresql", pg.create, hfile, cfile, args.repeat)
    _common.info(f"done; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
