"""The verification month and its overdue escalation (issue 3, items 1, 2 and 6), on each database.

Due dates are one calendar month after the approval *in Shanghai*, clamped to the end of a
shorter month, and stored as UTC instants; the expected values below are worked out by hand
(see the comments), never with the code under test.  Time only moves when a test says so: the
sweep is called with an explicit ``now`` and nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from helpers import (
    Org,
    case_in,
    count_rows,
    db_snapshot,
    deadline_rows,
    fire,
    make_county,
)
from sqlalchemy import text

import jiuzhu
from jiuzhu import (
    Actor,
    CaseService,
    ConcurrencyConflict,
    FakeClock,
    GuardRejected,
    InvalidInput,
    PermissionDenied,
    Role,
    TransitionNotAllowed,
)
from jiuzhu.audit.verify import replay_case, verify_database
from jiuzhu.clock import SHANGHAI
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.views import CaseView

# These tests are about the verification and visit deadlines; the monthly payment run,
# which adds an allowance deadline to every paying case, has its own tests (test_payments.py).
pytestmark = pytest.mark.policy(monthly_payments=False)

APPROVED = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)  # the clock fixture's start: 10:00 Shanghai
DUE = datetime(2024, 4, 15, 2, 0, tzinfo=UTC)  # one calendar month later, same local time
WEEK = timedelta(days=7)
RESULTS = ("verify", "revoke", "terminate")


# -- local helpers ----------------------------------------------------------------------------


@contextmanager
def service_at(db_url: str, instant: datetime, **policy: Any) -> Iterator[CaseService]:
    """A service on ``db_url`` whose clock stands at ``instant`` (the fixtures' clock cannot
    go back to 2023), with ``policy`` overriding the defaults."""
    service = jiuzhu.connect(
        db_url,
        clock=FakeClock(instant),
        policy={"monthly_payments": False, **(policy or {})},
        upgrade=False,
    )
    try:
        yield service
    finally:
        service.close()


def iso(instant: datetime) -> str:
    """The text form the case row's ``deadlines`` map uses."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rows_of(svc: CaseService, case_id: str, kind: str) -> list[dict[str, Any]]:
    return [r for r in deadline_rows(svc, case_id) if r["kind"] == kind]


def system_events(svc: CaseService, org: Org, case_id: str) -> list[Any]:
    """The case's events fired by a deadline (actor role 'system')."""
    return [e for e in svc.history(org.county, case_id) if e.actor["role"] == "system"]


def overdue_case(svc: CaseService, org: Org, late: timedelta = timedelta(hours=3)) -> CaseView:
    """A case approved at APPROVED whose verification deadline was swept ``late`` after DUE."""
    case = case_in(svc, org, "provisionally_approved")
    assert sweep(svc, worker="w1", now=DUE + late).fired == 1
    return svc.get_case(org.county, case.id)


