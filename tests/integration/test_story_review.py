"""The demo story of a re-review that lowers the amount (jiuzhu.demo.story_review), played on
the demo's simulated clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from jiuzhu import demo
from jiuzhu.audit.verify import verify_database
from jiuzhu.clock import SHANGHAI, iso_utc
from jiuzhu.demo import paths, story_review
from jiuzhu.demo.simulation import Simulation
from jiuzhu.models.tables import LedgerEntryRecord


def test_the_story_re_reviews_after_six_months_and_pays_the_lower_amount_from_october(
    tmp_path: Path,
) -> None:
    svc, clock, units = demo.open_county(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        q = paths.set_up_qinhuai(svc)
        sim = Simulation(svc, clock, units, seed=7)
        story = story_review.schedule(sim, 7, q)
        sim.run(datetime(2024, 8, 31, 12, tzinfo=SHANGHAI), lambda *_: None)
        case = svc.get_case(q.county, story.case_id)
        assert (case.state, case.monthly_amount_fen) == ("confirmed", 163_500)
        assert case.deadlines["rereview_due"] == iso_utc(datetime(2024, 9, 1, tzinfo=SHANGHAI))
        sim.run(datetime(2024, 11, 30, 12, tzinfo=SHANGHAI), lambda *_: None)
        case = svc.get_case(q.county, story.case_id)
        assert case.monthly_amount_fen == 83_500 and "review" not in case.facts
        assert case.facts["reviews"][0]["decision"]["outcome"] == "change"
        assert case.deadlines["rereview_due"] == iso_utc(datetime(2025, 9, 1, tzinfo=SHANGHAI))
        with svc.engine.connect() as conn:
            paid = dict(conn.execute(select(LedgerEntryRecord.period, LedgerEntryRecord.amount_fen)
                                     .where(LedgerEntryRecord.case_id == story.case_id)).all())  # fmt: skip
        assert (paid["2024-04"], paid["2024-09"], paid["2024-10"], paid["2024-11"]) == (
            163_500, 163_500, 83_500, 83_500)  # fmt: skip
        assert svc.limit_alarms(q.county) == []
        assert verify_database(svc.engine).ok
    finally:
        svc.close()
