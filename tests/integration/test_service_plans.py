"""Service plans (物质+服务, docs/domain.md §6) on each database.

A plan is a recurrence of visits; only its open occurrence is a deadline row
(``visit_due/<plan id>``, due at the scheduled time plus the grace period).  Expected occurrence
times are written as Shanghai wall times with a fixed +08:00 offset (plain datetime
arithmetic, not the APScheduler triggers the code uses), then compared as UTC instants.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from helpers import Org, case_in, db_snapshot, deadline_rows, fire

from jiuzhu import (
    Actor,
    CaseService,
    FakeClock,
    GuardRejected,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Role,
    TransitionNotAllowed,
)
from jiuzhu.audit.verify import replay_case, verify_database
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.views import CaseView

# These tests are about the verification and visit deadlines; the monthly payment run,
# which adds an allowance deadline to every paying case, has its own tests (test_payments.py).
pytestmark = pytest.mark.policy(monthly_payments=False)

CST = timezone(timedelta(hours=8))  # China Standard Time: no daylight saving since 1991
START = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)  # the clock fixture: 10:00 in Shanghai
CLEANING = {"type": "cron", "day": "1,8,15,22", "hour": 9}  # four times a month, 09:00
EVERY_OTHER_DAY = {"type": "interval", "days": 2}
MONTHLY = {"type": "cron", "day": 1}  # the 1st of each month, 00:00 Shanghai
PROVIDER = {"name": "暖心洁家"}
DAY = timedelta(days=1)


# -- local helpers ----------------------------------------------------------------------------


def cst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall time as a UTC instant (fixed +08:00 offset)."""
    return datetime(year, month, day, hour, minute, tzinfo=CST).astimezone(UTC)


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def open_plan(svc: CaseService, org: Org, case_id: str, *, actor: Actor | None = None,
              **overrides: Any) -> tuple[CaseView, str]:  # fmt: skip
    """Open a plan (cleaning every other day by default); return the case and the new plan id."""
    before = set(svc.get_case(org.county, case_id).facts.get("plans", {}))
    kwargs: dict[str, Any] = {"kind": "cleaning", "provider": PROVIDER,
                              "recurrence": EVERY_OTHER_DAY, **overrides}  # fmt: skip
    case = svc.open_service_plan(actor or org.village, case_id, **kwargs)
    [plan_id] = set(case.facts["plans"]) - before
    return case, plan_id


def plan_of(svc: CaseService, org: Org, case_id: str, plan_id: str) -> dict[str, Any]:
    return svc.get_case(org.county, case_id).facts["plans"][plan_id]  # type: ignore[no-any-return]


def visit_rows(svc: CaseService, case_id: str, plan_id: str) -> list[dict[str, Any]]:
    return [r for r in deadline_rows(svc, case_id) if r["kind"] == f"visit_due/{plan_id}"]


def plan_events(svc: CaseService, org: Org, case_id: str) -> list[Any]:
    return [e for e in svc.history(org.county, case_id) if e.type.startswith("plan.")]


def visit_each(svc: CaseService, org: Org, clock: FakeClock, case_id: str, plan_id: str,
               times: int) -> list[datetime]:  # fmt: skip
    """Record a visit an hour after each of the next ``times`` occurrences; their times."""
    seen = []
    for _ in range(times):
        scheduled = datetime.fromisoformat(plan_of(svc, org, case_id, plan_id)["scheduled_at"])
        seen.append(scheduled)
        clock.set(max(clock.now(), scheduled + timedelta(hours=1)))
        svc.record_visit(org.village, case_id, plan_id=plan_id, what="打扫卫生")
    return seen


@pytest.fixture
def case(svc: CaseService, org: Org) -> CaseView:
    """A case provisionally approved at START (its verification falls due 2024-04-15)."""
    return case_in(svc, org, "provisionally_approved")


# -- recurrences ------------------------------------------------------------------------------


