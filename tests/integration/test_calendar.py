"""The working-day calendar as loaded, dated data, on SQLite and PostgreSQL.

The 2027 notice loaded here is a test fixture (invented dates), never the State Council's.
Every test pins its clock; "today" is 2026-12-01, the day acceptances started being refused
for want of a 2027 calendar.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import Org, db_snapshot, make_county, make_household
from sqlalchemy import select

import jiuzhu
from jiuzhu import CaseService, FakeClock, InvalidInput, PermissionDenied
from jiuzhu.audit.verify import replay_case, verify_database
from jiuzhu.clock import SHANGHAI, iso_utc
from jiuzhu.errors import CalendarNotCovered
from jiuzhu.models.tables import EventRecord
from jiuzhu.service.views import CaseView

FIXTURE = Path(__file__).parent.parent / "fixtures" / "calendar-2027-test-fixture.toml"
NOTICE = FIXTURE.read_text(encoding="utf-8")
# a correction: 2027-01-04 (Monday) becomes a holiday, in force from 2026-12-15
CORRECTION = NOTICE.replace('document = "TEST-FIXTURE-2027-1"', 'document = "TEST-FIXTURE-2027-2"') \
    .replace("effective_from = 2026-11-01", "effective_from = 2026-12-15") \
    .replace('from = 2027-01-01\nto = 2027-01-03', 'from = 2027-01-01\nto = 2027-01-04')  # fmt: skip


def shanghai(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@pytest.fixture
def nj(svc: CaseService) -> Org:
    return make_county(svc, "320104")  # Qinhuai, Nanjing: the sourced dibao line


def opened(svc: CaseService, org: Org) -> CaseView:
    home = make_household(svc, org.village, 3)
    return svc.apply_standard(org.village, household_id=home.id, applicant_id=home.member_ids[0])


def load(svc: CaseService, org: Org, text: str = NOTICE) -> jiuzhu.service.calendar.Loaded:  # type: ignore[name-defined]
    return svc.calendar.import_notice(org.admin, text, filename="n.toml", now=svc.clock.now())


def events_of(svc: CaseService, case_id: str) -> list[dict]:
    with svc.engine.connect() as conn:
        rows = conn.execute(
            select(EventRecord.__table__)
            .where(  # type: ignore[attr-defined]
                EventRecord.__table__.c.case_id == case_id
            )
            .order_by("seq")
        ).all()  # type: ignore[attr-defined]
    return [r._asdict() for r in rows]


def test_without_2027_an_acceptance_on_1_december_is_refused_and_writes_nothing(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = opened(svc, nj)
    clock.set(shanghai("2026-12-01"))
    before = db_snapshot(svc)
    with pytest.raises(CalendarNotCovered) as err:
        svc.accept_standard(nj.township, case.id)
    assert err.value.details["year"] == 2027 and "jiuzhu calendar import" in err.value.message
    assert db_snapshot(svc) == before


def test_after_loading_2027_the_30_working_days_run_through_january(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    case = opened(svc, nj)
    loaded = load(svc, nj)
    assert (loaded.year, loaded.revision, loaded.created) == (2027, 1, True)
    clock.set(shanghai("2026-12-01"))
    case = svc.accept_standard(nj.township, case.id)
    # December 2026 holds 22 working days after the 1st (2-31); 1-3 January 2027 are the
    # fixture's holidays, so the 8 more run 4-13 January: due at 00:00 on the 14th
    assert case.deadlines["overall_limit"] == iso_utc(shanghai("2027-01-14", 0))
    accepted = events_of(svc, case.id)[-1]["payload"]["computed"]
    assert accepted["workday_limits"] == {"2026-12-01+30": iso_utc(shanghai("2027-01-14", 0)),
                                          "2026-12-01+3": iso_utc(shanghai("2026-12-05", 0))}  # fmt: skip
    assert accepted["calendar"] == {"2026": "chinese-calendar 1.11.0",
                                    "2027": "2027r1 TEST-FIXTURE-2027-1"}  # fmt: skip
    assert verify_database(svc.engine).ok


def test_a_correction_is_a_new_revision_that_never_changes_past_decisions(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    early, late = opened(svc, nj), opened(svc, nj)
    load(svc, nj)
    clock.set(shanghai("2026-12-01"))
    early = svc.accept_standard(nj.township, early.id)
    loaded = load(svc, nj, CORRECTION)
    assert (loaded.revision, loaded.effective_from) == (2, date(2026, 12, 15))
    # a limit counted before the correction is in force still uses revision 1 ...
    clock.set(shanghai("2026-12-14"))
    assert svc.accept_standard(nj.township, late.id).deadlines["overall_limit"] == iso_utc(
        shanghai("2027-01-27", 0)
    )
    # ... and the correction moves nothing already decided: replay answers from the events
    assert early.deadlines["overall_limit"] == iso_utc(shanghai("2027-01-14", 0))
    assert replay_case(svc.engine, early.id).ok and verify_database(svc.engine).ok
    assert svc.get_case(nj.county, early.id).deadlines == early.deadlines
    # a case accepted once the correction is in force counts 4 January as a holiday
    third = opened(svc, nj)
    clock.set(shanghai("2026-12-15"))
    third = svc.accept_standard(nj.township, third.id)
    assert third.deadlines["overall_limit"] == iso_utc(shanghai("2027-01-29", 0))  # r1: the 28th
    assert events_of(svc, third.id)[-1]["payload"]["computed"]["calendar"]["2027"] == \
        "2027r2 TEST-FIXTURE-2027-2"  # fmt: skip
    shown = svc.calendar.describe(date(2026, 12, 15), 2027)[0]
    assert shown["in_force"] == "2027r2 TEST-FIXTURE-2027-2"
    assert [r["revision"] for r in shown["revisions"]] == ["2027r1 TEST-FIXTURE-2027-1",
                                                           "2027r2 TEST-FIXTURE-2027-2"]  # fmt: skip


def test_loading_the_same_notice_again_writes_nothing(svc: CaseService, nj: Org) -> None:
    load(svc, nj)
    before = db_snapshot(svc)
    again = load(svc, nj)
    assert (again.revision, again.created) == (1, False)
    assert db_snapshot(svc) == before


@pytest.mark.parametrize("text,says", [
    (NOTICE.replace("to = 2027-02-13", "to = 2027-02-12"), "never rewritten"),
    (CORRECTION.replace("effective_from = 2026-12-15", "effective_from = 2026-11-01"),
     "must take effect after revision 1"),
    (NOTICE.replace("workdays = [2027-02-14", "workdays = [2027-02-15"), "workdays[0]"),
])  # fmt: skip
def test_a_conflicting_or_malformed_notice_is_refused_and_writes_nothing(
    svc: CaseService, nj: Org, text: str, says: str
) -> None:
    load(svc, nj)
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput) as err:
        load(svc, nj, text)
    assert says in err.value.message and err.value.zh
    assert db_snapshot(svc) == before


def test_only_an_administrator_loads_a_calendar(svc: CaseService, nj: Org) -> None:
    before = db_snapshot(svc)
    for actor in (nj.county, nj.township, nj.auditor):
        with pytest.raises(PermissionDenied):
            svc.calendar.import_notice(actor, NOTICE, now=svc.clock.now())
    assert db_snapshot(svc) == before


def test_another_process_on_the_database_counts_on_the_loaded_calendar(
    svc: CaseService, nj: Org, clock: FakeClock, db_url: str
) -> None:
    case = opened(svc, nj)
    clock.set(shanghai("2026-12-01"))
    other = jiuzhu.connect(db_url, clock=clock, upgrade=False)
    try:
        assert not other.calendar.current().covers(2027, date(2026, 12, 1))
        load(svc, nj)
        other.calendar.invalidate()  # what the 30-second recheck does in a running process
        assert other.accept_standard(nj.township, case.id).deadlines["overall_limit"] == \
            iso_utc(shanghai("2027-01-14", 0))  # fmt: skip
    finally:
        other.close()


def test_from_1_october_the_missing_year_is_announced_with_the_days_steps_stop(
    svc: CaseService, nj: Org
) -> None:
    settings = svc.policy_book.settings_on(date(2026, 10, 1))
    assert svc.calendar.warnings(date(2026, 9, 30), settings) == []
    warned = {w["setting"]: w["refused_from"] for w in svc.calendar.warnings(date(2026, 10, 1),
                                                                              settings)}  # fmt: skip
    assert warned["standard_special_limit_wd"] == "2026-10-30"
    assert warned["standard_limit_wd"] == "2026-11-20"
    assert warned["assist_first_paperwork_wd"] == "2026-12-18"
    assert warned["investigation_start_wd"] == warned["rejection_notice_wd"] == "2026-12-29"
    load(svc, nj)
    assert svc.calendar.warnings(date(2026, 12, 1), settings) == []


def test_holidays_added_mid_year_change_new_limits_and_leave_replay_alone(
    svc: CaseService, nj: Org, clock: FakeClock
) -> None:
    """As in 2020, when the State Council extended a holiday after its notice: here 2024 gets
    two more holidays (1-2 April, in force from 20 March) on top of the built-in year."""
    import json

    from chinese_calendar import constants

    days = sorted(d for d in constants.holidays if d.year == 2024)
    extra = [date(2024, 4, 1), date(2024, 4, 2)]
    notice = {"year": 2024, "document": "TEST-FIXTURE-2024-EXTRA", "published_on": "2024-03-20",
              "holidays": [{"name": "test", "from": d.isoformat()} for d in days + extra],
              "workdays": [d.isoformat() for d in sorted(constants.workdays) if d.year == 2024]}  # fmt: skip
    before, after = opened(svc, nj), opened(svc, nj)
    before = svc.accept_standard(nj.township, before.id)  # 2024-03-15, built-in calendar
    load(svc, nj, json.dumps(notice))
    clock.set(shanghai("2024-03-20"))
    after = svc.accept_standard(nj.township, after.id)
    # 30 working days from 15 March end on Sunday 28 April (a make-up working day); from 20
    # March, with 1-2 April off, on 8 May (after the Labour Day holiday, 1-5 May)
    assert before.deadlines["overall_limit"] == iso_utc(shanghai("2024-04-29", 0))
    assert after.deadlines["overall_limit"] == iso_utc(shanghai("2024-05-09", 0))
    report = verify_database(svc.engine)
    assert report.ok, report.breaks


def test_the_worker_logs_the_missing_year_from_1_october(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from jiuzhu.scheduler.worker import run_once

    with caplog.at_level(logging.WARNING, logger="jiuzhu"):
        run_once(db_url, clock=FakeClock(shanghai("2026-09-30", 23)))
    assert "2027" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="jiuzhu"):
        run_once(db_url, clock=FakeClock(shanghai("2026-10-01", 9)))
    assert "the working-day calendar of 2027 is not loaded" in caplog.text
    assert "from 2026-11-20 for 30 working days (standard_limit_wd)" in caplog.text
    assert "jiuzhu calendar import FILE" in caplog.text
