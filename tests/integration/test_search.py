"""Search on SQLite and PostgreSQL: by name (substring) inside the jurisdiction only, by ID
number (exact, through the keyed digest index), by case number; auditors see no names; every
name shown is in the personal-data read log, which holds ids, never names."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from helpers import Org, make_county, make_household, new_id_number
from sqlalchemy import select

from jiuzhu import CaseService, FakeClock
from jiuzhu.errors import InvalidInput, NotFound, PermissionDenied
from jiuzhu.models import find_sql
from jiuzhu.models import rows as store
from jiuzhu.models.digests import DIGEST_KEY_SETTING
from jiuzhu.service.actors import Actor
from jiuzhu.service.views import HouseholdView


def household(svc: CaseService, village: Actor, *names: str) -> tuple[HouseholdView, list[str]]:
    """A household of ``names`` (the first the head) with a fast-track case; its ID numbers."""
    numbers = [new_id_number() for _ in names]
    members = [{"name": n, "id_number": i, "relation": "head" if k == 0 else "child"}
               for k, (n, i) in enumerate(zip(names, numbers, strict=True))]  # fmt: skip
    home = make_household(svc, village, members=members)
    svc.apply(village, household_id=home.id, applicant_id=home.member_ids[0], programme="dibao",
              cause="accident", expenditure="50000")  # fmt: skip
    return home, numbers


def log_rows(svc: CaseService) -> list[dict[str, object]]:
    with svc.engine.connect() as conn:
        found = conn.execute(select(find_sql.personal_data_reads)
                             .order_by(find_sql.personal_data_reads.c.id)).mappings().all()  # fmt: skip
    return [dict(r) for r in found]


@pytest.fixture
def homes(svc: CaseService, org: Org) -> dict[str, HouseholdView]:
    """A household with a case in three villages: two of one township, one of the other."""
    return {
        "village": household(svc, org.village, "陈必华", "陈小明")[0],
        "neighbour": household(svc, org.neighbour_village, "陈秀英")[0],
        "far": household(svc, org.far_village, "陈志强")[0],
    }


def found_names(svc: CaseService, actor: Actor, name: str) -> set[str]:
    return {h.person_name for h in svc.search(actor, name=name)}


def test_name_search_stays_inside_the_jurisdiction(
    svc: CaseService, org: Org, homes: dict[str, HouseholdView]
) -> None:
    assert found_names(svc, org.village, "陈") == {"陈必华", "陈小明"}
    assert found_names(svc, org.neighbour_village, "陈") == {"陈秀英"}
    assert found_names(svc, org.township, "陈") == {"陈必华", "陈小明", "陈秀英"}
    assert found_names(svc, org.other_township, "陈") == {"陈志强"}
    assert found_names(svc, org.county, "陈") == {"陈必华", "陈小明", "陈秀英", "陈志强"}
    assert found_names(svc, org.village, "秀英") == set()  # the neighbour's, not ours
    other = make_county(svc, "320923")
    assert found_names(svc, other.county, "陈") == set()


def test_name_search_matches_a_part_of_a_member_name_literally(
    svc: CaseService, org: Org, homes: dict[str, HouseholdView]
) -> None:
    [hit] = svc.search(org.village, name="小明")
    assert (hit.person_name, hit.relation, hit.household_id) == ("陈小明", "child",
                                                                  homes["village"].id)  # fmt: skip
    assert hit.case.household_id == homes["village"].id and hit.case.case_no
    assert hit.to_dict()["case"]["case_no"] == hit.case.case_no
    for wildcard in ("%", "_", "陈_明"):
        assert svc.search(org.county, name=wildcard) == []


def test_id_number_search_is_exact_and_inside_the_jurisdiction(svc: CaseService, org: Org) -> None:
    home, numbers = household(svc, org.village, "王秀英", "王小红")
    [hit] = svc.search(org.township, id_number=numbers[1])
    assert (hit.person_id, hit.person_name) == (home.member_ids[1], "王小红")
    assert (
        svc.search(org.village, id_number=f" {numbers[1].lower()} ")[0].person_id
        == (home.member_ids[1])
    )
    assert svc.search(org.neighbour_village, id_number=numbers[1]) == []
    assert svc.search(org.county, id_number=new_id_number()) == []  # valid, never registered


def test_a_malformed_id_number_is_refused_in_both_languages_and_logs_nothing(
    svc: CaseService, org: Org
) -> None:
    _, numbers = household(svc, org.village, "王秀英")
    wrong = numbers[0][:-1] + ("0" if numbers[0][-1] != "0" else "1")  # bad check character
    for bad in ("123", wrong):
        with pytest.raises(InvalidInput) as refused:
            svc.search(org.village, id_number=bad)
        assert refused.value.zh and refused.value.zh != str(refused.value)
    assert log_rows(svc) == []


def test_the_index_holds_keyed_digests_never_plain_numbers(svc: CaseService, org: Org) -> None:
    home, numbers = household(svc, org.village, "王秀英", "王小红")
    with svc.engine.connect() as conn:
        secret = conn.execute(find_sql.SELECT_SETTING, {"key": DIGEST_KEY_SETTING}).scalar_one()
        index = dict(conn.execute(select(find_sql.person_digests.c.person_id,
                                         find_sql.person_digests.c.digest)).all())  # fmt: skip
    for person_id, number in zip(home.member_ids, numbers, strict=True):
        expected = hmac.new(bytes.fromhex(secret), number.encode(), hashlib.sha256).hexdigest()
        assert index[person_id] == expected
        assert index[person_id] != hashlib.sha256(number.encode()).hexdigest()  # keyed
        assert number not in index[person_id]


def test_case_number_search_finds_the_applicant(svc: CaseService, org: Org) -> None:
    home, _ = household(svc, org.village, "李桂兰", "李小龙")
    [case] = svc.list_cases(org.village)
    [hit] = svc.search(org.township, case_no=case.case_no)
    assert (hit.case.id, hit.person_id, hit.person_name) == (case.id, home.member_ids[0], "李桂兰")
    with pytest.raises(PermissionDenied):
        svc.search(org.neighbour_village, case_no=case.case_no)
    with pytest.raises(NotFound):
        svc.search(org.county, case_no="320922-2024-999999")
    with pytest.raises(InvalidInput):
        svc.search(org.county, case_no="no such thing")


def test_search_takes_exactly_one_criterion(svc: CaseService, org: Org) -> None:
    for kwargs in ({}, {"name": "陈", "case_no": "320922-2024-000001"}):
        with pytest.raises(InvalidInput, match="exactly one"):
            svc.search(org.village, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        svc.search(org.village, name="")
    with pytest.raises(PermissionDenied):
        svc.search(org.admin, name="陈")


def test_auditors_find_cases_but_see_no_names(
    svc: CaseService, org: Org, homes: dict[str, HouseholdView]
) -> None:
    hits = svc.search(org.auditor, name="陈")
    assert len(hits) == 4 and {h.person_name for h in hits} == {""}
    members = svc.members(org.auditor, homes["village"].id)
    assert [m.name for m in members] == ["", ""]
    assert all("*" in m.id_number_masked for m in members)
    assert log_rows(svc) == []  # nothing personal was shown


# -- the read log ---------------------------------------------------------------------------


def test_every_name_shown_is_logged_by_person_id_with_who_when_and_why(
    svc: CaseService, org: Org, clock: FakeClock, homes: dict[str, HouseholdView]
) -> None:
    worker = Actor(org.village.role, org.village.org, "bh-07")
    hits = svc.search(worker, name="陈")
    svc.get_household(org.township, homes["neighbour"].id)
    svc.members(org.county, homes["far"].id, purpose="case page")
    rows = log_rows(svc)
    assert [
        (r["person_id"], r["purpose"], r["actor_role"], r["actor_org"], r["actor_user"])
        for r in rows
    ] == [  # fmt: skip
        *[(h.person_id, "search", "village", org.village.org, "bh-07") for h in hits],
        (homes["neighbour"].member_ids[0], "household", "township", org.township.org, None),
        (homes["far"].member_ids[0], "case page", "county", org.county.org, None),
    ]
    assert {r["read_at"] for r in rows} == {clock.now()}
    with svc.engine.connect() as conn:
        people = conn.execute(select(store.persons.c.name, store.persons.c.id_number)).all()
    stored = repr(rows)
    for name, number in people:
        assert name not in stored and number not in stored


def test_an_id_number_search_is_logged_even_for_an_auditor(svc: CaseService, org: Org) -> None:
    home, numbers = household(svc, org.village, "王秀英")
    [hit] = svc.search(org.auditor, id_number=numbers[0])
    assert hit.person_name == ""
    assert [(r["person_id"], r["purpose"]) for r in log_rows(svc)] == [(home.member_ids[0],
                                                                        "search")]  # fmt: skip


def test_a_refused_read_logs_nothing(
    svc: CaseService, org: Org, homes: dict[str, HouseholdView]
) -> None:
    with pytest.raises(PermissionDenied):
        svc.members(org.neighbour_village, homes["village"].id)
    with pytest.raises(PermissionDenied):
        svc.get_household(org.other_township, homes["village"].id)
    with pytest.raises(InvalidInput, match="purpose"):
        svc.members(org.village, homes["village"].id, purpose="curiosity")
    assert log_rows(svc) == []


def test_the_read_log_is_for_the_county_and_auditors_of_the_jurisdiction(
    svc: CaseService, org: Org, homes: dict[str, HouseholdView]
) -> None:
    svc.search(org.county, name="陈")  # four persons, one row each
    for actor in (org.village, org.township, org.centre, org.admin):
        with pytest.raises(PermissionDenied) as refused:
            svc.personal_data_reads(actor)
        assert refused.value.zh
    newest = svc.personal_data_reads(org.auditor, limit=3)
    assert len(newest) == 3 and [e.id for e in newest] == sorted((e.id for e in newest),
                                                                 reverse=True)  # fmt: skip
    rest = svc.personal_data_reads(org.county, before=newest[-1].id)
    assert len(rest) == 1 and rest[0].id < newest[-1].id
    assert {e.purpose for e in newest + rest} == {"search"}
    assert newest[0].to_dict()["read_at"].endswith("Z")
    other = make_county(svc, "320923")
    assert svc.personal_data_reads(other.auditor) == []  # not its people


def test_unit_names_cover_the_jurisdiction_and_the_units_above(svc: CaseService, org: Org) -> None:
    assert svc.unit_names(org.village) == {"320922": "滨海县", "320922100": "东坎街道",
                                           "320922100001": "团结社区"}  # fmt: skip
    assert set(svc.unit_names(org.township)) == {"320922", "320922100", "320922100001",
                                                 "320922100002"}  # fmt: skip
    assert len(svc.unit_names(org.county)) == 7
    with pytest.raises(PermissionDenied):
        svc.unit_names(org.admin)


@pytest.mark.parametrize("limit", [0, 1001, -1])
def test_a_limit_outside_1_to_1000_is_refused_not_cut(svc: CaseService, org: Org,
                                                      limit: int) -> None:  # fmt: skip
    with pytest.raises(InvalidInput, match="1 to 1000"):
        svc.search(org.village, name="陈", limit=limit)
    with pytest.raises(InvalidInput, match="1 to 1000"):
        svc.queue(org.village, "waiting", limit=limit)
    with pytest.raises(InvalidInput, match="1 to 1000"):
        svc.personal_data_reads(org.auditor, limit=limit)