def test_cron_plan_schedules_cleaning_four_times_a_month_at_nine_shanghai(
    svc: CaseService, org: Org, clock: FakeClock, case: CaseView
) -> None:
    _, plan_id = open_plan(svc, org, case.id, recurrence=CLEANING)
    seen = visit_each(svc, org, clock, case.id, plan_id, 6)
    # opened at 10:00 on the 15th: that day's 09:00 has passed, so the 22nd comes first
    assert seen == [cst(2024, 3, 22, 9), cst(2024, 4, 1, 9), cst(2024, 4, 8, 9),
                    cst(2024, 4, 15, 9), cst(2024, 4, 22, 9), cst(2024, 5, 1, 9)]  # fmt: skip
    assert seen[0] == datetime(2024, 3, 22, 1, 0, tzinfo=UTC)  # stored as UTC
    rows = visit_rows(svc, case.id, plan_id)
    assert [r["due_at"] for r in rows] == [t + DAY for t in seen] + [cst(2024, 5, 9, 9)]
    assert [r["status"] for r in rows] == ["done"] * 6 + ["pending"]


def test_interval_plan_schedules_visit_every_other_day_from_its_start(
    svc: CaseService, org: Org, clock: FakeClock, case: CaseView
) -> None:
    _, plan_id = open_plan(svc, org, case.id, starts_at="2024-03-16T08:00:00+08:00")
    seen = visit_each(svc, org, clock, case.id, plan_id, 4)
    assert seen == [cst(2024, 3, 16, 8), cst(2024, 3, 18, 8), cst(2024, 3, 20, 8),
                    cst(2024, 3, 22, 8)]  # fmt: skip


def test_interval_plan_started_earlier_arms_next_occurrence_on_its_grid(
    svc: CaseService, org: Org, case: CaseView
) -> None:
    """A plan dated back is not back-filled: its first occurrence is the next one from now."""
    case, plan_id = open_plan(svc, org, case.id, starts_at="2024-03-10T09:00:00+08:00")
    # 03-10, 12, 14 09:00 have passed at 03-15 10:00; the grid's next point is 03-16 09:00
    assert case.facts["plans"][plan_id]["scheduled_at"] == iso(cst(2024, 3, 16, 9))


def test_monthly_follow_up_falls_on_first_of_month_in_shanghai_when_missed(
    svc: CaseService, org: Org, case: CaseView
) -> None:
    _, plan_id = open_plan(svc, org, case.id, kind="follow_up", recurrence=MONTHLY,
                           provider={"org": org.township.org})  # fmt: skip
    sweep(svc, worker="w1", now=cst(2024, 6, 15, 12))
    misses = [e for e in plan_events(svc, org, case.id) if e.type == "plan.miss"]
    # 00:00 on the 1st in Shanghai is 16:00 UTC on the last day of the month before
    expected = [cst(2024, 4, 1, 0), cst(2024, 5, 1, 0), cst(2024, 6, 1, 0)]
    assert expected[0] == datetime(2024, 3, 31, 16, 0, tzinfo=UTC)
    assert [e.payload["scheduled_at"] for e in misses] == [iso(t) for t in expected]
    assert plan_of(svc, org, case.id, plan_id)["scheduled_at"] == iso(cst(2024, 7, 1, 0))
    missed = svc.missed_visits(org.county)
    assert [(m["service"], m["provider"]) for m in missed] == [
        ("follow_up", {"org": org.township.org})
    ] * 3


# -- opening, visits, misses ------------------------------------------------------------------


