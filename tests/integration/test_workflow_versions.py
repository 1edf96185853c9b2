"""Versioned workflow definitions: a case runs on the version it started with.

A version 2 of the temporary workflow is registered for one test (``monkeypatch`` restores
the registry afterwards): it lets an approved grant be closed without a separate payment step
record, and relabels the approval.  Running v1 cases keep v1's rules, new cases get v2, and
replay folds each case with its own version.
"""

from __future__ import annotations

import pytest
from helpers import Org, make_county, make_household

from jiuzhu import CaseService, TransitionNotAllowed
from jiuzhu.audit.replay import fold
from jiuzhu.audit.verify import replay_case, verify_database
from jiuzhu.models import rows as store
from jiuzhu.workflows import CURRENT, REGISTRY, temporary
from jiuzhu.workflows.base import Label, Transition

V2_TRANSITIONS = (*temporary.TRANSITIONS,
                  Transition("close", ("approved",), "closed", (), None))  # fmt: skip
V2_LABELS = {**temporary.TRIGGERS, "approve": Label("批准临时救助（第二版）", "approve (v2)")}


@pytest.fixture
def v2(monkeypatch: pytest.MonkeyPatch) -> None:
    workflow = temporary.build(2, transitions=V2_TRANSITIONS, trigger_labels=V2_LABELS)
    monkeypatch.setitem(REGISTRY, ("temporary", 2), workflow)
    monkeypatch.setitem(CURRENT, "temporary", 2)


def approved(svc: CaseService, org: Org) -> str:
    home = make_household(svc, org.village, 2)
    case = svc.apply_temporary(org.village, household_id=home.id,
                               applicant_id=home.member_ids[0])  # fmt: skip
    svc.assess_temporary(org.village, case.id, sudden_event="交通事故")
    svc.decide_temporary(org.township, case.id, decision="approve", multiplier=1)
    return case.id


def events(svc: CaseService, case_id: str) -> list[dict[str, object]]:
    with svc.engine.connect() as conn:
        rows = conn.execute(store.SELECT_EVENTS, {"case_id": case_id}).all()
    return store.event_dicts(rows)


def test_running_cases_keep_their_version_and_new_cases_get_the_new_one(
    svc: CaseService, request: pytest.FixtureRequest
) -> None:
    org = make_county(svc, "320104")
    old = approved(svc, org)
    request.getfixturevalue("v2")  # version 2 is published while `old` is running
    new = approved(svc, org)
    assert svc.get_case(org.county, old).workflow_version == 1
    assert svc.get_case(org.county, new).workflow_version == 2
    assert "close" not in svc.get_case(org.county, old).allowed
    with pytest.raises(TransitionNotAllowed):
        svc.close_temporary(org.township, old)
    closed = svc.close_temporary(org.township, new)
    assert closed.state == "closed" and closed.workflow_version == 2
    history = svc.history(org.county, new)
    assert [e.type_en for e in history if e.type == "approve"] == ["approve (v2)"]
    assert [e.type_en for e in svc.history(org.county, old) if e.type == "approve"] == [
        "approve the grant"]  # fmt: skip
    # replay folds each case with its own version
    assert fold(events(svc, new)).state == "closed"
    assert fold(events(svc, old)).state == "approved"
    assert replay_case(svc.engine, old).ok and replay_case(svc.engine, new).ok
    assert verify_database(svc.engine).ok


def test_the_registry_is_back_to_version_1_after_the_test() -> None:
    assert CURRENT["temporary"] == 1 and ("temporary", 2) not in REGISTRY
