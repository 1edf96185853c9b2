"""Changes of circumstance on a paying case: what each opens, the phase-out (渐退) and the
rigid-expenditure status (pure).

A confirmed dibao household of 3 at line 945 (worked case 4: 1,635 yuan a month, paid from
2024-02) records a change: the re-review opens at once and ``recheck_due`` three calendar
months ahead; an income of 3,000 yuan (at or above 945 x 3 = 2,835) allows a phase-out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from test_review_workflow import MEMBERS, POLICY, at, confirmed, midnight, pay

from jiuzhu.errors import GuardRejected, TransitionNotAllowed
from jiuzhu.workflows import circumstance, review
from jiuzhu.workflows.base import CaseModel
from jiuzhu.workflows.calendar import add_months
from jiuzhu.workflows.standard import WORKFLOW
from jiuzhu.workflows.workdays import workday_limit

SETTINGS = {k: POLICY[k] for k in circumstance.RECORDED}
CHILD = "44444444-4444-4444-8444-444444444444"


def record(model: CaseModel, kind: str, day: str, **extra: Any) -> None:
    payload: dict[str, Any] = {"kind": kind, "on": day, "policy": SETTINGS, **extra}
    WORKFLOW.fire(model, "record_circumstance", payload, at(day))


def income(fen: int, size: int = 3) -> dict[str, Any]:
    line = POLICY["dibao_line_fen"]
    return {"income_fen": fen, "household_size": size, "dibao_line_fen": line,
            "above_line": circumstance.above_line(fen, line, size)}  # fmt: skip


def to_deciding(model: CaseModel, day: str) -> None:
    WORKFLOW.fire(model, "investigate_review", {"findings": "收入增加"}, at(day))
    WORKFLOW.fire(model, "give_review_opinion", {"opinion": "建议渐退"}, at(day))


def phase_out(model: CaseModel, months: int, day: str, **extra: Any) -> None:
    paid = circumstance.phase_out_months(model.facts["allowance"]["next_month"], months)
    payload = {"months": months, "paid_months": paid, "reasons": "收入超过低保标准",
               "phase_out_months_max": 6, **extra}  # fmt: skip
    WORKFLOW.fire(model, "decide_phase_out", payload, at(day))


def test_the_kinds_have_labels_in_both_languages() -> None:
    assert set(circumstance.KINDS) == {"death", "birth", "income_change", "moved_out",
                                       "work_found", "recovered"}  # fmt: skip
    assert all(label.zh and label.en for label in circumstance.KINDS.values())
    assert all(t in WORKFLOW.trigger_labels for t in circumstance.OWN_TRIGGERS)


def test_a_death_opens_the_re_review_now_and_a_recheck_due_in_3_months() -> None:
    model = confirmed("stable")
    record(model, "death", "2024-03-10", person_id=MEMBERS[2])
    assert model.facts["members_now"] == sorted(MEMBERS[:2])
    assert model.facts["review"]["state"] == "investigating"
    assert model.facts["review"]["circumstances"] == [1]
    assert model.deadlines[circumstance.RECHECK] == add_months(at("2024-03-10"), 3)
    assert model.deadlines["review_village_due"] == workday_limit(at("2024-03-10"), 10)
    assert review.DUE not in model.deadlines  # the cycle's re-review is brought forward
    assert "allowance_due" in model.deadlines  # still paying


def test_the_recheck_passed_alarms_until_the_re_review_is_decided() -> None:
    model = confirmed("stable")
    record(model, "work_found", "2024-03-10", person_id=MEMBERS[1])
    due = model.deadlines[circumstance.RECHECK]
    trigger, payload = WORKFLOW.deadline_event(model, circumstance.RECHECK, due, due)
    assert trigger == "mark_limit_passed"
    WORKFLOW.fire(model, trigger, payload, due)
    assert [a["limit"] for a in model.facts["alarms"]] == [circumstance.RECHECK]
    to_deciding(model, "2024-06-12")
    WORKFLOW.fire(model, "decide_review", {"outcome": "continue", "reasons": "r",
                                           "review": review.cycle("stable", POLICY)},
                  at("2024-06-13"))  # fmt: skip
    alarm = model.facts["alarms"][0]
    assert alarm["resolved_at"] is not None and circumstance.RECHECK not in model.deadlines


def test_a_decided_re_review_closes_the_recheck_and_a_second_change_joins_an_open_one() -> None:
    model = confirmed("stable")
    record(model, "birth", "2024-03-10", person_id=CHILD)
    first_due = model.deadlines[circumstance.RECHECK]
    record(model, "recovered", "2024-03-20", person_id=MEMBERS[0])
    assert model.facts["review"]["circumstances"] == [1, 2]
    assert model.deadlines[circumstance.RECHECK] == first_due  # the earliest change counts
    assert len(model.facts["members_now"]) == 4
    to_deciding(model, "2024-03-21")
    outcome = WORKFLOW.fire(model, "decide_review", {"outcome": "continue", "reasons": "r",
                                                     "review": review.cycle("stable", POLICY)},
                            at("2024-03-22"))  # fmt: skip
    assert circumstance.RECHECK in outcome.done and "review" not in model.facts


def test_income_below_the_line_is_a_re_review_without_phase_out() -> None:
    model = confirmed("stable")
    record(model, "income_change", "2024-03-10", **income(200_000))
    assert model.facts["circumstances"][0]["above_line"] is False
    to_deciding(model, "2024-03-11")
    with pytest.raises(GuardRejected) as caught:
        phase_out(model, 4, "2024-03-12")
    assert "phase-out" in caught.value.args[0] and "渐退" in caught.value.zh


def test_income_at_the_line_or_above_allows_a_phase_out_of_the_months_decided() -> None:
    model = confirmed("stable")
    pay(model, "2024-02")
    assert circumstance.above_line(283_500, POLICY["dibao_line_fen"], 3)  # 945 x 3 exactly
    record(model, "income_change", "2024-03-10", **income(300_000))
    to_deciding(model, "2024-03-11")
    phase_out(model, 4, "2024-03-12")
    assert model.state == "stopped" and model.state in WORKFLOW.final
    assert model.facts["phase_out"]["paid_months"] == ["2024-03", "2024-04", "2024-05", "2024-06"]
    assert model.facts["allowance"]["last_month"] == "2024-06"
    assert model.facts["reviews"][-1]["decision"]["outcome"] == "phase_out"
    for month in ("2024-03", "2024-04", "2024-05", "2024-06"):
        assert pay(model, month)["amount_fen"] == 163_500
    assert "allowance_due" not in model.deadlines  # nothing from July
    assert circumstance.RECHECK not in model.deadlines
    with pytest.raises(TransitionNotAllowed):  # an ended case takes no change
        record(model, "death", "2024-07-01", person_id=MEMBERS[0])


def test_phase_out_months_out_of_range_or_not_matching_are_refused() -> None:
    assert circumstance.phase_out_months("2024-11", 3) == ["2024-11", "2024-12", "2025-01"]
    model = confirmed("stable")
    record(model, "income_change", "2024-03-10", **income(300_000))
    to_deciding(model, "2024-03-11")
    for months in (0, 7, True):
        with pytest.raises(GuardRejected) as caught:
            phase_out(model, months, "2024-03-12")  # type: ignore[arg-type]
        assert "1 to 6" in caught.value.args[0] and "渐退期" in caught.value.zh
    with pytest.raises(GuardRejected):
        phase_out(model, 2, "2024-03-12", paid_months=["2024-05", "2024-06"])
    with pytest.raises(GuardRejected):
        phase_out(model, 2, "2024-03-12", reasons=" ")
    assert model.state == "confirmed" and model.facts["review"]["state"] == "deciding"


def test_a_phase_out_waits_for_the_county_step() -> None:
    model = confirmed("stable")
    record(model, "income_change", "2024-03-10", **income(300_000))
    with pytest.raises(GuardRejected):
        phase_out(model, 2, "2024-03-11")


def test_refusals_unknown_kind_wrong_person_wrong_size_and_a_case_not_paid() -> None:
    model = confirmed("stable")
    with pytest.raises(GuardRejected) as caught:
        record(model, "lottery", "2024-03-10")
    assert "lottery" in caught.value.args[0] and "情况变化" in caught.value.zh
    with pytest.raises(GuardRejected):
        record(model, "death", "2024-03-10", person_id=CHILD)
    with pytest.raises(GuardRejected):
        record(model, "birth", "2024-03-10", person_id=MEMBERS[0])
    with pytest.raises(GuardRejected):
        record(model, "income_change", "2024-03-10", **income(100_000, size=2))
    with pytest.raises(GuardRejected):
        record(model, "income_change", "2024-03-10", **{**income(100_000), "above_line": True})
    assert "circumstances" not in model.facts and "review" not in model.facts
    model.facts["allowance"]["last_month"] = "2024-01"  # paid no more
    with pytest.raises(GuardRejected) as caught:
        record(model, "death", "2024-03-10", person_id=MEMBERS[2])
    assert "allowance" in caught.value.args[0] and "救助金" in caught.value.zh


def test_a_case_still_on_its_way_takes_no_change() -> None:
    model = WORKFLOW.open("c", {"workflow": "standard", "workflow_version": 1,
                                "programme": "dibao", "expenditure_fen": 0, "household_id": "h",
                                "applicant_id": MEMBERS[0], "member_ids": MEMBERS,
                                "village_id": "v", "org_path": "320104/t/v", "policy": POLICY})  # fmt: skip
    with pytest.raises(TransitionNotAllowed):
        record(model, "death", "2024-03-10", person_id=MEMBERS[2])


RIGID = {k: POLICY.get(k, 12) for k in circumstance.RIGID_RECORDED}


def test_rigid_expenditure_holds_12_months_and_a_renewal_counts_from_its_day() -> None:
    model = confirmed("stable")
    WORKFLOW.fire(model, "record_rigid_expenditure", {"expenditure": "长期透析", "policy": RIGID},
                  at("2024-03-10"))  # fmt: skip
    status = model.facts["rigid_expenditure"]
    assert status["status"] == "held" and status["until"] == "2025-03-09"
    assert model.deadlines[circumstance.RIGID] == midnight("2025-03-10")
    with pytest.raises(GuardRejected):  # held already: renew it
        WORKFLOW.fire(model, "record_rigid_expenditure", {"expenditure": "x", "policy": RIGID},
                      at("2024-04-01"))  # fmt: skip
    WORKFLOW.fire(model, "renew_rigid_expenditure", {"policy": RIGID}, at("2025-03-01"))
    assert model.facts["rigid_expenditure"]["until"] == "2026-02-28"
    assert model.deadlines[circumstance.RIGID] == midnight("2026-03-01")


def test_rigid_expenditure_not_renewed_lapses_and_opens_a_re_review() -> None:
    model = confirmed("stable")
    WORKFLOW.fire(model, "record_rigid_expenditure", {"expenditure": "长期透析", "policy": RIGID},
                  at("2024-03-10"))  # fmt: skip
    due = model.deadlines[circumstance.RIGID]
    trigger, payload = WORKFLOW.deadline_event(model, circumstance.RIGID, due, due)
    assert trigger == "lapse_rigid_expenditure" and payload["until"] == "2025-03-09"
    WORKFLOW.fire(model, trigger, payload, due)
    assert model.facts["rigid_expenditure"]["status"] == "lapsed"
    assert model.facts["review"]["reason"] == circumstance.LAPSED_REASON
    assert model.state == "confirmed" and circumstance.RIGID not in model.deadlines
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "renew_rigid_expenditure", {"policy": RIGID}, at("2025-03-11"))


def test_a_stop_needs_no_renewal_and_direct_replay_agrees() -> None:
    def run(direct: bool) -> CaseModel:
        model = confirmed("stable")
        WORKFLOW.fire(model, "record_rigid_expenditure", {"expenditure": "x", "policy": RIGID},
                      at("2024-03-10"), direct=direct)  # fmt: skip
        WORKFLOW.fire(model, "record_circumstance", {"kind": "death", "on": "2024-03-11",
                                                     "person_id": MEMBERS[2], "policy": SETTINGS},
                      at("2024-03-11"), direct=direct)  # fmt: skip
        WORKFLOW.fire(model, "investigate_review", {"findings": "f"}, at("2024-03-12"),
                      direct=direct)  # fmt: skip
        WORKFLOW.fire(model, "give_review_opinion", {"opinion": "o"}, at("2024-03-13"),
                      direct=direct)  # fmt: skip
        WORKFLOW.fire(model, "stop_review", {"outcome": "stop", "reasons": "r"}, at("2024-03-14"),
                      direct=direct)  # fmt: skip
        return model

    model = run(False)
    assert model.state == "stopped" and not set(model.deadlines) & {circumstance.RIGID,
                                                                     circumstance.RECHECK}  # fmt: skip
    assert run(True).columns() == model.columns()


def test_the_fast_track_verified_case_takes_changes_too() -> None:
    from test_fast_track_workflow import case_at

    from jiuzhu.workflows.fast_track import WORKFLOW as FAST

    model = case_at("provisionally_approved")
    with pytest.raises(TransitionNotAllowed):  # the data check is still to come
        FAST.fire(model, "record_circumstance", {"kind": "recovered", "on": "2024-04-01",
                                                 "person_id": model.facts["member_ids"][0],
                                                 "policy": SETTINGS}, at("2024-04-01"))  # fmt: skip
    FAST.fire(model, "verify", {"result": "meets_standard", "checked_on": "2024-04-10",
                                "review": review.cycle("tekun", POLICY)}, at("2024-04-10"))  # fmt: skip
    FAST.fire(model, "record_circumstance", {"kind": "recovered", "on": "2024-04-11",
                                             "person_id": model.facts["member_ids"][0],
                                             "policy": SETTINGS}, at("2024-04-11"))  # fmt: skip
    assert model.facts["review"]["state"] == "investigating"
    assert date.fromisoformat(model.facts["circumstances"][0]["on"]) == date(2024, 4, 11)