def test_open_plan_records_plan_and_writes_first_occurrence_row(
    svc: CaseService, org: Org, case: CaseView
) -> None:
    case, plan_id = open_plan(svc, org, case.id, grace_hours=12,
                              ends_at="2024-06-30T18:00:00+08:00")  # fmt: skip
    assert case.facts["plans"][plan_id] == {
        "plan_id": plan_id, "kind": "cleaning", "provider": PROVIDER,
        "recurrence": EVERY_OTHER_DAY, "starts_at": iso(START),
        "ends_at": iso(cst(2024, 6, 30, 18)), "grace_hours": 12,
        "n": 1, "scheduled_at": iso(START), "done": 0, "missed": 0, "state": "active",
    }  # fmt: skip
    key = f"visit_due/{plan_id}"
    assert case.deadlines[key] == iso(START + timedelta(hours=12))
    [row] = visit_rows(svc, case.id, plan_id)
    [event] = plan_events(svc, org, case.id)
    assert (event.type, event.seq, event.payload["first_at"]) == ("plan.open", 5, iso(START))
    assert (row["status"], row["opened_seq"], row["due_at"]) == (
        "pending",
        5,
        START + timedelta(hours=12),
    )


def test_open_plan_returns_first_result_when_retried_with_same_key(
    svc: CaseService, org: Org, case: CaseView
) -> None:
    first, plan_id = open_plan(svc, org, case.id, idempotency_key="plan-open-1")
    again = svc.open_service_plan(org.village, case.id, kind="cleaning", provider=PROVIDER,
                                  recurrence=EVERY_OTHER_DAY, idempotency_key="plan-open-1")  # fmt: skip
    assert (list(again.facts["plans"]), again.replayed, again.last_seq) == ([plan_id], True, 5)
    assert len(visit_rows(svc, case.id, plan_id)) == 1


def test_record_visit_completes_open_occurrence_and_arms_next(
    svc: CaseService, org: Org, clock: FakeClock, case: CaseView
) -> None:
    _, plan_id = open_plan(svc, org, case.id)
    clock.set(START + timedelta(hours=5))
    visited = svc.record_visit(org.village, case.id, plan_id=plan_id, what="打扫卫生、陪伴聊天",
                               visited_at="2024-03-15T11:30:00+08:00", notes="老人精神很好")  # fmt: skip
    event = svc.history(org.county, case.id)[-1]
    assert (event.type, event.seq, event.actor) == ("plan.visit", 6, {"role": "village",
                                                                      "org": org.village.org})  # fmt: skip
    assert event.payload == {
        "plan_id": plan_id, "n": 1, "scheduled_at": iso(START),
        "visited_at": iso(cst(2024, 3, 15, 11, 30)), "what": "打扫卫生、陪伴聊天",
        "notes": "老人精神很好", "next_at": iso(START + 2 * DAY),
    }  # fmt: skip
    plan = visited.facts["plans"][plan_id]
    assert (plan["n"], plan["done"], plan["missed"], plan["scheduled_at"]) == (
        2,
        1,
        0,
        iso(START + 2 * DAY),
    )
    done, pending = visit_rows(svc, case.id, plan_id)
    assert (done["status"], done["closed_seq"], done["fired_at"]) == ("done", 6, None)
    assert (pending["status"], pending["opened_seq"], pending["due_at"]) == (
        "pending",
        6,
        START + 3 * DAY,
    )


def test_record_visit_returns_first_result_when_retried_with_same_key(
    svc: CaseService, org: Org, clock: FakeClock, case: CaseView
) -> None:
    """A retry must not complete the *next* occurrence as well."""
    _, plan_id = open_plan(svc, org, case.id)
    clock.set(START + timedelta(hours=1))
    first = svc.record_visit(org.village, case.id, plan_id=plan_id, what="打扫卫生",
                             idempotency_key="visit-1")  # fmt: skip
    clock.set(START + 2 * DAY + timedelta(hours=1))  # occurrence 2 is open and visitable now
    again = svc.record_visit(org.village, case.id, plan_id=plan_id, what="打扫卫生",
                             idempotency_key="visit-1")  # fmt: skip
    assert (again.replayed, again.last_seq) == (True, first.last_seq)
    assert plan_of(svc, org, case.id, plan_id)["done"] == 1


