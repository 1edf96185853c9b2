"""Projects (帮扶项目, docs/domain.md §6) on SQLite and PostgreSQL: plans and one-offs of several
cases name a project; the projects report counts distinct households and person-times."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import Org, case_in, db_snapshot

from jiuzhu import CaseService, FakeClock, InvalidInput, NotFound, PermissionDenied
from jiuzhu.clock import local_date

pytestmark = pytest.mark.policy(monthly_payments=False)
EVERY_OTHER_DAY = {"type": "interval", "days": 2}


def test_the_projects_report_counts_households_and_person_times(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    project = svc.register_project(org.township, unit_id=org.township.org, name="暖心助老",
                                   year=2024)  # fmt: skip
    other = svc.register_project(org.county, unit_id=org.county.org, name="安居工程", year=2024)
    first = case_in(svc, org, "provisionally_approved")
    second = case_in(svc, org, "provisionally_approved")
    plans = []
    for case in (first, first, second):  # two plans on the first case: one household still
        opened = svc.open_service_plan(org.village, case.id, kind="home_visit",
                                       provider={"name": "暖心护理"}, recurrence=EVERY_OTHER_DAY,
                                       project_id=project.id)  # fmt: skip
        plans.append((case.id, next(p for p in opened.facts["plans"].values()
                                    if p["plan_id"] not in {x[1] for x in plans})["plan_id"]))  # fmt: skip
    due = (local_date(clock.now()) + timedelta(days=20)).isoformat()
    one = svc.open_oneoff(org.village, second.id, kind="rewiring", what="更换电线", due_on=due,
                          provider={"name": "电工"}, project_id=project.id)  # fmt: skip
    [oneoff_id] = one.facts["oneoffs"]
    svc.open_oneoff(org.village, first.id, kind="repair", what="修屋顶", due_on=due,
                    provider={"name": "瓦工"}, project_id=other.id)  # fmt: skip
    clock.advance(timedelta(hours=1))
    for case_id, plan_id in plans:
        svc.record_visit(org.village, case_id, plan_id=plan_id, what="探访")
    svc.complete_oneoff(org.village, second.id, oneoff_id=oneoff_id)
    rows = {r["project_id"]: r for r in svc.report_projects(org.county, year=2024)}
    assert {k: rows[project.id][k] for k in ("beneficiary_households", "person_times", "visits",
                                              "oneoffs_completed", "plans", "oneoffs")} == {
        "beneficiary_households": 2, "person_times": 4, "visits": 3, "oneoffs_completed": 1,
        "plans": 3, "oneoffs": 1}  # fmt: skip
    assert (rows[other.id]["beneficiary_households"], rows[other.id]["person_times"]) == (1, 0)
    assert rows[project.id]["unit_name"] and rows[project.id]["year"] == 2024
    assert svc.report_projects(org.county, year=2023) == []
    neighbour = {r["project_id"]: r for r in svc.report_projects(org.other_township)}
    assert set(neighbour) == {other.id} and neighbour[other.id]["person_times"] == 0


def test_projects_are_registered_in_the_jurisdiction_and_named_only_inside_it(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    before = db_snapshot(svc)
    with pytest.raises(PermissionDenied):
        svc.register_project(org.village, unit_id=org.village.org, name="x", year=2024)
    with pytest.raises(PermissionDenied, match="outside the jurisdiction"):
        svc.register_project(org.other_township, unit_id=org.township.org, name="x", year=2024)
    with pytest.raises(InvalidInput, match="year"):
        svc.register_project(org.township, unit_id=org.township.org, name="x", year=1900)
    assert db_snapshot(svc) == before
    far = svc.register_project(org.other_township, unit_id=org.other_township.org, name="远",
                               year=2024)  # fmt: skip
    case = case_in(svc, org, "provisionally_approved")
    with pytest.raises(InvalidInput, match="outside this case"):
        svc.open_service_plan(org.village, case.id, kind="cleaning", provider={"name": "x"},
                              recurrence=EVERY_OTHER_DAY, project_id=far.id)  # fmt: skip
    with pytest.raises(NotFound):
        svc.open_service_plan(org.village, case.id, kind="cleaning", provider={"name": "x"},
                              recurrence=EVERY_OTHER_DAY,
                              project_id="3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d")  # fmt: skip
    assert [p.id for p in svc.list_projects(org.other_township)] == [far.id]
    assert svc.list_projects(org.village) == []
