"""The out-of-area dibao or tekun status on the temporary workflow, as pure data: what it
accepts, the deadlines it arms, its alarm and lapse, and the bills it pays (docs/domain.md §5).

The case opens on Friday 15 March 2024 in Qinhuai (county 320104), line 945, ratio 85%.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from test_temporary_workflow import AT, PAYLOADS, model_in, opened

from jiuzhu.clock import SHANGHAI, iso_utc
from jiuzhu.errors import GuardRejected, TransitionNotAllowed
from jiuzhu.policy import DEFAULT_SETTINGS
from jiuzhu.workflows.base import CaseModel
from jiuzhu.workflows.out_of_area import RECORDED
from jiuzhu.workflows.temporary import WORKFLOW

POLICY = {k: DEFAULT_SETTINGS[k] for k in RECORDED}  # 30 days' notice, at most 12 months


def status(**change: Any) -> dict[str, Any]:
    return {"status": "dibao", "unit_name": "安徽省阜阳市颍州区民政局", "unit_code": "341202",
            "document": "颍民救证〔2024〕15号", "valid_until": "2024-09-30",
            "recorded_on": "2024-03-15", "policy": POLICY, **change}  # fmt: skip


def bill(billed_on: str, total_fen: int, insurance_fen: int, assistance_fen: int,
         bill_id: str = "B-1") -> dict[str, Any]:  # fmt: skip
    return {"bill_id": bill_id, "billed_on": billed_on, "hospital": "秦淮区医院",
            "total_fen": total_fen, "insurance_fen": insurance_fen,
            "assistance_fen": assistance_fen}  # fmt: skip


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def recorded(**change: Any) -> CaseModel:
    model = opened()
    WORKFLOW.fire(model, "record_out_of_area", status(**change), AT)
    return model


def fired(model: CaseModel, kind: str) -> None:
    trigger, payload = WORKFLOW.deadline_event(model, kind, model.deadlines[kind],
                                               model.deadlines[kind])  # fmt: skip
    WORKFLOW.fire(model, trigger, payload, model.deadlines[kind])


def test_recording_keeps_the_status_and_arms_both_deadlines() -> None:
    model = recorded()
    held = model.facts["out_of_area"]
    assert (held["state"], held["valid_from"], held["valid_until"], held["policy"]) == (
        "valid", "2024-03-15", "2024-09-30", POLICY)  # fmt: skip
    assert model.deadlines == {"out_of_area_reconfirm": local(2024, 8, 31),
                               "out_of_area_lapse": local(2024, 10, 1)}  # fmt: skip
    assert model.state == "applied"  # an internal transition


def test_reconfirmation_due_before_the_recording_falls_due_at_once() -> None:
    model = recorded(valid_until="2024-04-01")  # 30 days before is 2 March
    assert model.deadlines["out_of_area_reconfirm"] == AT


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"status": "wubao"}, "not one of dibao, tekun"),
     ({"unit_code": "320104"}, "this case's own county"),
     ({"unit_code": "34120X"}, "not 6 digits"),
     ({"valid_until": "2024-03-15"}, "must be after 2024-03-15"),
     ({"valid_until": "2025-03-16"}, "at most 12 months ahead (on or before 2025-03-15)")],
)  # fmt: skip
def test_a_bad_status_is_refused_with_its_reason(change: dict[str, Any], reason: str) -> None:
    model = opened()
    with pytest.raises(GuardRejected, match=re.escape(reason)):
        WORKFLOW.fire(model, "record_out_of_area", status(**change), AT)
    assert "out_of_area" not in model.facts and model.deadlines == {}


def test_a_bill_within_validity_pays_the_dibao_share_and_books_a_medical_line() -> None:
    model = recorded()
    payload = bill("2024-04-08", 1_200_000, 800_000, 340_000)  # 85% of 4,000 yuan
    WORKFLOW.fire(model, "record_medical_bill", payload, AT)
    assert model.facts["medical"] == {"bills": ["B-1"], "used_fen": {"2024": 340_000}}
    [entry] = WORKFLOW.book("case-t", 3, "record_medical_bill", payload, AT, lambda: [])
    assert (entry.kind, entry.amount_fen, entry.ref) == ("medical", 340_000, "B-1")
    with pytest.raises(GuardRejected, match="differs from the policy"):
        WORKFLOW.fire(model, "record_medical_bill", bill("2024-04-09", 100, 0, 100, "B-2"), AT)


@pytest.mark.parametrize("day", ["2024-03-14", "2024-10-01"])
def test_a_bill_outside_validity_is_refused(day: str) -> None:
    model = recorded()
    with pytest.raises(GuardRejected, match="outside the out-of-area status' validity"):
        WORKFLOW.fire(model, "record_medical_bill", bill(day, 10_000, 0, 8_500), AT)
    assert "medical" not in model.facts


def test_the_yearly_cap_of_the_dibao_medical_assistance_holds() -> None:
    model = recorded()
    WORKFLOW.fire(model, "record_medical_bill", bill("2024-04-08", 8_000_000, 0, 6_000_000), AT)
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "record_medical_bill", bill("2024-04-09", 100, 0, 85, "B-2"), AT)
    WORKFLOW.fire(model, "record_medical_bill", bill("2024-04-09", 100, 0, 0, "B-2"), AT)


def test_reconfirmation_due_alarms_and_reconfirming_resolves_and_moves_the_deadlines() -> None:
    model = recorded()
    fired(model, "out_of_area_reconfirm")
    [alarm] = model.facts["alarms"]
    assert (alarm["limit"], alarm["resolved_at"], model.facts["out_of_area"]["state"]) == (
        "out_of_area_reconfirm", None, "reconfirm_due")  # fmt: skip
    assert set(model.deadlines) == {"out_of_area_lapse"}
    at = local(2024, 9, 2, 10)
    WORKFLOW.fire(model, "reconfirm_out_of_area", {"document": "新证明", "valid_until":
                  "2025-03-31", "reconfirmed_on": "2024-09-02", "policy": POLICY}, at)  # fmt: skip
    held = model.facts["out_of_area"]
    assert (held["state"], held["document"], held["valid_until"]) == (
        "valid",
        "新证明",
        "2025-03-31",
    )
    assert held["reconfirmed"] == [{"document": "颍民救证〔2024〕15号", "valid_until": "2024-09-30",
                                    "on": "2024-09-02"}]  # fmt: skip
    assert alarm["resolved_at"] == iso_utc(at)
    assert model.deadlines == {"out_of_area_reconfirm": local(2025, 3, 1),
                               "out_of_area_lapse": local(2025, 4, 1)}  # fmt: skip


def test_without_reconfirmation_the_status_lapses_and_must_be_recorded_anew() -> None:
    model = recorded()
    fired(model, "out_of_area_reconfirm")
    fired(model, "out_of_area_lapse")
    assert model.facts["out_of_area"]["state"] == "lapsed" and model.deadlines == {}
    with pytest.raises(GuardRejected, match="no valid out-of-area status"):
        WORKFLOW.fire(model, "reconfirm_out_of_area", {"document": "x", "valid_until":
                      "2024-12-31", "reconfirmed_on": "2024-10-01", "policy": POLICY}, AT)  # fmt: skip
    with pytest.raises(GuardRejected, match="re-confirm it instead"):
        WORKFLOW.fire(recorded(), "record_out_of_area", status(), AT)
    WORKFLOW.fire(model, "record_out_of_area", status(recorded_on="2024-10-01",
                                                      valid_until="2025-03-31"), AT)  # fmt: skip
    assert model.facts["out_of_area"]["valid_from"] == "2024-10-01"
    assert model.facts["out_of_area"]["earlier"] == [["2024-03-15", "2024-09-30"]]
    assert model.facts["alarms"][0]["resolved_at"] is not None
    for day in ("2024-09-30", "2024-10-01"):  # the earlier validity's last day, the new first
        WORKFLOW.fire(model, "record_medical_bill", bill(day, 100, 0, 85, day), AT)
    with pytest.raises(GuardRejected, match="outside"):  # before either validity
        WORKFLOW.fire(model, "record_medical_bill", bill("2024-03-14", 100, 0, 85, "B-9"), AT)


@pytest.mark.parametrize("trigger", ["reject", "withdraw"])
def test_a_final_transition_closes_the_status_deadlines_and_its_alarm(trigger: str) -> None:
    model = recorded()
    fired(model, "out_of_area_reconfirm")
    WORKFLOW.fire(model, trigger, copy.deepcopy(PAYLOADS[trigger]), AT)
    assert model.deadlines == {} and model.facts["alarms"][0]["resolved_at"] == iso_utc(AT)


def test_a_closed_case_takes_no_status_or_bill() -> None:
    model = model_in("closed")
    for trigger, payload in (("record_out_of_area", status()),
                             ("record_medical_bill", bill("2024-04-08", 100, 0, 85))):  # fmt: skip
        with pytest.raises(TransitionNotAllowed):
            WORKFLOW.fire(model, trigger, payload, AT)