# -- 1. the due date --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approved_at", "due_at", "due_local_day"),
    [
        # 2024-03-15 10:00 Shanghai -> 2024-04-15 10:00 Shanghai
        (datetime(2024, 3, 15, 2, 0, tzinfo=UTC), DUE, date(2024, 4, 15)),
        # 2024-01-31 -> 2024-02-29: a leap year's February is the shorter month
        (datetime(2024, 1, 31, 2, 0, tzinfo=UTC), datetime(2024, 2, 29, 2, 0, tzinfo=UTC),
         date(2024, 2, 29)),
        # 2023-01-31 -> 2023-02-28: a common year's February
        (datetime(2023, 1, 31, 2, 0, tzinfo=UTC), datetime(2023, 2, 28, 2, 0, tzinfo=UTC),
         date(2023, 2, 28)),
        # 2024-03-31 -> 2024-04-30: a 30-day month
        (datetime(2024, 3, 31, 2, 0, tzinfo=UTC), datetime(2024, 4, 30, 2, 0, tzinfo=UTC),
         date(2024, 4, 30)),
        # 2023-12-31 -> 2024-01-31: across the year
        (datetime(2023, 12, 31, 2, 0, tzinfo=UTC), datetime(2024, 1, 31, 2, 0, tzinfo=UTC),
         date(2024, 1, 31)),
        # 2024-02-29 -> 2024-03-29: from the leap day itself
        (datetime(2024, 2, 29, 2, 0, tzinfo=UTC), datetime(2024, 3, 29, 2, 0, tzinfo=UTC),
         date(2024, 3, 29)),
        # 16:30Z on 01-31 is 2024-02-01 00:30 in Shanghai -> 2024-03-01 00:30 Shanghai
        (datetime(2024, 1, 31, 16, 30, tzinfo=UTC), datetime(2024, 2, 29, 16, 30, tzinfo=UTC),
         date(2024, 3, 1)),
        # 15:59:59Z on 01-31 is still 01-31 (23:59:59) in Shanghai -> 02-29 23:59:59 Shanghai
        (datetime(2024, 1, 31, 15, 59, 59, tzinfo=UTC),
         datetime(2024, 2, 29, 15, 59, 59, tzinfo=UTC), date(2024, 2, 29)),
        # 16:30Z on 03-30 is 03-31 00:30 Shanghai -> 04-30 00:30 Shanghai = 04-29T16:30Z
        # (arithmetic on the UTC date would give 04-30T16:30Z, a day late)
        (datetime(2024, 3, 30, 16, 30, tzinfo=UTC), datetime(2024, 4, 29, 16, 30, tzinfo=UTC),
         date(2024, 4, 30)),
        # 17:00Z on 01-30 is 01-31 01:00 Shanghai -> 02-29 01:00 Shanghai = 02-28T17:00Z
        (datetime(2024, 1, 30, 17, 0, tzinfo=UTC), datetime(2024, 2, 28, 17, 0, tzinfo=UTC),
         date(2024, 2, 29)),
        # 16:30Z on 2023-01-30 is 01-31 00:30 Shanghai -> 2023-02-28 00:30 = 02-27T16:30Z
        (datetime(2023, 1, 30, 16, 30, tzinfo=UTC), datetime(2023, 2, 27, 16, 30, tzinfo=UTC),
         date(2023, 2, 28)),
        # 16:00Z on 04-30 is 05-01 00:00 Shanghai -> 06-01 00:00 Shanghai = 05-31T16:00Z
        (datetime(2024, 4, 30, 16, 0, tzinfo=UTC), datetime(2024, 5, 31, 16, 0, tzinfo=UTC),
         date(2024, 6, 1)),
    ],
    ids=[
        "mid_month", "leap_month_end", "common_month_end", "thirty_day_month", "year_end",
        "leap_day", "shanghai_after_midnight", "shanghai_before_midnight",
        "shanghai_month_end_not_utc", "shanghai_31st_early_hours", "common_year_shanghai_31st",
        "shanghai_first_of_month",
    ],
)  # fmt: skip
def test_approve_sets_verification_due_one_shanghai_month_later(
    db_url: str, approved_at: datetime, due_at: datetime, due_local_day: date
) -> None:
    with service_at(db_url, approved_at) as service:
        case = case_in(service, make_county(service), "provisionally_approved")
        rows = deadline_rows(service, case.id)
    assert case.deadlines == {"verification_due": iso(due_at)}
    assert [(r["kind"], r["status"], r["due_at"]) for r in rows] == [
        ("verification_due", "pending", due_at)
    ]
    assert due_at.astimezone(SHANGHAI).date() == due_local_day  # the table's own arithmetic


@pytest.mark.parametrize(
    ("months", "approved_at", "due_at"),
    [
        # 2023-12-31 + 2 months -> 2024-02-29 (leap), same 10:00 Shanghai
        (2, datetime(2023, 12, 31, 2, 0, tzinfo=UTC), datetime(2024, 2, 29, 2, 0, tzinfo=UTC)),
        # 2024-11-30T16:30Z = 12-01 00:30 Shanghai + 3 months -> 2025-03-01 00:30 Shanghai
        (3, datetime(2024, 11, 30, 16, 30, tzinfo=UTC), datetime(2025, 2, 28, 16, 30, tzinfo=UTC)),
    ],
)
def test_approve_uses_verification_period_when_policy_sets_it(
    db_url: str, months: int, approved_at: datetime, due_at: datetime
) -> None:
    with service_at(db_url, approved_at, verification_months=months) as service:
        case = case_in(service, make_county(service), "provisionally_approved")
        rows = deadline_rows(service, case.id)
    assert case.deadlines == {"verification_due": iso(due_at)}
    assert [r["due_at"] for r in rows] == [due_at]


