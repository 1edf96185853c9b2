"""The demo story of a Qinhuai new-citizen family with out-of-area dibao
(jiuzhu.demo.story_new_citizen), played on the demo's simulated clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jiuzhu import demo
from jiuzhu.audit.verify import verify_database
from jiuzhu.clock import SHANGHAI
from jiuzhu.demo import paths, story_new_citizen
from jiuzhu.demo.simulation import Simulation


def test_the_story_pays_one_bill_refuses_one_and_reconfirms_after_the_alarm(
    tmp_path: Path,
) -> None:
    svc, clock, units = demo.open_county(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        q = paths.set_up_qinhuai(svc)
        sim = Simulation(svc, clock, units, seed=7)
        story = story_new_citizen.schedule(sim, 7, q)
        sim.run(datetime(2024, 11, 5, 12, tzinfo=SHANGHAI), lambda *_: None)
        assert [a["limit"] for a in svc.limit_alarms(q.county)] == ["out_of_area_reconfirm"]
        sim.run(datetime(2024, 12, 31, 12, tzinfo=SHANGHAI), lambda *_: None)
        case = svc.get_case(q.county, story.case_id)
        held = case.facts["out_of_area"]
        assert (case.state, held["state"], held["valid_until"]) == ("paid", "valid", "2025-05-31")
        assert case.facts["medical"]["used_fen"] == {"2024": 340_000}  # 85% of 4,000 yuan
        assert sim.stats.bills_refused == 1 and svc.limit_alarms(q.county) == []
        assert verify_database(svc.engine).ok
    finally:
        svc.close()
