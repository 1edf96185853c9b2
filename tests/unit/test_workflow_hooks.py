"""What workflows decide, book and fire, built through their hooks on cases made here.

Every expected value is computed in the test from the case it builds (the decided amount, the
months between two days, the entries booked before); none is a recorded result.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jiuzhu.clock import iso_utc, local_date
from jiuzhu.errors import WorkflowDefinitionError
from jiuzhu.ledger import KINDS, Booking, Entry, balance
from jiuzhu.workflows import fast_track, fast_track_money, standard, temporary
from jiuzhu.workflows.base import (
    Books,
    CaseModel,
    DeadlineRule,
    Hooks,
    Label,
    Transition,
    Workflow,
)
from jiuzhu.workflows.calendar import month_of, months_through, next_month

SRC = Path(__file__).resolve().parents[2] / "src" / "jiuzhu"
AT = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, on the pay day (15th)
MEMBERS = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"]
MONTHLY = 123_400
FT = fast_track.WORKFLOW


def no_entries() -> tuple[Entry, ...]:
    return ()


# -- building a fast-track case through its own hooks --------------------------------------------
def fast_track_case(**policy: Any) -> CaseModel:
    """A fast-track case provisionally approved at ``AT`` for ``MONTHLY`` fen a month."""
    model = FT.open("ft-1", {
        "workflow": "fast_track", "workflow_version": 1, "programme": "dibao",
        "cause": "major_illness", "expenditure_fen": 9_000_000,
        "household_id": "44444444-4444-4444-8444-444444444444", "applicant_id": MEMBERS[0],
        "member_ids": MEMBERS, "village_id": "320922100001",
        "org_path": "320922/320922100/320922100001",
        "policy": {**fast_track.DEFAULT_POLICY, **policy},
    })  # fmt: skip
    FT.fire(model, "promise", {"signed_by": MEMBERS[1], "signed_on": "2024-03-15"}, AT)
    FT.fire(model, "review", {"outcome": "passed", "attendance": 9, "votes_for": 8,
                              "votes_against": 1, "abstentions": 0, "held_on": "2024-03-15"}, AT)  # fmt: skip
    FT.fire(model, "approve", {"monthly_amount_fen": MONTHLY}, AT)
    return model


def fire_due(wf: Workflow, model: CaseModel, kind: str, late: timedelta = timedelta(0),
             **extra: Any) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """Fire deadline ``kind`` as the worker does: the event the rule says, then the trigger."""
    due = model.deadlines[kind]
    trigger, payload = wf.deadline_event(model, kind, due, due + late, **extra)
    wf.fire(model, trigger, payload, due + late)
    return trigger, payload


class Ledger:
    """The entries a case's events book, event by event, as the service books them."""

    def __init__(self, wf: Workflow, case_id: str) -> None:
        self.wf, self.case_id, self.seq = wf, case_id, 1
        self.entries: list[Entry] = []

    def book(self, trigger: str, payload: dict[str, Any], at: datetime) -> list[Entry]:
        self.seq += 1
        new = self.wf.book(self.case_id, self.seq, trigger, payload, at, lambda: self.entries)
        self.entries += new
        return new


# -- the monthly allowance -----------------------------------------------------------------------
def test_allowance_deadline_pays_the_next_month_at_the_decided_amount_and_books_it() -> None:
    model = fast_track_case()
    assert model.deadlines["allowance_due"] == AT  # approved on the pay day: due at once
    trigger, payload = fire_due(FT, model, "allowance_due", late=timedelta(seconds=90))
    assert trigger == "pay_allowance"
    assert payload == {"deadline": "allowance_due", "due_at": iso_utc(AT), "late_by_seconds": 90,
                       "month": month_of(local_date(AT)), "amount_fen": MONTHLY}  # fmt: skip
    booked = FT.book("ft-1", 5, trigger, payload, AT, no_entries)
    assert booked == [Entry("ft-1", 5, 0, "allowance", MONTHLY, local_date(AT),
                            period=month_of(local_date(AT)))]  # fmt: skip
    assert model.facts["allowance"]["next_month"] == next_month(month_of(local_date(AT)))


