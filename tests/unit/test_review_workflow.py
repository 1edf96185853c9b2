"""Re-review (复核) of a paying case: its cycle, its steps and the county's four outcomes (pure).

Worked case 8 (docs/domain.md §10): a stable household confirmed in 2024-01 is re-reviewed from
2025-01-01, one with members able to work from 2024-07-01.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from jiuzhu.clock import SHANGHAI
from jiuzhu.errors import GuardRejected, TransitionNotAllowed
from jiuzhu.policy import DEFAULT_BOOK
from jiuzhu.workflows import review
from jiuzhu.workflows.allowance import amount_for
from jiuzhu.workflows.base import CaseModel
from jiuzhu.workflows.standard import WORKFLOW
from jiuzhu.workflows.workdays import workday_limit

MEMBERS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
           "33333333-3333-4333-8333-333333333333"]  # fmt: skip
POLICY = DEFAULT_BOOK.snapshot("3201", date(2024, 1, 10))


def at(day: str, hour: int = 10) -> datetime:
    d = date.fromisoformat(day)
    return datetime(d.year, d.month, d.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def midnight(day: str) -> datetime:
    return at(day, 0)


STEPS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("accept", {"accepted_on": "2024-01-02"}),
    ("start_investigation", {"investigators": ["s1", "s2"], "started_on": "2024-01-03"}),
    ("complete_investigation", {"household_income_fen": 120_000, "signed_by": MEMBERS[0],
                                "investigators": ["s1", "s2"], "completed_on": "2024-01-04"}),
    ("record_check", {"result": "meets_standard", "checked_on": "2024-01-05"}),
    ("not_recommend", {"opinion": "同意", "given_on": "2024-01-08"}),
)  # fmt: skip


def confirmed(category: str, on: str = "2024-01-10") -> CaseModel:
    model = WORKFLOW.open("case-8", {
        "workflow": "standard", "workflow_version": 1, "programme": "dibao",
        "expenditure_fen": 0, "household_id": "h", "applicant_id": MEMBERS[0],
        "member_ids": MEMBERS, "village_id": "v", "org_path": "320104/t/v", "policy": POLICY})  # fmt: skip
    for trigger, payload in STEPS:
        WORKFLOW.fire(model, trigger, copy.deepcopy(payload), at("2024-01-08"))
    WORKFLOW.fire(model, "confirm", {"basis": "line_minus_income", "monthly_fen": 163_500,
                                     "policy": POLICY, "decided_on": on,
                                     "review": review.cycle(category, POLICY)}, at(on))  # fmt: skip
    return model


def test_worked_case_8_the_cycle_by_category() -> None:
    assert confirmed("stable").deadlines[review.DUE] == midnight("2025-01-01")
    assert confirmed("able_to_work").deadlines[review.DUE] == midnight("2024-07-01")
    assert confirmed("unstable").deadlines[review.DUE] == midnight("2024-07-01")
    assert confirmed("tekun").deadlines[review.DUE] == midnight("2025-01-01")


def test_the_due_day_is_counted_from_the_shanghai_decision_month() -> None:
    # 2024-01-31 23:30 Shanghai is still January there (15:30 UTC)
    late = datetime(2024, 1, 31, 23, 30, tzinfo=SHANGHAI)
    assert review.next_review_due(late, 6) == midnight("2024-07-01")
    assert review.next_review_due(at("2024-12-15"), 12) == midnight("2025-12-01")


def test_an_unknown_category_is_refused_in_both_languages() -> None:
    with pytest.raises(GuardRejected) as caught:
        review.cycle("rich", POLICY)
    assert "rich" in caught.value.args[0] and "家庭类别" in caught.value.zh


def test_a_cycle_that_disagrees_with_the_policy_is_refused() -> None:
    model = confirmed("stable")
    payload = {
        "outcome": "continue",
        "reasons": "x",
        "review": {**review.cycle("stable", POLICY), "months": 7},
    }
    with pytest.raises(GuardRejected):
        review.cycle_agrees(model, payload)


def open_at(model: CaseModel, when: datetime) -> None:
    trigger, payload = WORKFLOW.deadline_event(model, review.DUE, model.deadlines[review.DUE],
                                               when)  # fmt: skip
    assert trigger == "start_review"
    WORKFLOW.fire(model, trigger, payload, when)


def through_opinion(model: CaseModel, day: str) -> None:
    WORKFLOW.fire(model, "investigate_review", {"findings": "收入未变", "investigators": ["s1", "s2"],
                                               "household_income_fen": 120_000}, at(day))  # fmt: skip
    WORKFLOW.fire(model, "give_review_opinion", {"opinion": "建议继续"}, at(day))


def test_the_due_review_runs_its_three_steps_each_with_its_limit() -> None:
    model = confirmed("able_to_work")
    open_at(model, midnight("2024-07-01"))
    assert review.DUE not in model.deadlines
    assert model.facts["review"]["state"] == "investigating"
    assert model.deadlines["review_village_due"] == workday_limit(midnight("2024-07-01"), 10)
    WORKFLOW.fire(model, "investigate_review", {"findings": "收入未变", "investigators": ["s1"]},
                  at("2024-07-03"))  # fmt: skip
    assert "review_village_due" not in model.deadlines
    assert model.deadlines["review_township_due"] == workday_limit(at("2024-07-03"), 5)
    WORKFLOW.fire(model, "give_review_opinion", {"opinion": "建议继续"}, at("2024-07-04"))
    assert model.deadlines["review_county_due"] == workday_limit(at("2024-07-04"), 10)
    assert model.state == "confirmed" and "allowance_due" in model.deadlines  # still paying


def test_steps_out_of_order_are_refused_with_the_current_step() -> None:
    model = confirmed("stable")
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "investigate_review", {"findings": "x"}, at("2024-02-01"))
    WORKFLOW.fire(model, "open_review", {"reason": "群众反映收入增加"}, at("2024-03-01"))
    with pytest.raises(GuardRejected) as caught:
        WORKFLOW.fire(model, "decide_review", {"outcome": "continue", "reasons": "x"},
                      at("2024-03-02"))  # fmt: skip
    assert "village investigation" in caught.value.args[0]
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "open_review", {"reason": "again"}, at("2024-03-02"))


def test_an_early_review_closes_the_due_deadline_and_a_passed_step_alarms() -> None:
    model = confirmed("stable")
    WORKFLOW.fire(model, "open_review", {"reason": "收入变化"}, at("2024-03-01"))
    assert review.DUE not in model.deadlines
    due = model.deadlines["review_village_due"]
    trigger, payload = WORKFLOW.deadline_event(model, "review_village_due", due, due)
    WORKFLOW.fire(model, trigger, payload, due)
    alarm = model.facts["alarms"][-1]
    assert (alarm["limit"], alarm["resolved_at"]) == ("review_village_due", None)
    WORKFLOW.fire(model, "investigate_review", {"findings": "x"}, due + timedelta(days=1))
    assert model.facts["alarms"][-1]["resolved_at"] is not None


def decide(model: CaseModel, outcome: str, day: str, **extra: Any) -> None:
    payload = {"outcome": outcome, "reasons": "复核理由", "max_monthly_amount_yuan": 100_000,
               **extra}  # fmt: skip
    if outcome != "stop":
        payload["review"] = review.cycle(extra.pop("category", "stable"), POLICY)
    WORKFLOW.fire(model, "stop_review" if outcome == "stop" else "decide_review", payload, at(day))


def pay(model: CaseModel, month: str) -> dict[str, Any]:
    trigger, payload = WORKFLOW.deadline_event(model, "allowance_due",
                                               model.deadlines["allowance_due"], at(f"{month}-15"))  # fmt: skip
    assert payload["month"] == month
    WORKFLOW.fire(model, trigger, payload, at(f"{month}-15"))
    return payload


def test_continue_opens_the_next_review_by_the_cycle() -> None:
    model = confirmed("able_to_work")
    open_at(model, midnight("2024-07-01"))
    through_opinion(model, "2024-07-02")
    decide(model, "continue", "2024-07-05")
    assert model.deadlines[review.DUE] == midnight("2025-07-01")  # now stable: 12 months
    assert model.facts["reviews"][0]["decision"]["outcome"] == "continue"
    assert "review" not in model.facts and "review_county_due" not in model.deadlines


def test_change_pays_the_new_amount_from_the_month_given() -> None:
    model = confirmed("stable")
    for month in ("2024-02", "2024-03"):
        pay(model, month)
    WORKFLOW.fire(model, "open_review", {"reason": "收入增加"}, at("2024-03-20"))
    through_opinion(model, "2024-03-21")
    with pytest.raises(GuardRejected) as caught:  # March is paid already
        decide(model, "change", "2024-03-25", from_month="2024-03", monthly_fen=100_000)
    assert "2024-04" in caught.value.args[0] and "已发放" in caught.value.zh
    with pytest.raises(GuardRejected):
        decide(model, "change", "2024-03-25", from_month="2024-05", monthly_fen=0)
    decide(model, "change", "2024-03-25", from_month="2024-05", monthly_fen=100_000)
    assert pay(model, "2024-04")["amount_fen"] == 163_500
    assert pay(model, "2024-05")["amount_fen"] == 100_000
    assert pay(model, "2024-06")["amount_fen"] == 100_000
    assert amount_for(model.facts["allowance"], "2024-04") == 163_500
    assert model.facts["monthly_amount_fen"] == 100_000
    assert model.deadlines[review.DUE] == midnight("2025-03-01")


def test_suspend_withholds_until_a_later_review_continues() -> None:
    model = confirmed("stable")
    WORKFLOW.fire(model, "open_review", {"reason": "失联"}, at("2024-01-20"))
    through_opinion(model, "2024-01-22")
    decide(model, "suspend", "2024-01-25")
    withheld = pay(model, "2024-02")
    assert withheld["withheld"] is True and "amount_fen" not in withheld
    assert model.facts["allowance"]["withheld"] == ["2024-02"]
    WORKFLOW.fire(model, "open_review", {"reason": "已联系"}, at("2024-03-01"))
    through_opinion(model, "2024-03-04")
    decide(model, "continue", "2024-03-05")
    assert pay(model, "2024-03")["amount_fen"] == 163_500


def test_stop_pays_through_the_decision_month_and_ends_the_case() -> None:
    model = confirmed("able_to_work")
    open_at(model, midnight("2024-07-01"))
    through_opinion(model, "2024-07-02")
    with pytest.raises(GuardRejected):  # written reasons are required
        WORKFLOW.fire(model, "stop_review", {"outcome": "stop", "reasons": " "}, at("2024-07-05"))
    with pytest.raises(GuardRejected):  # a stop goes by stop_review
        WORKFLOW.fire(model, "decide_review", {"outcome": "stop", "reasons": "x"},
                      at("2024-07-05"))  # fmt: skip
    for month in ("2024-02", "2024-03", "2024-04", "2024-05", "2024-06"):
        pay(model, month)
    decide(model, "stop", "2024-07-05")
    assert model.state == "stopped" and model.state in WORKFLOW.final
    assert model.facts["allowance"]["last_month"] == "2024-07"
    assert model.facts["stopped"]["reasons"] == "复核理由"
    assert review.DUE not in model.deadlines
    pay(model, "2024-07")  # the decision month is still paid
    assert "allowance_due" not in model.deadlines  # nothing from August
    with pytest.raises(GuardRejected):
        WORKFLOW.fire(model, "pay_allowance", {"month": "2024-08", "amount_fen": 163_500},
                      at("2024-08-15"))  # fmt: skip
    with pytest.raises(TransitionNotAllowed):
        WORKFLOW.fire(model, "open_review", {"reason": "x"}, at("2024-08-01"))


def test_direct_replay_gives_the_same_projection() -> None:
    def run(direct: bool) -> CaseModel:
        model = confirmed("stable")
        WORKFLOW.fire(model, "open_review", {"reason": "r"}, at("2024-03-01"), direct=direct)
        WORKFLOW.fire(model, "investigate_review", {"findings": "f"}, at("2024-03-02"),
                      direct=direct)  # fmt: skip
        WORKFLOW.fire(model, "give_review_opinion", {"opinion": "o"}, at("2024-03-04"),
                      direct=direct)  # fmt: skip
        WORKFLOW.fire(model, "stop_review", {"outcome": "stop", "reasons": "r"}, at("2024-03-05"),
                      direct=direct)  # fmt: skip
        return model

    assert run(True).columns() == run(False).columns()


def test_the_fast_track_verify_opens_the_cycle_and_a_stop_ends_its_plans() -> None:
    from test_fast_track_workflow import AT, case_at

    from jiuzhu.workflows.fast_track import WORKFLOW as FAST

    model = case_at("provisionally_approved")
    FAST.fire(model, "plan.open", {"plan_id": "p1", "kind": "cleaning", "provider": {"name": "x"},
                                   "recurrence": {"type": "interval", "days": 2},
                                   "starts_at": "2024-03-20T00:00:00.000000Z", "ends_at": None,
                                   "grace_hours": 24,
                                   "first_at": "2024-03-20T00:00:00.000000Z"}, AT)  # fmt: skip
    settings = {**POLICY, "review_months_tekun": 12}
    FAST.fire(model, "verify", {"result": "meets_standard", "checked_on": "2024-04-10",
                                "review": review.cycle("tekun", settings)}, at("2024-04-10"))  # fmt: skip
    assert model.state == "verified"
    assert model.deadlines[review.DUE] == midnight("2025-04-01")
    FAST.fire(model, "open_review", {"reason": "死亡"}, at("2024-05-06"))
    FAST.fire(model, "investigate_review", {"findings": "x"}, at("2024-05-06"))
    FAST.fire(model, "give_review_opinion", {"opinion": "y"}, at("2024-05-06"))
    FAST.fire(model, "stop_review", {"outcome": "stop", "reasons": "本人死亡"}, at("2024-05-07"))
    assert model.state == "stopped" and model.state in FAST.final
    assert model.facts["plans"]["p1"]["state"] == "ended"
    assert not any(k.startswith("visit_due") for k in model.deadlines)


def test_a_case_decided_without_a_cycle_enters_it_by_an_early_review() -> None:
    model = confirmed("stable")
    del model.facts["review_cycle"], model.deadlines[review.DUE]  # as decided before re-reviews
    settings = {k: POLICY[k] for k in review.RECORDED}
    WORKFLOW.fire(model, "open_review", {"reason": "r", "policy": settings}, at("2024-03-01"))
    through_opinion(model, "2024-03-04")
    decide(model, "continue", "2024-03-05", category="unstable")
    assert model.facts["review_cycle"]["category"] == "unstable"
    assert model.deadlines[review.DUE] == midnight("2024-09-01")