def test_record_visit_completes_occurrence_when_grace_passed_but_not_yet_swept(
    svc: CaseService, org: Org, clock: FakeClock, case: CaseView
) -> None:
    _, plan_id = open_plan(svc, org, case.id)
    clock.set(START + DAY + timedelta(hours=3))  # the deadline passed; no worker ran yet
    svc.record_visit(org.village, case.id, plan_id=plan_id, what="打扫卫生")
    assert sweep(svc, worker="w1", now=clock.now()).fired == 0
    assert [r["status"] for r in visit_rows(svc, case.id, plan_id)] == ["done", "pending"]
    assert svc.missed_visits(org.county) == []


def test_occurrence_becomes_missed_when_grace_passes_without_visit(
    svc: CaseService, org: Org, case: CaseView
) -> None:
    _, plan_id = open_plan(svc, org, case.id, grace_hours=6)
    due = START + timedelta(hours=6)
    assert sweep(svc, worker="w1", now=due - timedelta(seconds=1)).fired == 0
    assert sweep(svc, worker="w1", now=due).fired == 1
    event = svc.history(org.county, case.id)[-1]
    assert (event.type, event.actor) == (
        "plan.miss",
        {"role": "system", "org": org.county.org, "user": "w1"},
    )
    assert event.payload == {
        "deadline": f"visit_due/{plan_id}", "due_at": iso(due), "late_by_seconds": 0,
        "plan_id": plan_id, "n": 1, "scheduled_at": iso(START),
        "next_at": iso(START + 2 * DAY),
    }  # fmt: skip
    plan = plan_of(svc, org, case.id, plan_id)
    assert (plan["n"], plan["done"], plan["missed"], plan["state"]) == (2, 0, 1, "active")
    missed, pending = visit_rows(svc, case.id, plan_id)
    assert (missed["status"], missed["fired_at"], missed["closed_seq"]) == ("fired", due, 6)
    assert (pending["status"], pending["due_at"]) == (
        "pending",
        START + 2 * DAY + timedelta(hours=6),
    )
    assert svc.missed_visits(org.township) == [
        {"case_id": case.id, "village_id": org.village.org, "plan_id": plan_id,
         "service": "cleaning", "provider": PROVIDER, "due_at": iso(due),
         "recorded_missed_at": iso(due)},
    ]  # fmt: skip


def test_missed_visits_are_hidden_from_actors_outside_jurisdiction(
    svc: CaseService, org: Org, case: CaseView
) -> None:
    open_plan(svc, org, case.id)
    sweep(svc, worker="w1", now=START + 2 * DAY)
    assert len(svc.missed_visits(org.village)) == 1
    assert len(svc.missed_visits(org.auditor)) == 1
    for outsider in (org.neighbour_village, org.far_village, org.other_township):
        assert svc.missed_visits(outsider) == [], outsider


# -- suspend, resume, end, end dates ----------------------------------------------------------


def test_suspend_cancels_open_occurrence_and_nothing_fires_while_suspended(
    svc: CaseService, org: Org, clock: FakeClock, case: CaseView
) -> None:
    _, plan_id = open_plan(svc, org, case.id, recurrence=CLEANING)
    clock.set(START + DAY)
    suspended = svc.suspend_service_plan(org.village, case.id, plan_id=plan_id, reason="住院治疗")
    plan = suspended.facts["plans"][plan_id]
    assert (plan["state"], plan["scheduled_at"]) == ("suspended", None)
    assert f"visit_due/{plan_id}" not in suspended.deadlines
    [row] = visit_rows(svc, case.id, plan_id)
    assert (row["status"], row["closed_seq"]) == ("cancelled", suspended.last_seq)
    sweep(svc, worker="w1", now=START + 90 * DAY)
    assert [e.type for e in plan_events(svc, org, case.id)] == ["plan.open", "plan.suspend"]
    assert svc.missed_visits(org.county) == []
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected):
        svc.record_visit(org.village, case.id, plan_id=plan_id, what="打扫卫生")
    with pytest.raises(TransitionNotAllowed):
        svc.suspend_service_plan(org.village, case.id, plan_id=plan_id, reason="again")
    assert db_snapshot(svc) == before