def test_allowance_deadline_withholds_while_suspended_and_books_nothing() -> None:
    model = fast_track_case(suspend_when_overdue=True)
    fire_due(FT, model, "verification_due", late=timedelta(hours=1))
    assert model.facts["assistance_suspended"] is True
    trigger, payload = fire_due(FT, model, "allowance_due")
    assert (payload["withheld"], "amount_fen" in payload) == (True, False)
    assert FT.book("ft-1", 6, trigger, payload, AT, no_entries) == []
    assert model.facts["allowance"]["withheld"] == [payload["month"]]


def test_standard_path_books_its_allowance_with_the_same_hook() -> None:
    payload = {"deadline": "allowance_due", "due_at": iso_utc(AT), "late_by_seconds": 0,
               "month": "2024-04", "amount_fen": 56_700}  # fmt: skip
    booked = standard.WORKFLOW.book("st-1", 9, "pay_allowance", payload, AT, no_entries)
    assert [(e.kind, e.amount_fen, e.period) for e in booked] == [("allowance", 56_700, "2024-04")]
    facts = {"allowance": {"monthly_fen": 56_700, "next_month": "2024-04"}}
    model = CaseModel("st-1", "confirmed", facts, {"allowance_due": AT})
    trigger, fired = standard.WORKFLOW.deadline_event(model, "allowance_due", AT, AT)
    assert (trigger, fired["month"], fired["amount_fen"]) == ("pay_allowance", "2024-04", 56_700)


# -- the fast track's decision on the data check -------------------------------------------------
def test_verify_after_an_overdue_check_pays_the_withheld_months() -> None:
    model = fast_track_case(suspend_when_overdue=True)
    fire_due(FT, model, "verification_due")
    _, withheld = fire_due(FT, model, "allowance_due")
    decided = FT.decide(model, "verify", date(2024, 4, 20), reason=None)
    assert decided == {"allowance_months": [withheld["month"]], "allowance_fen": MONTHLY}
    booked = FT.book("ft-1", 8, "verify", {"result": "meets_standard", **decided}, AT,
                     no_entries)  # fmt: skip
    assert [(e.line, e.kind, e.amount_fen, e.period) for e in booked] == [
        (0, "allowance", MONTHLY, withheld["month"])]  # fmt: skip


def test_revoke_records_recovery_and_the_signer_in_the_credit_record() -> None:
    model = fast_track_case()
    assert FT.decide(model, "revoke", date(2024, 4, 20), reason="隐瞒存款") == {
        "recover": True, "credit": {"person_id": MEMBERS[1], "reason": "隐瞒存款"}}  # fmt: skip
    no_reason = FT.decide(model, "revoke", date(2024, 4, 20), reason=None)
    assert no_reason["credit"]["reason"] == "falsification"


def test_revoke_books_a_recovery_line_for_every_entry_paid_before() -> None:
    model = fast_track_case()
    ledger = Ledger(FT, "ft-1")
    _, month = fire_due(FT, model, "allowance_due")
    ledger.book("pay_allowance", month, AT)
    bill = {"bill_id": "B-1", "billed_on": "2024-03-20", "hospital": "县医院",
            "total_fen": 1_000_000, "insurance_fen": 600_000}  # fmt: skip
    bill["assistance_fen"] = fast_track_money.medical_assistance(
        model.facts, date(2024, 3, 20), bill["total_fen"], bill["insurance_fen"])  # fmt: skip
    FT.fire(model, "record_medical_bill", bill, AT)
    (medical,) = ledger.book("record_medical_bill", bill, AT)
    assert (medical.kind, medical.amount_fen, medical.ref) == ("medical", bill["assistance_fen"],
                                                              "B-1")  # fmt: skip
    decided = FT.decide(model, "revoke", date(2024, 4, 20), reason="隐瞒存款")
    paid = list(ledger.entries)
    recovery = ledger.book("revoke", {"result": "falsification", **decided}, AT)
    assert [(e.line, e.kind, e.amount_fen, e.period, e.ref) for e in recovery] == [
        (i, "recovery", e.amount_fen, e.period, f"{e.seq}/{e.line}") for i, e in enumerate(paid)
    ]
    totals = balance(ledger.entries)
    assert totals["owed_fen"] == totals["paid_fen"] == MONTHLY + bill["assistance_fen"]


