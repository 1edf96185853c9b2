"""Optimistic concurrency (``expected_version``) and idempotent retries (``idempotency_key``).

A stale version is a clear conflict that writes nothing.  A command retried with the key it was
first sent with returns that first result (``replayed=True``) and writes nothing; a key reused
for anything else is refused.
"""

from __future__ import annotations

import pytest
from helpers import Org, case_in, count_rows, db_snapshot, fire, make_household, open_case

from jiuzhu import (
    CaseService,
    ConcurrencyConflict,
    GuardRejected,
    IdempotencyKeyReused,
    InvalidInput,
    PermissionDenied,
)
from jiuzhu.service.views import CaseView

# Each trigger with the state it starts from.
STEPS = {
    "promise": "applied",
    "review": "promised",
    "fail_appraisal": "promised",
    "approve": "reviewed",
    "refuse": "reviewed",
    "verify": "provisionally_approved",
    "revoke": "provisionally_approved",
    "terminate": "provisionally_approved",
    "withdraw": "applied",
}


def same_result(a: CaseView, b: CaseView) -> bool:
    """Two views describe the same case at the same point (``replayed`` aside)."""
    first, second = a.to_dict(), b.to_dict()
    first.pop("replayed"), second.pop("replayed")
    return first == second


# -- expected_version -------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", list(STEPS))
def test_command_conflicts_when_expected_version_stale(
    svc: CaseService, org: Org, trigger: str
) -> None:
    case = case_in(svc, org, STEPS[trigger])
    before = db_snapshot(svc)
    with pytest.raises(ConcurrencyConflict, match="changed since you read it") as err:
        fire(svc, org, case, trigger, expected_version=case.row_version - 1)
    assert err.value.details == {
        "case_id": case.id,
        "expected_version": case.row_version - 1,
        "current_version": case.row_version,
    }
    assert db_snapshot(svc) == before


def test_command_conflicts_when_expected_version_ahead(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "applied")
    before = db_snapshot(svc)
    with pytest.raises(ConcurrencyConflict):
        fire(svc, org, case, "promise", expected_version=case.row_version + 1)
    assert db_snapshot(svc) == before


def test_command_succeeds_when_expected_version_current(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "reviewed")
    after = fire(svc, org, case, "approve", expected_version=case.row_version)
    assert (after.state, after.row_version) == ("provisionally_approved", case.row_version + 1)


def test_second_writer_conflicts_when_both_read_same_version(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "reviewed")
    fire(svc, org, case, "approve", expected_version=case.row_version)
    before = db_snapshot(svc)
    with pytest.raises(ConcurrencyConflict):
        fire(svc, org, case, "refuse", expected_version=case.row_version)
    assert db_snapshot(svc) == before
    assert svc.get_case(org.county, case.id).state == "provisionally_approved"


@pytest.mark.parametrize("version", [-1, True, "3", 2.0, 100_001], ids=repr)
def test_command_is_refused_with_invalid_input_when_expected_version_malformed(
    svc: CaseService, org: Org, version: object
) -> None:
    case = case_in(svc, org, "applied")
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput, match="expected version"):
        fire(svc, org, case, "promise", expected_version=version)
    assert db_snapshot(svc) == before


# -- idempotency keys -------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", list(STEPS))
def test_retry_with_same_key_writes_one_event_and_replays_first_result(
    svc: CaseService, org: Org, trigger: str
) -> None:
    case = case_in(svc, org, STEPS[trigger])
    first = fire(svc, org, case, trigger, idempotency_key=f"req-{trigger}-1")
    events = count_rows(svc, "events")

    again = fire(svc, org, case, trigger, idempotency_key=f"req-{trigger}-1")

    assert (first.replayed, again.replayed) == (False, True)
    assert same_result(first, again)
    assert count_rows(svc, "events") == events
    assert svc.get_case(org.county, case.id).row_version == first.row_version


def test_retry_with_same_key_and_stale_version_replays_first_result(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "reviewed")
    first = fire(svc, org, case, "approve", expected_version=3, idempotency_key="k-approve")
    again = fire(svc, org, case, "approve", expected_version=3, idempotency_key="k-approve")
    assert again.replayed and same_result(first, again)
    assert count_rows(svc, "events") == 4


def test_retry_replays_result_of_its_time_when_case_moved_on(svc: CaseService, org: Org) -> None:
    case = open_case(svc, org)
    promised = fire(svc, org, case, "promise", idempotency_key="k-promise")
    fire(svc, org, promised, "review")
    again = fire(svc, org, case, "promise", idempotency_key="k-promise")
    assert again.replayed and same_result(promised, again)
    assert again.state == "promised"
    assert svc.get_case(org.county, case.id).state == "reviewed"


def test_apply_retry_with_same_key_returns_first_case(svc: CaseService, org: Org) -> None:
    first = open_case(svc, org, idempotency_key="apply-1")
    again = svc.apply(
        org.village,
        household_id=first.household_id,
        applicant_id=first.facts["applicant_id"],
        programme="dibao",
        cause="major_illness",
        expenditure="90000",
        idempotency_key="apply-1",
    )
    assert (first.replayed, again.replayed) == (False, True)
    assert same_result(first, again)
    assert (count_rows(svc, "cases"), count_rows(svc, "events")) == (1, 1)


