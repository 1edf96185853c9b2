"""Benchmark: fast-track transitions through the real engine vs a raw SQLAlchemy Core baseline.

Each lifecycle is five commands, each its own transaction, exactly as a client would call them:
apply -> promise -> record_appraisal (passed) -> approve -> record_verification (meets_standard).
The baseline ``baseline:raw-core`` does, per command, what any durable audited transition needs
at the least: one version-checked UPDATE of the case row, one INSERT of an event hashed with
jiuzhu's own ``event_hash`` (SHA-256 over canonical JSON), one INSERT of a deadline row and one
commit, on the same kind of database, the same tables and the same engine settings.

Engine and baseline run in the same process, interleaved in chunks (ABBA order) after a warm-up,
so that background load on a shared machine hits both alike; the ratio of their rates is the
figure to watch.  On PostgreSQL a second baseline, ``baseline:psycopg-pipeline``, does the
raw-core writes and the COMMIT on a bare psycopg connection in pipeline mode, one sync (one
round trip) per command: the floor of what the driver can do.

Output: JSON lines on stdout (see bench/README.md); progress on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is called transitions.py, and so is the state-machine library jiuzhu imports: have
# the library imported (and cached) with bench/ hidden from sys.path before jiuzhu is imported.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)
import _common  # noqa: E402

_common.import_library_transitions()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

import sqlalchemy  # noqa: E402
import sqlalchemy.exc  # noqa: E402
from _common import emit, info, summarise  # noqa: E402
from sqlalchemy import Engine, bindparam, func, select  # noqa: E402

import jiuzhu  # noqa: E402
from jiuzhu import Actor, FakeClock, Role  # noqa: E402
from jiuzhu.audit.chain import GENESIS, event_hash  # noqa: E402
from jiuzhu.clock import iso_utc, local_date  # noqa: E402
from jiuzhu.migrations import upgrade as upgrade_schema  # noqa: E402
from jiuzhu.models.db import make_engine  # noqa: E402
from jiuzhu.models.tables import (  # noqa: E402
    CaseRecord,
    DeadlineRecord,
    EventRecord,
    HouseholdRecord,
    OrgUnitRecord,
)
from jiuzhu.workflows import fast_track  # noqa: E402

BENCH = "transitions"
ENGINE = "engine"
BASELINE = "baseline:raw-core"
PIPELINE = "baseline:psycopg-pipeline"
COMMANDS = ("apply", "promise", "record_appraisal", "approve", "record_verification")
QUICK_LIFECYCLES = 300
DEFAULT_LIFECYCLES = 2000
START = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai, a Monday

from _common import COUNTY, TOWNSHIP, VILLAGE  # noqa: E402

ORG_PATH = f"{COUNTY}/{TOWNSHIP}/{VILLAGE}"
MEMBERS_PER_HOUSEHOLD = 3


# -- the lifecycle, as data shared by both sides -------------------------------------------------
@dataclass
class Household:
    id: str
    member_ids: list[str]


@dataclass
class Timings:
    """Nanoseconds per command, overall and per command name."""

    all: list[int] = field(default_factory=list)
    by_command: dict[str, list[int]] = field(default_factory=lambda: {c: [] for c in COMMANDS})

    def add(self, command: str, ns: int) -> None:
        self.all.append(ns)
        self.by_command[command].append(ns)


class Profiles:
    """Optional cProfile of the timed commands only, one profile per (label, backend)."""

    def __init__(self, prefix: str | None) -> None:
        self.prefix = prefix
        self._profiles: dict[tuple[str, str], cProfile.Profile] = {}

    def get(self, label: str, backend: str) -> cProfile.Profile | None:
        if self.prefix is None:
            return None
        return self._profiles.setdefault((label, backend), cProfile.Profile())

    def dump(self) -> None:
        for (label, backend), prof in self._profiles.items():
            path = f"{self.prefix}.{label.replace(':', '-')}.{backend}.prof"
            prof.dump_stats(path)
            info(f"profile written: {path}  (python -m pstats {path})")


# -- the engine side ------------------------------------------------------------------------------
NO_LOG = "engine:no-log"


class EngineSide:
    label = ENGINE

    def __init__(self, url: str, total: int) -> None:
        self.clock = FakeClock(START)
        self.svc = jiuzhu.connect(url, clock=self.clock)
        self.village, self.township = _common.setup_county(self.svc)
        self.centre = Actor(Role.VERIFICATION_CENTRE, COUNTY, "bench-centre")
        relations = ("head", "spouse", "child")
        self.households = []
        for i in range(total):
            hh = self.svc.register_household(self.village, members=[
                {"id_number": _common.id_number(i * MEMBERS_PER_HOUSEHOLD + j),
                 "name": f"成员{i}-{j}", "relation": relations[j]}
                for j in range(MEMBERS_PER_HOUSEHOLD)
            ])  # fmt: skip
            self.households.append(Household(hh.id, hh.member_ids))

    def lifecycle(self, i: int, out: Timings | None, prof: cProfile.Profile | None) -> None:
        svc, hh, pc = self.svc, self.households[i], time.perf_counter_ns
        village = self.village
        ns: list[int] = []
        if prof is not None:
            prof.enable()
        t = pc()
        case = svc.apply(village, household_id=hh.id, applicant_id=hh.member_ids[0],
                         programme="dibao", cause="major_illness",
                         expenditure="52000.00")  # fmt: skip
        ns.append(pc() - t)
        t = pc()
        svc.promise(village, case.id, signed_by=hh.member_ids[0])
        ns.append(pc() - t)
        t = pc()
        svc.record_appraisal(village, case.id, outcome="passed", attendance=21, votes_for=18,
                             votes_against=2, abstentions=1)  # fmt: skip
        ns.append(pc() - t)
        t = pc()
        svc.approve(self.township, case.id, monthly_amount="860")
        ns.append(pc() - t)
        t = pc()
        last = svc.record_verification(self.centre, case.id, result="meets_standard")
        ns.append(pc() - t)
        if prof is not None:
            prof.disable()
        if last.state != "verified":
            raise RuntimeError(f"engine: case {case.id} ended in {last.state}")
        if out is not None:
            for command, d in zip(COMMANDS, ns, strict=True):
                out.add(command, d)

    def check(self, ran: int, total: int) -> None:
        check_database(self.label, self.svc.engine, {"verified": ran})

    def close(self) -> None:
        self.svc.close()


class NoLogEngineSide(EngineSide):
    """The engine, its leaves collected but dropped instead of appended to the Merkle log."""

    label = NO_LOG

    def lifecycle(self, i: int, out: Timings | None, prof: cProfile.Profile | None) -> None:
        from jiuzhu.models import log_sql

        flush = log_sql.flush_pending
        log_sql.flush_pending = log_sql.discard
        try:
            super().lifecycle(i, out, prof)
        finally:
            log_sql.flush_pending = flush


# -- the baseline side ----------------------------------------------------------------------------
@dataclass
class RawCase:
    id: str
    household: Household
    version: int = 0
    seq: int = 0
    head: str = GENESIS


class BaselineSide:
    """Per command: version-checked UPDATE + hashed event INSERT + deadline INSERT, one commit."""

    label = BASELINE

    def __init__(self, url: str, total: int) -> None:
        import uuid

        self.engine: Engine = make_engine(url)
        self.sqlite = self.engine.dialect.name == "sqlite"
        upgrade_schema(self.engine)
        cases, events, deadlines = (CaseRecord.__table__, EventRecord.__table__,
                                    DeadlineRecord.__table__)  # fmt: skip
        self.update = (
            cases.update()
            .where(cases.c.id == bindparam("b_id"), cases.c.row_version == bindparam("b_v"))
            .values(state=bindparam("b_s"), row_version=cases.c.row_version + 1)
        )
        self.insert_event = events.insert()
        self.insert_deadline = deadlines.insert()
        self.now = START
        self.occurred = iso_utc(START)
        self.today = local_date(START).isoformat()
        self.due = START + timedelta(days=30)
        self.village = {"role": "village", "org": VILLAGE, "user": "bench-village"}
        self.township = {"role": "township", "org": TOWNSHIP, "user": "bench-township"}
        self.centre = {"role": "verification_centre", "org": COUNTY, "user": "bench-centre"}
        self.cases: list[RawCase] = []
        orgs, hhs, rows = OrgUnitRecord.__table__, HouseholdRecord.__table__, []
        for serial in range(1, total + 1):
            hh = Household(str(uuid.uuid4()), sorted(str(uuid.uuid4()) for _ in range(3)))
            case = RawCase(str(uuid.uuid4()), hh)
            self.cases.append(case)
            rows.append({
                "id": case.id, "workflow": fast_track.NAME, "workflow_version": fast_track.VERSION,
                "state": "draft", "row_version": 0, "programme": "dibao", "household_id": hh.id,
                "village_id": VILLAGE, "org_path": ORG_PATH, "expenditure_fen": 5_200_000,
                "monthly_amount_fen": None, "facts": self._apply_payload(case), "deadlines": {},
                "last_seq": 0, "head_hash": GENESIS, "opened_at": START, "updated_at": START,
                "case_no": f"{COUNTY}-{START.year}-{serial:06d}",  # unique, as the service's
            })  # fmt: skip
        with self.engine.begin() as conn:
            conn.execute(orgs.insert(), [
                {"id": COUNTY, "name": "滨海县", "level": "county", "parent_id": None,
                 "path": COUNTY, "created_at": START},
                {"id": TOWNSHIP, "name": "东坎街道", "level": "township", "parent_id": COUNTY,
                 "path": f"{COUNTY}/{TOWNSHIP}", "created_at": START},
                {"id": VILLAGE, "name": "中市社区", "level": "village", "parent_id": TOWNSHIP,
                 "path": ORG_PATH, "created_at": START},
            ])  # fmt: skip
            conn.execute(hhs.insert(), [{"id": r["household_id"], "village_id": VILLAGE,
                                         "created_at": START} for r in rows])  # fmt: skip
            conn.execute(cases.insert(), rows)

    def _apply_payload(self, case: RawCase) -> dict[str, Any]:
        # The same shape and size as the engine's `apply` event payload.
        return {
            "workflow": fast_track.NAME, "workflow_version": fast_track.VERSION,
            "programme": "dibao", "cause": "major_illness", "expenditure_fen": 5_200_000,
            "household_id": case.household.id, "applicant_id": case.household.member_ids[0],
            "member_ids": case.household.member_ids, "village_id": VILLAGE, "org_path": ORG_PATH,
            "policy": dict(fast_track.DEFAULT_POLICY),
        }  # fmt: skip

    def _command(self, case: RawCase, state: str, type_: str, payload: dict[str, Any],
                 actor: dict[str, str]) -> None:  # fmt: skip
        seq = case.seq + 1
        digest = event_hash(case_id=case.id, seq=seq, type=type_, payload=payload, actor=actor,
                            occurred_at=self.occurred, prev_hash=case.head)  # fmt: skip
        with self.engine.begin() as conn:
            if self.sqlite:
                # the same BEGIN IMMEDIATE that the engine's commands open with (pysqlite
                # would otherwise begin a deferred transaction at the UPDATE).
                dbapi = conn.connection.driver_connection
                if not dbapi.in_transaction:
                    dbapi.execute("BEGIN IMMEDIATE")
            hit = conn.execute(self.update, {"b_id": case.id, "b_v": case.version, "b_s": state})
            if hit.rowcount != 1:
                raise RuntimeError(f"baseline: version conflict on case {case.id}")
            conn.execute(self.insert_event, {
                "case_id": case.id, "seq": seq, "type": type_, "payload": payload,
                "actor_role": actor["role"], "actor_org": actor["org"],
                "actor_user": actor.get("user"), "occurred_at": self.now, "prev_hash": case.head,
                "hash": digest, "idempotency_key": None,
            })  # fmt: skip
            conn.execute(self.insert_deadline, {
                "case_id": case.id, "kind": f"{type_}_due", "due_at": self.due,
                "status": "pending", "opened_seq": seq,
            })  # fmt: skip
        case.version, case.seq, case.head = case.version + 1, seq, digest

    def lifecycle(self, i: int, out: Timings | None, prof: cProfile.Profile | None) -> None:
        case, pc, cmd = self.cases[i], time.perf_counter_ns, self._command
        member = case.household.member_ids[0]
        ns: list[int] = []
        if prof is not None:
            prof.enable()
        t = pc()
        cmd(case, "applied", "apply", self._apply_payload(case), self.village)
        ns.append(pc() - t)
        t = pc()
        cmd(case, "promised", "promise", {"signed_by": member, "signed_on": self.today},
            self.village)  # fmt: skip
        ns.append(pc() - t)
        t = pc()
        cmd(case, "reviewed", "review", {"attendance": 21, "votes_for": 18, "votes_against": 2,
                                         "abstentions": 1, "outcome": "passed",
                                         "held_on": self.today}, self.village)  # fmt: skip
        ns.append(pc() - t)
        t = pc()
        cmd(case, "provisionally_approved", "approve", {"monthly_amount_fen": 86_000},
            self.township)  # fmt: skip
        ns.append(pc() - t)
        t = pc()
        cmd(case, "verified", "verify", {"result": "meets_standard", "checked_on": self.today},
            self.centre)  # fmt: skip
        ns.append(pc() - t)
        if prof is not None:
            prof.disable()
        if out is not None:
            for command, d in zip(COMMANDS, ns, strict=True):
                out.add(command, d)

    def check(self, ran: int, total: int) -> None:
        expected = {"verified": ran, "draft": total - ran}  # rows a time budget left unused
        check_database(self.label, self.engine, {k: v for k, v in expected.items() if v})

    def close(self) -> None:
        self.engine.dispose()


class PipelineSide(BaselineSide):
    """PostgreSQL only: the same writes as ``baseline:raw-core`` per command, on a bare psycopg
    connection kept in pipeline mode: UPDATE (version check), INSERT event, INSERT deadline and
    COMMIT sent together, one sync (one round trip) per command."""

    label = PIPELINE

    def __init__(self, url: str, total: int) -> None:
        import psycopg
        from psycopg.types.json import Json
        from sqlalchemy.engine import make_url

        super().__init__(url, total)  # schema, org units, households, case rows
        self.json = Json
        libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(libpq)
        self.pipeline = self.conn.pipeline()
        self.pipeline.__enter__()
        self.cur, self.inserts = self.conn.cursor(), self.conn.cursor()

    def _command(self, case: RawCase, state: str, type_: str, payload: dict[str, Any],
                 actor: dict[str, str]) -> None:  # fmt: skip
        seq = case.seq + 1
        digest = event_hash(case_id=case.id, seq=seq, type=type_, payload=payload, actor=actor,
                            occurred_at=self.occurred, prev_hash=case.head)  # fmt: skip
        cur = self.cur
        cur.execute("UPDATE cases SET state = %s, row_version = row_version + 1 "
                    "WHERE id = %s AND row_version = %s", (state, case.id, case.version))  # fmt: skip
        events = self.inserts
        events.execute(
            "INSERT INTO events (case_id, seq, type, payload, actor_role, actor_org, actor_user, "
            "occurred_at, prev_hash, hash, idempotency_key) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL)",
            (case.id, seq, type_, self.json(payload), actor["role"], actor["org"],
             actor.get("user"), self.now, case.head, digest))  # fmt: skip
        events.execute("INSERT INTO deadlines (case_id, kind, due_at, status, opened_seq) "
                       "VALUES (%s, %s, %s, 'pending', %s)",
                       (case.id, f"{type_}_due", self.due, seq))  # fmt: skip
        self.conn.commit()  # COMMIT and the sync: one round trip
        if cur.rowcount != 1:  # known once the sync has brought the results back
            raise RuntimeError(f"{self.label}: version conflict on case {case.id}")
        case.version, case.seq, case.head = case.version + 1, seq, digest

    def close(self) -> None:
        try:
            self.pipeline.__exit__(None, None, None)
            self.conn.close()
        finally:
            super().close()


def check_database(label: str, engine: Engine, expected: dict[str, int]) -> None:
    """After the run (untimed): the cases by state as expected, five events per verified case."""
    cases, events = CaseRecord.__table__, EventRecord.__table__
    with engine.connect() as conn:
        by_state = select(cases.c.state, func.count()).group_by(cases.c.state)
        states = {state: count for state, count in conn.execute(by_state)}
        n_events = conn.execute(select(func.count()).select_from(events)).scalar_one()
    if states != expected or n_events != 5 * expected["verified"]:
        raise RuntimeError(f"{label}: database inconsistent after the run: {states}, "
                           f"{n_events} events; expected {expected}")  # fmt: skip


# -- one backend ----------------------------------------------------------------------------------
Side = EngineSide | BaselineSide


PIPELINE_DATABASES: dict[str, str] = {}  # engine URL -> the pipeline baseline's database


def no_log_url(engine_url: str, backend: str) -> str:
    if backend == "sqlite":
        return engine_url.replace("engine.db", "engine-no-log.db")
    return NO_LOG_DATABASES[engine_url]


NO_LOG_DATABASES: dict[str, str] = {}


def run_backend(backend: str, engine_url: str, baseline_url: str, args: argparse.Namespace,
                profiles: Profiles, deadline: float | None) -> dict[str, Timings]:  # fmt: skip
    """Set up, warm up and time both sides on one backend.

    With a ``deadline`` (a ``time.perf_counter()`` value), timing stops early after a completed
    pair of chunks when the next pair would not end before it; both sides then have timed the
    same number of lifecycles.
    """
    n, warm, chunks = args.n, args.warmup, max(1, min(args.chunks, args.n))
    total = n + warm
    sides: list[Side] = []
    try:
        t = time.perf_counter()
        info(f"{backend}: setting up the engine database ({total} households)")
        engine_side = EngineSide(engine_url, total)
        sides.append(engine_side)
        info(f"{backend}: setting up the baseline database ({total} case rows)")
        baseline_side = BaselineSide(baseline_url, total)
        sides.append(baseline_side)
        if engine_url in PIPELINE_DATABASES:
            info(f"{backend}: setting up the {PIPELINE} database ({total} case rows)")
            sides.append(PipelineSide(PIPELINE_DATABASES[engine_url], total))
        if args.log_cost:
            info(f"{backend}: setting up the engine:no-log database ({total} households)")
            sides.append(NoLogEngineSide(no_log_url(engine_url, backend), total))
        info(f"{backend}: set up in {time.perf_counter() - t:.1f}s; warm-up {warm} lifecycles each")
        for i in range(warm):  # alternate one by one: all warm their caches and pools
            for side in reversed(sides):
                side.lifecycle(i, None, None)
        timings = {side.label: Timings() for side in sides}
        bounds = [warm + n * k // chunks for k in range(chunks + 1)]
        timed_from, done = time.perf_counter(), 0
        for k in range(chunks):
            if deadline is not None and k >= 2 and k % 2 == 0:
                pair = (time.perf_counter() - timed_from) / (k // 2)
                if time.perf_counter() + pair > deadline:
                    info(f"{backend}: time budget reached: timed {k} of {chunks} chunks "
                         f"({bounds[k] - warm} of {n} lifecycles per side)")  # fmt: skip
                    break
            order = list(reversed(sides)) if k % 2 == 0 else list(sides)
            for side in order:
                gc.collect()
                prof = profiles.get(side.label, backend)
                out = timings[side.label]
                run: Callable[[int, Timings | None, cProfile.Profile | None], None] = side.lifecycle
                for i in range(bounds[k], bounds[k + 1]):
                    run(i, out, prof)
            done = k + 1
            if chunks <= 10 or (k + 1) % (chunks // 5) == 0 or k == chunks - 1:
                info(f"{backend}: chunk {k + 1}/{chunks} done")
        for side in sides:
            side.check(bounds[done], total)
        return timings
    finally:
        for side in sides:
            side.close()


def report(backend: str, timings: dict[str, Timings]) -> None:
    rates = {}
    for label in (ENGINE, BASELINE):
        samples = timings[label].all
        stats = summarise(samples)
        rates[label] = len(samples) / sum(samples)  # unrounded, for the ratio
        emit({"bench": BENCH, "label": label, "backend": backend, "n": len(timings[label].all),
              "rate": stats["rate"], "unit": "commands/s",
              "p50_ms": stats["p50_ms"], "p99_ms": stats["p99_ms"]})  # fmt: skip
    emit({"bench": BENCH, "label": "ratio:engine/baseline", "backend": backend,
          "n": len(timings[ENGINE].all), "rate": round(rates[ENGINE] / rates[BASELINE], 3),
          "unit": "x", "p50_ms": None, "p99_ms": None})  # fmt: skip
    if PIPELINE in timings:
        samples = timings[PIPELINE].all
        stats = summarise(samples)
        rates[PIPELINE] = len(samples) / sum(samples)
        emit({"bench": BENCH, "label": PIPELINE, "backend": backend, "n": len(samples),
              "rate": stats["rate"], "unit": "commands/s", "p50_ms": stats["p50_ms"],
              "p99_ms": stats["p99_ms"]})  # fmt: skip
        emit({"bench": BENCH, "label": "ratio:engine/psycopg-pipeline", "backend": backend,
              "n": len(samples), "rate": round(rates[ENGINE] / rates[PIPELINE], 3), "unit": "x",
              "p50_ms": None, "p99_ms": None})  # fmt: skip
    p50 = {label: summarise(timings[label].all)["p50_ms"] for label in (ENGINE, BASELINE)}
    info(
        f"{backend}: ratio of rates {rates[ENGINE] / rates[BASELINE]:.3f}; ratio of medians "
        f"(baseline p50 / engine p50, steadier, blind to tails) {p50[BASELINE] / p50[ENGINE]:.3f}"
    )
    if NO_LOG in timings:
        samples = timings[NO_LOG].all
        stats = summarise(samples)
        emit({"bench": BENCH, "label": NO_LOG, "backend": backend, "n": len(samples),
              "rate": stats["rate"], "unit": "commands/s", "p50_ms": stats["p50_ms"],
              "p99_ms": stats["p99_ms"]})  # fmt: skip
        with_log = rates[ENGINE] / (len(samples) / sum(samples))
        emit({"bench": BENCH, "label": "ratio:engine/no-log", "backend": backend,
              "n": len(samples), "rate": round(with_log, 3), "unit": "x", "p50_ms": None,
              "p99_ms": None})  # fmt: skip
        info(f"{backend}: the Merkle log costs {100 * (1 - with_log):.1f}% of the command rate "
             f"(median {summarise(timings[ENGINE].all)['p50_ms']:.3f} ms with, "
             f"{stats['p50_ms']:.3f} ms without)")  # fmt: skip
    for label in (ENGINE, BASELINE, PIPELINE):
        if label not in timings:
            continue
        parts = []
        for command, ns in timings[label].by_command.items():
            s = summarise(ns)
            parts.append(f"{command} p50 {s['p50_ms']:.3f} p99 {s['p99_ms']:.3f}")
        info(f"{backend} {label} per command (ms): " + "; ".join(parts))


# -- command line ---------------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/transitions.py",
        description=(
            "Time N fast-track lifecycles through jiuzhu's real engine ('engine') and the same\n"
            "number of commands through a raw SQLAlchemy Core baseline ('baseline:raw-core'),\n"
            "interleaved in one run. SQLite always; PostgreSQL too with --pg.\n\n"
            "  engine             apply, promise, record_appraisal (passed), approve,\n"
            "                     record_verification (meets_standard): 5 service calls, one\n"
            "                     transaction each\n"
            "  baseline:raw-core  per command: version-checked UPDATE of the case, INSERT of an\n"
            "                     event hashed with jiuzhu's event_hash, INSERT of a deadline,\n"
            "                     one commit\n"
            "  baseline:psycopg-pipeline  (--pg only) the same writes and COMMIT on a bare\n"
            "                     psycopg connection in pipeline mode: one sync per command\n\n"
            "stdout: one JSON line per label and backend (rate in commands/s, p50_ms, p99_ms),\n"
            "then one per backend with label 'ratio:engine/baseline' (rate = ratio, unit 'x'),\n"
            "and on PostgreSQL 'ratio:engine/psycopg-pipeline'.\n"
            "stderr: progress, per-command percentiles, the ratio of medians."
        ),
        epilog=(
            "examples:\n"
            "  .venv/bin/python bench/transitions.py --quick\n"
            "  .venv/bin/python bench/transitions.py --pg "
            "postgresql+psycopg://postgres@127.0.0.1:5432/postgres\n"
            "  .venv/bin/python bench/transitions.py --quick --profile /tmp/tr   "
            "# cProfile of the timed commands\n"
            "Scratch databases are fresh and removed at the end (also on error or Ctrl-C)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true",
                        help=f"a short run: {QUICK_LIFECYCLES} lifecycles and --budget 25 "
                             "(< 30 s with --pg)")  # fmt: skip
    parser.add_argument("--n", type=int, metavar="N",
                        help=f"lifecycles to time per label and backend (default "
                             f"{DEFAULT_LIFECYCLES}, or {QUICK_LIFECYCLES} with --quick); "
                             "each is 5 commands")  # fmt: skip
    parser.add_argument("--pg", metavar="ADMIN_URL",
                        help="also run on PostgreSQL: a URL of an existing database on the "
                             "server (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)"
                             " from which two fresh databases are created, and dropped at the "
                             "end")  # fmt: skip
    parser.add_argument("--sqlite", metavar="PATH",
                        help="directory in which to create the scratch SQLite files (in a "
                             "fresh subdirectory, removed at the end; default: the system "
                             "temp dir)")  # fmt: skip
    parser.add_argument(
        "--warmup",
        type=int,
        metavar="W",
        help="untimed lifecycles per side before timing (default: N/10, 10..100)",
    )
    parser.add_argument("--chunks", type=int, default=None, metavar="C",
                        help="timed lifecycles are split into C chunks run alternately "
                             "baseline/engine, engine/baseline, ... (default 20)")  # fmt: skip
    parser.add_argument("--budget", type=float, metavar="SECONDS",
                        help="stop timing early, at the end of a baseline/engine chunk pair, so "
                             "that the whole run ends within about SECONDS (default 25 with "
                             "--quick, none otherwise); the JSON 'n' says how many commands "
                             "were timed")  # fmt: skip
    parser.add_argument("--profile", metavar="PREFIX",
                        help="cProfile the timed commands only; writes "
                             "PREFIX.<label>.<backend>.prof (the figures then include the "
                             "profiler's overhead: do not compare them)")  # fmt: skip
    parser.add_argument("--log-cost", action="store_true",
                        help="also time the engine with the Merkle log's leaves discarded "
                             "instead of appended ('engine:no-log', on its own database, "
                             "interleaved with the others): 'ratio:engine/no-log' is the log's "
                             "cost")  # fmt: skip
    args = parser.parse_args(argv)
    if args.n is None:
        args.n = QUICK_LIFECYCLES if args.quick else DEFAULT_LIFECYCLES
    if args.n < 1:
        parser.error("--n must be at least 1")
    if args.warmup is None:
        args.warmup = min(100, max(10, args.n // 10))
    if args.warmup < 0:
        parser.error("--warmup must be >= 0")
    if args.chunks is None:
        args.chunks = 20
    if args.chunks < 1:
        parser.error("--chunks must be at least 1")
    if args.budget is None and args.quick:
        args.budget = 25.0
    if args.budget is not None and args.budget <= 0:
        parser.error("--budget must be positive")
    return args


CLEANUP_RESERVE_S = 2.0  # after timing: consistency checks, closing, dropping the databases


def share(budget_end: float | None, backends_left: int) -> float | None:
    """The deadline for timing on the next backend: an equal share of what is left."""
    if budget_end is None:
        return None
    now = time.perf_counter()
    return now + max(0.0, budget_end - now - backends_left * CLEANUP_RESERVE_S) / backends_left


def _exit_on_sigterm() -> None:
    # `kill PID` should still drop the scratch databases: turn SIGTERM into SystemExit so that
    # every `finally` runs (Ctrl-C already raises KeyboardInterrupt).
    import signal

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _exit_on_sigterm()
    profiles = Profiles(args.profile)
    import sqlite3

    info(f"python {sys.version.split()[0]}, SQLAlchemy {sqlalchemy.__version__}, "
         f"SQLite {sqlite3.sqlite_version}, jiuzhu {jiuzhu.__version__} "
         f"(source {_common.source_fingerprint(Path(jiuzhu.__file__).parent)}); load average "
         f"{os.getloadavg()[0]:.2f}; {args.n} lifecycles = {5 * args.n} commands per label, "
         f"warm-up {args.warmup}, {args.chunks} chunks")  # fmt: skip
    if args.profile:
        info("profiling is on: the timings below include cProfile overhead")
    started = time.perf_counter()
    budget_end = None if args.budget is None else started + args.budget
    pg = None
    try:
        if args.pg:  # fail fast, before the SQLite half, when the server is not there
            pg = _common.PostgresScratch(args.pg)
            info(f"postgresql: {pg.server_version()}")
        with _common.sqlite_dir(args.sqlite) as directory:
            engine_url = _common.sqlite_url(directory, "engine.db")
            baseline_url = _common.sqlite_url(directory, "baseline.db")
            # SQLite gets at most its share of the budget; PostgreSQL whatever is left.
            timings = run_backend("sqlite", engine_url, baseline_url, args, profiles,
                                  share(budget_end, 2 if pg is not None else 1))  # fmt: skip
        report("sqlite", timings)
        if pg is not None:
            engine_url, baseline_url = pg.create("engine"), pg.create("baseline")
            PIPELINE_DATABASES[engine_url] = pg.create("pipeline")
            if args.log_cost:
                NO_LOG_DATABASES[engine_url] = pg.create("nolog")
            timings = run_backend("postgresql", engine_url, baseline_url, args, profiles,
                                  share(budget_end, 1))  # fmt: skip
            report("postgresql", timings)
    except sqlalchemy.exc.OperationalError as exc:
        info(f"database error: {str(exc.orig).strip()}")
        return 2
    finally:
        if pg is not None:
            pg.close()
    profiles.dump()
    info(f"done in {time.perf_counter() - started:.1f}s; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
