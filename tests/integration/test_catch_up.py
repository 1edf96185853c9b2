"""Catch-up after downtime (issue 3, item 5), on each database.

The worker was down for months; one sweep at the new ``now`` must fire every missed deadline
once, in due order, each event saying how late it fired, and a second sweep nothing.  The
expected occurrences are computed here with plain datetime arithmetic (fixed +08:00 for
Shanghai), independently of the APScheduler triggers the code uses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from helpers import Org, case_in, db_snapshot, deadline_rows

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.verify import replay_case, verify_database
from jiuzhu.scheduler.sweep import sweep

# These tests are about the verification and visit deadlines; the monthly payment run,
# which adds an allowance deadline to every paying case, has its own tests (test_payments.py).
pytestmark = pytest.mark.policy(monthly_payments=False)

CST = timezone(timedelta(hours=8))
START = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)  # the clock fixture: 10:00 in Shanghai
DUE = datetime(2024, 4, 15, 2, 0, tzinfo=UTC)  # the verification month of a case approved then
GRACE = timedelta(hours=24)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
CLEANING = {"type": "cron", "day": "1,8,15,22", "hour": 9}
EVERY_OTHER_DAY = {"type": "interval", "days": 2}


# -- expected occurrences, computed without the code under test -------------------------------


def every_other_day(start: datetime, now: datetime) -> list[datetime]:
    """Scheduled times start + 2k days whose grace period ended by ``now``."""
    out, k = [], 0
    while start + timedelta(days=2 * k) + GRACE <= now:
        out.append(start + timedelta(days=2 * k))
        k += 1
    return out


def cleaning_days(opened: datetime, now: datetime) -> list[datetime]:
    """09:00 Shanghai on the 1st, 8th, 15th and 22nd, from ``opened`` on, missed by ``now``."""
    out = []
    day = opened.astimezone(CST).date()
    while day <= now.astimezone(CST).date():
        at = datetime(day.year, day.month, day.day, 9, tzinfo=CST).astimezone(UTC)
        if day.day in (1, 8, 15, 22) and at >= opened and at + GRACE <= now:
            out.append(at)
        day += DAY
    return out


# -- local helpers ----------------------------------------------------------------------------


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def open_plan(svc: CaseService, org: Org, case_id: str, recurrence: dict[str, Any]) -> str:
    """Open a cleaning plan, by the case's own village; return its id."""
    stored = svc.get_case(org.county, case_id)
    before = set(stored.facts.get("plans", {}))
    case = svc.open_service_plan(org.village_actor(stored.village_id), case_id, kind="cleaning",
                                 provider={"name": "暖心洁家"}, recurrence=recurrence)  # fmt: skip
    [plan_id] = set(case.facts["plans"]) - before
    return plan_id


def system_events(svc: CaseService, org: Org, case_id: str) -> list[Any]:
    return [e for e in svc.history(org.county, case_id) if e.actor["role"] == "system"]


def misses_of(events: list[Any], plan_id: str) -> list[Any]:
    return [e for e in events if e.type == "plan.miss" and e.payload["plan_id"] == plan_id]


def late(now: datetime, due: datetime) -> int:
    return int((now - due).total_seconds())


# -- months of downtime -----------------------------------------------------------------------


