"""A demo story: a Qinhuai new-citizen family with out-of-area dibao (docs/domain.md §5).

A family of three from Yingzhou district, Fuyang (Anhui, division code 341202), rents in
Gongyuan community, Qinhuai.  It holds dibao at its hukou place.  After the father's accident
it applies for temporary assistance where it lives (a signed integrity commitment, "1+4"
condition 4; 2 x 945 x 3 = 5,670 yuan).  The community records the out-of-area dibao status
(Yingzhou's statement, valid until 30 November 2024), so the township pays the hospital bills
at the dibao ratio: one dated within the status is paid (85% of what insurance left), one dated
before it was recorded is refused.  On 1 November (30 days before valid-until) the worker puts
the case on Qinhuai's alarm list; the community re-confirms it on 8 November with Yingzhou's
new statement, valid until 31 May 2025, which clears the alarm.

The demo's year (:mod:`.year`) starts it after ``paths.schedule(sim, seed)``, which sets up
Qinhuai's units.
"""

from __future__ import annotations

from random import Random
from typing import Any

from ..errors import GuardRejected
from ..service.actors import Actor, Role
from .paths import FUZIMIAO, GONGYUAN, QINHUAI, PathStory, Qinhuai, Script, at, members

YINGZHOU = {"unit_name": "安徽省阜阳市颍州区民政局 (Yingzhou civil affairs, Fuyang)",
            "unit_code": "341202"}  # fmt: skip


def qinhuai() -> Qinhuai:
    """The demo's actors in Qinhuai (units made by :func:`.paths.set_up_qinhuai`)."""
    return Qinhuai(Actor(Role.COUNTY, QINHUAI[0], "demo"), Actor(Role.TOWNSHIP, FUZIMIAO[0], "demo"),
                   Actor(Role.VILLAGE, GONGYUAN[0], "demo"))  # fmt: skip


def schedule(sim: Any, seed: int, q: Qinhuai | None = None) -> PathStory:
    """Start the story on ``sim`` (Qinhuai's units exist) and return it."""
    q = q or qinhuai()
    story = PathStory(
        "新市民户籍地低保 new citizen with out-of-area dibao",
        "秦淮区; dibao at the hukou place (Fuyang); temporary assistance and medical assistance "
        "at the dibao ratio; re-confirmed before it lapses",
    )
    sim.start(at("2024-05-06", 9), new_citizen(sim, q, story, Random(seed + 15)))
    return story


def new_citizen(sim: Any, q: Qinhuai, story: PathStory, rng: Random) -> Script:
    svc = sim.svc
    home = sim.call(svc.register_household, q.village, members=members(sim, rng, 3, 38))
    case = sim.call(svc.apply_temporary, q.village, household_id=home.id,
                    applicant_id=home.member_ids[0], kind="expenditure", new_citizen=True)  # fmt: skip
    story.case_id = case.id
    yield at("2024-05-07", 10)
    sim.call(svc.record_out_of_area, q.village, case.id, status="dibao",
             document="颍民救证〔2024〕31号 (Yingzhou's statement)", valid_until="2024-11-30",
             **YINGZHOU)  # fmt: skip
    sim.call(svc.assess_temporary, q.village, case.id, commitment_signed_by=home.member_ids[0],
             commitment_evidence="诚信承诺书 2024-05-07")  # fmt: skip
    yield at("2024-05-08", 15)
    sim.call(svc.decide_temporary, q.township, case.id, decision="approve", multiplier=2,
             reason="“1+4”条件四：签署诚信承诺书")  # fmt: skip
    sim.call(svc.pay_temporary, q.township, case.id)
    yield at("2024-05-20", 10)
    sim.call(svc.record_medical_bill, q.township, case.id, billed_on="2024-05-16",
             total="12000", insurance_paid="8000", hospital="南京市第一医院",
             bill_id="NJ-2024-0516")  # fmt: skip
    try:  # dated before the status was recorded: refused, with the reason
        sim.call(svc.record_medical_bill, q.township, case.id, billed_on="2024-05-02",
                 total="3000", hospital="秦淮区中医院", bill_id="QH-2024-0502")  # fmt: skip
    except GuardRejected:
        sim.stats.bills_refused += 1
    yield at("2024-11-08", 10)  # the re-confirmation fell due on 1 November: an alarm
    sim.call(svc.reconfirm_out_of_area, q.village, case.id,
             document="颍民救证〔2024〕97号 (Yingzhou's new statement)", valid_until="2025-05-31")  # fmt: skip