def test_resume_arms_next_occurrence_after_resume_time(
    svc: CaseService, org: Org, clock: FakeClock, case: CaseView
) -> None:
    _, plan_id = open_plan(svc, org, case.id, recurrence=CLEANING)
    svc.suspend_service_plan(org.village, case.id, plan_id=plan_id, reason="住院治疗")
    clock.set(cst(2024, 4, 10, 11))
    resumed = svc.resume_service_plan(org.village, case.id, plan_id=plan_id)
    plan = resumed.facts["plans"][plan_id]
    assert (plan["state"], plan["scheduled_at"]) == ("active", iso(cst(2024, 4, 15, 9)))
    cancelled, pending = visit_rows(svc, case.id, plan_id)
    assert cancelled["status"] == "cancelled"
    assert (pending["status"], pending["due_at"], pending["opened_seq"]) == (
        "pending",
        cst(2024, 4, 16, 9),
        resumed.last_seq,
    )
    assert svc.history(org.county, case.id)[-1].payload["next_at"] == iso(cst(2024, 4, 15, 9))
    with pytest.raises(TransitionNotAllowed):
        svc.resume_service_plan(org.village, case.id, plan_id=plan_id)
    assert replay_case(svc.engine, case.id).ok


@pytest.mark.parametrize("suspend_first", [False, True], ids=["active", "suspended"])
def test_end_cancels_open_occurrence_and_plan_stays_ended(
    svc: CaseService, org: Org, case: CaseView, suspend_first: bool
) -> None:
    _, plan_id = open_plan(svc, org, case.id)
    if suspend_first:
        svc.suspend_service_plan(org.village, case.id, plan_id=plan_id, reason="外出探亲")
    ended = svc.end_service_plan(org.village, case.id, plan_id=plan_id, reason="服务项目结束")
    plan = ended.facts["plans"][plan_id]
    assert (plan["state"], plan["scheduled_at"]) == ("ended", None)
    assert [r["status"] for r in visit_rows(svc, case.id, plan_id)] == ["cancelled"]
    before = db_snapshot(svc)
    with pytest.raises(TransitionNotAllowed):
        svc.resume_service_plan(org.village, case.id, plan_id=plan_id)
    with pytest.raises(TransitionNotAllowed):
        svc.end_service_plan(org.village, case.id, plan_id=plan_id, reason="again")
    with pytest.raises(GuardRejected):
        svc.record_visit(org.village, case.id, plan_id=plan_id, what="打扫卫生")
    assert db_snapshot(svc) == before
    assert sweep(svc, worker="w1", now=START + 10 * DAY).fired == 0


def test_plan_stops_arming_occurrences_after_its_end(
    svc: CaseService, org: Org, case: CaseView
) -> None:
    _, plan_id = open_plan(svc, org, case.id, ends_at=START + 5 * DAY)
    sweep(svc, worker="w1", now=START + 30 * DAY)
    misses = [e for e in plan_events(svc, org, case.id) if e.type == "plan.miss"]
    # every other day from START, up to START + 5 days: +0, +2, +4
    assert [e.payload["scheduled_at"] for e in misses] == [iso(START + k * DAY) for k in (0, 2, 4)]
    assert [e.payload["next_at"] for e in misses] == [iso(START + 2 * DAY),
                                                      iso(START + 4 * DAY), None]  # fmt: skip
    plan = plan_of(svc, org, case.id, plan_id)
    assert (plan["n"], plan["missed"], plan["scheduled_at"]) == (3, 3, None)
    assert [r["status"] for r in visit_rows(svc, case.id, plan_id)] == ["fired"] * 3
    assert sweep(svc, worker="w1", now=START + 300 * DAY).fired == 1  # only mark_overdue