def test_key_is_refused_when_reused_on_another_case(svc: CaseService, org: Org) -> None:
    one, other = case_in(svc, org, "applied"), case_in(svc, org, "applied")
    fire(svc, org, one, "promise", idempotency_key="shared")
    before = db_snapshot(svc)
    with pytest.raises(IdempotencyKeyReused, match="shared") as err:
        fire(svc, org, other, "promise", idempotency_key="shared")
    assert one.id in err.value.message
    assert db_snapshot(svc) == before


@pytest.mark.parametrize(
    ("first", "then"),
    [("promise", "withdraw"), ("promise", "review"), ("apply", "promise"), ("approve", "refuse")],
)
def test_key_is_refused_when_reused_for_another_command_on_same_case(
    svc: CaseService, org: Org, first: str, then: str
) -> None:
    if first == "apply":
        case = open_case(svc, org, idempotency_key="one-key")
    else:
        case = fire(svc, org, case_in(svc, org, STEPS[first]), first, idempotency_key="one-key")
    before = db_snapshot(svc)
    with pytest.raises(IdempotencyKeyReused):
        fire(svc, org, case, then, idempotency_key="one-key")
    assert db_snapshot(svc) == before


def test_key_is_refused_when_apply_reuses_a_command_key(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "applied")
    fire(svc, org, case, "promise", idempotency_key="k")
    before = db_snapshot(svc)
    with pytest.raises(IdempotencyKeyReused):
        svc.apply(
            org.village,
            household_id=case.household_id,
            applicant_id=case.facts["applicant_id"],
            programme="dibao",
            cause="major_illness",
            expenditure="90000",
            idempotency_key="k",
        )
    assert db_snapshot(svc) == before


@pytest.mark.parametrize("outsider", ["neighbour_village", "other_township"])
def test_retry_is_denied_when_actor_outside_jurisdiction(
    svc: CaseService, org: Org, outsider: str
) -> None:
    case = case_in(svc, org, "applied")
    fire(svc, org, case, "withdraw", idempotency_key="k-withdraw")
    with pytest.raises(PermissionDenied):
        fire(svc, org, case, "withdraw", actor=getattr(org, outsider), idempotency_key="k-withdraw")


def test_apply_retry_is_denied_when_household_outside_jurisdiction(
    svc: CaseService, org: Org
) -> None:
    case = open_case(svc, org, idempotency_key="apply-k")
    with pytest.raises(PermissionDenied):
        svc.apply(
            org.neighbour_village,
            household_id=case.household_id,
            applicant_id=case.facts["applicant_id"],
            programme="dibao",
            cause="major_illness",
            expenditure="90000",
            idempotency_key="apply-k",
        )


@pytest.mark.parametrize("key", ["", "with space", "x" * 129, "键", "tab\there"], ids=repr)
def test_command_is_refused_with_invalid_input_when_key_malformed(
    svc: CaseService, org: Org, key: str
) -> None:
    case = case_in(svc, org, "applied")
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput, match="idempotency key"):
        fire(svc, org, case, "promise", idempotency_key=key)
    assert db_snapshot(svc) == before


def test_key_of_a_refused_command_stays_free(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "reviewed")
    with pytest.raises(GuardRejected):
        fire(svc, org, case, "approve", monthly_amount="0", idempotency_key="k-try")
    after = fire(svc, org, case, "approve", idempotency_key="k-try")
    assert (after.state, after.replayed) == ("provisionally_approved", False)


# -- keys are the unit's own, and name their arguments -------------------------------------------
def test_key_with_other_arguments_is_refused_naming_the_key(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "reviewed")
    first = fire(svc, org, case, "approve", monthly_amount="2000", idempotency_key="k-amount")
    before = db_snapshot(svc)
    with pytest.raises(IdempotencyKeyReused, match="'k-amount'.*other arguments") as err:
        fire(svc, org, case, "approve", monthly_amount="2500", idempotency_key="k-amount")
    assert err.value.details == {"key": "k-amount"}
    assert db_snapshot(svc) == before
    again = fire(svc, org, case, "approve", monthly_amount="2000", idempotency_key="k-amount")
    assert again.replayed and same_result(first, again)


def test_apply_for_another_household_under_the_same_key_is_refused(
    svc: CaseService, org: Org
) -> None:
    first = open_case(svc, org, idempotency_key="apply-h")
    other = make_household(svc, org.village)
    before = db_snapshot(svc)
    with pytest.raises(IdempotencyKeyReused, match="apply-h"):
        svc.apply(org.village, household_id=other.id, applicant_id=other.member_ids[0],
                  programme="dibao", cause="major_illness", expenditure="90000",
                  idempotency_key="apply-h")  # fmt: skip
    assert db_snapshot(svc) == before
    assert svc.get_case(org.village, first.id).household_id == first.household_id


def test_a_key_is_scoped_to_the_unit_that_gave_it(svc: CaseService, org: Org) -> None:
    mine, theirs = case_in(svc, org, "applied"), open_case(svc, org, village=org.far_village)
    fire(svc, org, mine, "promise", idempotency_key="same-key")
    done = fire(svc, org, theirs, "promise", idempotency_key="same-key")
    assert not done.replayed and done.state == "promised"


def test_a_key_reused_on_another_case_names_the_units_own_earlier_case(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "reviewed")
    fire(svc, org, case, "approve", idempotency_key="t-key")
    other = case_in(svc, org, "reviewed")
    with pytest.raises(IdempotencyKeyReused) as err:
        fire(svc, org, other, "approve", idempotency_key="t-key")
    assert case.id in err.value.message  # the township's own case: inside its jurisdiction
