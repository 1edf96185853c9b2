"""The worker's daily checkpoint job, and checkpoints taken while commands run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from helpers import Org, case_in

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.checkpoint import generate_key, load_private_key
from jiuzhu.audit.verify import verify_database
from jiuzhu.scheduler import worker
from jiuzhu.scheduler.sweep import DEFAULT_BATCH, DEFAULT_LEASE


def test_daily_checkpoint_job_takes_one_a_day_signed_with_the_workers_key(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path
) -> None:
    public = generate_key(tmp_path / "k")
    case_in(svc, org, "verified")
    worker._WORKERS["job-test"] = worker._Worker(
        svc,
        None,
        DEFAULT_BATCH,
        DEFAULT_LEASE,
        worker.WorkerStats("job-test"),  # type: ignore[arg-type]
        checkpoint_key=load_private_key(tmp_path / "k"),
    )
    try:
        first = worker.run_checkpoint("job-test")
        assert first is not None and (first["number"], first["events"]) == (1, 5)
        assert first["public_key"] == public and first["taken_by"] == "job-test"
        assert worker.run_checkpoint("job-test") is None  # another one within the hour: skipped
        clock.advance(timedelta(days=1))
        case_in(svc, org, "rejected")
        second = worker.run_checkpoint("job-test")
        assert second is not None and (second["number"], second["changed"]) == (2, 1)
    finally:
        del worker._WORKERS["job-test"]
    report = verify_database(svc.engine, trusted_key=public)
    assert report.ok and (report.checkpoints, report.signed) == (2, 2)
