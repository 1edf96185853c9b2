"""Service providers (服务机构, docs/domain.md §6) on SQLite and PostgreSQL: registered under a
unit, assigned plans, their staff record visits for those plans only and read only them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from audit.minimal_verifier import verify as minimal_verify
from helpers import Org, case_in, db_snapshot

from jiuzhu import Actor, CaseService, FakeClock, InvalidInput, NotFound, PermissionDenied, Role
from jiuzhu.audit.export import export
from jiuzhu.audit.findings import database_findings
from jiuzhu.audit.verify import replay_case, verify_database, verify_export
from jiuzhu.scheduler.sweep import sweep

pytestmark = pytest.mark.policy(monthly_payments=False)
EVERY_OTHER_DAY = {"type": "interval", "days": 2}


def register(svc: CaseService, org: Org, unit: str | None = None) -> tuple[str, Actor]:
    view = svc.register_provider(org.township, unit_id=unit or org.township.org, name="暖心护理")
    return view.id, Actor(Role.PROVIDER, view.unit_id, "nurse-1", view.id)


def assigned_plan(svc: CaseService, org: Org, provider_id: str) -> tuple[str, str]:
    case = case_in(svc, org, "provisionally_approved")
    opened = svc.open_service_plan(org.village, case.id, kind="home_visit",
                                   provider={"provider": provider_id},
                                   recurrence=EVERY_OTHER_DAY)  # fmt: skip
    [plan_id] = opened.facts["plans"]
    return case.id, plan_id


def test_a_provider_records_visits_for_its_plans_and_the_event_names_it(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    provider_id, staff = register(svc, org)
    case_id, plan_id = assigned_plan(svc, org, provider_id)
    [todo] = svc.provider_plans(staff)
    assert todo["case_id"] == case_id and todo["plan_id"] == plan_id
    assert set(todo) == {"case_id", "case_version", "village_id", "village_name", "plan_id",
                         "kind", "n", "scheduled_at", "due_at"}  # fmt: skip
    assert todo["village_name"] == "团结社区"
    clock.advance(timedelta(hours=1))
    after = svc.record_visit(staff, case_id, plan_id=plan_id, what="测血压、陪聊")
    assert after.facts == {"plans": {plan_id: after.facts["plans"][plan_id]}}
    assert after.facts["plans"][plan_id]["done"] == 1
    assert (after.household_id, after.expenditure_fen, after.monthly_amount_fen) == ("", 0, None)
    assert set(after.deadlines) == {f"visit_due/{plan_id}"}
    last = svc.history(org.county, case_id)[-1]
    assert last.type == "plan.visit" and last.payload["provider"] == provider_id
    assert last.actor == {"role": "provider", "org": org.township.org, "user": "nurse-1"}


def test_a_provider_may_not_visit_another_plan_nor_do_anything_else(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    provider_id, staff = register(svc, org)
    other_id, other_staff = register(svc, org)
    case_id, plan_id = assigned_plan(svc, org, provider_id)
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied, match="not assigned"):
        svc.record_visit(other_staff, case_id, plan_id=plan_id, what="打扫")
    with pytest.raises(PermissionDenied):
        svc.get_case(staff, case_id)
    with pytest.raises(PermissionDenied):
        svc.end_service_plan(staff, case_id, plan_id=plan_id, reason="结束")
    with pytest.raises(PermissionDenied):
        svc.list_cases(staff)
    assert svc.provider_plans(other_staff) == []
    assert db_snapshot(svc) == before


def test_a_provider_actor_must_name_a_provider_of_its_own_unit(svc: CaseService, org: Org) -> None:
    provider_id, _ = register(svc, org)
    case_id, plan_id = assigned_plan(svc, org, provider_id)
    with pytest.raises(PermissionDenied, match="registered under"):
        svc.record_visit(Actor(Role.PROVIDER, org.county.org, "x", provider_id), case_id,
                         plan_id=plan_id, what="打扫")  # fmt: skip
    with pytest.raises(PermissionDenied, match="unknown service provider"):
        svc.provider_plans(Actor(Role.PROVIDER, org.township.org, "x",
                                 "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d"))  # fmt: skip
    with pytest.raises(InvalidInput, match="only it"):
        Actor.parse("provider", org.township.org, "x")


def test_registering_and_assigning_stay_inside_the_jurisdiction(svc: CaseService, org: Org) -> None:
    with pytest.raises(PermissionDenied):
        svc.register_provider(org.village, unit_id=org.village.org, name="某机构")
    with pytest.raises(PermissionDenied, match="outside the jurisdiction"):
        svc.register_provider(org.other_township, unit_id=org.township.org, name="某机构")
    elsewhere = svc.register_provider(org.county, unit_id=org.far_village.org, name="远村").id
    case = case_in(svc, org, "provisionally_approved")
    with pytest.raises((InvalidInput, NotFound)):
        svc.open_service_plan(org.village, case.id, kind="cleaning",
                              provider={"provider": "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d"},
                              recurrence=EVERY_OTHER_DAY)  # fmt: skip
    with pytest.raises(InvalidInput, match="outside this case"):
        svc.open_service_plan(
            org.village,
            case.id,
            kind="cleaning",
            provider={"provider": elsewhere},
            recurrence=EVERY_OTHER_DAY,
        )
    county_wide = svc.register_provider(org.county, unit_id=org.county.org, name="县养老服务中心")
    assert {p.id for p in svc.list_providers(org.village)} >= {county_wide.id}


def test_provider_users_sign_in_as_their_provider(svc: CaseService, org: Org) -> None:
    provider_id, _ = register(svc, org)
    view = svc.create_user(org.admin, username="nurse-2", password="long-enough-pw-1",
                           role="provider", org=org.township.org, display_name="护理员",
                           provider=provider_id)  # fmt: skip
    assert view.provider == provider_id
    signed = svc.sign_in("nurse-2", "long-enough-pw-1")
    assert signed.actor == Actor(Role.PROVIDER, org.township.org, "nurse-2", provider_id)
    with pytest.raises(InvalidInput, match="registered under"):
        svc.create_user(org.admin, username="nurse-3", password="long-enough-pw-1",
                        role="provider", org=org.county.org, display_name="护理员",
                        provider=provider_id)  # fmt: skip


def test_replay_export_findings_and_the_minimal_verifier_accept_provider_visits(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path
) -> None:
    provider_id, staff = register(svc, org)
    case_id, plan_id = assigned_plan(svc, org, provider_id)
    clock.advance(timedelta(hours=1))
    svc.record_visit(staff, case_id, plan_id=plan_id, what="上门探访")
    clock.advance(timedelta(days=5))
    assert sweep(svc, worker="test", now=clock.now()).fired >= 1  # a missed occurrence
    assert replay_case(svc.engine, case_id).ok and verify_database(svc.engine).ok
    codes = {f.code for f in database_findings(svc.engine, now=clock.now())}
    assert codes <= {"visit_missed", "verification_overdue"}
    export(svc.engine, tmp_path / "out", now=clock.now())
    assert verify_export(tmp_path / "out").ok and minimal_verify(tmp_path / "out") == []
