"""Unit tests for the fast-track workflow definition (pure: no database, no clock).

The expected transition table is written out from docs/domain.md §3, not read from the workflow, so
that these tests hold the definition to the rules.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jiuzhu.audit.chain import GENESIS, event_hash
from jiuzhu.audit.replay import ReplayError, fold
from jiuzhu.clock import SHANGHAI, iso_utc
from jiuzhu.errors import GuardRejected, TransitionNotAllowed, WorkflowDefinitionError
from jiuzhu.workflows import CURRENT, REGISTRY
from jiuzhu.workflows import get as get_workflow
from jiuzhu.workflows.base import CaseModel, DeadlineRule, Label, Transition, Workflow
from jiuzhu.workflows.calendar import add_months
from jiuzhu.workflows.fast_track import (
    DEFAULT_POLICY,
    FINAL,
    STATES,
    TRIGGERS,
    VERIFICATION_RESULTS,
    WORKFLOW,
)

AT = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
MEMBERS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]
OUTSIDER = "33333333-3333-4333-8333-333333333333"

EXPECTED_ALLOWED = {
    "applied": ["promise", "withdraw"],
    "promised": ["fail_appraisal", "review", "withdraw"],
    "reviewed": ["approve", "refuse", "withdraw"],
    "provisionally_approved": ["record_medical_bill", "revoke", "terminate", "verify"],
    "verified": [
        "decide_phase_out",
        "decide_review",
        "give_review_opinion",
        "investigate_review",
        "open_review",
        "record_circumstance",
        "record_medical_bill",
        "record_rigid_expenditure",
        "renew_rigid_expenditure",
        "stop_review",
    ],
    "stopped": [],
    "revoked": ["impose_fine", "record_repayment", "write_off"],
    "terminated": ["record_repayment", "write_off"],
    "rejected": [],
    "withdrawn": [],
}
EXPECTED_DEST = {
    ("applied", "promise"): "promised",
    ("promised", "review"): "reviewed",
    ("promised", "fail_appraisal"): "rejected",
    ("reviewed", "approve"): "provisionally_approved",
    ("reviewed", "refuse"): "rejected",
    ("provisionally_approved", "verify"): "verified",
    ("provisionally_approved", "revoke"): "revoked",
    ("provisionally_approved", "terminate"): "terminated",
    **{(state, "withdraw"): "withdrawn" for state in ("applied", "promised", "reviewed")},
    ("verified", "stop_review"): "stopped",  # after a re-review's steps: test_review_workflow
    ("verified", "decide_phase_out"): "stopped",  # after the steps: test_circumstance_workflow
}
VALID_PAYLOADS: dict[str, dict[str, Any]] = {
    "promise": {"signed_by": MEMBERS[1], "signed_on": "2024-03-15"},
    "review": {
        "outcome": "passed",
        "attendance": 20,
        "votes_for": 18,
        "votes_against": 1,
        "abstentions": 1,
        "held_on": "2024-03-15",
    },
    "fail_appraisal": {
        "outcome": "failed",
        "attendance": 20,
        "votes_for": 5,
        "votes_against": 14,
        "abstentions": 1,
        "held_on": "2024-03-15",
    },
    "approve": {"monthly_amount_fen": 200_000},
    "refuse": {"reason": "不符合条件"},
    "verify": {"result": "meets_standard", "checked_on": "2024-04-10"},
    "revoke": {"result": "falsification", "checked_on": "2024-04-10", "reason": "隐瞒存款"},
    "terminate": {
        "result": "fails_without_falsification",
        "checked_on": "2024-04-10",
        "reason": "收入超标",
    },
    "withdraw": {"reason": "主动撤回"},
}


def opening(**changes: Any) -> dict[str, Any]:
    """The payload of an ``apply`` event, as the service builds it."""
    payload: dict[str, Any] = {
        "workflow": "fast_track",
        "workflow_version": 1,
        "programme": "dibao",
        "cause": "major_illness",
        "expenditure_fen": 9_000_000,
        "household_id": "44444444-4444-4444-8444-444444444444",
        "applicant_id": MEMBERS[0],
        "member_ids": MEMBERS,
        "village_id": "320922100001",
        "org_path": "320922/320922100/320922100001",
        # these tests are about the lifecycle and its verification deadlines; the monthly
        # allowance deadline has its own tests (test_ledger.py)
        "policy": {**DEFAULT_POLICY, "monthly_payments": False},
    }
    payload.update(changes)
    return payload


def case_at(state: str) -> CaseModel:
    """A model driven from ``applied`` to ``state`` with valid payloads."""
    model = WORKFLOW.open("case-1", opening())
    path = {
        "applied": [],
        "promised": ["promise"],
        "reviewed": ["promise", "review"],
        "provisionally_approved": ["promise", "review", "approve"],
        "verified": ["promise", "review", "approve", "verify"],
        "revoked": ["promise", "review", "approve", "revoke"],
        "terminated": ["promise", "review", "approve", "terminate"],
        "rejected": ["promise", "fail_appraisal"],
        "withdrawn": ["withdraw"],
    }[state]
    for trigger in path:
        WORKFLOW.fire(model, trigger, dict(VALID_PAYLOADS[trigger]), AT)
    assert model.state == state
    return model


# -- the transition table -----------------------------------------------------------------------


def test_workflow_is_registered_as_current_fast_track_version_1() -> None:
    assert (WORKFLOW.name, WORKFLOW.version, WORKFLOW.initial) == ("fast_track", 1, "applied")
    assert get_workflow("fast_track") is WORKFLOW
    assert REGISTRY[("fast_track", 1)] is WORKFLOW and CURRENT["fast_track"] == 1


@pytest.mark.parametrize("state", list(EXPECTED_ALLOWED))
def test_allowed_lists_triggers_of_domain_rules_for_each_state(state: str) -> None:
    assert WORKFLOW.allowed(state) == EXPECTED_ALLOWED[state]


MONEY = {"record_medical_bill", "impose_fine", "record_repayment", "write_off"}
REVIEW_STEPS = {
    "open_review",
    "investigate_review",
    "give_review_opinion",
    "decide_review",
    "record_circumstance",
    "record_rigid_expenditure",
    "renew_rigid_expenditure",
}


def test_states_are_exactly_those_of_the_domain() -> None:
    assert set(STATES) == set(EXPECTED_ALLOWED)
    ended = {s for s, allowed in EXPECTED_ALLOWED.items() if set(allowed) <= MONEY}
    assert set(WORKFLOW.final) == ended and set(FINAL) == ended - {"stopped"} | {"verified"}


@pytest.mark.parametrize("final", WORKFLOW.final)
def test_final_state_allows_no_state_change(final: str) -> None:
    assert set(WORKFLOW.allowed(final)) <= MONEY
    leaving = [t for t in WORKFLOW.transitions if final in t.source and t.dest is not None]
    assert leaving == []


@pytest.mark.parametrize(
    ("source", "trigger"),
    [k for k in EXPECTED_DEST if k[1] not in ("stop_review", "decide_phase_out")],
)
def test_fire_moves_to_domain_destination(source: str, trigger: str) -> None:
    model = case_at(source)
    outcome = WORKFLOW.fire(model, trigger, dict(VALID_PAYLOADS[trigger]), AT)
    assert (outcome.source, outcome.dest) == (source, EXPECTED_DEST[(source, trigger)])
    assert model.state == EXPECTED_DEST[(source, trigger)]


def test_every_state_is_reachable_from_initial() -> None:
    reached, frontier = {WORKFLOW.initial}, [WORKFLOW.initial]
    while frontier:
        state = frontier.pop()
        for trigger in set(WORKFLOW.allowed(state)) - MONEY - REVIEW_STEPS:  # these stay put
            dest = EXPECTED_DEST[(state, trigger)]
            if dest not in reached:
                reached.add(dest)
                frontier.append(dest)
    assert reached == set(STATES)


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        (s, t)
        for s in EXPECTED_ALLOWED
        if s != "stopped"  # stopped: test_review_workflow
        for t in VALID_PAYLOADS
        if t not in EXPECTED_ALLOWED[s]
    ],  # fmt: skip
)
def test_fire_refuses_and_leaves_model_unchanged_when_trigger_not_allowed(
    state: str, trigger: str
) -> None:
    model = case_at(state)
    before = copy.deepcopy(model)
    with pytest.raises(TransitionNotAllowed) as err:
        WORKFLOW.fire(model, trigger, dict(VALID_PAYLOADS[trigger]), AT)
    assert err.value.details["allowed"] == EXPECTED_ALLOWED[state]
    assert model == before


@pytest.mark.parametrize("trigger", ["to_verified", "to_provisionally_approved", "apply", ""])
def test_fire_refuses_when_trigger_is_no_transition(trigger: str) -> None:
    model = case_at("applied")
    with pytest.raises(TransitionNotAllowed):
        WORKFLOW.fire(model, trigger, {}, AT)
    assert model.state == "applied"
    assert "to_verified" not in WORKFLOW.machine.events  # no auto transitions (back doors)


# -- guards -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "trigger", "payload", "reason"),
    [
        ("applied", "promise", {"signed_by": OUTSIDER, "signed_on": "2024-03-15"}, "member"),
        ("promised", "review", {**VALID_PAYLOADS["review"], "votes_for": 19}, "add up"),
        (
            "promised",
            "review",
            {
                **VALID_PAYLOADS["review"],
                "attendance": 0,
                "votes_for": 0,
                "votes_against": 0,
                "abstentions": 0,
            },
            "add up",
        ),
        ("promised", "review", {**VALID_PAYLOADS["review"], "outcome": "failed"}, "outcome"),
        (
            "promised",
            "fail_appraisal",
            {**VALID_PAYLOADS["fail_appraisal"], "outcome": "passed"},
            "outcome",
        ),
        ("reviewed", "approve", {"monthly_amount_fen": 0}, "outside"),
        ("reviewed", "approve", {"monthly_amount_fen": 10_000_001}, "outside"),
        ("provisionally_approved", "verify", {**VALID_PAYLOADS["revoke"]}, "result"),
        ("provisionally_approved", "revoke", {**VALID_PAYLOADS["verify"]}, "result"),
        ("provisionally_approved", "terminate", {**VALID_PAYLOADS["revoke"]}, "result"),
    ],
    ids=[
        "signer_outsider",
        "too_many_votes",
        "nobody_present",
        "review_failed_outcome",
        "fail_passed_outcome",
        "zero_amount",
        "amount_over_max",
        "verify_with_fraud",
        "revoke_with_pass",
        "terminate_with_fraud",
    ],
)
def test_guard_refuses_and_leaves_model_unchanged(
    state: str, trigger: str, payload: dict[str, Any], reason: str
) -> None:
    model = case_at(state)
    before = copy.deepcopy(model)
    with pytest.raises(GuardRejected, match=reason):
        WORKFLOW.fire(model, trigger, payload, AT)
    assert model == before


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"expenditure_fen": 2_999_999}, "below the fast-track threshold of 30000.00 yuan"),
        ({"programme": "housing"}, "unknown programme"),
        ({"cause": "unemployment"}, "does not qualify"),
        ({"applicant_id": OUTSIDER}, "member of the applying household"),
        (
            {
                "expenditure_fen": 3_999_999,
                "policy": {**DEFAULT_POLICY, "threshold_fen": 4_000_000},
            },
            "threshold of 40000.00 yuan",
        ),
    ],
    ids=["below_threshold", "programme", "cause", "applicant", "threshold_from_policy"],
)
def test_open_refuses_application_when_rule_broken(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(GuardRejected, match=reason):
        WORKFLOW.open("case-1", opening(**changes))


def test_open_accepts_application_when_exactly_at_threshold() -> None:
    model = WORKFLOW.open("case-1", opening(expenditure_fen=3_000_000))
    assert (model.state, model.facts["expenditure_fen"], model.seq) == ("applied", 3_000_000, 0)


def test_verification_results_name_their_triggers() -> None:
    assert {result: trigger for result, (trigger, _) in VERIFICATION_RESULTS.items()} == {
        "meets_standard": "verify",
        "falsification": "revoke",
        "fails_without_falsification": "terminate",
    }


# -- effects and the deadline rule ------------------------------------------------------------


def test_approve_opens_verification_deadline_one_month_later() -> None:
    model = case_at("reviewed")
    outcome = WORKFLOW.fire(model, "approve", {"monthly_amount_fen": 200_000}, AT)
    due = datetime(2024, 4, 15, 2, 0, tzinfo=UTC)
    assert (outcome.opened, outcome.closed) == ({"verification_due": due}, ())
    assert model.deadlines == {"verification_due": due}
    assert model.facts["monthly_amount_fen"] == 200_000
    assert model.facts["approved_at"] == iso_utc(AT)


def test_approve_uses_verification_period_from_policy() -> None:
    model = WORKFLOW.open(
        "case-1",
        opening(policy={**DEFAULT_POLICY, "verification_months": 2, "monthly_payments": False}),
    )
    for trigger in ("promise", "review"):
        WORKFLOW.fire(model, trigger, dict(VALID_PAYLOADS[trigger]), AT)
    outcome = WORKFLOW.fire(model, "approve", {"monthly_amount_fen": 200_000}, AT)
    assert outcome.opened == {"verification_due": datetime(2024, 5, 15, 2, 0, tzinfo=UTC)}


@pytest.mark.parametrize("trigger", ["verify", "revoke", "terminate"])
def test_check_result_closes_verification_deadline(trigger: str) -> None:
    model = case_at("provisionally_approved")
    outcome = WORKFLOW.fire(model, trigger, dict(VALID_PAYLOADS[trigger]), AT + timedelta(days=20))
    assert (outcome.opened, outcome.closed) == ({}, ("verification_due",))
    assert model.deadlines == {}
    assert model.facts["verification"] == VALID_PAYLOADS[trigger]


@pytest.mark.parametrize("state", ["applied", "promised", "reviewed", "rejected", "withdrawn"])
def test_no_deadline_is_open_when_never_approved(state: str) -> None:
    assert case_at(state).deadlines == {}


def test_columns_hold_projection_of_the_row() -> None:
    model = case_at("provisionally_approved")
    columns = model.columns()
    assert (columns["state"], columns["row_version"], columns["monthly_amount_fen"]) == (
        "provisionally_approved",
        model.seq,
        200_000,
    )
    assert columns["deadlines"] == {"verification_due": "2024-04-15T02:00:00.000000Z"}


# -- labels -------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("name", "label"),
    [
        *(("state " + s, lab) for s, lab in STATES.items()),
        *(("trigger " + t, lab) for t, lab in TRIGGERS.items()),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_label_has_chinese_and_english(name: str, label: Label) -> None:
    assert _CJK.search(label.zh), f"{name}: {label.zh!r} has no Chinese"
    assert label.en.strip() and label.en.isascii(), f"{name}: {label.en!r}"
    assert str(label) == f"{label.zh} {label.en}"


def test_every_trigger_and_state_has_a_label() -> None:
    assert {t.trigger for t in WORKFLOW.transitions} | {"apply"} == set(TRIGGERS)
    assert set(WORKFLOW.states) == set(STATES)
    assert all(WORKFLOW.state_label(s) is STATES[s] for s in STATES)


# -- broken definitions -------------------------------------------------------------------------


def _noop_opener(payload: Mapping[str, Any]) -> dict[str, Any]:
    return dict(payload)


def build(**changes: Any) -> Workflow:
    """A small valid workflow a -> b -> c (c final), with ``changes`` applied."""
    definition: dict[str, Any] = {
        "name": "toy",
        "version": 1,
        "states": {s: Label(f"状态{s}", s) for s in ("a", "b", "c")},
        "initial": "a",
        "final": ("c",),
        "transitions": (Transition("go", ("a",), "b"), Transition("end", ("b",), "c")),
        "trigger_labels": {"go": Label("前进", "go"), "end": Label("结束", "end")},
        "opener": _noop_opener,
    }
    definition.update(changes)
    return Workflow(**definition)


def test_workflow_builds_when_definition_sound() -> None:
    wf = build()
    assert (wf.allowed("a"), wf.allowed("b"), wf.allowed("c")) == (["go"], ["end"], [])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"states": {s: Label(s, s) for s in ("a", "b", "c", "d")}}, "unreachable states {'d'}"),
        (
            {"transitions": (Transition("go", ("a",), "b"), Transition("end", ("b",), "z"))},
            "unknown",
        ),
        (
            {"transitions": (Transition("go", ("x",), "b"), Transition("end", ("b",), "c"))},
            "unknown",
        ),
        ({"trigger_labels": {"go": Label("前进", "go")}}, "trigger end has no label"),
        (
            {
                "transitions": (
                    Transition("go", ("a",), "b"),
                    Transition("end", ("b",), "c"),
                    Transition("reopen", ("c",), "a"),
                ),
                "trigger_labels": {
                    "go": Label("前进", "go"),
                    "end": Label("结束", "end"),
                    "reopen": Label("重开", "reopen"),
                },
            },
            "leaves a final state",
        ),
        ({"transitions": (Transition("go", ("a",), "b"),)}, "unreachable states {'c'}"),
    ],
    ids=[
        "unreachable",
        "unknown_dest",
        "unknown_source",
        "unlabelled_trigger",
        "leaves_final",
        "dead_end",
    ],
)
def test_workflow_refuses_definition_when_broken(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=re.escape(message)):
        build(**changes)


def test_deadline_rule_opens_on_entry_and_closes_on_exit() -> None:
    rule = DeadlineRule("wait", "b", lambda at, policy: at + timedelta(days=policy.get("days", 3)))
    wf = build(deadline_rules=(rule,))
    model = wf.open("x", {"policy": {"days": 5}})
    opened = wf.fire(model, "go", {}, AT)
    assert opened.opened == {"wait": AT + timedelta(days=5)}
    closed = wf.fire(model, "end", {}, AT)
    assert (closed.opened, closed.closed, model.deadlines) == ({}, ("wait",), {})


# -- calendar ------------------------------------------------------------------------------------


def shanghai(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (shanghai(2024, 1, 31, 10), 1, shanghai(2024, 2, 29, 10)),  # leap February
        (shanghai(2023, 1, 31, 10), 1, shanghai(2023, 2, 28, 10)),  # common February
        (shanghai(2024, 2, 29, 10), 12, shanghai(2025, 2, 28, 10)),  # leap day, next year
        (shanghai(2024, 2, 29, 10), 48, shanghai(2028, 2, 29, 10)),  # leap day to leap day
        (shanghai(2024, 3, 31, 10), 1, shanghai(2024, 4, 30, 10)),  # 31 -> 30-day month
        (shanghai(2024, 8, 31, 10), 1, shanghai(2024, 9, 30, 10)),
        (shanghai(2024, 12, 15, 10), 1, shanghai(2025, 1, 15, 10)),  # over the year end
        (shanghai(2024, 3, 15, 10), 0, shanghai(2024, 3, 15, 10)),
        (shanghai(2024, 3, 31, 10), -1, shanghai(2024, 2, 29, 10)),  # backwards, clamped
        (shanghai(2024, 1, 30, 10), 1, shanghai(2024, 2, 29, 10)),  # 30 clamps too
        (shanghai(2024, 1, 28, 10), 1, shanghai(2024, 2, 28, 10)),  # no clamp needed
        # 2024-01-31T16:30Z is 2024-02-01 00:30 in Shanghai: the month is counted there
        (datetime(2024, 1, 31, 16, 30, tzinfo=UTC), 1, shanghai(2024, 3, 1, 0, 30)),
    ],
    ids=[
        "leap_feb",
        "common_feb",
        "leap_day_plus_12",
        "leap_day_plus_48",
        "to_april",
        "to_september",
        "year_end",
        "zero",
        "minus_one",
        "thirtieth",
        "no_clamp",
        "shanghai_day",
    ],
)
def test_add_months_clamps_to_month_end_in_shanghai(
    start: datetime, months: int, expected: datetime
) -> None:
    result = add_months(start, months)
    assert result == expected
    assert result.tzinfo is UTC


def test_add_months_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        add_months(datetime(2024, 1, 31, 10), 1)


# -- replay -----------------------------------------------------------------------------------


def chain(*steps: tuple[str, dict[str, Any], datetime]) -> list[dict[str, Any]]:
    """Hand-built events of one case with a correct hash chain."""
    events, prev = [], GENESIS
    for seq, (type_, payload, at) in enumerate(steps, 1):
        doc = {
            "case_id": "case-1",
            "seq": seq,
            "type": type_,
            "payload": payload,
            "actor": {"role": "village", "org": "320922100001"},
            "occurred_at": iso_utc(at),
            "prev_hash": prev,
        }
        prev = event_hash(**doc)
        events.append({**doc, "hash": prev})
    return events


def test_fold_rebuilds_state_deadlines_and_facts_from_events() -> None:
    events = chain(
        ("apply", opening(), AT),
        ("promise", VALID_PAYLOADS["promise"], AT + timedelta(hours=1)),
        ("review", VALID_PAYLOADS["review"], AT + timedelta(hours=2)),
        ("approve", VALID_PAYLOADS["approve"], AT + timedelta(hours=3)),
    )
    model = fold(events)
    assert (model.case_id, model.state, model.seq, model.head_hash) == (
        "case-1",
        "provisionally_approved",
        4,
        events[-1]["hash"],
    )
    assert model.deadlines == {"verification_due": datetime(2024, 4, 15, 5, 0, tzinfo=UTC)}
    assert model.facts["commitment"] == VALID_PAYLOADS["promise"]
    assert model.facts["approved_at"] == iso_utc(AT + timedelta(hours=3))


def test_fold_of_prefix_gives_state_at_that_point() -> None:
    events = chain(("apply", opening(), AT), ("withdraw", VALID_PAYLOADS["withdraw"], AT))
    assert fold(events[:1]).state == "applied"
    assert fold(events).state == "withdrawn"


def test_fold_raises_replay_error_when_no_events() -> None:
    with pytest.raises(ReplayError):
        fold([])


def test_fold_raises_replay_error_when_first_event_not_apply() -> None:
    events = chain(("promise", VALID_PAYLOADS["promise"], AT))
    with pytest.raises(ReplayError, match="not the opening 'apply'"):
        fold(events)


def test_fold_rechecks_rules_when_events_break_them() -> None:
    illegal_order = chain(("apply", opening(), AT), ("approve", VALID_PAYLOADS["approve"], AT))
    with pytest.raises(TransitionNotAllowed):
        fold(illegal_order)
    bad_guard = chain(
        ("apply", opening(), AT),
        ("promise", {"signed_by": OUTSIDER, "signed_on": "2024-03-15"}, AT),
    )
    with pytest.raises(GuardRejected):
        fold(bad_guard)
