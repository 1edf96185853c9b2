"""Invisible format characters in text are refused; a second registration of a person says
only what the registering unit may know."""

from __future__ import annotations

import pytest
from helpers import Org, db_snapshot, make_county, make_household, new_id_number

from jiuzhu import CaseService, InvalidInput


@pytest.mark.parametrize(
    ("bad", "code"),
    [("陈\u202e华必", "U+202E"), ("陈\u200b必华", "U+200B"), ("\u2066陈必华\u2069", "U+2066"),
     ("陈必\u200d华", "U+200D"), ("陈\ufeff必华", "U+FEFF"), ("Chen\u00adBihua", "U+00AD"),
     ("陈\u200f必华", "U+200F")],
    ids=["rlo", "zwsp", "isolate", "zwj", "bom", "soft-hyphen", "rlm"],
)  # fmt: skip
def test_names_with_format_characters_are_refused_naming_the_code_point_and_field(
    svc: CaseService, org: Org, bad: str, code: str
) -> None:
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput) as caught:
        svc.register_household(org.village, members=[
            {"name": bad, "id_number": new_id_number(), "relation": "head"}])  # fmt: skip
    assert code in caught.value.message and "member 1 name" in caught.value.message
    assert code in caught.value.zh
    assert caught.value.details == {"field": "member 1 name", "code_point": code}
    assert db_snapshot(svc) == before


def test_free_text_keeps_chinese_english_newlines_and_tabs(svc: CaseService, org: Org) -> None:
    home = make_household(svc, org.village)
    case = svc.apply(org.village, household_id=home.id, applicant_id=home.member_ids[0],
                     programme="dibao", cause="major_illness", expenditure="50000")  # fmt: skip
    reason = "住院费用单据不全。\nBills missing:\tward 3 — 《说明》见附件"
    svc.withdraw(org.village, case.id, reason=reason)
    assert svc.history(org.village, case.id)[-1].payload["reason"] == reason


def test_a_reason_with_a_right_to_left_override_is_refused(svc: CaseService, org: Org) -> None:
    home = make_household(svc, org.village)
    case = svc.apply(org.village, household_id=home.id, applicant_id=home.member_ids[0],
                     programme="dibao", cause="major_illness", expenditure="50000")  # fmt: skip
    with pytest.raises(InvalidInput, match=r"reason contains .*U\+202E"):
        svc.withdraw(org.village, case.id, reason="金额 \u202e0005")
    assert svc.get_case(org.village, case.id).state == case.state


def test_registering_a_person_of_another_county_does_not_name_that_household(
    svc: CaseService, org: Org
) -> None:
    other = make_county(svc, "320923")
    number = new_id_number()
    theirs = svc.register_household(other.village, members=[
        {"name": "陈必华", "id_number": number, "relation": "head"}])  # fmt: skip
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput) as caught:
        svc.register_household(org.village, members=[
            {"name": "陈必华", "id_number": number, "relation": "head"}])  # fmt: skip
    error = caught.value
    assert theirs.id not in error.message and theirs.id not in error.zh
    assert "320923" not in error.message and "320923" not in error.zh
    assert "already registered" in error.message and "transfer" in error.message
    assert "转移" in error.zh
    assert db_snapshot(svc) == before


def test_registering_a_person_again_inside_the_jurisdiction_names_the_household(
    svc: CaseService, org: Org
) -> None:
    number = new_id_number()
    home = svc.register_household(org.village, members=[
        {"name": "陈必华", "id_number": number, "relation": "head"}])  # fmt: skip
    with pytest.raises(InvalidInput, match=f"household {home.id}"):
        svc.register_household(org.village, members=[
            {"name": "陈必华", "id_number": number, "relation": "head"}])  # fmt: skip
