"""The temporary-assistance workflow ("1+4", assist first) as pure data.

Numbers from docs/domain.md §10 case 6: 2 people at line 945, six-month average income 1,800 < 1,890
qualifies (condition 1); multiplier 3 -> 5,670 yuan; multiplier 6 refused; income 1,890 fails
condition 1, but a signed commitment (condition 4) still qualifies.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest

from jiuzhu.clock import SHANGHAI
from jiuzhu.errors import GuardRejected, TransitionNotAllowed
from jiuzhu.ledger import Entry
from jiuzhu.policy import DEFAULT_BOOK
from jiuzhu.workflows.base import CaseModel
from jiuzhu.workflows.temporary import (
    STATES,
    WORKFLOW,
    income_limit_fen,
)

MEMBERS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]
POLICY = DEFAULT_BOOK.snapshot("3201", date(2024, 3, 15))
AT = datetime(2024, 3, 15, 10, tzinfo=SHANGHAI).astimezone(UTC)

EXPECTED_DEST = {
    ("applied", "assess"): "assessed",
    ("assessed", "approve"): "approved",
    ("applied", "reject"): "rejected",
    ("assessed", "reject"): "rejected",
    ("approved", "pay"): "paid",
    ("applied", "assist_first"): "assisted_first",
    ("assisted_first", "complete_paperwork"): "paid",
    ("paid", "close"): "closed",
    ("applied", "withdraw"): "withdrawn",
    ("assessed", "withdraw"): "withdrawn",
}


def income(average_fen: int) -> dict[str, Any]:
    limit = income_limit_fen(POLICY)
    return {"average_fen": average_fen, "limit_fen": limit, "holds": average_fen < limit,
            "evidence": "六个月工资流水"}  # fmt: skip


def assessment(**conditions: dict[str, Any]) -> dict[str, Any]:
    return {"conditions": conditions, "policy": POLICY, "assessed_on": "2024-03-15"}


def grant(multiplier: int, in_kind_fen: int = 0, size: int = 2) -> dict[str, Any]:
    total = multiplier * POLICY["dibao_line_fen"] * size
    return {"multiplier": multiplier, "household_size": size, "total_fen": total,
            "in_kind_fen": in_kind_fen, "cash_fen": total - in_kind_fen, "policy": POLICY,
            "decided_on": "2024-03-15"}  # fmt: skip


PAYLOADS: dict[str, dict[str, Any]] = {
    "assess": assessment(income=income(180_000)),
    "approve": grant(3, 100_000),
    "reject": {"reason": "不符合条件"},
    "pay": {"cash_fen": 467_000, "in_kind_fen": 100_000, "paid_on": "2024-03-16"},
    "assist_first": {**grant(3), "reason": "火灾"},
    "complete_paperwork": assessment(sudden_event={"holds": True, "evidence": "消防证明"}),
    "close": {"closed_on": "2024-03-20"},
    "withdraw": {"reason": "撤回"},
}
PATH_TO = {
    "applied": (),
    "assessed": ("assess",),
    "approved": ("assess", "approve"),
    "paid": ("assess", "approve", "pay"),
    "closed": ("assess", "approve", "pay", "close"),
    "assisted_first": ("assist_first",),
    "rejected": ("reject",),
    "withdrawn": ("withdraw",),
}


def opened() -> CaseModel:
    payload = {"workflow": "temporary", "workflow_version": 1, "programme": "temporary",
               "kind": "emergency", "new_citizen": True, "expenditure_fen": 0,
               "household_id": "h", "applicant_id": MEMBERS[0], "member_ids": MEMBERS,
               "village_id": "v", "org_path": "320104/t/v", "policy": POLICY}  # fmt: skip
    return WORKFLOW.open("case-t", payload)


def model_in(state: str) -> CaseModel:
    model = opened()
    for trigger in PATH_TO[state]:
        WORKFLOW.fire(model, trigger, copy.deepcopy(PAYLOADS[trigger]), AT)
    assert model.state == state
    return model


@pytest.mark.parametrize(("state", "trigger"), sorted(EXPECTED_DEST))
def test_every_transition_reaches_its_destination(state: str, trigger: str) -> None:
    model = model_in(state)
    WORKFLOW.fire(model, trigger, copy.deepcopy(PAYLOADS[trigger]), AT)
    assert model.state == EXPECTED_DEST[(state, trigger)]


@pytest.mark.parametrize("state", list(STATES))
def test_only_the_table_is_allowed(state: str) -> None:
    model = model_in(state)
    legal = {t for (s, t) in EXPECTED_DEST if s == state}
    if state not in ("closed", "rejected", "withdrawn"):  # the out-of-area status' own commands
        legal |= {"record_out_of_area", "reconfirm_out_of_area", "record_medical_bill"}
    assert set(WORKFLOW.allowed(state)) == legal
    for trigger in set(PAYLOADS) - legal:
        with pytest.raises(TransitionNotAllowed):
            WORKFLOW.fire(model, trigger, copy.deepcopy(PAYLOADS[trigger]), AT)


def test_income_below_twice_the_line_qualifies_and_at_it_does_not() -> None:
    assert income_limit_fen(POLICY) == 189_000  # 2 x 945
    model = opened()
    with pytest.raises(GuardRejected) as err:
        WORKFLOW.fire(model, "assess", assessment(income=income(189_000)), AT)
    assert "none of the four conditions" in err.value.message
    signed = {"holds": True, "signed_by": MEMBERS[1], "evidence": "诚信承诺书"}
    WORKFLOW.fire(model, "assess", assessment(income=income(189_000), commitment=signed), AT)
    assert model.state == "assessed"
    assert model.facts["assessment"]["conditions"]["income"]["holds"] is False


def test_condition_one_must_agree_with_its_numbers() -> None:
    forged = {**income(189_000), "holds": True}
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(opened(), "assess", assessment(income=forged), AT)


def test_a_condition_without_evidence_or_signed_by_an_outsider_is_refused() -> None:
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(opened(), "assess",
                      assessment(dependants={"holds": True, "evidence": ""}), AT)  # fmt: skip
    outsider = {"holds": True, "signed_by": "someone-else", "evidence": "承诺书"}
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(opened(), "assess", assessment(commitment=outsider), AT)


def test_grant_is_multiplier_times_line_times_size() -> None:
    model = model_in("assessed")
    WORKFLOW.fire(model, "approve", grant(3), AT)
    assert model.facts["grant"]["total_fen"] == 567_000  # 3 x 945 x 2 = 5,670 yuan


@pytest.mark.parametrize("multiplier", [0, 6])
def test_a_multiplier_outside_one_to_five_is_refused(multiplier: int) -> None:
    model = model_in("assessed")
    with pytest.raises(GuardRejected) as err:
        WORKFLOW.fire(model, "approve", grant(multiplier), AT)
    assert "outside 1-5" in err.value.message
    assert model.state == "assessed"


def test_a_wrong_total_or_split_is_refused() -> None:
    model = model_in("assessed")
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "approve", {**grant(3), "total_fen": 600_000}, AT)
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "approve", grant(3, in_kind_fen=600_000), AT)
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "approve", {**grant(3, 100_000), "cash_fen": 567_000}, AT)


def test_payment_books_cash_and_in_kind_and_omits_zero_parts() -> None:
    approved = grant(3, in_kind_fen=100_000)
    cash = approved["total_fen"] - 100_000
    for trigger in ("pay", "assist_first"):  # paying after approval, or first in an emergency
        booked = WORKFLOW.book("c", 4, trigger, approved, AT, lambda: ())
        assert booked == [Entry("c", 4, 0, "temporary_cash", cash, date(2024, 3, 15)),
                          Entry("c", 4, 1, "temporary_in_kind", 100_000, date(2024, 3, 15))]  # fmt: skip
    all_cash = grant(3)
    assert [(e.line, e.kind, e.amount_fen) for e in WORKFLOW.book(
        "c", 4, "pay", all_cash, AT, lambda: ())] == [(0, "temporary_cash", all_cash["total_fen"])]  # fmt: skip
    for trigger in ("approve", "assess", "close"):  # deciding and closing move no money
        assert WORKFLOW.book("c", 4, trigger, approved, AT, lambda: ()) == []


def test_payment_must_be_the_approved_amounts() -> None:
    model = model_in("approved")
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "pay", {**PAYLOADS["pay"], "cash_fen": 1}, AT)


def test_assist_first_pays_and_opens_the_paperwork_limit_in_working_days() -> None:
    model = model_in("assisted_first")  # Friday 2024-03-15, 10 working days
    assert model.deadlines == {"paperwork_due": datetime(2024, 3, 30, tzinfo=SHANGHAI)}
    assert model.facts["paid"]["cash_fen"] == 567_000
    WORKFLOW.fire(model, "mark_limit_passed", {"deadline": "paperwork_due", "due_at": "d",
                                               "late_by_seconds": 5}, AT)  # fmt: skip
    assert model.facts["alarms"][0]["resolved_at"] is None and model.deadlines == {}
    WORKFLOW.fire(model, "complete_paperwork", PAYLOADS["complete_paperwork"], AT)
    assert model.state == "paid" and model.facts["alarms"][0]["resolved_at"] is not None


def test_paperwork_still_needs_one_condition() -> None:
    model = model_in("assisted_first")
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "complete_paperwork", assessment(income=income(200_000)), AT)
