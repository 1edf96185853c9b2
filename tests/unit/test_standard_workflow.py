"""The standard-path workflow definition (pure: no database, no clock).

The transition table is written out from docs/domain.md §4, not read from the workflow.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from jiuzhu.clock import SHANGHAI, iso_utc
from jiuzhu.errors import GuardRejected, TransitionNotAllowed
from jiuzhu.policy import DEFAULT_BOOK
from jiuzhu.workflows import REGISTRY
from jiuzhu.workflows.base import CaseModel
from jiuzhu.workflows.standard import FINAL, STATES, WORKFLOW, open_alarms

MEMBERS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
           "33333333-3333-4333-8333-333333333333"]  # fmt: skip
POLICY = DEFAULT_BOOK.snapshot("3201", date(2024, 9, 20))
FRIDAY = datetime(2024, 9, 20, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)

EXPECTED_DEST = {
    ("applied", "accept"): "accepted",
    ("accepted", "start_investigation"): "investigating",
    ("investigating", "complete_investigation"): "verifying",
    ("verifying", "record_check"): "checked",
    ("checked", "recommend"): "public_notice",
    ("checked", "not_recommend"): "county_review",
    ("public_notice", "object_reinvestigate"): "investigating",
    ("public_notice", "object_appraise"): "appraising",
    ("appraising", "appraise"): "checked",
    ("public_notice", "close_notice"): "county_review",
    ("county_review", "confirm"): "confirmed",
    ("county_review", "reject"): "rejected",
    **{
        (s, "withdraw"): "withdrawn"
        for s in (
            "applied",
            "accepted",
            "investigating",
            "verifying",
            "checked",
            "public_notice",
            "appraising",
            "county_review",
        )
    },  # fmt: skip
}
INTERNAL = {
    ("verifying", "start_verification"),
    ("rejected", "deliver_notice"),
    ("confirmed", "pay_allowance"),
    ("stopped", "pay_allowance"),
    *{
        ("confirmed", t)
        for t in (
            "start_review",
            "open_review",
            "investigate_review",
            "give_review_opinion",
            "decide_review",
            "mark_limit_passed",
            "record_circumstance",
            "record_rigid_expenditure",
            "renew_rigid_expenditure",
            "lapse_rigid_expenditure",
        )
    },
    ("confirmed", "stop_review"),  # to "stopped", after the steps: test_review_workflow
    ("confirmed", "decide_phase_out"),  # to "stopped", after the steps: test_circumstance_workflow
    *{
        (s, "mark_special")
        for s in (
            "accepted",
            "investigating",
            "verifying",
            "checked",
            "public_notice",
            "appraising",
            "county_review",
        )
    },  # fmt: skip
    *{
        (s, "mark_limit_passed")
        for s in (
            "accepted",
            "investigating",
            "verifying",
            "checked",
            "public_notice",
            "appraising",
            "county_review",
            "rejected",
        )
    },  # fmt: skip
}
PAYLOADS: dict[str, dict[str, Any]] = {
    "accept": {"accepted_on": "2024-09-20"},
    "start_investigation": {"investigators": ["s1", "s2"], "started_on": "2024-09-23"},
    "complete_investigation": {"household_income_fen": 120_000, "signed_by": MEMBERS[0],
                               "investigators": ["s1", "s2"], "completed_on": "2024-09-24"},
    "start_verification": {"started_on": "2024-09-24"},
    "record_check": {"result": "meets_standard", "checked_on": "2024-09-25"},
    "recommend": {"opinion": "同意", "given_on": "2024-09-26"},
    "not_recommend": {"opinion": "不同意", "given_on": "2024-09-26"},
    "object_reinvestigate": {"summary": "邻居反映有经营收入", "investigators": ["s3", "s4"],
                             "objected_on": "2024-09-27"},
    "object_appraise": {"summary": "有异议", "objected_on": "2024-09-27"},
    "appraise": {"outcome": "passed", "attendance": 20, "votes_for": 18, "votes_against": 1,
                 "abstentions": 1, "held_on": "2024-09-28"},
    "close_notice": {"deadline": "notice_ends", "due_at": "x", "late_by_seconds": 0},
    "confirm": {"basis": "line_minus_income", "household_size": 3, "monthly_fen": 163_500,
                "policy": POLICY, "decided_on": "2024-10-08"},
    "reject": {"reason": "收入高于标准", "decided_on": "2024-10-08"},
    "deliver_notice": {"delivered_on": "2024-10-09"},
    "mark_special": {"reason": "hukou_split"},
    "withdraw": {"reason": "主动撤回"},
}  # fmt: skip
PATH_TO = {
    "applied": (),
    "accepted": ("accept",),
    "investigating": ("accept", "start_investigation"),
    "verifying": ("accept", "start_investigation", "complete_investigation"),
    "checked": ("accept", "start_investigation", "complete_investigation", "record_check"),
    "public_notice": ("accept", "start_investigation", "complete_investigation", "record_check",
                      "recommend"),
    "appraising": ("accept", "start_investigation", "complete_investigation", "record_check",
                   "recommend", "object_appraise"),
    "county_review": ("accept", "start_investigation", "complete_investigation", "record_check",
                      "not_recommend"),
    "confirmed": ("accept", "start_investigation", "complete_investigation", "record_check",
                  "not_recommend", "confirm"),
    "rejected": ("accept", "start_investigation", "complete_investigation", "record_check",
                 "not_recommend", "reject"),
    "withdrawn": ("withdraw",),
    "stopped": None,  # after a re-review: test_review_workflow
}  # fmt: skip


def opened() -> CaseModel:
    payload = {"workflow": "standard", "workflow_version": 1, "programme": "dibao",
               "expenditure_fen": 0, "household_id": "h", "applicant_id": MEMBERS[0],
               "member_ids": MEMBERS, "village_id": "v", "org_path": "320104/t/v",
               "policy": POLICY}  # fmt: skip
    return WORKFLOW.open("case-1", payload)


def model_in(state: str, at: datetime = FRIDAY) -> CaseModel:
    model = opened()
    for trigger in PATH_TO[state]:
        WORKFLOW.fire(model, trigger, copy.deepcopy(PAYLOADS[trigger]), at)
    assert model.state == state
    return model


def test_registered_as_standard_v1() -> None:
    assert REGISTRY[("standard", 1)] is WORKFLOW
    assert set(STATES) == {s for s, _ in EXPECTED_DEST} | set(FINAL) | {"stopped"}


@pytest.mark.parametrize("state", list(STATES))
def test_allowed_triggers_match_the_rules(state: str) -> None:
    expected = {t for (s, t) in EXPECTED_DEST if s == state} | {t for (s, t) in INTERNAL
                                                                 if s == state}  # fmt: skip
    system = {
        "close_notice",
        "mark_limit_passed",
        "pay_allowance",
        "start_review",
        "lapse_rigid_expenditure",
    }
    assert set(WORKFLOW.allowed(state)) == expected - system


@pytest.mark.parametrize(("state", "trigger"), sorted(EXPECTED_DEST))
def test_every_transition_reaches_its_destination(state: str, trigger: str) -> None:
    model = model_in(state)
    WORKFLOW.fire(model, trigger, copy.deepcopy(PAYLOADS[trigger]), FRIDAY + timedelta(days=1))
    assert model.state == EXPECTED_DEST[(state, trigger)]


@pytest.mark.parametrize("state", [s for s in STATES if PATH_TO[s] is not None])
def test_triggers_outside_the_table_are_refused(state: str) -> None:
    model = model_in(state)
    legal = {t for (s, t) in EXPECTED_DEST | dict.fromkeys(INTERNAL) if s == state}
    for trigger in set(PAYLOADS) - legal:
        with pytest.raises(TransitionNotAllowed):
            WORKFLOW.fire(model, trigger, copy.deepcopy(PAYLOADS[trigger]), FRIDAY)
    assert model.state == state


def test_acceptance_opens_the_overall_and_investigation_limits_in_working_days() -> None:
    model = model_in("accepted")  # accepted Friday 2024-09-20
    assert model.deadlines["overall_limit"] == datetime(2024, 11, 7, tzinfo=SHANGHAI)  # 30 WD
    assert model.deadlines["investigation_start_due"] == datetime(2024, 9, 26, tzinfo=SHANGHAI)


def test_each_state_limit_opens_on_entry_and_closes_on_exit() -> None:
    model = model_in("verifying", at=datetime(2024, 9, 27, 10, tzinfo=SHANGHAI))
    # requested Friday 27 Sep: 29 Sep (make-up), 30 Sep, 8 Oct
    assert model.deadlines["verification_start_due"] == datetime(2024, 10, 9, tzinfo=SHANGHAI)
    assert "investigation_start_due" not in model.deadlines
    WORKFLOW.fire(model, "start_verification", PAYLOADS["start_verification"], FRIDAY)
    assert "verification_start_due" not in model.deadlines
    WORKFLOW.fire(model, "record_check", PAYLOADS["record_check"], FRIDAY)
    WORKFLOW.fire(
        model, "recommend", PAYLOADS["recommend"], datetime(2024, 9, 27, 10, tzinfo=SHANGHAI)
    )
    assert model.deadlines["notice_ends"] == datetime(2024, 10, 5, tzinfo=SHANGHAI)  # 7 days
    WORKFLOW.fire(model, "close_notice", PAYLOADS["close_notice"],
                  datetime(2024, 10, 5, tzinfo=SHANGHAI))  # fmt: skip
    assert "notice_ends" not in model.deadlines
    # 10 working days from Saturday 5 Oct (holiday): Oct 8-12 (12th make-up), 14-18
    assert model.deadlines["review_due"] == datetime(2024, 10, 19, tzinfo=SHANGHAI)


def test_an_objection_makes_the_case_special_and_the_limit_45_working_days() -> None:
    model = model_in("public_notice")
    assert model.deadlines["overall_limit"] == datetime(2024, 11, 7, tzinfo=SHANGHAI)
    WORKFLOW.fire(model, "object_reinvestigate", PAYLOADS["object_reinvestigate"], FRIDAY)
    assert model.facts["special"] == "objection"
    # 45 WD from 2024-09-20: 15 more working days after 6 Nov = 27 Nov
    assert model.deadlines["overall_limit"] == datetime(2024, 11, 28, tzinfo=SHANGHAI)
    assert model.facts["investigation"]["investigators"] == ["s3", "s4"]


def test_mark_special_extends_once() -> None:
    model = model_in("investigating")
    WORKFLOW.fire(model, "mark_special", PAYLOADS["mark_special"], FRIDAY)
    assert model.deadlines["overall_limit"] == datetime(2024, 11, 28, tzinfo=SHANGHAI)
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "mark_special", PAYLOADS["mark_special"], FRIDAY)


def test_a_passed_limit_raises_an_alarm_until_the_late_step_is_done() -> None:
    model = model_in("accepted")
    due = iso_utc(model.deadlines["investigation_start_due"])
    WORKFLOW.fire(model, "mark_limit_passed", {"deadline": "investigation_start_due",
                                               "due_at": due, "late_by_seconds": 60}, FRIDAY)  # fmt: skip
    assert "investigation_start_due" not in model.deadlines
    assert [a["limit"] for a in open_alarms(model.facts)] == ["investigation_start_due"]
    WORKFLOW.fire(model, "start_investigation", PAYLOADS["start_investigation"], FRIDAY)
    assert open_alarms(model.facts) == []
    assert model.facts["alarms"][0]["resolved_at"] == iso_utc(FRIDAY)


def test_the_overall_alarm_stays_until_the_decision() -> None:
    model = model_in("verifying")
    WORKFLOW.fire(model, "mark_limit_passed", {"deadline": "overall_limit", "due_at": "d",
                                               "late_by_seconds": 0}, FRIDAY)  # fmt: skip
    for trigger in ("record_check", "not_recommend"):
        WORKFLOW.fire(model, trigger, PAYLOADS[trigger], FRIDAY)
        assert len(open_alarms(model.facts)) == 1
    WORKFLOW.fire(model, "confirm", PAYLOADS["confirm"], FRIDAY)
    assert open_alarms(model.facts) == []


def test_recommend_needs_a_passed_data_check() -> None:
    model = model_in("verifying")
    WORKFLOW.fire(model, "record_check", {"result": "fails", "reason": "存款超标",
                                          "checked_on": "2024-09-25"}, FRIDAY)  # fmt: skip
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "recommend", PAYLOADS["recommend"], FRIDAY)
    assert model.state == "checked"


def test_investigation_needs_two_investigators_and_signatures() -> None:
    model = model_in("accepted")
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "start_investigation", {"investigators": ["s1"]}, FRIDAY)
    WORKFLOW.fire(model, "start_investigation", PAYLOADS["start_investigation"], FRIDAY)
    bad = {**PAYLOADS["complete_investigation"], "signed_by": "outsider"}
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "complete_investigation", bad, FRIDAY)
    unsigned = {**PAYLOADS["complete_investigation"], "investigators": ["s1", "s9"]}
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "complete_investigation", unsigned, FRIDAY)


def test_confirmation_amount_is_line_minus_income_times_size() -> None:
    # docs/domain.md §10 case 4: line 945, 3 people, household income 1,200 -> 1,635 a month
    model = model_in("county_review")
    wrong = {**PAYLOADS["confirm"], "monthly_fen": 163_501}
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "confirm", wrong, FRIDAY)
    decided = datetime(2024, 10, 31, 23, 30, tzinfo=SHANGHAI)  # 31 Oct in Shanghai
    WORKFLOW.fire(model, "confirm", PAYLOADS["confirm"], decided)
    assert model.facts["monthly_amount_fen"] == 163_500
    # paid from the month after the decision (A Art. 21)
    assert model.facts["allowance"]["next_month"] == "2024-11"
    assert model.facts["allowance"]["monthly_fen"] == 163_500
    assert "overall_limit" not in model.deadlines and "review_due" not in model.deadlines


def test_income_at_or_above_the_line_cannot_be_confirmed_on_the_formula() -> None:
    model = model_in("checked")
    model.facts["investigation"]["household_income_fen"] = 283_500  # 945 x 3
    WORKFLOW.fire(model, "not_recommend", PAYLOADS["not_recommend"], FRIDAY)
    with pytest.raises(GuardRejected) as err:
        WORKFLOW.fire(model, "confirm", {**PAYLOADS["confirm"], "monthly_fen": 0}, FRIDAY)
    assert "not below the line" in err.value.message
    fixed = {**PAYLOADS["confirm"], "basis": "fixed", "monthly_fen": 50_000}
    WORKFLOW.fire(model, "confirm", fixed, FRIDAY)
    assert model.state == "confirmed"


def test_rejection_opens_the_written_reasons_limit_until_delivered() -> None:
    model = model_in("rejected", at=datetime(2024, 9, 27, 10, tzinfo=SHANGHAI))
    assert model.deadlines == {"rejection_notice_due": datetime(2024, 10, 9, tzinfo=SHANGHAI)}
    WORKFLOW.fire(model, "deliver_notice", PAYLOADS["deliver_notice"], FRIDAY)
    assert model.deadlines == {} and model.state == "rejected"


def test_withdrawal_closes_the_overall_limit() -> None:
    model = model_in("verifying")
    WORKFLOW.fire(model, "withdraw", PAYLOADS["withdraw"], FRIDAY)
    assert model.deadlines == {}