def test_catch_up_fires_every_missed_occurrence_once_with_its_lateness(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    plan_id = open_plan(svc, org, case.id, EVERY_OTHER_DAY)
    now = START + 120 * DAY
    scheduled = every_other_day(START, now)
    assert len(scheduled) == 60  # +0, +2, ..., +118 days; +120's grace ends tomorrow

    report = sweep(svc, worker="w1", now=now)

    assert (report.fired, report.skipped, report.stale, report.failed) == (61, 0, 0, 0)
    events = system_events(svc, org, case.id)
    misses = misses_of(events, plan_id)  # in seq order: each occurrence once, in due order
    assert [e.payload["scheduled_at"] for e in misses] == [iso(t) for t in scheduled]
    assert [e.payload["n"] for e in misses] == list(range(1, 61))
    assert [e.payload["due_at"] for e in misses] == [iso(t + GRACE) for t in scheduled]
    assert [e.payload["late_by_seconds"] for e in misses] == [
        late(now, t + GRACE) for t in scheduled
    ]
    assert {e.occurred_at for e in events} == {now}
    [overdue] = [e for e in events if e.type == "mark_overdue"]
    assert overdue.payload["late_by_seconds"] == late(now, DUE)
    expected_lates = [late(now, t + GRACE) for t in scheduled] + [late(now, DUE)]
    assert sorted(report.late_seconds) == sorted(expected_lates)


def test_catch_up_leaves_plan_and_rows_consistent_and_replayable(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    plan_id = open_plan(svc, org, case.id, EVERY_OTHER_DAY)
    now = START + 120 * DAY
    sweep(svc, worker="w1", now=now)

    stored = svc.get_case(org.county, case.id)
    plan = stored.facts["plans"][plan_id]
    assert (plan["n"], plan["missed"], plan["done"], plan["state"]) == (61, 60, 0, "active")
    assert plan["scheduled_at"] == iso(START + 120 * DAY)
    # reminders are armed from the overdue event's firing, not back-dated to the due date
    assert stored.deadlines == {
        f"visit_due/{plan_id}": iso(START + 121 * DAY),
        "verification_reminder": iso(now + WEEK),
    }
    visits = [r for r in deadline_rows(svc, case.id) if r["kind"].startswith("visit_due/")]
    assert [r["status"] for r in visits] == ["fired"] * 60 + ["pending"]
    assert {r["fired_at"] for r in visits[:-1]} == {now}
    missed = svc.missed_visits(org.county)
    assert [m["due_at"] for m in missed] == [iso(t + GRACE) for t in every_other_day(START, now)]
    assert {m["recorded_missed_at"] for m in missed} == {iso(now)}
    assert verify_database(svc.engine).ok
    assert replay_case(svc.engine, case.id).ok


def test_catch_up_fires_nothing_when_swept_again(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    open_plan(svc, org, case.id, EVERY_OTHER_DAY)
    now = START + 120 * DAY
    sweep(svc, worker="w1", now=now)
    before = db_snapshot(svc)
    assert sweep(svc, worker="w1", now=now).fired == 0
    assert sweep(svc, worker="w2", now=now + timedelta(hours=1)).fired == 0
    assert db_snapshot(svc) == before


def test_catch_up_records_all_deadlines_of_a_case_in_due_order(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    open_plan(svc, org, case.id, EVERY_OTHER_DAY)
    sweep(svc, worker="w1", now=START + 120 * DAY)
    dues = [parse(e.payload["due_at"]) for e in system_events(svc, org, case.id)]
    assert dues == sorted(dues)


def test_catch_up_fires_in_due_order_when_claiming_one_row_at_a_time(
    svc: CaseService, org: Org
) -> None:
    """Claims themselves go in due order; it is firing a whole batch first that does not."""
    case = case_in(svc, org, "provisionally_approved")
    open_plan(svc, org, case.id, EVERY_OTHER_DAY)
    report = sweep(svc, worker="w1", now=START + 120 * DAY, batch=1)
    dues = [parse(e.payload["due_at"]) for e in system_events(svc, org, case.id)]
    assert report.fired == 61
    assert dues == sorted(dues)


def test_catch_up_fires_cron_occurrences_of_several_cases_across_months(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    first = case_in(svc, org, "provisionally_approved")
    first_plan = open_plan(svc, org, first.id, CLEANING)
    clock.set(START + 10 * DAY)  # 03-25: the 22nd is past for the second case
    second = case_in(svc, org, "provisionally_approved", village=org.far_village)
    second_plan = open_plan(svc, org, second.id, CLEANING)
    now = START + 100 * DAY  # 2024-06-23 10:00 Shanghai

    report = sweep(svc, worker="w1", now=now, batch=5)

    expected = {first_plan: cleaning_days(START, now), second_plan: cleaning_days(clock.now(), now)}
    assert len(expected[first_plan]) == 13 and len(expected[second_plan]) == 12
    for case_id, plan_id in ((first.id, first_plan), (second.id, second_plan)):
        misses = misses_of(system_events(svc, org, case_id), plan_id)
        assert [e.payload["scheduled_at"] for e in misses] == [iso(t) for t in expected[plan_id]]
        assert [e.payload["late_by_seconds"] for e in misses] == [
            late(now, t + GRACE) for t in expected[plan_id]
        ]
    assert report.fired == 13 + 12 + 2  # plus each case's verification overdue
    assert sweep(svc, worker="w1", now=now).fired == 0
    assert verify_database(svc.engine).ok


def test_catch_up_resumes_after_visits_done_before_downtime(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    plan_id = open_plan(svc, org, case.id, EVERY_OTHER_DAY)
    for k in (0, 1):  # occurrences 1 and 2 are visited on time
        clock.set(START + 2 * k * DAY + timedelta(hours=1))
        svc.record_visit(org.village, case.id, plan_id=plan_id, what="打扫卫生")
    now = START + 20 * DAY
    assert sweep(svc, worker="w1", now=now).fired == len(every_other_day(START, now)) - 2
    misses = misses_of(system_events(svc, org, case.id), plan_id)
    assert [e.payload["n"] for e in misses] == list(range(3, 11))
    assert [e.payload["scheduled_at"] for e in misses] == [
        iso(t) for t in every_other_day(START, now)[2:]
    ]
    plan = svc.get_case(org.county, case.id).facts["plans"][plan_id]
    assert (plan["done"], plan["missed"]) == (2, 8)


# -- verification overdue and reminders after downtime ----------------------------------------


def test_catch_up_marks_each_case_overdue_once_with_its_own_lateness(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    # approval day offset from 03-15 -> due day one month later (03-31 clamps to 04-30)
    due_days = {0: date(2024, 4, 15), 1: date(2024, 4, 16), 7: date(2024, 4, 22),
            16: date(2024, 4, 30), 31: date(2024, 5, 15)}  # fmt: skip
    dues: dict[str, datetime] = {}
    for offset, due_day in due_days.items():
        clock.set(START + offset * DAY)
        case_id = case_in(svc, org, "provisionally_approved").id
        dues[case_id] = datetime.combine(due_day, START.timetz())
    now = START + 200 * DAY

    report = sweep(svc, worker="w1", now=now, batch=2)

    assert report.fired == len(due_days)
    for case_id, due in dues.items():
        [event] = system_events(svc, org, case_id)
        assert (event.type, event.payload["due_at"]) == ("mark_overdue", iso(due))
        assert event.payload["late_by_seconds"] == late(now, due)
    listed = svc.overdue_verifications(org.county, now=now)
    assert sorted(i["case_id"] for i in listed) == sorted(dues)
    assert sweep(svc, worker="w1", now=now).fired == 0


def test_catch_up_fires_pending_reminder_once_and_rearms_from_fire_time(
    svc: CaseService, org: Org
) -> None:
    """Reminders chase a person: after downtime the one pending reminder fires (late), once,
    and the next is a week after it -- no back-dated burst of the reminders never armed."""
    case = case_in(svc, org, "provisionally_approved")
    overdue_at = DUE + timedelta(hours=1)
    assert sweep(svc, worker="w1", now=overdue_at).fired == 1
    now = overdue_at + 60 * DAY

    report = sweep(svc, worker="w1", now=now)

    assert report.fired == 1
    [remind] = [e for e in system_events(svc, org, case.id) if e.type == "remind"]
    assert remind.payload == {
        "deadline": "verification_reminder",
        "due_at": iso(overdue_at + WEEK),
        "late_by_seconds": late(now, overdue_at + WEEK),
    }
    stored = svc.get_case(org.county, case.id)
    assert stored.facts["overdue"]["reminders"] == 1
    assert stored.deadlines == {"verification_reminder": iso(now + WEEK)}
    assert sweep(svc, worker="w1", now=now).fired == 0
    assert replay_case(svc.engine, case.id).ok


@pytest.mark.parametrize("batch, chunk", [(200, 50), (7, 3)])
def test_catch_up_keeps_due_order_within_each_case_across_its_chains(
    svc: CaseService, org: Org, clock: FakeClock, batch: int, chunk: int
) -> None:
    """Several chains per case (the data check and its reminders, two service plans): after a
    downtime each case's events follow due order, although one round's claims reach past
    occurrences that firing opens later in the round (they are given back and fired after)."""
    cases = []
    for i in range(6):
        clock.set(START + i * timedelta(hours=7))
        case = case_in(svc, org, "provisionally_approved")
        open_plan(svc, org, case.id, EVERY_OTHER_DAY)
        open_plan(svc, org, case.id, CLEANING)
        cases.append(case.id)
    now = START + 60 * DAY

    report = sweep(svc, worker="w1", now=now, batch=batch, chunk=chunk)

    for case_id in cases:
        dues = [parse(e.payload["due_at"]) for e in system_events(svc, org, case_id)]
        assert len(dues) > 30
        assert dues == sorted(dues), case_id
    assert report.fired == sum(len(system_events(svc, org, c)) for c in cases)
    assert sweep(svc, worker="w1", now=now).fired == 0
    assert verify_database(svc.engine).ok
