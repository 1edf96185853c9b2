"""The household's chain (一户一条救助链) through the library, on SQLite and PostgreSQL: every
case, payment and service of one household across workflows, in time order, units by name,
amounts in yuan; names shown are logged as personal-data reads, auditors see none."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from helpers import Org, fire, make_county, make_household, open_case

from jiuzhu import CaseService, FakeClock, InvalidInput, NotFound, PermissionDenied
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.views import HouseholdView

QINHUAI = "320104"  # Nanjing: dibao line 945, for temporary assistance
WEEKLY = {"type": "cron", "day_of_week": "mon", "hour": 9}


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def nj(svc: CaseService) -> Org:
    return make_county(svc, QINHUAI)


def approved(svc: CaseService, org: Org, home: HouseholdView, applicant: str) -> Any:
    case = open_case(svc, org, household=home, applicant_id=applicant)
    for trigger in ("promise", "review", "approve"):
        case = fire(svc, org, case, trigger)
    return case


def a_year_of_one_household(svc: CaseService, org: Org, clock: FakeClock) -> dict[str, Any]:
    """A fast-track dibao case with a cleaning plan (15 March), a temporary grant to the other
    member (16 March) and a second dibao case (18 March), then the April pay day."""
    home = make_household(svc, org.village, 2)
    first = approved(svc, org, home, home.member_ids[0])
    plan = svc.open_service_plan(org.village, first.id, kind="cleaning",
                                 provider={"name": "暖心洁家"}, recurrence=WEEKLY)  # fmt: skip
    clock.set(shanghai(2024, 3, 16, 10))
    grant = svc.apply_temporary(org.village, household_id=home.id,
                                applicant_id=home.member_ids[1], new_citizen=True)  # fmt: skip
    svc.assess_temporary(org.village, grant.id, income="1800", income_evidence="工资流水")
    svc.decide_temporary(org.township, grant.id, decision="approve", multiplier=3,
                         in_kind="1000")  # fmt: skip
    svc.pay_temporary(org.township, grant.id)
    clock.set(shanghai(2024, 3, 18, 10))
    second = approved(svc, org, home, home.member_ids[1])
    clock.set(shanghai(2024, 4, 15, 10))
    sweep(svc, worker="test", now=clock.now())
    return {"home": home, "first": first, "grant": grant, "second": second,
            "plan": next(iter(plan.facts["plans"]))}  # fmt: skip


def test_every_case_payment_and_service_in_time_order_with_units_and_yuan(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    story = a_year_of_one_household(svc, nj, clock)
    first, grant, second = story["first"], story["grant"], story["second"]
    page = svc.household_chain(nj.village, story["home"].id, limit=1000)
    items = page.items
    assert page.total == len(items) and page.next is None
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    assert {i["unit_name"] for i in items} == {"团结社区"}
    opened = [(i["case_no"], i["workflow"], i["state"]) for i in items if i["kind"] == "case"]
    assert opened == [(first.case_no, "fast_track", "provisionally_approved"),
                      (grant.case_no, "temporary", "paid"),
                      (second.case_no, "fast_track", "provisionally_approved")]  # fmt: skip
    paid = [(i["case_id"], i["what"], i["period"], i["amount_yuan"], i["amount_fen"])
            for i in items if i["kind"] == "payment"]  # fmt: skip
    assert paid == [
        (grant.id, "temporary_cash", None, "4670.00", 467_000),
        (grant.id, "temporary_in_kind", None, "1000.00", 100_000),
        (first.id, "allowance", "2024-03", "2000.00", 200_000),
        (first.id, "allowance", "2024-04", "2000.00", 200_000),
    ]
    withheld = [(i["case_id"], i["period"], i["overlap_case"], i["overlap_case_no"])
                for i in items if i["kind"] == "withheld"]  # fmt: skip
    assert withheld == [(second.id, "2024-03", first.id, first.case_no),
                        (second.id, "2024-04", first.id, first.case_no)]  # fmt: skip
    services = [i for i in items if i["kind"] == "service"]
    assert services[0]["what"] == "plan.open" and services[0]["plan_id"] == story["plan"]
    assert {(s["service"], s["service_zh"], s["provider"]["name"]) for s in services} == {
        ("cleaning", "清洁照料", "暖心洁家")}  # fmt: skip
    assert {s["what"] for s in services[1:]} == {"plan.miss"}  # the Mondays nobody came
    labels = {i["what"]: (i["what_zh"], i["what_en"]) for i in items}
    assert labels["allowance"] == ("低保金", "monthly allowance")
    assert all(i["kind_zh"] and i["kind_en"] for i in items)


def test_names_shown_are_logged_and_auditors_see_none(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    story = a_year_of_one_household(svc, nj, clock)
    home = story["home"]
    before = len(svc.personal_data_reads(nj.county, limit=1000))
    cases = [i for i in svc.household_chain(nj.township, home.id).items if i["kind"] == "case"]
    assert [c["applicant_name"] for c in cases] == ["陈必华", "王秀英", "王秀英"]
    log = svc.personal_data_reads(nj.county, limit=1000)
    new = log[: len(log) - before]
    assert sorted(e.person_id for e in new) == sorted(home.member_ids)
    assert {(e.purpose, e.actor_role, e.actor_org) for e in new} == {
        ("household", "township", nj.township.org)}  # fmt: skip
    audited = svc.household_chain(nj.auditor, home.id).items
    assert {i["applicant_name"] for i in audited if i["kind"] == "case"} == {""}
    assert len(svc.personal_data_reads(nj.county, limit=1000)) == len(log)  # nothing logged


def test_pages_join_up_and_bad_reads_are_refused(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    story = a_year_of_one_household(svc, nj, clock)
    home = story["home"]
    whole = svc.household_chain(nj.county, home.id, limit=1000).items
    seen, after = [], None
    while True:
        page = svc.household_chain(nj.county, home.id, limit=4, after=after)
        assert page.total == len(whole) and len(page.items) <= 4
        seen += page.items
        if page.next is None:
            break
        after = page.next
    assert seen == whole
    with pytest.raises(PermissionDenied):
        svc.household_chain(nj.neighbour_village, home.id)
    with pytest.raises(NotFound) as missing:
        svc.household_chain(nj.county, str(uuid.uuid4()))
    assert "未找到家庭" in missing.value.zh
    with pytest.raises(InvalidInput, match="cursor"):
        svc.household_chain(nj.county, home.id, after="not-a-cursor")
    with pytest.raises(InvalidInput):
        svc.household_chain(nj.county, home.id, limit=0)


def test_a_household_without_cases_has_an_empty_chain(svc: CaseService, org: Org) -> None:
    home = make_household(svc, org.village, 1)
    page = svc.household_chain(org.village, home.id)
    assert (page.items, page.total, page.next) == ([], 0, None)
