"""Reading a household: members with masked ID numbers; names for case workers, not auditors."""

from __future__ import annotations

import pytest
from helpers import Org, make_household

from jiuzhu import CaseService, PermissionDenied


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
