"""The audit reads of the service (findings, verify, replay as of, checkpoints, export)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from helpers import Org, case_in, fire, open_case
from sqlalchemy import select

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.checkpoint import take_checkpoint
from jiuzhu.errors import InvalidInput, PermissionDenied
from jiuzhu.models import rows as store
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.paging import Page


def overdue_cases(svc: CaseService, org: Org, clock: FakeClock, n: int) -> list[str]:
    """``n`` approved cases whose data check is overdue (one finding each)."""
    ids = [case_in(svc, org, "provisionally_approved").id for _ in range(n)]
    clock.advance(timedelta(days=45))
    sweep(svc, worker="test")
    return ids


def test_findings_page_through_with_a_total_and_a_cursor(svc: CaseService, org: Org,
                                                         clock: FakeClock) -> None:  # fmt: skip
    ids = overdue_cases(svc, org, clock, 5)
    first = svc.findings(org.auditor, kind="verification_overdue", limit=2)
    assert isinstance(first, Page) and first.total == 5 and len(first.items) == 2
    seen = [f["case_id"] for f in first.items]
    cursor = first.next
    while cursor is not None:
        page = svc.findings(org.auditor, kind="verification_overdue", limit=2, after=cursor)
        assert page.total == 5
        seen += [f["case_id"] for f in page.items]
        cursor = page.next
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    assert first.items[0]["kind_zh"] == "核对逾期未返回"
    numbers = {c: svc.get_case(org.county, c).case_no for c in ids}
    assert all(f["case_no"] == numbers[f["case_id"]] for f in first.items)


def test_findings_refuse_unknown_kinds_other_roles_and_bad_cursors(svc: CaseService,
                                                                   org: Org) -> None:  # fmt: skip
    with pytest.raises(InvalidInput, match="verification_overdue") as refused:
        svc.findings(org.county, kind="nonsense")
    assert "可用" in refused.value.zh
    with pytest.raises(InvalidInput, match="1 to 1000"):
        svc.findings(org.county, limit=0)
    with pytest.raises(InvalidInput, match="cursor"):
        svc.findings(org.county, after="not-a-cursor")
    for actor in (org.village, org.township):
        with pytest.raises(PermissionDenied):
            svc.findings(actor)
        with pytest.raises(PermissionDenied):
            svc.verify(actor)
        with pytest.raises(PermissionDenied):
            svc.export_archive(actor)


def test_findings_summary_counts_by_kind_and_township(svc: CaseService, org: Org,
                                                      clock: FakeClock) -> None:  # fmt: skip
    overdue_cases(svc, org, clock, 2)
    summary = svc.findings_summary(org.county)
    assert [(s["kind"], s["unit_id"], s["count"]) for s in summary] == [
        ("verification_overdue", org.township.org, 2)
    ]
    assert summary[0]["unit_name"] and summary[0]["unit_name"] != org.township.org
    assert svc.findings_summary(org.county, org=org.other_township.org) == []


def test_verify_reports_progress_up_to_the_total(svc: CaseService, org: Org) -> None:
    for _ in range(3):
        open_case(svc, org)
    calls: list[tuple[int, int]] = []
    result = svc.verify(org.auditor, progress=lambda d, t: calls.append((d, t)))
    assert result["ok"] is True and result["cases"] == 3 and result["breaks"] == []
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_replay_as_of_shows_then_now_and_the_differences(svc: CaseService, org: Org,
                                                         clock: FakeClock) -> None:  # fmt: skip
    opened = clock.now()
    case = open_case(svc, org)
    clock.advance(timedelta(days=1))
    fire(svc, org, case, "promise")
    result = svc.replay_as_of(org.auditor, case.id, opened)
    assert result["then"]["state"] == "applied" and result["now"]["state"] == "promised"
    assert {"field": "state", "then": "applied", "now": "promised"} in result["differences"]
    with pytest.raises(InvalidInput):
        svc.replay_as_of(org.auditor, case.id, clock.now() + timedelta(days=1))
    with pytest.raises(PermissionDenied):
        svc.replay_as_of(org.far_village, case.id, opened)


def test_checkpoints_and_the_export_archive(svc: CaseService, org: Org, clock: FakeClock) -> None:
    case = open_case(svc, org)
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test")
    [checkpoint] = svc.checkpoints(org.auditor)
    assert checkpoint["number"] == 1 and checkpoint["cases"] == 1
    archive = zipfile.ZipFile(io.BytesIO(svc.export_archive(org.auditor)))
    names = {n.rsplit("/", 1)[-1] for n in archive.namelist()}
    assert {"manifest.json", "events.jsonl", "cases.jsonl"} <= names
    manifest = json.loads(archive.read("jiuzhu-audit-export/manifest.json"))
    assert manifest["cases"] == 1 and manifest["filter"]["org"] == org.county.org
    events = archive.read("jiuzhu-audit-export/events.jsonl").decode()
    assert case.id in events
    with svc.engine.connect() as conn:  # no personal data in the export
        people = conn.execute(select(store.persons.c.name, store.persons.c.id_number)).all()
    everything = b"".join(archive.read(n) for n in archive.namelist()).decode()
    assert people and all(n not in everything and i not in everything for n, i in people)


def test_case_pages_follow_the_cursor_to_the_end_with_a_database_total(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    opened = []
    for _ in range(7):
        opened.append(open_case(svc, org).id)
        clock.advance(timedelta(seconds=1))
    page = svc.cases_page(org.county, limit=3)
    seen = [c.id for c in page.items]
    while page.next is not None:
        assert page.total == 7
        page = svc.cases_page(org.county, limit=3, after=page.next)
        seen += [c.id for c in page.items]
    assert seen == opened  # oldest first, each once
    assert svc.cases_page(org.county, state="promised").total == 0
    with pytest.raises(InvalidInput, match="expected one of") as refused:
        svc.cases_page(org.county, state="nonsense")
    assert "applied" in refused.value.details["valid"]
    for bad in (0, 1001, -1):
        with pytest.raises(InvalidInput, match="from 1 to 1000"):
            svc.cases_page(org.county, limit=bad)


def test_verify_lists_breaks_inside_the_jurisdiction_and_counts_those_outside(
    sqlite_url: str, clock: FakeClock
) -> None:
    """An owner of the SQLite file rewrites one event of each county's case (triggers dropped,
    as in tests/audit/test_tampering.py): each county's auditor sees its own break listed."""
    from helpers import make_county

    import jiuzhu

    svc = jiuzhu.connect(sqlite_url, clock=clock)
    try:
        org, other = make_county(svc), make_county(svc, "320923")
        mine, theirs = open_case(svc, org), open_case(svc, other)
        with svc.engine.begin() as conn:
            for name in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all():  # fmt: skip
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
            for case in (mine, theirs):
                conn.execute(store.events.update()
                             .where(store.events.c.case_id == case.id, store.events.c.seq == 1)
                             .values(type="withdraw"))  # fmt: skip
        result = svc.verify(org.auditor)
        assert result["ok"] is False
        assert {b["case_id"] for b in result["breaks"]} == {mine.id}
        assert result["breaks_elsewhere"] >= 1
    finally:
        svc.close()