def test_verification_due_is_stored_as_utc_instant(db_url: str) -> None:
    approved_at = datetime(2024, 1, 31, 16, 30, tzinfo=UTC)  # 2024-02-01 00:30 in Shanghai
    with service_at(db_url, approved_at) as service:
        case = case_in(service, make_county(service), "provisionally_approved")
        postgres = service.engine.dialect.name == "postgresql"
        query = (
            "SELECT pg_typeof(due_at)::text, to_char(due_at AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD HH24:MI:SS') FROM deadlines"
            if postgres
            else "SELECT 'text', due_at FROM deadlines"
        )
        with service.engine.connect() as conn:
            [(column_type, stored)] = conn.execute(text(query)).all()
    # the UTC wall time, not Shanghai's 2024-03-01 00:30
    if postgres:
        assert (column_type, stored) == ("timestamp with time zone", "2024-02-29 16:30:00")
    else:
        assert stored.startswith("2024-02-29 16:30:00")
    assert case.deadlines["verification_due"] == "2024-02-29T16:30:00.000000Z"


def test_approve_writes_verification_row_in_its_own_transaction(svc: CaseService, org: Org) -> None:
    reviewed = case_in(svc, org, "reviewed")
    assert count_rows(svc, "deadlines") == 0
    case = fire(svc, org, reviewed, "approve")
    [row] = deadline_rows(svc, case.id)
    approve = svc.history(org.county, case.id)[-1]
    assert (approve.type, approve.seq, case.last_seq) == ("approve", 4, 4)
    assert (row["kind"], row["status"], row["opened_seq"], row["closed_seq"]) == (
        "verification_due",
        "pending",
        approve.seq,
        None,
    )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"monthly_amount": "0"}, GuardRejected),
        ({"monthly_amount": "two thousand"}, InvalidInput),
        ({"expected_version": 1}, ConcurrencyConflict),
        ({"actor": "village"}, PermissionDenied),
    ],
    ids=["zero_amount", "malformed_amount", "stale_version", "wrong_role"],
)
def test_approve_writes_no_deadline_when_refused(
    svc: CaseService, org: Org, overrides: dict[str, Any], error: type[Exception]
) -> None:
    reviewed = case_in(svc, org, "reviewed")
    before = db_snapshot(svc)
    if overrides.get("actor") == "village":
        overrides = {"actor": org.village}
    with pytest.raises(error):
        fire(svc, org, reviewed, "approve", **overrides)
    assert db_snapshot(svc) == before
    assert count_rows(svc, "deadlines") == 0


REREVIEW = "rereview_due"  # a verified case's first re-review (复核)


def verification_rows(svc: CaseService, case_id: str) -> list[dict[str, Any]]:
    return [r for r in deadline_rows(svc, case_id) if r["kind"] != REREVIEW]


