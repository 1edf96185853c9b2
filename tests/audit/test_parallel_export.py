"""A parallel export writes the serial export's files byte for byte, and its manifest (both
databases; spans of two cases, so that several parts are joined)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import STATES, Org, case_in

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit import parallel
from jiuzhu.audit.checkpoint import take_checkpoint
from jiuzhu.audit.export import FILES, ExportFilter, export
from jiuzhu.audit.parallel_export import export_parallel
from jiuzhu.audit.verify import verify_export


@pytest.fixture
def cases(svc: CaseService, org: Org, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "SPAN_CASES", 2)
    for state in STATES:
        case_in(svc, org, state)
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test")
    case_in(svc, org, "verified", village=org.villages[1])


@pytest.mark.parametrize("one_village", [False, True], ids=["complete", "one_village"])
def test_the_parallel_export_is_the_serial_one_byte_for_byte(
    svc: CaseService, org: Org, cases: None, tmp_path: Path, one_village: bool
) -> None:
    where = ExportFilter(org=org.villages[1].org) if one_village else ExportFilter()
    now = svc.clock.now()
    serial = export(svc.engine, tmp_path / "serial", now=now, where=where)
    done: list[int] = []
    fast = export_parallel(svc.engine, tmp_path / "fast", 2, now=now, where=where,
                           advance=done.append)  # fmt: skip
    assert fast == serial and fast["cases"] > 0
    for name in (*FILES, "manifest.json"):
        assert (tmp_path / "fast" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes()
    left = sorted(p.name for p in (tmp_path / "fast").iterdir())  # no part file left behind
    assert left == sorted((*FILES, "manifest.json"))
    assert sum(done) == serial["database_cases"]
    report = verify_export(tmp_path / "fast")
    assert report.ok
