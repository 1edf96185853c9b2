"""The seed's fast-track stories: Chen Bihua, a falsification, a failed appraisal, a withdrawal.

(The standard path's and temporary assistance's stories are in :mod:`.paths`.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from random import Random

from ..clock import local_date
from ..errors import GuardRejected
from .caseload import REASONS, SERVICES, Service, open_plan, visits
from .county import TUANJIE
from .simulation import Script, Simulation, at

CHEN_FOLLOW_UP = Service("follow_up", {"type": "cron", "day": 19, "hour": 10}, 72, "village",
                         "社区工作人员上门回访 (the community worker's follow-up visit)", 1.0,
                         months=12)  # fmt: skip


# -- the seed's stories ------------------------------------------------------------------------
@dataclass
class Story:
    title: str
    note: str
    case_id: str = ""


def chen_bihua(sim: Simulation, story: Story) -> Script:
    """People's Daily report: 50, cerebral haemorrhage after the Spring Festival; dibao the same day, 2,000/month."""
    svc, rng, village = sim.svc, Random(sim.seed), sim.units.villages[TUANJIE]
    today = local_date(sim.clock.now())
    members = [
        sim.people.person(rng, age=50, female=False, relation="head", today=today, name="陈必华"),
        sim.people.person(
            rng, age=48, female=True, relation="spouse", today=today, name="陈必华家属"
        ),  # the seed does not name his wife  # fmt: skip
    ]
    household = sim.household(TUANJIE, members)
    case = sim.call(svc.apply, village, household_id=household.id,
                    applicant_id=household.member_ids[0], programme="dibao",
                    cause="major_illness", expenditure="90000")  # fmt: skip
    story.case_id = case.id
    yield at("2024-02-20", 10, 30)  # the family signs the credit commitment
    case = sim.call(svc.promise, village, case.id, signed_by=household.member_ids[1])
    yield at("2024-02-20", 14, 0)  # the community holds the democratic appraisal
    case = sim.call(svc.record_appraisal, village, case.id, outcome="passed", attendance=21,
                    votes_for=20, votes_against=0, abstentions=1)  # fmt: skip
    yield at("2024-02-20", 16, 0)  # the street office decides the same day
    township = sim.units.townships["320922100"]
    key = f"demo-{sim.seed}-chen-approve"
    case = sim.call(svc.approve, township, case.id, monthly_amount="2000", idempotency_key=key)
    retry = sim.call(svc.approve, township, case.id, monthly_amount="2000", idempotency_key=key)
    if retry.replayed and retry.row_version == case.row_version:
        story.note += "; a retried approval (same idempotency key) changed nothing"
    yield at("2024-02-21", 9, 30)  # the street office settles the hospital bills
    try:  # the ambulance and emergency room, two days before the household was included
        sim.call(svc.record_medical_bill, township, case.id, billed_on="2024-02-18",
                 total="3200", hospital="滨海县人民医院", bill_id="JZ-20240218")  # fmt: skip
    except GuardRejected:
        sim.stats.bills_refused += 1
        story.note += "; a bill dated 02-18, before inclusion, was refused"
    # ICU from the day of inclusion: 92,000 yuan, insurance paid 50,500; 41,500 was left, of
    # which medical assistance pays 85 %: he pays about 6,000 himself (People's Daily report: "5000多元")
    sim.call(svc.record_medical_bill, township, case.id, billed_on="2024-02-20", total="92000",
             insurance_paid="50500", hospital="滨海县人民医院", bill_id="ZY-20240220")  # fmt: skip
    yield at("2024-02-21", 10, 0)  # the community worker plans monthly follow-up visits
    plan = open_plan(sim, case.id, TUANJIE, CHEN_FOLLOW_UP)
    sim.start(sim.clock.now(), visits(sim, rng, case.id, TUANJIE, CHEN_FOLLOW_UP, plan,
                                      notes={1: CHEN_QUOTE}))  # fmt: skip
    yield at("2024-03-19", 10, 0)  # the data check returns within the month
    sim.call(svc.record_verification, sim.units.centre, case.id, result="meets_standard")


CHEN_QUOTE = ("家属说：低保很快就办下来了，药费能报销很多，真是雪中送炭 (the family: dibao came "
              "quickly, most of the medical bills are reimbursed)")  # fmt: skip