def test_terminate_pays_through_its_month_and_recovers_those_months_where_policy_says() -> None:
    model = fast_track_case(recover_on_termination=True)
    today = date(2024, 6, 3)
    decided = FT.decide(model, "terminate", today, reason="收入超标")
    months = months_through(month_of(local_date(AT)), month_of(today))
    assert decided == {"through_month": month_of(today), "allowance_months": months,
                       "allowance_fen": MONTHLY, "recover": True}  # fmt: skip
    booked = Ledger(FT, "ft-1").book("terminate", {"result": "fails", **decided}, AT)
    arrears, recovery = booked[: len(months)], booked[len(months) :]
    assert [(e.kind, e.period, e.amount_fen) for e in arrears] == [
        ("allowance", m, MONTHLY) for m in months]  # fmt: skip
    assert [(e.line, e.ref) for e in recovery] == [
        (len(months) + i, f"{e.seq}/{e.line}") for i, e in enumerate(arrears)]  # fmt: skip
    assert "recover" not in FT.decide(fast_track_case(), "terminate", today, reason=None)


def test_fines_repayments_and_write_offs_book_their_amounts() -> None:
    for trigger, kind in (("impose_fine", "fine"), ("record_repayment", "repayment"),
                          ("write_off", "write_off")):  # fmt: skip
        (entry,) = FT.book("ft-1", 12, trigger, {"amount_fen": 4_321}, AT, no_entries)
        assert (entry.kind, entry.amount_fen, entry.booked_on) == (kind, 4_321, local_date(AT))
    assert FT.book("ft-1", 12, "approve", {"monthly_amount_fen": MONTHLY}, AT, no_entries) == []


# -- deadlines that record nothing more, and the service plans' missed visits ---------------------
def test_limit_deadlines_write_their_kind_due_instant_and_lateness_only() -> None:
    due = AT + timedelta(days=3)
    model = CaseModel("t-1", "assisted_first", {}, {"paperwork_due": due})
    trigger, payload = temporary.WORKFLOW.deadline_event(model, "paperwork_due", due,
                                                         due + timedelta(minutes=5))  # fmt: skip
    assert (trigger, payload) == ("mark_limit_passed", {
        "deadline": "paperwork_due", "due_at": iso_utc(due), "late_by_seconds": 300})  # fmt: skip
    early = standard.WORKFLOW.deadline_event(model, "overall_limit", due, due - timedelta(days=1))
    assert early == ("mark_limit_passed", {"deadline": "overall_limit", "due_at": iso_utc(due),
                                           "late_by_seconds": 0})  # fmt: skip


def test_missed_visit_records_the_open_occurrence_and_the_next_from_the_service() -> None:
    model = fast_track_case()
    plan_id = "55555555-5555-4555-8555-555555555555"
    first = iso_utc(AT + timedelta(days=1))
    FT.fire(model, "plan.open", {"plan_id": plan_id, "kind": "cleaning", "provider": {"name": "x"},
                                 "recurrence": {"type": "interval", "days": 2},
                                 "starts_at": first, "ends_at": None, "grace_hours": 24,
                                 "first_at": first}, AT)  # fmt: skip
    asked: list[dict[str, Any]] = []

    def next_occurrence(plan: Any) -> str:
        asked.append(dict(plan))
        return iso_utc(AT + timedelta(days=3))

    trigger, payload = fire_due(FT, model, f"visit_due/{plan_id}", next_occurrence=next_occurrence)
    assert trigger == "plan.miss"
    assert payload == {"deadline": f"visit_due/{plan_id}",
                       "due_at": iso_utc(AT + timedelta(days=2)), "late_by_seconds": 0,
                       "plan_id": plan_id, "n": 1, "scheduled_at": first,
                       "next_at": iso_utc(AT + timedelta(days=3))}  # fmt: skip
    assert [p["scheduled_at"] for p in asked] == [first]
    assert model.facts["plans"][plan_id]["missed"] == 1


# -- definitions are checked when built ----------------------------------------------------------
def _noop(payload: Any) -> dict[str, Any]:
    return {}


def toy(**changes: Any) -> Workflow:
    definition: dict[str, Any] = {
        "name": "toy", "version": 1, "states": {s: Label(s, s) for s in ("a", "b", "c")},
        "initial": "a", "final": ("c",), "opener": _noop,
        "transitions": (Transition("go", ("a",), "b"), Transition("end", ("b",), "c"),
                        Transition("late", ("b",), None, system=True)),
        "trigger_labels": {t: Label(t, t) for t in ("go", "end", "late")},
        "deadline_rules": (DeadlineRule("wait", "b", fires="late"),),
    }  # fmt: skip
    definition.update(changes)
    return Workflow(**definition)


