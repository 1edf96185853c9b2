"""Adopting a running case (the ``import`` opening event), in the pure core and in replay."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from jiuzhu.audit.chain import GENESIS, event_hash
from jiuzhu.audit.replay import fold, ledger_entries
from jiuzhu.clock import iso_utc
from jiuzhu.errors import GuardRejected
from jiuzhu.policy import DEFAULT_BOOK
from jiuzhu.workflows import fast_track, standard
from jiuzhu.workflows.adoption import adopt, day_start, importable_states
from jiuzhu.workflows.calendar import pay_instant

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
CASE = "00000000-0000-4000-8000-000000000001"


def payload(workflow: str, state: str, **decision: Any) -> dict[str, Any]:
    if workflow == "standard":
        policy = DEFAULT_BOOK.snapshot("3201", date(2026, 11, 20))
    else:
        policy = fast_track.recorded_policy(DEFAULT_BOOK.settings_on(date(2026, 11, 20)))
    return {
        "workflow": workflow, "workflow_version": 1, "programme": "dibao", "expenditure_fen": 0,
        "household_id": "h1", "applicant_id": "p1", "member_ids": ["p1", "p2"],
        "village_id": "v1", "org_path": "320922/t1/v1", "policy": policy,
        "case_no": "320922-2026-000001", "state": state,
        "import": {"job_id": "j1", "file_sha256": "a" * 64, "row": 2},
        "decision": {"monthly_fen": 50_000, "decided_on": "2026-09-10",
                     "start_month": "2026-10", "paid_through": "2026-11",
                     "verification_due_on": None} | decision,
    }  # fmt: skip


def test_a_confirmed_standard_case_is_paid_from_the_month_after_paid_through() -> None:
    model = adopt(standard.WORKFLOW, CASE, payload("standard", "confirmed"), AT)
    assert model.state == "confirmed"
    assert model.facts["allowance"]["next_month"] == "2026-12"
    assert model.facts["monthly_amount_fen"] == 50_000
    assert model.deadlines == {"allowance_due": pay_instant("2026-12", 15)}
    assert model.facts["imported"] == {"job_id": "j1", "file_sha256": "a" * 64, "row": 2}


def test_a_provisionally_approved_fast_track_case_gets_its_verification_deadline() -> None:
    model = adopt(fast_track.WORKFLOW, CASE, payload("fast_track", "provisionally_approved",
                                                     start_month="2026-09"), AT)  # fmt: skip
    # the workflow's rule: one month (the policy's verification_months) from the decision day
    assert model.deadlines["verification_due"] == day_start("2026-10-10")
    assert model.deadlines["allowance_due"] == pay_instant("2026-12", 15)


def test_a_verification_due_day_from_the_source_system_is_kept() -> None:
    model = adopt(fast_track.WORKFLOW, CASE, payload(
        "fast_track", "provisionally_approved", start_month="2026-09",
        verification_due_on="2026-12-01"), AT)  # fmt: skip
    assert model.deadlines["verification_due"] == day_start("2026-12-01")


def test_a_verified_case_has_no_verification_deadline() -> None:
    model = adopt(fast_track.WORKFLOW, CASE, payload("fast_track", "verified",
                                                     start_month="2026-09"), AT)  # fmt: skip
    assert set(model.deadlines) == {"allowance_due"}


@pytest.mark.parametrize(("workflow", "state", "decision", "words"), [
    ("standard", "county_review", {}, "cannot be imported in state"),
    ("standard", "confirmed", {"start_month": "2026-09"}, "month after the decision"),
    ("standard", "confirmed", {"paid_through": "2026-08"}, "before the first month"),
    ("standard", "confirmed", {"monthly_fen": 0}, "outside"),
    ("fast_track", "applied", {}, "cannot be imported"),
])  # fmt: skip
def test_what_the_rules_refuse(workflow: str, state: str, decision: dict[str, Any],
                               words: str) -> None:  # fmt: skip
    wf = standard.WORKFLOW if workflow == "standard" else fast_track.WORKFLOW
    with pytest.raises(GuardRejected, match=words) as err:
        adopt(wf, CASE, payload(workflow, state, **decision), AT)
    assert err.value.zh != err.value.message


def test_importable_states_per_workflow() -> None:
    assert importable_states("standard") == ("confirmed",)
    assert importable_states("fast_track") == ("provisionally_approved", "verified")
    assert importable_states("temporary") == ()


def test_replay_folds_an_import_event_and_the_months_paid_after_it() -> None:
    opening = payload("standard", "confirmed")
    events = []
    prev = GENESIS
    for seq, (kind, body, at) in enumerate([
        ("import", opening, AT),
        ("pay_allowance", {"deadline": "allowance_due", "due_at": iso_utc(pay_instant("2026-12", 15)),
                           "late_by_seconds": 0, "month": "2026-12", "amount_fen": 50_000},
         pay_instant("2026-12", 15)),
    ], 1):  # fmt: skip
        actor = {"role": "county", "org": "320922"}
        digest = event_hash(case_id=CASE, seq=seq, type=kind, payload=body, actor=actor,
                            occurred_at=iso_utc(at), prev_hash=prev)  # fmt: skip
        events.append({"case_id": CASE, "seq": seq, "type": kind, "payload": body,
                       "actor": actor, "occurred_at": iso_utc(at), "prev_hash": prev,
                       "hash": digest})  # fmt: skip
        prev = digest
    model = fold(events)
    assert model.state == "confirmed"
    assert model.facts["allowance"]["next_month"] == "2027-01"
    assert model.deadlines == {"allowance_due": pay_instant("2027-01", 15)}
    assert [(e.kind, e.amount_fen, e.period) for e in ledger_entries(events)] == [
        ("allowance", 50_000, "2026-12")
    ]
    assert standard.WORKFLOW.label_of("import").zh == "迁移导入"


def test_findings_hold_an_imported_case_to_the_amount_it_was_decided_at() -> None:
    from jiuzhu.audit.findings import findings_of

    opening = payload("standard", "confirmed")
    paid = {"deadline": "allowance_due", "due_at": iso_utc(pay_instant("2026-12", 15)),
            "late_by_seconds": 0, "month": "2026-12", "amount_fen": 60_000}  # fmt: skip
    events = [
        {"case_id": CASE, "seq": seq, "type": kind, "payload": body,
         "actor": {"role": "county", "org": "320922"}, "occurred_at": iso_utc(at),
         "prev_hash": "", "hash": ""}
        for seq, (kind, body, at) in enumerate(
            [("import", opening, AT), ("pay_allowance", paid, pay_instant("2026-12", 15))], 1)
    ]  # fmt: skip
    found = findings_of(events, set(), pay_instant("2026-12", 16))
    assert [(f.seq, f.code) for f in found] == [(2, "amount_outside_policy")]
