"""One-off service projects (一次性服务项目, docs/domain.md §6) on SQLite and PostgreSQL: opened
with a due day, completed by the village or the assigned provider, overdue (the alarm) when the
due day ends undone, cancelled when the case ends."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from audit.minimal_verifier import verify as minimal_verify
from helpers import Org, case_in, db_snapshot, deadline_rows

from jiuzhu import (
    Actor,
    CaseService,
    FakeClock,
    GuardRejected,
    InvalidInput,
    PermissionDenied,
    Role,
)
from jiuzhu.audit.export import export
from jiuzhu.audit.findings import database_findings
from jiuzhu.audit.verify import replay_case, verify_database, verify_export
from jiuzhu.clock import local_date
from jiuzhu.scheduler.sweep import sweep

pytestmark = pytest.mark.policy(monthly_payments=False)


def staff_of(svc: CaseService, org: Org) -> Actor:
    view = svc.register_provider(org.township, unit_id=org.township.org, name="安心电工服务社")
    return Actor(Role.PROVIDER, org.township.org, "electrician-1", view.id)


def rewiring(svc: CaseService, org: Org, clock: FakeClock, provider: dict[str, str],
             days: int = 10) -> tuple[str, str]:  # fmt: skip
    case = case_in(svc, org, "provisionally_approved")
    due = (local_date(clock.now()) + timedelta(days=days)).isoformat()
    opened = svc.open_oneoff(org.village, case.id, kind="rewiring", what="更换老化电线、加装漏电保护",
                             due_on=due, provider=provider)  # fmt: skip
    [oneoff_id] = opened.facts["oneoffs"]
    assert f"oneoff_due/{oneoff_id}" in opened.deadlines
    return case.id, oneoff_id


def test_the_assigned_provider_completes_a_one_off_and_sees_it_until_then(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    staff = staff_of(svc, org)
    case_id, oneoff_id = rewiring(svc, org, clock, {"provider": staff.provider or ""})
    [todo] = svc.provider_plans(staff)
    assert (todo["oneoff_id"], todo["kind"], todo["state"]) == (oneoff_id, "rewiring", "open")
    clock.advance(timedelta(days=3))
    done = svc.complete_oneoff(staff, case_id, oneoff_id=oneoff_id, notes="已通电测试")
    assert done.facts == {"oneoffs": {oneoff_id: done.facts["oneoffs"][oneoff_id]}}
    assert done.facts["oneoffs"][oneoff_id]["state"] == "completed" and done.deadlines == {}
    assert svc.provider_plans(staff) == []
    assert [r["status"] for r in deadline_rows(svc, case_id) if r["kind"].startswith("oneoff")] \
        == ["done"]  # fmt: skip
    last = svc.history(org.county, case_id)[-1]
    assert last.type == "oneoff.completed" and last.payload["provider"] == staff.provider


def test_a_one_off_not_done_by_its_due_day_is_overdue_and_can_still_be_completed(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case_id, oneoff_id = rewiring(svc, org, clock, {"name": "乡镇电工"}, days=2)
    clock.advance(timedelta(days=2))
    assert sweep(svc, worker="test", now=clock.now()).fired == 0  # the due day is not over
    clock.advance(timedelta(days=1))
    assert sweep(svc, worker="test", now=clock.now()).fired == 1
    case = svc.get_case(org.county, case_id)
    assert case.facts["oneoffs"][oneoff_id]["state"] == "overdue"
    assert ("oneoff_overdue", case_id) in {(f.code, f.case_id) for f in
                                           database_findings(svc.engine, now=clock.now())}  # fmt: skip
    done = svc.complete_oneoff(org.village, case_id, oneoff_id=oneoff_id)
    assert done.facts["oneoffs"][oneoff_id]["state"] == "completed"
    with pytest.raises(GuardRejected):
        svc.complete_oneoff(org.village, case_id, oneoff_id=oneoff_id)


def test_who_may_open_and_complete_and_what_is_refused(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    staff = staff_of(svc, org)
    other = staff_of(svc, org)
    case_id, oneoff_id = rewiring(svc, org, clock, {"provider": staff.provider or ""})
    before = db_snapshot(svc)
    due = (local_date(clock.now()) + timedelta(days=5)).isoformat()
    for refused in (
        lambda: svc.complete_oneoff(other, case_id, oneoff_id=oneoff_id),
        lambda: svc.complete_oneoff(org.township, case_id, oneoff_id=oneoff_id),
        lambda: svc.open_oneoff(
            staff, case_id, kind="repair", what="修门", due_on=due, provider={"name": "x"}
        ),
        lambda: svc.complete_oneoff(org.neighbour_village, case_id, oneoff_id=oneoff_id),
    ):
        with pytest.raises(PermissionDenied):
            refused()
    for bad_day in ("2024-13-01", (local_date(clock.now()) - timedelta(days=1)).isoformat()):
        with pytest.raises(InvalidInput):
            svc.open_oneoff(org.village, case_id, kind="repair", what="修门", due_on=bad_day,
                            provider={"name": "x"})  # fmt: skip
    with pytest.raises(InvalidInput):
        svc.open_oneoff(org.village, case_id, kind="moon", what="修门", due_on=due,
                        provider={"name": "x"})  # fmt: skip
    assert db_snapshot(svc) == before


def test_ending_the_case_cancels_its_open_one_offs(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case_id, oneoff_id = rewiring(svc, org, clock, {"name": "乡镇电工"})
    case = svc.get_case(org.county, case_id)
    ended = svc.record_verification(org.county, case_id, result="fails_without_falsification", reason="收入超标",
                                    expected_version=case.row_version)  # fmt: skip
    assert ended.facts["oneoffs"][oneoff_id]["state"] == "cancelled"
    assert not any(k.startswith("oneoff_due/") for k in ended.deadlines)


def test_replay_export_findings_and_the_minimal_verifier_accept_the_one_off_events(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path
) -> None:
    staff = staff_of(svc, org)
    case_id, first = rewiring(svc, org, clock, {"provider": staff.provider or ""}, days=1)
    _, second = rewiring(svc, org, clock, {"name": "乡镇电工"}, days=1)
    clock.advance(timedelta(days=3))
    assert sweep(svc, worker="test", now=clock.now()).fired == 2
    svc.complete_oneoff(staff, case_id, oneoff_id=first)
    types = [e.type for e in svc.history(org.county, case_id)]
    assert types[-3:] == ["oneoff.opened", "oneoff.overdue", "oneoff.completed"]
    assert replay_case(svc.engine, case_id).ok and verify_database(svc.engine).ok
    export(svc.engine, tmp_path / "out", now=clock.now())
    assert verify_export(tmp_path / "out").ok and minimal_verify(tmp_path / "out") == []
