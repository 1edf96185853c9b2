"""The county report: per county and township, cases by state, beneficiaries, money paid this
month and in total, open recoveries, overdue checks and missed visits (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import Org, case_in, fire, make_household, open_case

from jiuzhu import CaseService, FakeClock, InvalidInput, PermissionDenied
from jiuzhu.scheduler.sweep import sweep


def at(svc: CaseService, clock: FakeClock, instant: datetime) -> None:
    clock.set(instant)
    sweep(svc, worker="report", now=instant)


def by_unit(rows: list[dict]) -> dict[str, dict]:
    return {r["unit"]: r for r in rows}


def test_report_counts_cases_people_and_money_per_county_and_township(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    home = make_household(svc, org.village, 3)  # three people, one paying case
    paying = open_case(svc, org, household=home)
    for trigger in ("promise", "review", "approve"):
        paying = fire(svc, org, paying, trigger)
    fraud = case_in(svc, org, "provisionally_approved", village=org.far_village)
    case_in(svc, org, "applied", village=org.neighbour_village)
    at(svc, clock, clock.now())  # March paid to both on the day
    at(svc, clock, datetime(2024, 4, 16, tzinfo=UTC))  # and April
    fraud = fire(svc, org, svc.get_case(org.county, fraud.id), "revoke")
    svc.record_repayment(org.other_township, fraud.id, amount="1000")

    rows = by_unit(svc.report(org.county, month="2024-04"))
    county = rows[org.county.org]
    assert (county["level"], county["cases"], county["fast_track_cases"]) == ("county", 3, 3)
    assert county["states"] == {"provisionally_approved": 1, "revoked": 1, "applied": 1}
    assert county["beneficiaries"] == 3  # the revoked household no longer counts
    assert county["paid_total_fen"] == 4 * 200_000
    assert county["paid_this_month_fen"] == 2 * 200_000  # April's two allowances
    assert (county["open_recoveries"], county["owed_fen"]) == (1, 400_000 - 100_000)
    assert county["overdue_verifications"] == 1  # the paying case, due 04-15
    near, far = rows[org.township.org], rows[org.other_township.org]
    assert (near["cases"], near["paid_total_fen"], near["open_recoveries"]) == (2, 400_000, 0)
    assert (far["cases"], far["paid_total_fen"], far["owed_fen"]) == (1, 400_000, 300_000)
    for key in ("cases", "paid_total_fen", "owed_fen", "beneficiaries"):
        assert county[key] == near[key] + far[key]


def test_township_sees_only_its_own_row_and_not_other_units(svc: CaseService, org: Org) -> None:
    case_in(svc, org, "provisionally_approved")
    rows = svc.report(org.township)
    assert [r["unit"] for r in rows] == [org.township.org]
    with pytest.raises(PermissionDenied):
        svc.report(org.township, org=org.other_township.org)


def test_report_lists_units_without_cases_with_zeros(svc: CaseService, org: Org) -> None:
    rows = svc.report(org.auditor)
    assert [r["unit"] for r in rows] == [org.county.org, org.township.org,
                                         org.other_township.org]  # fmt: skip
    assert all(r["cases"] == 0 and r["paid_total_fen"] == 0 for r in rows)


def test_report_refuses_a_malformed_month(svc: CaseService, org: Org) -> None:
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        svc.report(org.county, month="2024-13")


def test_missed_visits_show_in_the_report(svc: CaseService, org: Org, clock: FakeClock) -> None:
    case = case_in(svc, org, "provisionally_approved")
    svc.open_service_plan(org.village, case.id, kind="home_visit", provider={"name": "暖心家政"},
                          recurrence={"type": "interval", "days": 7})  # fmt: skip
    at(svc, clock, clock.now() + timedelta(days=14, hours=12))  # 03-15 and 03-22 missed
    county = by_unit(svc.report(org.county))[org.county.org]
    assert county["missed_visits"] == 2


def test_report_uses_the_service_clock_for_this_month(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case_in(svc, org, "provisionally_approved")
    at(svc, clock, clock.now())
    assert by_unit(svc.report(org.county))[org.county.org]["paid_this_month_fen"] == 200_000
    at(svc, clock, datetime(2024, 4, 2, tzinfo=UTC))
    assert by_unit(svc.report(org.county))[org.county.org]["paid_this_month_fen"] == 0
