"""The demo story of an income rise phased out (jiuzhu.demo.story_phase_out), played on the
demo's simulated clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from jiuzhu import demo
from jiuzhu.audit.verify import verify_database
from jiuzhu.clock import SHANGHAI
from jiuzhu.demo import paths, story_phase_out
from jiuzhu.demo.simulation import Simulation
from jiuzhu.models.tables import LedgerEntryRecord


def test_the_story_phases_the_allowance_out_over_june_to_august_then_stops(
    tmp_path: Path,
) -> None:
    svc, clock, units = demo.open_county(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        q = paths.set_up_qinhuai(svc)
        sim = Simulation(svc, clock, units, seed=7)
        story = story_phase_out.schedule(sim, 7, q)
        sim.run(datetime(2024, 6, 4, 12, tzinfo=SHANGHAI), lambda *_: None)
        case = svc.get_case(q.county, story.case_id)
        assert [c["kind"] for c in case.facts["circumstances"]] == ["work_found", "income_change"]
        assert case.facts["circumstances"][1]["above_line"] is True
        assert case.facts["review"]["circumstances"] == [1, 2] and "recheck_due" in case.deadlines
        sim.run(datetime(2024, 10, 31, 12, tzinfo=SHANGHAI), lambda *_: None)
        case = svc.get_case(q.county, story.case_id)
        assert case.state == "stopped"
        assert case.facts["phase_out"]["paid_months"] == ["2024-06", "2024-07", "2024-08"]
        with svc.engine.connect() as conn:
            paid = dict(conn.execute(select(LedgerEntryRecord.period, LedgerEntryRecord.amount_fen)
                                     .where(LedgerEntryRecord.case_id == story.case_id)).all())  # fmt: skip
        assert paid == {m: 163_500 for m in ("2024-04", "2024-05", "2024-06", "2024-07",
                                             "2024-08")}  # fmt: skip
        assert svc.limit_alarms(q.county) == []
        assert verify_database(svc.engine).ok
    finally:
        svc.close()
