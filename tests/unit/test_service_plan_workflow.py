"""Unit tests for the service-plan workflow (pure: no database, no clock).

Plans live inside a fast-track case (``case.facts["plans"]``) and run through its
``plan.<trigger>`` sub-workflow; the occurrence times arrive in the payloads.  The expected
transition table is written out here from docs/domain.md §6, not read from the definition.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jiuzhu.clock import iso_utc
from jiuzhu.errors import GuardRejected, TransitionNotAllowed
from jiuzhu.workflows import fast_track, service_plan
from jiuzhu.workflows.base import CaseModel, Outcome

AT = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)
GRACE = timedelta(hours=24)
PLAN = "11111111-1111-4111-8111-111111111111"
OTHER = "22222222-2222-4222-8222-222222222222"
KEY = f"visit_due/{PLAN}"
WF = fast_track.WORKFLOW

# docs/domain.md §6 by hand: (trigger, sources, destination or None for "stays", fired by a deadline)
EXPECTED_TABLE = {
    ("visit", ("active",), None, False),
    ("miss", ("active",), None, True),
    ("suspend", ("active",), "suspended", False),
    ("resume", ("suspended",), "active", False),
    ("end", ("active", "suspended"), "ended", False),
}


def at(days: float) -> str:
    return iso_utc(AT + timedelta(days=days))


def approved_case(state: str = "provisionally_approved") -> CaseModel:
    """A fast-track projection in ``state`` with its verification deadline open."""
    facts = {"policy": dict(fast_track.DEFAULT_POLICY), "monthly_amount_fen": 200_000}
    return CaseModel("case-1", state, facts, {"verification_due": AT + timedelta(days=31)})


def open_payload(plan_id: str = PLAN, first_at: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"plan_id": plan_id, "kind": "cleaning", "provider": {"name": "暖心洁家"},
            "recurrence": {"type": "interval", "days": 2}, "starts_at": at(0), "ends_at": None,
            "grace_hours": 24, "first_at": at(0) if first_at is None else first_at,
            **extra}  # fmt: skip


def with_plan(**extra: Any) -> CaseModel:
    model = approved_case()
    WF.fire(model, "plan.open", open_payload(**extra), AT)
    return model


def plan(model: CaseModel, plan_id: str = PLAN) -> dict[str, Any]:
    return model.facts["plans"][plan_id]  # type: ignore[no-any-return]


def step(model: CaseModel, trigger: str, days: float = 0, **payload: Any) -> Outcome:
    return WF.fire(model, f"plan.{trigger}", {"plan_id": PLAN, **payload},
                   AT + timedelta(days=days))  # fmt: skip


# -- the definition ---------------------------------------------------------------------------


def test_service_plan_workflow_has_transition_table_of_domain() -> None:
    sp = service_plan.WORKFLOW
    got = {(t.trigger, t.source, t.dest, t.system) for t in sp.transitions}
    assert got == EXPECTED_TABLE
    assert (sp.initial, sp.final, list(sp.states)) == (
        "active",
        ("ended",),
        ["active", "suspended", "ended"],
    )


def test_service_plan_offers_people_no_deadline_trigger() -> None:
    sp = service_plan.WORKFLOW
    assert sp.allowed("active") == ["end", "suspend", "visit"]
    assert sp.allowed("suspended") == ["end", "resume"]
    assert sp.allowed("ended") == []


def test_visit_deadline_key_names_plan_and_fires_miss() -> None:
    assert service_plan.deadline_key(PLAN) == KEY
    assert WF.on_deadline["visit_due"] == "plan.miss"
    assert WF.label_of("plan.visit").zh == "完成服务"
    assert WF.label_of("plan.miss").en == "visit missed"


def test_every_plan_kind_and_state_has_labels() -> None:
    assert set(service_plan.KINDS) == {"cleaning", "home_visit", "follow_up", "companionship",
                                       "repair", "other"}  # fmt: skip
    for label in [*service_plan.KINDS.values(), *service_plan.STATES.values()]:
        assert label.zh and label.en


# -- open -------------------------------------------------------------------------------------


def test_open_records_plan_and_arms_first_occurrence_with_grace() -> None:
    model = approved_case()
    outcome = WF.fire(model, "plan.open", open_payload(grace_hours=6), AT)
    assert plan(model) == {
        "plan_id": PLAN, "kind": "cleaning", "provider": {"name": "暖心洁家"},
        "recurrence": {"type": "interval", "days": 2}, "starts_at": at(0), "ends_at": None,
        "grace_hours": 6, "n": 1, "scheduled_at": at(0), "done": 0, "missed": 0,
        "state": "active",
    }  # fmt: skip
    assert model.state == "provisionally_approved"
    assert outcome == Outcome("provisionally_approved", "provisionally_approved",
                              {KEY: AT + timedelta(hours=6)}, ())  # fmt: skip


def test_open_arms_nothing_when_no_first_occurrence() -> None:
    model = approved_case()
    outcome = WF.fire(model, "plan.open", {**open_payload(), "first_at": None}, AT)
    assert (plan(model)["n"], plan(model)["scheduled_at"]) == (0, None)
    assert (outcome.opened, KEY in model.deadlines) == ({}, False)


def test_open_is_allowed_on_verified_case() -> None:
    model = approved_case("verified")
    WF.fire(model, "plan.open", open_payload(), AT)
    assert plan(model)["state"] == "active"


@pytest.mark.parametrize("state", ["applied", "promised", "reviewed", "revoked", "terminated",
                                   "rejected", "withdrawn"])  # fmt: skip
def test_open_is_refused_when_case_not_receiving_assistance(state: str) -> None:
    model = approved_case(state)
    with pytest.raises(GuardRejected):
        WF.fire(model, "plan.open", open_payload(), AT)
    assert model.facts.get("plans", {}) == {}


def test_open_leaves_model_unchanged_when_refused() -> None:
    model = approved_case("reviewed")
    before = copy.deepcopy(model)
    with pytest.raises(GuardRejected):
        WF.fire(model, "plan.open", open_payload(), AT)
    assert model == before


def test_open_is_refused_when_plan_id_exists() -> None:
    model = with_plan()
    before = copy.deepcopy(model)
    with pytest.raises(GuardRejected, match="exists already") as refused:  # not a definition error
        WF.fire(model, "plan.open", open_payload(first_at=at(5)), AT)
    assert refused.value.zh.endswith("已存在") and refused.value.details == {"plan_id": PLAN}
    assert model == before


# -- visit and miss ---------------------------------------------------------------------------


def test_visit_counts_done_and_arms_next_occurrence() -> None:
    model = with_plan()
    outcome = step(model, "visit", n=1, next_at=at(2))
    assert (plan(model)["n"], plan(model)["done"], plan(model)["missed"]) == (2, 1, 0)
    assert plan(model)["scheduled_at"] == at(2)
    assert outcome.closed == (KEY,) and outcome.done == frozenset({KEY})
    assert outcome.opened == {KEY: AT + timedelta(days=2) + GRACE}


def test_visit_of_last_occurrence_closes_deadline_as_done() -> None:
    model = with_plan()
    outcome = step(model, "visit", n=1, next_at=None)
    assert (plan(model)["scheduled_at"], KEY in model.deadlines) == (None, False)
    assert (outcome.closed, outcome.done, outcome.opened) == ((KEY,), frozenset({KEY}), {})
    assert plan(model)["state"] == "active"


def test_miss_counts_missed_and_closes_deadline_not_as_done() -> None:
    model = with_plan()
    outcome = step(model, "miss", days=1, n=1, next_at=at(2))
    assert (plan(model)["n"], plan(model)["done"], plan(model)["missed"]) == (2, 0, 1)
    assert (outcome.closed, outcome.done) == ((KEY,), frozenset())
    assert model.deadlines[KEY] == AT + timedelta(days=2) + GRACE


def test_counters_add_up_over_visits_and_misses() -> None:
    model = with_plan()
    step(model, "visit", n=1, next_at=at(2))
    step(model, "miss", n=2, next_at=at(4))
    step(model, "miss", n=3, next_at=at(6))
    step(model, "visit", n=4, next_at=at(8))
    assert (plan(model)["n"], plan(model)["done"], plan(model)["missed"]) == (5, 2, 2)


@pytest.mark.parametrize("trigger", ["visit", "miss"])
@pytest.mark.parametrize("n", [0, 2])
def test_visit_or_miss_is_refused_when_not_the_open_occurrence(trigger: str, n: int) -> None:
    model = with_plan()
    before = copy.deepcopy(model)
    with pytest.raises(GuardRejected):
        step(model, trigger, n=n, next_at=at(2))
    assert model == before


def test_visit_is_refused_when_plan_has_no_open_occurrence() -> None:
    model = with_plan()
    step(model, "visit", n=1, next_at=None)
    before = copy.deepcopy(model)
    with pytest.raises(GuardRejected):
        step(model, "visit", n=1, next_at=None)
    assert model == before


def test_plan_trigger_is_refused_when_plan_unknown() -> None:
    model = with_plan()
    with pytest.raises(TransitionNotAllowed):
        WF.fire(model, "plan.visit", {"plan_id": OTHER, "n": 1, "next_at": None}, AT)


# -- suspend, resume, end ---------------------------------------------------------------------


def test_suspend_drops_open_occurrence_and_refuses_visits() -> None:
    model = with_plan()
    outcome = step(model, "suspend", reason="住院")
    assert (plan(model)["state"], plan(model)["scheduled_at"]) == ("suspended", None)
    assert (outcome.closed, outcome.done, KEY in model.deadlines) == ((KEY,), frozenset(), False)
    for trigger in ("visit", "miss", "suspend"):
        with pytest.raises(TransitionNotAllowed):
            step(model, trigger, n=1, next_at=None)


def test_resume_arms_occurrence_named_in_payload() -> None:
    model = with_plan()
    step(model, "suspend", reason="住院")
    outcome = step(model, "resume", days=20, next_at=at(20))
    assert (plan(model)["state"], plan(model)["n"], plan(model)["scheduled_at"]) == (
        "active",
        2,
        at(20),
    )
    assert outcome.opened == {KEY: AT + timedelta(days=20) + GRACE}


@pytest.mark.parametrize("suspend_first", [False, True], ids=["active", "suspended"])
def test_end_drops_occurrence_and_plan_takes_no_more_triggers(suspend_first: bool) -> None:
    model = with_plan()
    if suspend_first:
        step(model, "suspend", reason="住院")
    step(model, "end", reason="项目结束")
    assert (plan(model)["state"], plan(model)["scheduled_at"]) == ("ended", None)
    assert KEY not in model.deadlines
    for trigger in ("visit", "miss", "suspend", "resume", "end"):
        with pytest.raises(TransitionNotAllowed):
            step(model, trigger, n=1, next_at=None, reason="x")


# -- plans and the case's fate ----------------------------------------------------------------


def test_end_all_ends_open_plans_and_drops_only_their_deadlines() -> None:
    model = with_plan()
    WF.fire(model, "plan.open", open_payload(OTHER, first_at=at(1)), AT)
    step(model, "suspend", reason="住院")
    service_plan.end_all(model)
    assert {p["state"] for p in model.facts["plans"].values()} == {"ended"}
    assert {p["scheduled_at"] for p in model.facts["plans"].values()} == {None}
    assert list(model.deadlines) == ["verification_due"]


def test_end_all_leaves_case_without_plans_unchanged() -> None:
    model = approved_case()
    before = copy.deepcopy(model)
    service_plan.end_all(model)
    assert model == before


@pytest.mark.parametrize(
    ("trigger", "result"),
    [("revoke", "falsification"), ("terminate", "fails_without_falsification")],
)
def test_revoke_or_terminate_ends_plans_and_closes_their_deadlines(
    trigger: str, result: str
) -> None:
    model = with_plan()
    WF.fire(model, "plan.open", open_payload(OTHER, first_at=at(1)), AT)
    outcome = WF.fire(model, trigger, {"result": result, "reason": "x"}, AT + timedelta(days=3))
    assert {p["state"] for p in model.facts["plans"].values()} == {"ended"}
    assert set(outcome.closed) == {"verification_due", KEY, f"visit_due/{OTHER}"}
    assert (outcome.done, model.deadlines) == (frozenset(), {})


def test_verify_keeps_plans_and_their_deadlines() -> None:
    model = with_plan()
    outcome = WF.fire(model, "verify", {"result": "meets_standard"}, AT + timedelta(days=3))
    assert outcome.closed == ("verification_due",)
    assert (plan(model)["state"], list(model.deadlines)) == ("active", [KEY])
    step(model, "visit", days=3, n=1, next_at=at(2))
    assert plan(model)["done"] == 1


def test_overdue_escalation_leaves_plan_deadlines_alone() -> None:
    model = with_plan()
    due = model.deadlines["verification_due"]
    outcome = WF.fire(model, "mark_overdue", {"deadline": "verification_due",
                                              "due_at": iso_utc(due), "late_by_seconds": 0}, due)  # fmt: skip
    assert outcome.closed == ("verification_due",)
    assert model.deadlines == {KEY: AT + GRACE, "verification_reminder": due + timedelta(days=7)}