def test_plan_includes_occurrence_falling_exactly_on_its_end(
    svc: CaseService, org: Org, clock: FakeClock, case: CaseView
) -> None:
    _, plan_id = open_plan(svc, org, case.id, ends_at=START + 2 * DAY)
    assert visit_each(svc, org, clock, case.id, plan_id, 2) == [START, START + 2 * DAY]
    assert plan_of(svc, org, case.id, plan_id)["scheduled_at"] is None
    assert [r["status"] for r in visit_rows(svc, case.id, plan_id)] == ["done", "done"]


# -- the case's fate --------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", ["revoke", "terminate"])
def test_revoke_or_terminate_ends_all_plans_and_cancels_their_occurrences(
    svc: CaseService, org: Org, clock: FakeClock, case: CaseView, trigger: str
) -> None:
    _, cleaning = open_plan(svc, org, case.id, recurrence=CLEANING)
    _, visits = open_plan(svc, org, case.id)
    _, paused = open_plan(svc, org, case.id, kind="repair", recurrence=MONTHLY)
    svc.suspend_service_plan(org.village, case.id, plan_id=paused, reason="材料未到")
    clock.set(START + 3 * DAY)
    closed = fire(svc, org, svc.get_case(org.county, case.id), trigger)
    assert {p["state"] for p in closed.facts["plans"].values()} == {"ended"}
    assert closed.deadlines == {}
    for plan_id in (cleaning, visits):
        [row] = visit_rows(svc, case.id, plan_id)
        assert (row["status"], row["closed_seq"]) == ("cancelled", closed.last_seq)
    assert sweep(svc, worker="w1", now=START + 200 * DAY).fired == 0
    with pytest.raises(GuardRejected):
        open_plan(svc, org, case.id)
    assert verify_database(svc.engine).ok


def test_verified_case_keeps_its_plans_running(
    svc: CaseService, org: Org, clock: FakeClock, case: CaseView
) -> None:
    _, plan_id = open_plan(svc, org, case.id)
    verified = fire(svc, org, case, "verify")
    assert verified.facts["plans"][plan_id]["state"] == "active"
    assert sorted(verified.deadlines) == ["rereview_due", f"visit_due/{plan_id}"]  # 复核 in a year
    assert sweep(svc, worker="w1", now=START + DAY).fired == 1  # occurrence 1 missed
    clock.set(START + 2 * DAY + timedelta(hours=2))
    svc.record_visit(org.village, case.id, plan_id=plan_id, what="上门探访")
    _, follow_up = open_plan(svc, org, case.id, kind="follow_up", recurrence=MONTHLY)
    after = svc.get_case(org.county, case.id)
    assert after.state == "verified"
    kept = after.facts["plans"][plan_id]
    assert (kept["state"], kept["missed"], kept["done"]) == ("active", 1, 1)
    assert after.facts["plans"][follow_up]["scheduled_at"] == iso(cst(2024, 4, 1, 0))
    assert verify_database(svc.engine).ok


@pytest.mark.parametrize(
    "state", ["applied", "promised", "reviewed", "rejected", "withdrawn", "revoked", "terminated"]
)
def test_open_plan_is_refused_when_case_not_receiving_assistance(
    svc: CaseService, org: Org, state: str
) -> None:
    target = case_in(svc, org, state)
    before = db_snapshot(svc)
    with pytest.raises(GuardRejected):
        open_plan(svc, org, target.id)
    assert db_snapshot(svc) == before


# -- refusals ---------------------------------------------------------------------------------

