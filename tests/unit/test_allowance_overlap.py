"""The pure guard and effect of a month withheld as another case's (one chain per household):
accepted only with ``overlap_case``, never owed later as arrears."""

from __future__ import annotations

from typing import Any

import pytest

from jiuzhu import GuardRejected
from jiuzhu.workflows import allowance as pay_run
from jiuzhu.workflows import fast_track_money as cash
from jiuzhu.workflows.base import CaseModel

OTHER = "0b1e4c3a-0000-4000-8000-000000000002"


def paying(**allowance: Any) -> CaseModel:
    facts = {"allowance": {"monthly_fen": 200_000, "next_month": "2024-05", **allowance},
             "money": {"paid_fen": 0}}  # fmt: skip
    return CaseModel("0b1e4c3a-0000-4000-8000-000000000001", "verified", facts)


def test_overlapped_payload_names_the_other_case_and_pays_nothing() -> None:
    due = {"deadline": "allowance_due", "month": "2024-05", "amount_fen": 200_000}
    assert pay_run.overlapped(due, OTHER) == {
        "deadline": "allowance_due", "month": "2024-05", "withheld": True, "overlap_case": OTHER}  # fmt: skip


def test_withheld_without_suspension_is_accepted_only_with_the_other_case() -> None:
    model = paying()
    pay_run.month_is_next(model, {"month": "2024-05", "withheld": True, "overlap_case": OTHER})
    with pytest.raises(GuardRejected):
        pay_run.month_is_next(model, {"month": "2024-05", "withheld": True})
    for bad in ("", model.case_id, 7):
        with pytest.raises(GuardRejected):
            pay_run.month_is_next(
                model, {"month": "2024-05", "withheld": True, "overlap_case": bad}
            )


def test_an_overlap_month_moves_on_and_is_not_owed_as_arrears() -> None:
    model = paying()
    pay_run.paid(model, {"month": "2024-05", "withheld": True, "overlap_case": OTHER}, None)  # type: ignore[arg-type]
    assert model.facts["allowance"]["next_month"] == "2024-06"
    assert model.facts["allowance"]["overlap"] == {"2024-05": OTHER}
    assert cash.arrears(model.facts, through=None) == []
    assert model.facts["money"]["paid_fen"] == 0


def test_arrears_guard_accepts_overlap_months_only_for_months_owed_naming_another_case() -> None:
    model = paying(withheld=["2024-03", "2024-04"])
    guard = cash.arrears_agree("withheld")
    guard(model, {"allowance_months": ["2024-04"], "allowance_fen": 200_000,
                  "overlap_months": {"2024-03": OTHER}})  # fmt: skip
    for bad in ({"2024-02": OTHER}, {"2024-03": model.case_id}, {"2024-03": ""}):
        with pytest.raises(GuardRejected):
            guard(model, {"allowance_months": ["2024-04"], "allowance_fen": 200_000,
                          "overlap_months": bad})  # fmt: skip
    with pytest.raises(GuardRejected):  # leaving a month out needs its other case
        guard(model, {"allowance_months": ["2024-04"], "allowance_fen": 200_000})
