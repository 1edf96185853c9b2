"""The fast track (容缺审批, docs/domain.md §3) end to end on each database: paths, rules, inputs, deadlines.

Every refusal is checked twice: the error names the rule, and the database is exactly as it
was (``db_snapshot``), because a command is one transaction or nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from helpers import (
    OFFERED,
    Org,
    case_in,
    db_snapshot,
    deadline_rows,
    fire,
    make_household,
    new_members,
    open_case,
)

import jiuzhu
from jiuzhu import CaseService, FakeClock, GuardRejected, InvalidInput
from jiuzhu.models import rows as store

# These tests are about the verification and visit deadlines; the monthly payment run,
# which adds an allowance deadline to every paying case, has its own tests (test_payments.py).
pytestmark = pytest.mark.policy(monthly_payments=False)

# -- full lifecycles ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "final"),
    [("verify", "verified"), ("revoke", "revoked"), ("terminate", "terminated")],
)
def test_case_reaches_final_state_when_check_returns(
    svc: CaseService, org: Org, trigger: str, final: str
) -> None:
    case = open_case(svc, org)
    assert (case.state, case.row_version, case.allowed) == ("applied", 1, ["promise", "withdraw"])
    case = fire(svc, org, case, "promise")
    assert case.state == "promised"
    case = fire(svc, org, case, "review")
    assert case.state == "reviewed"
    case = fire(svc, org, case, "approve")
    assert (case.state, case.monthly_amount_fen) == ("provisionally_approved", 200_000)
    case = fire(svc, org, case, trigger)

    assert (case.state, case.row_version, case.last_seq) == (final, 5, 5)
    assert case.allowed == sorted(OFFERED[final])  # money commands only
    stored = svc.get_case(org.county, case.id)
    assert (stored.state, stored.row_version, stored.head_hash) == (final, 5, case.head_hash)
    events = svc.history(org.county, case.id)
    assert [e.type for e in events] == ["apply", "promise", "review", "approve", trigger]
    assert [e.actor for e in events] == [
        {"role": "village", "org": org.village.org},
        {"role": "village", "org": org.village.org},
        {"role": "village", "org": org.village.org},
        {"role": "township", "org": org.township.org},
        {"role": "county", "org": org.county.org},
    ]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(events))


def test_case_records_check_result_when_verification_centre_reports(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    case = fire(svc, org, case, "revoke", actor=org.centre)
    assert case.state == "revoked"
    assert case.facts["verification"]["result"] == "falsification"
    assert svc.history(org.county, case.id)[-1].actor == {
        "role": "verification_centre",
        "org": org.county.org,
    }


def test_case_is_rejected_when_appraisal_fails(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "promised")
    case = fire(svc, org, case, "fail_appraisal")
    assert (case.state, case.allowed) == ("rejected", [])
    assert case.facts["appraisal"]["outcome"] == "failed"
    assert [e.type for e in svc.history(org.county, case.id)] == [
        "apply",
        "promise",
        "fail_appraisal",
    ]
    assert deadline_rows(svc, case.id) == []


def test_case_is_rejected_when_township_refuses(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "reviewed")
    case = svc.refuse(org.township, case.id, reason="  家庭存款超过规定  ")
    assert (case.state, case.allowed) == ("rejected", [])
    last = svc.history(org.county, case.id)[-1]
    assert (last.type, last.payload) == ("refuse", {"reason": "家庭存款超过规定"})
    assert deadline_rows(svc, case.id) == []


@pytest.mark.parametrize("state", ["applied", "promised", "reviewed"])
@pytest.mark.parametrize("by", ["village", "township"])
def test_case_is_withdrawn_when_still_pending(
    svc: CaseService, org: Org, state: str, by: str
) -> None:
    case = case_in(svc, org, state)
    case = svc.withdraw(getattr(org, by), case.id, reason="申请人主动撤回")
    assert (case.state, case.allowed) == ("withdrawn", [])
    last = svc.history(org.county, case.id)[-1]
    assert (last.type, last.payload, last.actor["role"]) == (
        "withdraw",
        {"reason": "申请人主动撤回"},
        by,
    )


def test_withdraw_records_empty_payload_when_no_reason_given(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "applied")
    case = svc.withdraw(org.village, case.id)
    assert case.state == "withdrawn"
    assert svc.history(org.county, case.id)[-1].payload == {}


def test_list_and_count_show_cases_by_state(svc: CaseService, org: Org) -> None:
    for state in ("applied", "applied", "reviewed", "verified"):
        case_in(svc, org, state)
    assert svc.count_by_state(org.county) == {
        ("dibao", "applied"): 2,
        ("dibao", "reviewed"): 1,
        ("dibao", "verified"): 1,
    }
    assert len(svc.list_cases(org.county, state="applied")) == 2
    assert [c.state for c in svc.list_cases(org.township, state="verified")] == ["verified"]
    assert svc.list_cases(org.county, programme="tekun") == []


# -- who qualifies: the threshold, programme, cause, household ------------------------------


def test_apply_accepts_expenditure_when_exactly_at_threshold(svc: CaseService, org: Org) -> None:
    case = open_case(svc, org, expenditure="30000")
    assert (case.state, case.expenditure_fen) == ("applied", 3_000_000)


def test_apply_refuses_expenditure_naming_threshold_when_below_it(
    svc: CaseService, org: Org
) -> None:
    household = make_household(svc, org.village)
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected) as err:
        open_case(svc, org, household=household, expenditure="29999.99")
    assert "29999.99" in err.value.message
    assert "threshold of 30000.00 yuan" in err.value.message
    assert "standard path" in err.value.message
    assert "30000.00" in err.value.zh and "常规程序" in err.value.zh
    assert err.value.details["threshold_fen"] == 3_000_000
    assert db_snapshot(svc) == before


def test_apply_uses_threshold_from_policy_when_configured(
    db_url: str, clock: FakeClock, org: Org
) -> None:
    strict = jiuzhu.connect(db_url, clock=clock, policy={"fast_track_threshold_yuan": 50_000})
    try:
        with pytest.raises(GuardRejected, match="threshold of 50000.00 yuan"):
            open_case(strict, org, expenditure="49999.99")
        assert open_case(strict, org, expenditure="50000").state == "applied"
    finally:
        strict.close()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("programme", "housing"),
        ("programme", "DIBAO"),
        ("programme", ""),
        ("cause", "unemployment"),
        ("cause", "Major_Illness"),
    ],
)
def test_apply_refuses_when_programme_or_cause_unknown(
    svc: CaseService, org: Org, field: str, value: str
) -> None:
    household = make_household(svc, org.village)
    before = db_snapshot(svc)
    changed: dict[str, Any] = {field: value}
    with pytest.raises(GuardRejected, match=field):
        open_case(svc, org, household=household, **changed)
    assert db_snapshot(svc) == before


def test_apply_accepts_each_programme_and_cause(svc: CaseService, org: Org) -> None:
    household = make_household(svc, org.village)
    for programme in ("dibao", "tekun", "near_dibao", "rigid_expenditure"):
        for cause in ("major_illness", "disaster", "accident"):
            case = open_case(svc, org, household=household, programme=programme, cause=cause)
            assert (case.state, case.programme, case.facts["cause"]) == (
                "applied",
                programme,
                cause,
            )


@pytest.mark.parametrize(("field", "value"), [("programme", ["dibao"]), ("cause", {"a": 1})])
def test_apply_refuses_with_invalid_input_when_programme_or_cause_not_text(
    svc: CaseService, org: Org, field: str, value: object
) -> None:
    household = make_household(svc, org.village)
    changed: dict[str, Any] = {field: value}
    with pytest.raises(InvalidInput):
        open_case(svc, org, household=household, **changed)


def test_apply_refuses_when_applicant_not_in_household(svc: CaseService, org: Org) -> None:
    household = make_household(svc, org.village, size=2)
    stranger = make_household(svc, org.village)
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected, match="member of the applying household"):
        open_case(svc, org, household=household, applicant_id=stranger.member_ids[0])
    assert db_snapshot(svc) == before


def test_apply_refuses_when_household_unknown(svc: CaseService, org: Org) -> None:
    with pytest.raises(jiuzhu.NotFound, match="household"):
        svc.apply(
            org.village,
            household_id="3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d",
            applicant_id="3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6e",
            programme="dibao",
            cause="major_illness",
            expenditure="90000",
        )
    assert db_snapshot(svc)["counts"]["cases"] == 0


# -- the commitment and the appraisal -------------------------------------------------------


def test_promise_records_signer_when_member_of_household(svc: CaseService, org: Org) -> None:
    household = make_household(svc, org.village, size=3)
    case = open_case(svc, org, household=household)
    case = svc.promise(org.village, case.id, signed_by=household.member_ids[2])
    assert case.facts["commitment"] == {
        "signed_by": household.member_ids[2],
        "signed_on": "2024-03-15",
    }


def test_promise_refuses_signer_when_not_member_of_household(svc: CaseService, org: Org) -> None:
    case = open_case(svc, org)
    outsider = make_household(svc, org.village)
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected, match="not a member") as err:
        svc.promise(org.village, case.id, signed_by=outsider.member_ids[0])
    assert "信用承诺书" in err.value.zh
    assert db_snapshot(svc) == before


@pytest.mark.parametrize(
    "counts",
    [
        {"attendance": 20, "votes_for": 18, "votes_against": 2, "abstentions": 1},
        {"attendance": 20, "votes_for": 21, "votes_against": 0, "abstentions": 0},
        {"attendance": 0, "votes_for": 0, "votes_against": 0, "abstentions": 0},
    ],
    ids=["one_vote_too_many", "more_for_than_present", "nobody_present"],
)
@pytest.mark.parametrize("outcome", ["passed", "failed"])
def test_appraisal_is_refused_when_counts_exceed_attendance(
    svc: CaseService, org: Org, counts: dict[str, Any], outcome: str
) -> None:
    case = case_in(svc, org, "promised")
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected, match="do not add up"):
        svc.record_appraisal(org.village, case.id, outcome=outcome, **counts)
    assert db_snapshot(svc) == before


def test_appraisal_is_accepted_when_votes_equal_attendance(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "promised")
    case = svc.record_appraisal(
        org.village,
        case.id,
        outcome="passed",
        attendance=20,
        votes_for=18,
        votes_against=1,
        abstentions=1,
    )
    assert case.state == "reviewed"
    assert case.facts["appraisal"]["votes_for"] == 18


@pytest.mark.parametrize(
    "bad",
    [
        {"outcome": "maybe"},
        {"attendance": -1},
        {"votes_for": True},
        {"votes_against": 1.0},
        {"abstentions": "1"},
        {"attendance": 100_001},
    ],
    ids=["outcome", "negative", "bool", "float", "text", "too_many"],
)
def test_appraisal_is_refused_with_invalid_input_when_value_malformed(
    svc: CaseService, org: Org, bad: dict[str, Any]
) -> None:
    case = case_in(svc, org, "promised")
    before = db_snapshot(svc)
    kwargs: dict[str, Any] = {
        "outcome": "passed",
        "attendance": 20,
        "votes_for": 18,
        "votes_against": 1,
        "abstentions": 1,
        **bad,
    }
    with pytest.raises(InvalidInput):
        svc.record_appraisal(org.village, case.id, **kwargs)
    assert db_snapshot(svc) == before


@pytest.mark.parametrize("signed_on", ["2024-03-16", "2024-03-14", "15/03/2024"])
def test_promise_refuses_signing_date_when_future_before_application_or_malformed(
    svc: CaseService, org: Org, signed_on: str
) -> None:
    case = open_case(svc, org)
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput, match="signing date"):
        svc.promise(org.village, case.id, signed_by=case.facts["applicant_id"], signed_on=signed_on)
    assert db_snapshot(svc) == before


# -- amounts ---------------------------------------------------------------------------------

BAD_AMOUNTS = [
    90000.0,
    "-90000",
    "-0.01",
    "90000.001",
    "1e5",
    "abc",
    "",
    None,
    True,
    Decimal("NaN"),
    Decimal("Infinity"),
    "100000000.01",
    "9" * 40,
]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_apply_refuses_expenditure_with_invalid_input_when_malformed_or_absurd(
    svc: CaseService, org: Org, amount: object
) -> None:
    household = make_household(svc, org.village)
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput, match="sudden expenditure"):
        open_case(svc, org, household=household, expenditure=amount)
    assert db_snapshot(svc) == before


@pytest.mark.parametrize("amount", ["30,000.00", Decimal("30000"), 30000, " 30000.0 "], ids=repr)
def test_apply_parses_expenditure_exactly_when_written_in_accepted_forms(
    svc: CaseService, org: Org, amount: object
) -> None:
    assert open_case(svc, org, expenditure=amount).expenditure_fen == 3_000_000


@pytest.mark.parametrize(
    "amount",
    [2000.0, "-2000", "2000.005", "100000.01", "two thousand", False, Decimal("-1")],
    ids=repr,
)
def test_approve_refuses_monthly_amount_with_invalid_input_when_malformed_or_absurd(
    svc: CaseService, org: Org, amount: object
) -> None:
    case = case_in(svc, org, "reviewed")
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput, match="monthly amount"):
        svc.approve(org.township, case.id, monthly_amount=amount)
    assert db_snapshot(svc) == before


def test_approve_refuses_monthly_amount_when_zero(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "reviewed")
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected, match="outside"):
        svc.approve(org.township, case.id, monthly_amount="0")
    assert db_snapshot(svc) == before


def test_approve_accepts_monthly_amount_when_at_policy_maximum(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "reviewed")
    case = svc.approve(org.township, case.id, monthly_amount="100000")
    assert case.monthly_amount_fen == 10_000_000


# -- other required values --------------------------------------------------------------------


@pytest.mark.parametrize("result", ["falsification", "fails_without_falsification"])
def test_verification_refuses_failure_when_reason_missing(
    svc: CaseService, org: Org, result: str
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput, match="reason"):
        svc.record_verification(org.county, case.id, result=result, reason="   ")
    assert db_snapshot(svc) == before


def test_verification_refuses_result_when_unknown(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput, match="verification result"):
        svc.record_verification(org.county, case.id, result="passed")
    assert db_snapshot(svc) == before


def test_refuse_is_refused_with_invalid_input_when_reason_missing(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "reviewed")
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput, match="reason"):
        svc.refuse(org.township, case.id, reason="")
    assert db_snapshot(svc) == before


def test_register_household_refuses_name_when_longer_than_column(
    svc: CaseService, org: Org
) -> None:
    members = new_members(1)
    members[0]["name"] = "名" * 101
    with pytest.raises(InvalidInput):
        svc.register_household(org.village, members=members)


def test_apply_refuses_actor_user_when_longer_than_column(svc: CaseService, org: Org) -> None:
    household = make_household(svc, org.village)
    worker = jiuzhu.Actor(jiuzhu.Role.VILLAGE, org.village.org, user="u" * 65)
    with pytest.raises(InvalidInput):
        open_case(svc, org, village=worker, household=household)


# -- the verification deadline ---------------------------------------------------------------


def test_approve_opens_verification_deadline_one_month_later(svc: CaseService, org: Org) -> None:
    case = fire(svc, org, case_in(svc, org, "reviewed"), "approve")
    assert case.deadlines == {"verification_due": "2024-04-15T02:00:00.000000Z"}
    [row] = deadline_rows(svc, case.id)
    assert (row["kind"], row["status"], row["opened_seq"], row["closed_seq"]) == (
        "verification_due",
        "pending",
        4,
        None,
    )
    assert row["due_at"] == datetime(2024, 4, 15, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("approved_at", "due_at"),
    [
        # 2024-01-31 10:00 Shanghai -> 2024-02-29 (leap year, month-end clamp)
        (datetime(2024, 1, 31, 2, 0, tzinfo=UTC), datetime(2024, 2, 29, 2, 0, tzinfo=UTC)),
        # 2023-01-31 -> 2023-02-28
        (datetime(2023, 1, 31, 2, 0, tzinfo=UTC), datetime(2023, 2, 28, 2, 0, tzinfo=UTC)),
        # 2024-01-31 16:30Z is already 2024-02-01 00:30 in Shanghai -> 2024-03-01 00:30 there
        (datetime(2024, 1, 31, 16, 30, tzinfo=UTC), datetime(2024, 2, 29, 16, 30, tzinfo=UTC)),
    ],
    ids=["leap_month_end", "common_month_end", "shanghai_day_not_utc_day"],
)
def test_approve_clamps_verification_deadline_to_month_end_in_shanghai(
    db_url: str, org: Org, approved_at: datetime, due_at: datetime
) -> None:
    service = jiuzhu.connect(
        db_url, clock=FakeClock(approved_at), policy={"monthly_payments": False}
    )
    try:
        case = case_in(service, org, "provisionally_approved")
        rows = deadline_rows(service, case.id)
    finally:
        service.close()
    assert case.deadlines == {"verification_due": due_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    assert [r["due_at"] for r in rows] == [due_at]


@pytest.mark.parametrize("trigger", ["verify", "revoke", "terminate"])
def test_check_result_cancels_verification_deadline(
    svc: CaseService, org: Org, clock: FakeClock, trigger: str
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    clock.set(datetime(2024, 4, 10, 2, 0, tzinfo=UTC))
    case = fire(svc, org, case, trigger)
    # a verified case's first re-review falls due by its cycle (stable: 12 months, 2025-04-01)
    rereview = {"rereview_due": "2025-03-31T16:00:00.000000Z"} if trigger == "verify" else {}
    assert case.deadlines == rereview
    [row] = [r for r in deadline_rows(svc, case.id) if r["kind"] == "verification_due"]
    assert (row["status"], row["opened_seq"], row["closed_seq"]) == ("cancelled", 4, 5)


# -- personal data ----------------------------------------------------------------------------


def test_events_never_contain_names_or_id_numbers(svc: CaseService, org: Org) -> None:
    members = new_members(3)
    household = make_household(svc, org.village, members=members)
    secrets = [m["name"] for m in members] + [m["id_number"] for m in members]
    secrets += [m["id_number"][:17] for m in members]  # the number without its check character
    for final in ("verify", "revoke"):
        case = open_case(svc, org, household=household)
        case = fire(svc, org, case, "promise", signed_by=household.member_ids[1])
        for trigger in ("review", "approve", final):
            case = fire(svc, org, case, trigger)
    withdrawn = open_case(svc, org, household=household)
    fire(svc, org, withdrawn, "withdraw")

    with svc.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(store.events.select())]
    assert len(rows) == 2 * 5 + 2
    stored = json.dumps(rows, ensure_ascii=False, default=str)
    shown = json.dumps(
        [e.to_dict() for c in svc.list_cases(org.county) for e in svc.history(org.county, c.id)],
        ensure_ascii=False,
    )
    assert household.member_ids[1] in stored  # events do name people: by their record id
    for secret in secrets:
        assert secret not in stored
        assert secret not in shown