BAD_PLANS: dict[str, dict[str, Any]] = {
    "recurrence_not_a_dict": {"recurrence": "every other day"},
    "recurrence_unknown_type": {"recurrence": {"type": "weekly", "days": 1}},
    "cron_without_fields": {"recurrence": {"type": "cron"}},
    "cron_unknown_field": {"recurrence": {"type": "cron", "second": 0}},
    "cron_day_out_of_range": {"recurrence": {"type": "cron", "day": "32"}},
    "cron_hour_out_of_range": {"recurrence": {"type": "cron", "hour": 25}},
    "cron_bad_weekday": {"recurrence": {"type": "cron", "day_of_week": "xyz"}},
    "interval_unknown_field": {"recurrence": {"type": "interval", "minutes": 90}},
    "interval_zero": {"recurrence": {"type": "interval", "hours": 0}},
    "interval_negative": {"recurrence": {"type": "interval", "days": -1}},
    "interval_fraction": {"recurrence": {"type": "interval", "days": 1.5}},
    "interval_text": {"recurrence": {"type": "interval", "hours": "2"}},
    "interval_bool": {"recurrence": {"type": "interval", "days": True}},
    "kind_unknown": {"kind": "massage"},
    "provider_text": {"provider": "暖心洁家"},
    "provider_empty": {"provider": {}},
    "provider_both": {"provider": {"org": "320922100", "name": "暖心洁家"}},
    "provider_blank_name": {"provider": {"name": "  "}},
    "provider_long_name": {"provider": {"name": "家" * 101}},
    "provider_malformed_org": {"provider": {"org": "bad id!"}},
    "grace_zero": {"grace_hours": 0},
    "grace_over_a_month": {"grace_hours": 24 * 31 + 1},
    "grace_text": {"grace_hours": "24"},
    "ends_before_start": {"starts_at": "2024-04-01T09:00:00+08:00",
                          "ends_at": "2024-03-31T09:00:00+08:00"},
    "ends_at_start": {"starts_at": "2024-04-01T09:00:00+08:00",
                      "ends_at": "2024-04-01T09:00:00+08:00"},
    "start_naive": {"starts_at": datetime(2024, 4, 1, 9)},
    "start_not_a_time": {"starts_at": "next Monday"},
}  # fmt: skip


@pytest.mark.parametrize("overrides", BAD_PLANS.values(), ids=BAD_PLANS.keys())
def test_open_plan_is_refused_and_writes_nothing_when_input_invalid(
    svc: CaseService, org: Org, case: CaseView, overrides: dict[str, Any]
) -> None:
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput):
        open_plan(svc, org, case.id, **overrides)
    assert db_snapshot(svc) == before


def test_open_plan_is_refused_when_provider_unit_unknown(
    svc: CaseService, org: Org, case: CaseView
) -> None:
    before = db_snapshot(svc)
    with pytest.raises(NotFound):
        open_plan(svc, org, case.id, provider={"org": "999999"})
    assert db_snapshot(svc) == before


def test_open_plan_accepts_interval_of_exactly_one_hour(
    svc: CaseService, org: Org, case: CaseView
) -> None:
    case, plan_id = open_plan(svc, org, case.id, recurrence={"type": "interval", "hours": 1})
    assert case.facts["plans"][plan_id]["scheduled_at"] == iso(START)


def test_open_plan_is_refused_when_cron_fires_more_often_than_hourly(
    svc: CaseService, org: Org, case: CaseView
) -> None:
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput):
        open_plan(svc, org, case.id, recurrence={"type": "cron", "minute": "*/10"})
    assert db_snapshot(svc) == before


def test_open_plan_is_refused_when_recurrence_never_occurs(
    svc: CaseService, org: Org, case: CaseView
) -> None:
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput):
        open_plan(svc, org, case.id, recurrence={"type": "cron", "year": 2020})
    assert db_snapshot(svc) == before


UNKNOWN_PLAN = "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d"
BAD_VISITS: dict[str, dict[str, Any]] = {
    "in_the_future": {"visited_at": START + timedelta(minutes=1)},
    "naive_time": {"visited_at": datetime(2024, 3, 15, 9, 0)},
    "not_a_time": {"visited_at": "yesterday"},
    "unknown_plan": {"plan_id": UNKNOWN_PLAN},
    "malformed_plan_id": {"plan_id": "plan-1"},
    "nothing_done": {"what": "  "},
}