def fraud(sim: Simulation, story: Story) -> Script:
    """docs/domain.md §10 case 2: approved 2024-03-15 at 2,000/month, revoked 2024-05-10.

    The data check is overdue from 2024-04-15 and chased weekly; the cleaning the township
    arranged ends with the revocation.
    """
    svc, rng, village_id = sim.svc, Random(sim.seed + 1), "320922102003"
    village = sim.units.villages[village_id]
    household = sim.household(village_id, sim.people.household(rng, local_date(sim.clock.now())))
    case = sim.call(svc.apply, village, household_id=household.id,
                    applicant_id=household.member_ids[0], programme="dibao", cause="accident",
                    expenditure="46800")  # fmt: skip
    story.case_id = case.id
    yield at("2024-03-15", 9, 40)
    sim.call(svc.promise, village, case.id, signed_by=household.member_ids[0])
    yield at("2024-03-15", 11, 0)
    sim.call(svc.record_appraisal, village, case.id, outcome="passed", attendance=18,
             votes_for=15, votes_against=2, abstentions=1)  # fmt: skip
    yield at("2024-03-15", 15, 0)
    sim.call(svc.approve, sim.units.townships["320922102"], case.id, monthly_amount="2000")
    yield at("2024-03-20", 10, 0)
    cleaning = replace(SERVICES["cleaning"], done_rate=1.0, pause_rate=0.0)
    plan = open_plan(sim, case.id, village_id, cleaning)
    sim.start(sim.clock.now(), visits(sim, rng, case.id, village_id, cleaning, plan))
    yield at("2024-05-10", 10, 0)
    sim.call(svc.record_verification, sim.units.county, case.id, result="falsification",
             reason=REASONS["falsification"])  # fmt: skip
    sim.closed.add(case.id)
    township = sim.units.townships["320922102"]
    for day in ("2024-06-11", "2024-07-10"):  # the 4,000 yuan recovered in two instalments
        yield at(day, 10, 0)
        sim.call(svc.record_repayment, township, case.id, amount="2000")


def failed_appraisal(sim: Simulation, story: Story) -> Script:
    svc, rng, village_id = sim.svc, Random(sim.seed + 2), "320922103002"
    village = sim.units.villages[village_id]
    household = sim.household(village_id, sim.people.household(rng, local_date(sim.clock.now())))
    case = sim.call(svc.apply, village, household_id=household.id,
                    applicant_id=household.member_ids[0], programme="near_dibao",
                    cause="major_illness", expenditure="52000")  # fmt: skip
    story.case_id = case.id
    yield at("2024-03-04", 11, 0)
    sim.call(svc.promise, village, case.id, signed_by=household.member_ids[0])
    yield at("2024-03-06", 15, 0)
    sim.call(svc.record_appraisal, village, case.id, outcome="failed", attendance=24,
             votes_for=7, votes_against=15, abstentions=2)  # fmt: skip


def withdrawn(sim: Simulation, story: Story) -> Script:
    svc, rng, village_id = sim.svc, Random(sim.seed + 3), "320922101004"
    village = sim.units.villages[village_id]
    household = sim.household(village_id, sim.people.household(rng, local_date(sim.clock.now())))
    case = sim.call(svc.apply, village, household_id=household.id,
                    applicant_id=household.member_ids[0], programme="rigid_expenditure",
                    cause="disaster", expenditure="38000")  # fmt: skip
    story.case_id = case.id
    yield at("2024-04-08", 14, 0)
    sim.call(svc.promise, village, case.id, signed_by=household.member_ids[0])
    yield at("2024-04-10", 9, 30)
    sim.call(svc.withdraw, village, case.id, reason=REASONS["insured"])


STORIES = (
    (at("2024-02-20", 9, 30), chen_bihua, "陈必华 Chen Bihua (seed)",
     "团结社区; cerebral haemorrhage; 90,000 yuan; dibao approved the same day at 2,000/month"),
    (at("2024-03-04", 9, 0), failed_appraisal, "failed appraisal 评议未通过",
     "五汛镇; the village appraisal found the household's credit wanting"),
    (at("2024-03-15", 9, 0), fraud, "falsification 弄虚作假",
     "八巨镇; approved 2024-03-15 at 2,000/month, revoked 2024-05-10 after the data check"),
    (at("2024-04-08", 9, 0), withdrawn, "withdrawn 撤回", "坎北街道; the family withdrew"),
)  # fmt: skip