@pytest.mark.parametrize("trigger", RESULTS)
def test_result_cancels_verification_due_so_nothing_fires_later(
    svc: CaseService, org: Org, clock: FakeClock, trigger: str
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    clock.set(DUE - timedelta(days=2))
    case = fire(svc, org, case, trigger)
    [row] = verification_rows(svc, case.id)
    assert (row["status"], row["closed_seq"], row["fired_at"]) == ("cancelled", 5, None)
    assert set(case.deadlines) == ({REREVIEW} if trigger == "verify" else set())
    # nothing of the data check fires later; a verified case's re-review falls due (复核)
    assert sweep(svc, worker="w1", now=DUE + 60 * WEEK).fired == (trigger == "verify")
    assert [e.type for e in svc.history(org.county, case.id)][-1] == (
        "start_review" if trigger == "verify" else trigger)  # fmt: skip


def test_withdraw_is_refused_and_keeps_verification_due_when_provisionally_approved(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    before = db_snapshot(svc)
    with pytest.raises(TransitionNotAllowed):
        fire(svc, org, case, "withdraw")
    assert db_snapshot(svc) == before
    assert [r["status"] for r in deadline_rows(svc, case.id)] == ["pending"]


# -- 2. overdue escalation --------------------------------------------------------------------


def test_sweep_fires_nothing_when_verification_not_yet_due(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    report = sweep(svc, worker="w1", now=DUE - timedelta(seconds=1))
    assert (report.fired, report.skipped, report.stale, report.failed) == (0, 0, 0, 0)
    assert [r["status"] for r in deadline_rows(svc, case.id)] == ["pending"]
    assert system_events(svc, org, case.id) == []


def test_verification_due_marks_case_overdue_once_when_no_result(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    now = DUE + timedelta(hours=3, minutes=20)
    report = sweep(svc, worker="w1", now=now)
    assert (report.fired, report.late_seconds) == (1, [12_000])

    [event] = system_events(svc, org, case.id)
    assert (event.seq, event.type, event.occurred_at) == (5, "mark_overdue", now)
    assert event.payload == {
        "deadline": "verification_due",
        "due_at": iso(DUE),
        "late_by_seconds": 12_000,  # 3 h 20 min
    }
    assert event.actor == {"role": "system", "org": org.county.org, "user": "w1"}
    after = svc.get_case(org.county, case.id)
    assert (after.state, after.monthly_amount_fen) == ("provisionally_approved", 200_000)
    assert after.facts["overdue"] == {"due_at": iso(DUE), "reminders": 0}
    assert "assistance_suspended" not in after.facts  # the default policy keeps paying
    assert after.deadlines == {"verification_reminder": iso(now + WEEK)}


def test_overdue_firing_marks_row_fired_and_arms_reminder_in_same_transaction(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    now = DUE + timedelta(minutes=5)
    sweep(svc, worker="w1", now=now)
    [due, reminder] = deadline_rows(svc, case.id)
    assert (due["kind"], due["status"], due["fired_at"], due["closed_seq"]) == (
        "verification_due",
        "fired",
        now,
        5,
    )
    assert due["claimed_by"] == "w1"
    assert (reminder["kind"], reminder["status"], reminder["due_at"], reminder["opened_seq"]) == (
        "verification_reminder",
        "pending",
        now + WEEK,
        5,
    )
    assert replay_case(svc.engine, case.id).ok


def test_sweep_fires_verification_due_when_now_equals_due(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    assert sweep(svc, worker="w1", now=DUE).late_seconds == [0]
    [event] = system_events(svc, org, case.id)
    assert event.payload["late_by_seconds"] == 0


def test_sweep_fires_nothing_new_when_repeated_at_same_now(svc: CaseService, org: Org) -> None:
    case = case_in(svc, org, "provisionally_approved")
    now = DUE + timedelta(days=1)
    assert sweep(svc, worker="w1", now=now).fired == 1
    before = db_snapshot(svc)
    again = sweep(svc, worker="w1", now=now)
    other = sweep(svc, worker="w2", now=now)
    assert (again.fired, other.fired, again.stale, other.skipped) == (0, 0, 0, 0)
    assert db_snapshot(svc) == before
    assert [e.type for e in system_events(svc, org, case.id)] == ["mark_overdue"]


def test_overdue_list_shows_case_with_late_days_to_its_county(svc: CaseService, org: Org) -> None:
    case = overdue_case(svc, org)
    now = DUE + timedelta(days=3, hours=12)
    expected = [
        {
            "case_id": case.id,
            "village_id": org.village.org,
            "due_at": iso(DUE),
            "late_days": 3.5,
            "reminders": 0,
        }
    ]
    for actor in (org.county, org.township, org.village, org.auditor, org.centre):
        assert svc.overdue_verifications(actor, now=now) == expected


def test_overdue_list_uses_service_clock_when_now_not_given(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    overdue_case(svc, org)
    clock.set(DUE + timedelta(days=10))
    [item] = svc.overdue_verifications(org.county)
    assert item["late_days"] == 10.0


def test_overdue_list_hides_case_from_actors_outside_its_jurisdiction(
    svc: CaseService, org: Org
) -> None:
    overdue_case(svc, org)
    elsewhere = make_county(svc, "320923")
    outsiders: list[Actor] = [
        org.neighbour_village,
        org.far_village,
        org.other_township,
        elsewhere.county,
        elsewhere.township,
        elsewhere.auditor,
    ]
    for actor in outsiders:
        assert svc.overdue_verifications(actor, now=DUE + WEEK) == [], actor


def test_overdue_list_shows_only_overdue_cases_most_overdue_first(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    first = case_in(svc, org, "provisionally_approved")
    clock.set(APPROVED + timedelta(days=2))
    second = case_in(svc, org, "provisionally_approved", village=org.far_village)
    clock.set(APPROVED + timedelta(days=4))
    not_yet = case_in(svc, org, "provisionally_approved")
    answered = case_in(svc, org, "provisionally_approved")
    fire(svc, org, answered, "verify")
    now = DUE + timedelta(days=3)  # second is 1 day late, not_yet due tomorrow
    assert sweep(svc, worker="w1", now=now).fired == 2
    listed = svc.overdue_verifications(org.county, now=now)
    assert [(i["case_id"], i["late_days"]) for i in listed] == [(first.id, 3.0), (second.id, 1.0)]
    assert not_yet.id not in {i["case_id"] for i in listed}


def test_reminder_fires_once_and_rearms_weekly_until_result(svc: CaseService, org: Org) -> None:
    overdue_at = DUE + timedelta(hours=1)
    case = overdue_case(svc, org, late=timedelta(hours=1))
    assert sweep(svc, worker="w1", now=overdue_at + WEEK - timedelta(seconds=1)).fired == 0
    for n in (1, 2, 3):
        now = overdue_at + n * WEEK
        assert sweep(svc, worker="w1", now=now).fired == 1
        assert sweep(svc, worker="w1", now=now).fired == 0  # idempotent
        stored = svc.get_case(org.county, case.id)
        assert stored.facts["overdue"]["reminders"] == n
        assert stored.deadlines == {"verification_reminder": iso(now + WEEK)}
        [item] = svc.overdue_verifications(org.county, now=now)
        assert item["reminders"] == n
    reminders = [e for e in system_events(svc, org, case.id) if e.type == "remind"]
    assert [e.payload["due_at"] for e in reminders] == [
        iso(overdue_at + n * WEEK) for n in (1, 2, 3)
    ]
    assert [e.payload["late_by_seconds"] for e in reminders] == [0, 0, 0]
    statuses = [r["status"] for r in rows_of(svc, case.id, "verification_reminder")]
    assert statuses == ["fired", "fired", "fired", "pending"]
    assert svc.get_case(org.county, case.id).state == "provisionally_approved"


def test_reminder_interval_follows_policy_when_configured(db_url: str) -> None:
    with service_at(db_url, APPROVED, reminder_days=3) as service:
        org = make_county(service)
        case = case_in(service, org, "provisionally_approved")
        sweep(service, worker="w1", now=DUE)
        assert service.get_case(org.county, case.id).deadlines == {
            "verification_reminder": iso(DUE + timedelta(days=3))
        }
        assert sweep(service, worker="w1", now=DUE + timedelta(days=3)).fired == 1


@pytest.mark.parametrize("trigger", RESULTS)
def test_result_closes_reminder_and_removes_case_from_overdue_list(
    svc: CaseService, org: Org, clock: FakeClock, trigger: str
) -> None:
    case = overdue_case(svc, org)
    sweep(svc, worker="w1", now=DUE + WEEK + timedelta(hours=3))  # one reminder
    clock.set(DUE + timedelta(days=10))
    case = fire(svc, org, case, trigger)
    [_, fired_reminder, open_reminder] = verification_rows(svc, case.id)
    assert fired_reminder["status"] == "fired"
    assert (open_reminder["status"], open_reminder["closed_seq"]) == ("cancelled", case.last_seq)
    assert set(case.deadlines) == ({REREVIEW} if trigger == "verify" else set())
    assert svc.overdue_verifications(org.county, now=DUE + 20 * WEEK) == []
    assert sweep(svc, worker="w1", now=DUE + 20 * WEEK).fired == 0  # the re-review: in a year
    assert verify_database(svc.engine).ok


def test_overdue_suspends_assistance_when_policy_says_so(db_url: str) -> None:
    with service_at(db_url, APPROVED, suspend_when_overdue=True) as service:
        org = make_county(service)
        case = case_in(service, org, "provisionally_approved")
        assert "assistance_suspended" not in case.facts
        sweep(service, worker="w1", now=DUE + timedelta(days=1))
        after = service.get_case(org.county, case.id)
        assert replay_case(service.engine, case.id).ok
    assert after.facts["assistance_suspended"] is True
    assert after.state == "provisionally_approved"  # suspended, not ended


def test_sweep_fires_nothing_for_answered_cases_when_far_past_due(
    svc: CaseService, org: Org
) -> None:
    for trigger in RESULTS:
        fire(svc, org, case_in(svc, org, "provisionally_approved"), trigger)
    # only the verified case's re-review (复核) falls due within the year
    assert sweep(svc, worker="w1", now=DUE + 52 * WEEK).fired == 1
    assert svc.overdue_verifications(org.county, now=DUE + 52 * WEEK) == []


def test_system_actor_cannot_call_overdue_list(svc: CaseService, org: Org) -> None:
    """The worker acts only through deadlines; reading lists is for people."""
    with pytest.raises(PermissionDenied):
        svc.overdue_verifications(Actor(Role.SYSTEM, org.county.org, "w1"))


def test_connect_refuses_policy_when_a_value_has_the_wrong_type(db_url: str) -> None:
    with pytest.raises(InvalidInput, match="reminder_days"):
        jiuzhu.connect(db_url, policy={"reminder_days": "7"}, upgrade=False)


def _break_facts(svc: CaseService, case_id: str) -> None:
    """Corrupt one case row behind the service's back so that firing its deadline fails."""
    sql = (
        "UPDATE cases SET facts = json_remove(facts, '$.policy') WHERE id = :id"
        if svc.engine.dialect.name == "sqlite"
        else "UPDATE cases SET facts = (facts::jsonb - 'policy')::json WHERE id = :id"
    )
    with svc.engine.begin() as conn:
        conn.execute(text(sql), {"id": case_id})


def test_sweep_fires_other_cases_when_one_firing_fails(
    db_url: str, svc: CaseService, org: Org
) -> None:
    with service_at(db_url, APPROVED - timedelta(days=1)) as earlier:
        poisoned = case_in(earlier, org, "provisionally_approved")  # due a day earlier
    healthy = case_in(svc, org, "provisionally_approved")
    _break_facts(svc, poisoned.id)
    report = sweep(svc, worker="w1", now=DUE + timedelta(days=1))
    assert (report.fired, report.failed) == (1, 1)
    assert [e.type for e in system_events(svc, org, healthy.id)] == ["mark_overdue"]
    assert system_events(svc, org, poisoned.id) == []


def test_case_list_filters_by_unit_workflow_and_overdue(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    late = case_in(svc, org, "provisionally_approved")
    far = case_in(svc, org, "provisionally_approved", village=org.far_village)
    clock.advance(timedelta(days=40))
    sweep(svc, worker="w", now=clock.now())  # both overdue now
    svc.record_verification(org.county, far.id, result="meets_standard")
    fresh = case_in(svc, org, "applied")

    def ids(**filters: Any) -> set[str]:
        return {c.id for c in svc.list_cases(org.county, **filters)}

    assert ids(overdue=True) == {late.id}
    assert ids(overdue=False) == {far.id, fresh.id}
    assert ids(org=org.township.org) == {late.id, fresh.id}
    assert ids(org=org.other_township.org) == {far.id}
    assert ids(workflow="fast_track", state="applied") == {fresh.id}
    with pytest.raises(PermissionDenied):
        svc.list_cases(org.township, org=org.other_township.org)
    with pytest.raises(InvalidInput):
        svc.list_cases(org.county, workflow="nonsense")
