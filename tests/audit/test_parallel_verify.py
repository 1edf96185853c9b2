"""A parallel audit finds what a serial one finds: the same breaks, in the same order (both
databases), on a clean database and on databases tampered with in several ways at once.

The worker processes read the database through their own connections, so each tampering is
committed (on this test's own database), with the append-only guards out of the way.  The parts
are made small (spans of two cases, log ranges of eight leaves), so that several spans and log
ranges are joined, and the tree's root at the checkpoint is rebuilt from several parts' peaks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from helpers import STATES, Org, case_in
from sqlalchemy import Connection, select, text
from tamper import delete_case, tampered

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit import parallel
from jiuzhu.audit.checkpoint import take_checkpoint
from jiuzhu.audit.log import take_log_checkpoint
from jiuzhu.audit.verify import verify_database
from jiuzhu.models import rows as store

events = store.events


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "SPAN_CASES", 2)
    monkeypatch.setattr(parallel, "LOG_RANGE", 8)


@pytest.fixture
def generated(svc: CaseService, org: Org, clock: FakeClock, small_parts: None) -> list[str]:
    """A case in every state, a checkpoint and a log checkpoint, then two more cases."""
    ids = [case_in(svc, org, state).id for state in STATES]
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test")
    with svc.engine.begin() as conn:
        take_log_checkpoint(conn, now=clock.now(), taken_by="test")
    clock.advance(timedelta(hours=1))
    ids += [case_in(svc, org, state).id for state in ("verified", "rejected")]
    return ids


def committed(svc: CaseService) -> Any:
    """A committed transaction without the append-only guards (this test's database only)."""
    return tampered(svc, commit=True)


def both(svc: CaseService) -> tuple[list[Any], list[Any]]:
    serial = verify_database(svc.engine, now=svc.clock.now())
    fast = parallel.verify_parallel(svc.engine, 2, now=svc.clock.now())
    assert (fast.cases, fast.events, fast.checkpoints) == (
        serial.cases, serial.events, serial.checkpoints)  # fmt: skip
    return [b.__dict__ for b in serial.breaks], [b.__dict__ for b in fast.breaks]


def test_a_clean_database_passes_in_parallel_without_the_serial_log_check(
    svc: CaseService, generated: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_serial_log_check(*_args: Any) -> list[Any]:
        raise AssertionError("the parallel log check should have found the log whole")

    monkeypatch.setattr(parallel, "log_breaks", no_serial_log_check)
    report = parallel.verify_parallel(svc.engine, 2, now=svc.clock.now())
    assert report.ok and report.cases == len(generated) and report.events > 0
    assert len(set(parallel.last_workers)) == 2  # two worker processes entered the snapshot


def _payload(conn: Connection, ids: list[str]) -> None:
    row = conn.execute(select(events).where(events.c.case_id == ids[3])).first()
    assert row is not None
    conn.execute(events.update().where(events.c.id == row.id)
                 .values(payload={**row.payload, "forged": 1}))  # fmt: skip


def _truncate(conn: Connection, ids: list[str]) -> None:
    top = conn.execute(select(events.c.id).where(events.c.case_id == ids[-1])
                       .order_by(events.c.seq.desc()).limit(1)).scalar_one()  # fmt: skip
    conn.execute(events.delete().where(events.c.id == top))


def _ledger(conn: Connection, ids: list[str]) -> None:
    conn.execute(text("UPDATE ledger_entries SET amount_fen = amount_fen + 1"))


def _leaf(conn: Connection, ids: list[str]) -> None:
    conn.execute(text("DELETE FROM log_leaves WHERE idx = 11"))


def _leaf_data(conn: Connection, ids: list[str]) -> None:
    conn.execute(text("UPDATE log_leaves SET data = data || ' ' WHERE idx = 20"))


def _household(conn: Connection, ids: list[str]) -> None:
    conn.execute(text("UPDATE persons SET name = '改名' WHERE id IN "
                      "(SELECT id FROM persons LIMIT 1)"))  # fmt: skip


TAMPER: dict[str, Callable[[Connection, list[str]], None]] = {
    "payload_and_deleted_case": lambda c, ids: (_payload(c, ids), delete_case(c, ids[5])),
    "truncated_and_ledger": lambda c, ids: (_truncate(c, ids), _ledger(c, ids)),
    "leaf_deleted": _leaf,
    "leaf_data_and_payload": lambda c, ids: (_leaf_data(c, ids), _payload(c, ids)),
    "registry": _household,
}


@pytest.mark.parametrize("how", list(TAMPER))
def test_a_tampered_database_gives_the_serial_breaks_in_their_order(
    svc: CaseService, generated: list[str], how: str
) -> None:
    with committed(svc) as conn:
        TAMPER[how](conn, generated)
    serial, fast = both(svc)
    assert serial and fast == serial


def test_one_job_is_the_serial_audit(svc: CaseService, generated: list[str]) -> None:
    with committed(svc) as conn:
        _payload(conn, generated)
    one = parallel.verify_parallel(svc.engine, 1, now=svc.clock.now())
    assert one.to_dict() == verify_database(svc.engine, now=svc.clock.now()).to_dict()
    assert not parallel.last_workers  # no worker process was started


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_commit_while_the_workers_open_their_snapshots_falls_back_to_one_process(
    svc: CaseService, generated: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    versions = iter([1, 2])  # PRAGMA data_version before and after: a commit came between
    monkeypatch.setattr(parallel, "_data_version", lambda _probe: next(versions))
    report = parallel.verify_parallel(svc.engine, 2, now=svc.clock.now())
    assert report.ok and report.cases == len(generated)
    assert any("verified in one process" in note for note in report.notes)


def test_default_jobs_are_one_for_a_small_database() -> None:
    assert parallel.default_jobs(10) == 1
    assert 1 <= parallel.default_jobs(1_000_000) <= parallel.MAX_JOBS


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_command_with_two_jobs_prints_what_one_job_prints(
    svc: CaseService, generated: list[str], db_url: str, tmp_path: Any
) -> None:
    import json
    import os
    import subprocess
    import sys

    with committed(svc) as conn:
        _payload(conn, generated)
        _leaf(conn, generated)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIUZHU_")}

    def verify(jobs: str) -> Any:
        done = subprocess.run([sys.executable, "-m", "jiuzhu.cli", "audit", "verify", "--json",
                               "--jobs", jobs, "--db", db_url], capture_output=True, text=True,
                              env=env, timeout=300, check=False)  # fmt: skip
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        return json.loads(done.stdout)

    one = verify("1")
    assert one["breaks"] and verify("2") == one
