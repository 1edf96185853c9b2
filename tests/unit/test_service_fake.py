"""The service's authorisation and validation, on the in-memory fake of its persistence port.

No database: :class:`jiuzhu.models.memory.MemoryStatements` stands in for the statements, so
these tests run the real commands (roles, jurisdiction, input checks, the workflow's
transitions, idempotency keys) in milliseconds.  The integration suite runs the same service
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from helpers import Org, case_in, fire, make_county, make_household, open_case

from jiuzhu import (
    FakeClock,
    GuardRejected,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
)
from jiuzhu.models.memory import MemoryCalendar, MemoryData, MemoryStatements, MemoryUnitOfWork
from jiuzhu.service.base import CommandBase
from jiuzhu.service.service import CaseService

START = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)


class MemoryService(CaseService):
    """The service on :class:`MemoryData` instead of an engine."""

    def __init__(self, clock: FakeClock) -> None:
        self.data = MemoryData()
        sql: Any = MemoryStatements()
        CommandBase.__init__(self, sql, MemoryUnitOfWork(self.data),  # type: ignore[arg-type]
                             MemoryCalendar(), clock=clock)  # type: ignore[arg-type]  # fmt: skip

    def close(self) -> None:
        pass


@pytest.fixture
def svc() -> MemoryService:
    return MemoryService(FakeClock(START))


@pytest.fixture
def org(svc: MemoryService) -> Org:
    return make_county(svc)


def snapshot(svc: MemoryService) -> tuple[int, ...]:
    d = svc.data
    return (len(d.cases), len(d.events), len(d.deadlines), len(d.ledger), len(d.command_keys),
            *(c["row_version"] for c in d.cases.values()))  # fmt: skip


def test_the_fast_track_runs_on_the_fake(svc: MemoryService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    assert case.state == "provisionally_approved"
    assert [e.seq for e in svc.data.events] == [1, 2, 3, 4]
    assert svc.get_case(org.village, case.id).row_version == case.row_version


@pytest.mark.parametrize("who", ["township", "county", "auditor", "admin"])
def test_apply_by_a_role_that_may_not_is_denied(svc: MemoryService, org: Org, who: str) -> None:
    home = make_household(svc, org.village)
    with pytest.raises(PermissionDenied, match="may not apply"):
        svc.apply(getattr(org, who), household_id=home.id, applicant_id=home.member_ids[0],
                  programme="dibao", cause="major_illness", expenditure="90000")  # fmt: skip
    assert not svc.data.cases


def test_approval_by_a_village_is_denied(svc: MemoryService, org: Org) -> None:
    case = case_in(svc, org, "reviewed")
    before = snapshot(svc)
    with pytest.raises(PermissionDenied):
        fire(svc, org, case, "approve", actor=org.village)
    assert snapshot(svc) == before


@pytest.mark.parametrize("outsider", ["neighbour_village", "far_village"])
def test_a_village_outside_the_jurisdiction_is_denied(
    svc: MemoryService, org: Org, outsider: str
) -> None:
    case = case_in(svc, org, "applied")
    before = snapshot(svc)
    with pytest.raises(PermissionDenied, match="outside the jurisdiction"):
        fire(svc, org, case, "promise", actor=getattr(org, outsider))
    with pytest.raises(PermissionDenied):
        svc.get_case(getattr(org, outsider), case.id)
    assert snapshot(svc) == before


def test_another_countys_household_is_out_of_reach(svc: MemoryService, org: Org) -> None:
    other = make_county(svc, "320923")
    home = make_household(svc, other.village)
    with pytest.raises(PermissionDenied):
        svc.apply(org.village, household_id=home.id, applicant_id=home.member_ids[0],
                  programme="dibao", cause="major_illness", expenditure="90000")  # fmt: skip


@pytest.mark.parametrize("bad", ["", "not-a-uuid", "3f2b8c1e-5d4a-4b6f-9c0d", 42, None])
def test_a_malformed_case_id_is_refused(svc: MemoryService, org: Org, bad: object) -> None:
    with pytest.raises(InvalidInput, match="malformed"):
        svc.promise(org.village, bad, signed_by="3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d")  # type: ignore[arg-type]


def test_an_unknown_case_is_not_found(svc: MemoryService, org: Org) -> None:
    with pytest.raises(NotFound):
        svc.get_case(org.village, "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d")


@pytest.mark.parametrize("amount", ["1e9", "-5", "12.345", "abc", "100000000"])
def test_an_absurd_approval_amount_is_refused(svc: MemoryService, org: Org, amount: str) -> None:
    case = case_in(svc, org, "reviewed")
    before = snapshot(svc)
    with pytest.raises(InvalidInput):
        fire(svc, org, case, "approve", monthly_amount=amount)
    assert snapshot(svc) == before


def test_an_absurd_expenditure_is_refused(svc: MemoryService, org: Org) -> None:
    with pytest.raises(InvalidInput):
        open_case(svc, org, expenditure="99999999999")
    assert not svc.data.cases


def test_an_unknown_programme_is_refused(svc: MemoryService, org: Org) -> None:
    with pytest.raises(GuardRejected, match="unknown programme"):
        open_case(svc, org, programme="lottery")
    assert not svc.data.cases and not svc.data.events


def test_a_trigger_the_state_does_not_allow_is_refused(svc: MemoryService, org: Org) -> None:
    case = case_in(svc, org, "applied")
    before = snapshot(svc)
    with pytest.raises(TransitionNotAllowed):
        fire(svc, org, case, "approve")
    assert snapshot(svc) == before
    assert svc.get_case(org.village, case.id).state == "applied"


def test_a_failed_command_leaves_the_data_as_it_was(svc: MemoryService, org: Org) -> None:
    case = case_in(svc, org, "applied")
    fire(svc, org, case, "promise", idempotency_key="k")
    before = snapshot(svc)
    other = case_in(svc, org, "applied")
    middle = snapshot(svc)
    with pytest.raises(IdempotencyKeyReused, match="'k'"):
        fire(svc, org, other, "promise", idempotency_key="k")
    assert snapshot(svc) == middle and middle != before


def test_a_retry_replays_and_other_arguments_are_refused(svc: MemoryService, org: Org) -> None:
    case = case_in(svc, org, "reviewed")
    first = fire(svc, org, case, "approve", monthly_amount="2000", idempotency_key="a-1")
    again = fire(svc, org, case, "approve", monthly_amount="2000", idempotency_key="a-1")
    assert again.replayed and again.row_version == first.row_version
    with pytest.raises(IdempotencyKeyReused, match="other arguments"):
        fire(svc, org, case, "approve", monthly_amount="2500", idempotency_key="a-1")


def test_a_name_with_a_right_to_left_override_is_refused(svc: MemoryService, org: Org) -> None:
    with pytest.raises(InvalidInput, match=r"U\+202E"):
        make_household(svc, org.village, members=[
            {"name": "陈\u202e华必", "id_number": "320922195001010011", "relation": "head"}])  # fmt: skip
