"""Reading a household: members with masked ID numbers; names for case workers, not auditors."""

from __future__ import annotations

import pytest
from helpers import Org, db_snapshot, make_household, new_id_number

from jiuzhu import CaseService, InvalidInput, PermissionDenied


def test_get_household_masks_id_numbers_and_shows_names_to_the_village(
    svc: CaseService, org: Org
) -> None:
    home = make_household(svc, org.village, size=2)
    seen = svc.get_household(org.village, home.id)
    assert seen.member_ids == sorted(home.member_ids)
    for member in seen.members:
        assert member["name"]
        assert member["id_number"][6:14] == "********" and len(member["id_number"]) == 18


def test_get_household_hides_names_from_auditors(svc: CaseService, org: Org) -> None:
    home = make_household(svc, org.village)
    assert all("name" not in m for m in svc.get_household(org.auditor, home.id).members)


def test_get_household_is_denied_outside_the_jurisdiction(svc: CaseService, org: Org) -> None:
    home = make_household(svc, org.village)
    with pytest.raises(PermissionDenied):
        svc.get_household(org.neighbour_village, home.id)


@pytest.mark.parametrize(
    "bad", ["陈\x00必华", "a\x07b", "\ud800x"], ids=["nul", "bell", "surrogate"]
)
def test_text_with_control_characters_or_broken_unicode_is_refused_and_writes_nothing(
    svc: CaseService, org: Org, bad: str
) -> None:
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput, match="control characters or broken Unicode"):
        svc.register_household(org.village, members=[
            {"name": bad, "id_number": new_id_number(), "relation": "head"}])  # fmt: skip
    assert db_snapshot(svc) == before
