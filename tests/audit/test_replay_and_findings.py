"""Replay as of any moment, and compliance findings, on each database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import Org, case_in, fire, open_case
from sqlalchemy import select

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.findings import database_findings, findings_of
from jiuzhu.audit.replay import ReplayError, as_of
from jiuzhu.audit.sources import DatabaseSource
from jiuzhu.audit.verify import verify_database
from jiuzhu.errors import NotFound
from jiuzhu.models import rows as store
from jiuzhu.models.db import snapshot
from jiuzhu.scheduler.sweep import sweep


def events_of(svc: CaseService, case_id: str) -> list[dict]:
    with snapshot(svc.engine) as conn:
        return DatabaseSource(conn).case(case_id)[1]


def test_replay_as_of_each_moment_gives_the_state_deadlines_and_ledger_then(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    opened = clock.now()
    case = open_case(svc, org)
    clock.advance(timedelta(days=1))
    case = fire(svc, org, case, "promise")
    clock.advance(timedelta(days=1))
    case = fire(svc, org, case, "review")
    clock.advance(timedelta(days=1))
    approved_at = clock.now()
    fire(svc, org, case, "approve")
    clock.advance(timedelta(days=40))  # the April allowance and the overdue check fall due
    sweep(svc, worker="test")
    events = events_of(svc, case.id)

    assert as_of(events, opened)["state"] == "applied"
    at_day_two = as_of(events, opened + timedelta(days=1, hours=1))
    assert (at_day_two["state"], at_day_two["events"]) == ("promised", 2)
    approved = as_of(events, approved_at)
    assert approved["state"] == "provisionally_approved"
    assert "verification_due" in approved["deadlines"]
    assert approved["workflow"] == "fast_track" and approved["policy"]["threshold_fen"] > 0
    later = as_of(events, clock.now())
    assert "verification_due" not in later["deadlines"]  # marked overdue by then
    assert later["balance"]["paid_fen"] > approved["balance"]["paid_fen"]
    assert later["ledger"] == [e for e in later["ledger"] if e["kind"] == "allowance"]


def test_replay_as_of_before_the_case_opened_is_not_found(svc: CaseService, org: Org,
                                                          clock: FakeClock) -> None:  # fmt: skip
    """No such case at that moment: not found (exit 4), not a broken chain."""
    case = open_case(svc, org)
    with pytest.raises(NotFound, match="did not exist yet") as refused:
        as_of(events_of(svc, case.id), clock.now() - timedelta(seconds=1))
    assert not isinstance(refused.value, ReplayError)
    assert refused.value.details["case_id"] == case.id


def findings(svc: CaseService, now: datetime) -> set[tuple[str, str]]:
    return {(f.case_id, f.code) for f in database_findings(svc.engine, now=now)}


def test_findings_list_overdue_verifications_with_their_lateness(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    case_in(svc, org, "verified")
    assert findings(svc, clock.now()) == set()
    clock.advance(timedelta(days=45))
    sweep(svc, worker="test")
    found = [f for f in database_findings(svc.engine, now=clock.now())
             if f.code == "verification_overdue"]  # fmt: skip
    assert [f.case_id for f in found] == [case.id]
    assert 13 <= found[0].days <= 15  # due a month after approval, judged 45 days after
    assert verify_database(svc.engine).ok


def test_findings_revocation_is_clean_when_recovered_and_recorded(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "revoked")
    assert {code for cid, code in findings(svc, clock.now()) if cid == case.id} == set()
    with svc.engine.begin() as conn:  # the credit record goes missing
        if svc.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        else:
            conn.exec_driver_sql("DROP TRIGGER credit_records_no_delete")
        conn.execute(store.credit_records.delete())
    assert (case.id, "revocation_without_credit_record") in findings(svc, clock.now())


def test_findings_from_events_alone_name_each_rule(svc: CaseService, org: Org,
                                                   clock: FakeClock) -> None:  # fmt: skip
    approved = events_of(svc, case_in(svc, org, "provisionally_approved").id)
    now = clock.now()
    without_commitment = [e for e in approved if e["type"] != "promise"]
    assert "approval_without_commitment" in {f.code for f in findings_of(without_commitment,
                                                                         set(), now)}  # fmt: skip
    without_appraisal = [e for e in approved if e["type"] != "review"]
    assert "approval_without_appraisal" in {f.code for f in findings_of(without_appraisal,
                                                                        set(), now)}  # fmt: skip
    too_much = [dict(e, payload={**e["payload"], "monthly_amount_fen": 10**9})
                if e["type"] == "approve" else e for e in approved]  # fmt: skip
    assert "amount_outside_policy" in {f.code for f in findings_of(too_much, set(), now)}
    revoked = events_of(svc, case_in(svc, org, "revoked").id)
    paid_after = [*revoked, {**revoked[-1], "seq": len(revoked) + 1, "type": "pay_allowance",
                             "payload": {"month": "2024-04", "amount_fen": 200_000}}]  # fmt: skip
    codes = {f.code for f in findings_of(paid_after, {revoked[-1]["seq"]}, now)}
    assert "payment_after_revocation" in codes


def test_findings_list_missed_visits(svc: CaseService, org: Org, clock: FakeClock) -> None:
    case = case_in(svc, org, "verified")
    start = datetime(2024, 3, 16, 1, 0, tzinfo=UTC)
    svc.open_service_plan(org.village, case.id, kind="cleaning", provider={"name": "家政服务社"},
                          recurrence={"type": "interval", "days": 7}, starts_at=start)  # fmt: skip
    clock.advance(timedelta(days=10))
    sweep(svc, worker="test")
    assert (case.id, "visit_missed") in findings(svc, clock.now())
    with svc.engine.connect() as conn:
        assert conn.execute(select(store.events.c.type).where(
            store.events.c.type == "plan.miss")).first() is not None  # fmt: skip