@pytest.mark.parametrize("overrides", BAD_VISITS.values(), ids=BAD_VISITS.keys())
def test_record_visit_is_refused_and_writes_nothing_when_input_invalid(
    svc: CaseService, org: Org, case: CaseView, overrides: dict[str, Any]
) -> None:
    _, plan_id = open_plan(svc, org, case.id)
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput):
        svc.record_visit(org.village, case.id, **{"plan_id": plan_id, "what": "打扫卫生",
                                                  **overrides})  # fmt: skip
    assert db_snapshot(svc) == before


@pytest.mark.parametrize("command", ["suspend", "end"])
def test_plan_step_is_refused_when_reason_missing_or_plan_unknown(
    svc: CaseService, org: Org, case: CaseView, command: str
) -> None:
    _, plan_id = open_plan(svc, org, case.id)
    method = getattr(svc, f"{command}_service_plan")
    before = db_snapshot(svc)
    with pytest.raises(InvalidInput):
        method(org.village, case.id, plan_id=plan_id, reason=" ")
    with pytest.raises(InvalidInput):
        method(org.village, case.id, plan_id=UNKNOWN_PLAN, reason="服务项目结束")
    assert db_snapshot(svc) == before


# -- who may manage plans ---------------------------------------------------------------------

Command = Callable[[CaseService, Actor, str, str], CaseView]
COMMANDS: dict[str, Command] = {
    "open": lambda s, a, c, p: s.open_service_plan(
        a, c, kind="cleaning", provider=PROVIDER, recurrence=EVERY_OTHER_DAY),
    "visit": lambda s, a, c, p: s.record_visit(a, c, plan_id=p, what="打扫卫生"),
    "suspend": lambda s, a, c, p: s.suspend_service_plan(a, c, plan_id=p, reason="住院治疗"),
    "resume": lambda s, a, c, p: s.resume_service_plan(a, c, plan_id=p),
    "end": lambda s, a, c, p: s.end_service_plan(a, c, plan_id=p, reason="服务项目结束"),
}  # fmt: skip


def ready_for(svc: CaseService, org: Org, case_id: str, command: str) -> str:
    """A plan on which ``command`` is valid (a suspended one for ``resume``)."""
    _, plan_id = open_plan(svc, org, case_id)
    if command == "resume":
        svc.suspend_service_plan(org.village, case_id, plan_id=plan_id, reason="住院治疗")
    return plan_id


@pytest.mark.parametrize("command", COMMANDS)
def test_plan_commands_are_refused_for_roles_and_places_without_the_right(
    svc: CaseService, org: Org, case: CaseView, command: str
) -> None:
    plan_id = ready_for(svc, org, case.id, command)
    outsiders = [org.auditor, org.centre, org.neighbour_village, org.far_village,
                 org.other_township, Actor(Role.SYSTEM, org.county.org, "w1"), org.admin]  # fmt: skip
    before = db_snapshot(svc)
    for actor in outsiders:
        with pytest.raises(PermissionDenied):
            COMMANDS[command](svc, actor, case.id, plan_id)
    assert db_snapshot(svc) == before


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("level", ["village", "township", "county"])
def test_plan_commands_are_allowed_at_each_level_in_jurisdiction(
    svc: CaseService, org: Org, case: CaseView, command: str, level: str
) -> None:
    plan_id = ready_for(svc, org, case.id, command)
    actor = {"village": org.village, "township": org.township, "county": org.county}[level]
    result = COMMANDS[command](svc, actor, case.id, plan_id)
    event = svc.history(org.county, case.id)[-1]
    assert (event.type, event.actor["role"], result.last_seq) == (
        f"plan.{command}",
        level,
        event.seq,
    )
