"""Routing between the paths: a fast-track refusal opens the standard path; a household
waiting on the standard path may receive temporary assistance meanwhile."""

from __future__ import annotations

import pytest
from helpers import Org, db_snapshot, fire, make_county, make_household, open_case

from jiuzhu import CaseService, GuardRejected, InvalidInput


@pytest.fixture
def nj(svc: CaseService) -> Org:
    return make_county(svc, "320104")


def test_below_threshold_refusal_is_routed_to_the_standard_path(svc: CaseService, nj: Org) -> None:
    home = make_household(svc, nj.village, 3)
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected) as err:
        svc.apply(nj.village, household_id=home.id, applicant_id=home.member_ids[0],
                  programme="dibao", cause="accident", expenditure="29999")  # fmt: skip
    assert "apply on the standard path instead" in err.value.message
    assert db_snapshot(svc) == before  # the refusal wrote nothing
    case = svc.apply_standard(nj.village, household_id=home.id, applicant_id=home.member_ids[0],
                              fast_track_expenditure="29999")  # fmt: skip
    assert case.workflow == "standard" and case.expenditure_fen == 2_999_900
    assert case.facts["referral"] == {
        "from": "fast_track",
        "reason": "below_threshold",
        "expenditure_fen": 2_999_900,
        "threshold_fen": 3_000_000,
    }


def test_an_expenditure_at_the_threshold_is_not_a_refusal(svc: CaseService, nj: Org) -> None:
    home = make_household(svc, nj.village)
    with pytest.raises(InvalidInput):
        svc.apply_standard(nj.village, household_id=home.id, applicant_id=home.member_ids[0],
                           fast_track_expenditure="30000")  # fmt: skip


def test_a_refused_fast_track_case_is_referenced(svc: CaseService, nj: Org) -> None:
    ft = open_case(svc, nj, village=nj.village)
    for trigger in ("promise", "review"):
        ft = fire(svc, nj, ft, trigger)
    pending = ft
    with pytest.raises(GuardRejected):  # still pending on the fast track
        svc.apply_standard(nj.village, household_id=ft.household_id,
                           applicant_id=ft.facts["applicant_id"], fast_track_case=pending.id)  # fmt: skip
    ft = fire(svc, nj, ft, "refuse")
    case = svc.apply_standard(nj.village, household_id=ft.household_id,
                              applicant_id=ft.facts["applicant_id"], fast_track_case=ft.id)  # fmt: skip
    assert case.facts["referral"] == {"from": "fast_track", "case_id": ft.id, "state": "rejected"}
    other = make_household(svc, nj.village)
    with pytest.raises(GuardRejected):  # another household's case
        svc.apply_standard(nj.village, household_id=other.id, applicant_id=other.member_ids[0],
                           fast_track_case=ft.id)  # fmt: skip


def test_temporary_assistance_while_waiting_on_the_standard_path(svc: CaseService, nj: Org) -> None:
    home = make_household(svc, nj.village, 2)
    standard = svc.apply_standard(nj.village, household_id=home.id,
                                  applicant_id=home.member_ids[0])  # fmt: skip
    standard = svc.accept_standard(nj.township, standard.id)
    temp = svc.apply_temporary(nj.village, household_id=home.id, applicant_id=home.member_ids[0],
                               waiting_on=standard.id)  # fmt: skip
    assert temp.facts["waiting_on"] == standard.id
    other = make_household(svc, nj.village)
    with pytest.raises(GuardRejected):
        svc.apply_temporary(nj.village, household_id=other.id, applicant_id=other.member_ids[0],
                            waiting_on=standard.id)  # fmt: skip
    svc.withdraw(nj.village, standard.id, reason="改为临时救助")
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected) as err:
        svc.apply_temporary(nj.village, household_id=home.id, applicant_id=home.member_ids[0],
                            waiting_on=standard.id)  # fmt: skip
    assert "no longer pending" in err.value.message
    assert db_snapshot(svc) == before