def _lines(payload: Any, booked: Any) -> list[Booking]:
    return [Booking("bonus", 1)]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"deadline_rules": ()}, "toy: system trigger late is fired by no deadline rule"),
        ({"deadline_rules": (DeadlineRule("wait", "b", fires="lat"),)},
         "toy: deadline rule wait fires unknown trigger 'lat'"),
        ({"deadline_rules": (DeadlineRule("wait", "b", fires="go"),
                             DeadlineRule("soon", "b", fires="late"))},
         "toy: deadline rule wait fires 'go', which is not a system trigger"),
        ({"deadline_rules": (DeadlineRule("wait", "b", fires="late"),
                             DeadlineRule("wait", "a", fires="end"))},
         "toy: deadline rule wait fires 'end', which is not a system trigger"),
        ({"deadline_rules": (DeadlineRule("wait", "q", fires="late"),)},
         "toy: deadline rule wait names unknown state 'q'"),
        ({"deadline_rules": (DeadlineRule("wait", "b", fires="late"),
                             DeadlineRule("soon", "b", event=lambda facts, firing: {}))},
         "toy: deadline rule soon records an event but fires nothing"),
        ({"hooks": {"stop": Hooks()}}, "toy: hooks for unknown trigger 'stop'"),
        ({"hooks": {"go": Hooks(books=(Books(("allowance", "bonus"), _lines),))}},
         "toy: go books unknown ledger kinds ['bonus']"),
    ],
    ids=["system_trigger_without_rule", "rule_fires_unknown", "rule_fires_person_trigger",
         "rule_fires_two_triggers", "rule_unknown_state", "event_without_trigger",
         "hook_unknown_trigger", "unknown_ledger_kind"],
)  # fmt: skip
def test_definition_error_when_workflow_is_built(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=re.escape(message)):
        toy(**changes)


def test_rule_firing_the_same_trigger_twice_is_refused() -> None:
    rules = (DeadlineRule("wait", "b", fires="late"), DeadlineRule("wait", "a", fires="late"))
    assert toy(deadline_rules=rules).on_deadline == {"wait": "late"}
    transitions = (Transition("go", ("a",), "b"), Transition("end", ("b",), "c"),
                   Transition("late", ("b",), None, system=True),
                   Transition("later", ("b",), None, system=True))  # fmt: skip
    labels = {t: Label(t, t) for t in ("go", "end", "late", "later")}
    with pytest.raises(WorkflowDefinitionError, match="toy: deadline rule wait fires both 'late' "
                       "and 'later'"):  # fmt: skip
        toy(transitions=transitions, trigger_labels=labels,
            deadline_rules=(*rules, DeadlineRule("wait", "b", fires="later")))  # fmt: skip


def test_a_hook_booking_a_kind_it_did_not_declare_is_refused_when_it_books() -> None:
    sneaky = Books(("allowance",), lambda payload, booked: [Booking("fine", 5)])
    wf = toy(hooks={"go": Hooks(books=(sneaky,))})
    with pytest.raises(WorkflowDefinitionError, match="toy: go booked 'fine'"):
        wf.book("x", 2, "go", {}, AT, no_entries)


def test_every_registered_workflow_books_only_ledger_kinds_and_fires_from_rules() -> None:
    for wf in (FT, standard.WORKFLOW, temporary.WORKFLOW):
        for hooks in wf.hooks.values():
            assert all(set(b.kinds) <= set(KINDS) for b in hooks.books)
        system = {t.trigger for t in wf.transitions if t.system}
        assert system <= set(wf.on_deadline.values())


# -- layering: the ledger imports no workflow; no workflow module is too long ---------------------
def _imported(path: Path) -> list[str]:
    out: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            out.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
    return out


@pytest.mark.parametrize("path", sorted((SRC / "ledger").glob("*.py")), ids=lambda p: p.name)
def test_ledger_imports_no_workflow_and_no_audit(path: Path) -> None:
    for name in _imported(path):
        assert not re.match(r"(jiuzhu\.|\.\.)(workflows|audit|service)", name), name


@pytest.mark.parametrize("path", sorted((SRC / "workflows").glob("*.py")), ids=lambda p: p.name)
def test_workflow_module_stays_under_400_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400
