"""The demo story of a provider's visits and a rewiring project (jiuzhu.demo.story_provider),
played on the demo's simulated clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jiuzhu import demo
from jiuzhu.audit.findings import database_findings
from jiuzhu.audit.verify import verify_database
from jiuzhu.clock import SHANGHAI
from jiuzhu.demo import paths, story_provider
from jiuzhu.demo.simulation import Simulation


def test_the_story_visits_every_other_day_rewires_the_house_and_reports_the_project(
    tmp_path: Path,
) -> None:
    svc, clock, units = demo.open_county(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        q = paths.set_up_qinhuai(svc)
        sim = Simulation(svc, clock, units, seed=7)
        story = story_provider.schedule(sim, 7, q)
        sim.run(datetime(2024, 4, 2, 12, tzinfo=SHANGHAI), lambda *_: None)
        case = svc.get_case(q.county, story.case_id)
        [plan] = case.facts["plans"].values()
        [oneoff] = case.facts["oneoffs"].values()
        assert case.programme == "tekun"
        assert (plan["done"], plan["missed"], plan["state"]) == (14, 0, "ended")
        assert oneoff["state"] == "completed" and oneoff["completed_at"].startswith("2024-03-2")
        visits = [e for e in svc.history(q.county, case.id) if e.type == "plan.visit"]
        assert {e.actor["role"] for e in visits} == {"provider"}
        [row] = svc.report_projects(q.county, year=2024)
        assert (row["beneficiary_households"], row["person_times"]) == (1, 15)
        codes = {f.code for f in database_findings(svc.engine, now=clock.now())
                 if f.case_id == case.id}  # fmt: skip
        assert not codes & {"visit_missed", "oneoff_overdue"}
        assert verify_database(svc.engine).ok
    finally:
        svc.close()
