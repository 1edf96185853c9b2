"""The demo's standard-path (审核确认) and temporary-assistance (临时救助, "1+4") cases.

:func:`schedule` adds them to the demo's simulated year (:class:`.simulation.Simulation`,
whose service decides by the demo's policy file ``jiuzhu/policies/jiangsu-demo.json``: Yancheng,
Binhai county's city, has a configured line there, not a sourced one): it sets up Qinhuai
district in Nanjing (the "1+4" practice, sourced line 945 yuan) and starts four stories:

* 曹卫勤 Cao Weiqin (People's Daily report): a new citizen in Qinhuai whose grandson has a medulloblastoma;
  "1+4" condition 2; 4 x 945 x 3 = 11,340 yuan of cash and in-kind assistance;
* a fire in Qinhuai: assisted first (先行救助), paperwork completed after its limit passed;
* a Binhai household refused by the fast track (29,999 yuan, below the threshold), routed to
  the standard path, given temporary assistance while it waits, confirmed at (line - income) x
  size from the month after the decision;
* a Binhai standard case accepted on 20 September 2024 whose limits run across the National
  Day holiday and its make-up working days; an objection during the notice sends it to a new
  investigation (45 working days).

:func:`routed_standard` is a script for the demo's generated fast-track refusals (the
household applies on the standard path instead).  :func:`summary` counts the two paths' cases
by state, for the demo's report.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from random import Random
from typing import Any

from ..clock import SHANGHAI, local_date
from ..service.actors import Actor, Role
from ..service.service import CaseService
from ..service.views import CaseView
from ..workflows import standard, temporary

QINHUAI = ("320104", "秦淮区")
FUZIMIAO = ("320104100", "夫子庙街道")
GONGYUAN = ("320104100001", "贡院社区")
BINHAI_VILLAGE, BINHAI_TOWNSHIP = "320922102001", "320922102"  # 八巨一村, 八巨镇
Script = Iterator[datetime]


@dataclass
class PathStory:
    title: str
    note: str
    case_id: str = ""


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), SHANGHAI)


def schedule(sim: Any, seed: int) -> list[PathStory]:
    """Add Qinhuai and start the stories on ``sim``; returns them."""
    svc: CaseService = sim.svc
    qinhuai = set_up_qinhuai(svc)
    stories = [
        PathStory(
            "曹卫勤 Cao Weiqin (seed, 临时救助)",
            "秦淮区 new citizen; grandson's surgery "
            "340,000+; 4 x 945 x 3 = 11,340 cash and in kind",
        ),  # fmt: skip
        PathStory("先行救助 assist first", "秦淮区 fire; paid at once, paperwork after its limit"),
        PathStory(
            "转常规程序 routed to the standard path",
            "八巨镇; fast track refused at 29,999; temporary assistance while waiting; confirmed",
        ),  # fmt: skip
        PathStory(
            "国庆期间时限 limits over National Day",
            "八巨镇; accepted 2024-09-20; objection, new investigation, 45 working days",
        ),  # fmt: skip
    ]
    sim.start(at("2024-03-11", 9), cao_weiqin(sim, qinhuai, stories[0], Random(seed + 11)))
    sim.start(at("2024-06-03", 9), fire(sim, qinhuai, stories[1], Random(seed + 12)))
    sim.start(at("2024-04-08", 9), routed(sim, stories[2], Random(seed + 13)))
    sim.start(at("2024-09-20", 9), national_day(sim, stories[3], Random(seed + 14)))
    return stories


@dataclass(frozen=True)
class Qinhuai:
    county: Actor
    township: Actor
    village: Actor


def set_up_qinhuai(svc: CaseService) -> Qinhuai:
    svc.add_org_unit(Actor(Role.ADMIN, "", "demo"), id=QINHUAI[0], name=QINHUAI[1],
                     level="county")  # fmt: skip
    county = Actor(Role.COUNTY, QINHUAI[0], "demo")
    svc.add_org_unit(county, id=FUZIMIAO[0], name=FUZIMIAO[1], level="township",
                     parent_id=QINHUAI[0])  # fmt: skip
    svc.add_org_unit(county, id=GONGYUAN[0], name=GONGYUAN[1], level="village",
                     parent_id=FUZIMIAO[0])  # fmt: skip
    return Qinhuai(county, Actor(Role.TOWNSHIP, FUZIMIAO[0], "demo"),
                   Actor(Role.VILLAGE, GONGYUAN[0], "demo"))  # fmt: skip


def members(sim: Any, rng: Random, size: int, head_age: int) -> list[dict[str, str]]:
    today = local_date(sim.clock.now())
    people = [sim.people.person(rng, age=head_age, female=True, relation="head", today=today)]
    for relation, age in (("spouse", head_age + 2), ("grandchild", 8))[: size - 1]:
        people.append(sim.people.person(rng, age=age, female=relation != "spouse",
                                        relation=relation, today=today))  # fmt: skip
    return people


def cao_weiqin(sim: Any, q: Qinhuai, story: PathStory, rng: Random) -> Script:
    svc = sim.svc
    home = sim.call(svc.register_household, q.village, members=members(sim, rng, 3, 63))
    case = sim.call(svc.apply_temporary, q.village, household_id=home.id,
                    applicant_id=home.member_ids[0], kind="expenditure", new_citizen=True,
                    expenditure="340000")  # fmt: skip
    story.case_id = case.id
    yield at("2024-03-12", 10)
    sim.call(svc.assess_temporary, q.village, case.id,
             dependants="孙子患髓母细胞瘤，手术费用34万余元 (grandson: medulloblastoma, surgery "
             "340,000+)")  # fmt: skip
    yield at("2024-03-13", 15)
    sim.call(svc.decide_temporary, q.township, case.id, decision="approve", multiplier=4,
             in_kind="3000", reason="“1+4”条件二：共同生活成员重病")  # fmt: skip
    yield at("2024-03-14", 10)
    sim.call(svc.pay_temporary, q.township, case.id)
    yield at("2024-04-15", 10)
    sim.call(svc.close_temporary, q.township, case.id, note="回访：孩子术后恢复良好")


def fire(sim: Any, q: Qinhuai, story: PathStory, rng: Random) -> Script:
    svc = sim.svc
    home = sim.call(svc.register_household, q.village, members=members(sim, rng, 2, 41))
    case = sim.call(svc.apply_temporary, q.village, household_id=home.id,
                    applicant_id=home.member_ids[0], kind="emergency", new_citizen=True)  # fmt: skip
    story.case_id = case.id
    yield at("2024-06-03", 11)
    sim.call(svc.assist_first, q.township, case.id, multiplier=2, in_kind="500",
             reason="出租屋火灾，先行救助 (a fire in the rented room)")  # fmt: skip
    yield at("2024-06-24", 10)  # after the 10-working-day limit passed (Dragon Boat: 10 June)
    sim.call(svc.complete_paperwork, q.village, case.id,
             sudden_event="消防救援大队火灾事故认定书 (fire brigade's report)")  # fmt: skip
    yield at("2024-07-01", 10)
    sim.call(svc.close_temporary, q.township, case.id)


def _binhai(sim: Any) -> tuple[Actor, Actor, Actor, Actor]:
    units = sim.units
    return (units.villages[BINHAI_VILLAGE], units.townships[BINHAI_TOWNSHIP], units.county,
            units.centre)  # fmt: skip


def routed(sim: Any, story: PathStory, rng: Random) -> Script:
    home = sim.household(BINHAI_VILLAGE, members(sim, rng, 3, 52))
    yield from routed_standard(sim, rng, home, BINHAI_VILLAGE, "29999", story=story)


def routed_standard(sim: Any, rng: Random, home: Any, village_id: str, expenditure: str,
                    story: PathStory | None = None) -> Iterator[datetime]:  # fmt: skip
    """A household the fast track refused (``expenditure`` below the threshold) applies on
    the standard path, receives temporary assistance meanwhile and is confirmed."""
    svc = sim.svc
    village = sim.units.villages[village_id]
    township = sim.units.townships[sim.units.township_of[village_id]]
    county, centre = sim.units.county, sim.units.centre
    case = sim.call(svc.apply_standard, village, household_id=home.id,
                    applicant_id=home.member_ids[0], fast_track_expenditure=expenditure)  # fmt: skip
    if story is not None:
        story.case_id = case.id
    yield sim.later(rng, 60, 24 * 60)
    sim.call(svc.accept_standard, township, case.id)
    temp = sim.call(svc.apply_temporary, village, household_id=home.id,
                    applicant_id=home.member_ids[0], kind="expenditure", waiting_on=case.id)  # fmt: skip
    yield sim.later(rng, 60, 2 * 24 * 60)
    sim.call(svc.start_investigation, township, case.id, investigators=["bh-11", "bh-12"])
    sim.call(svc.assess_temporary, village, temp.id,
             commitment_signed_by=home.member_ids[0])  # fmt: skip
    sim.call(svc.decide_temporary, township, temp.id, decision="approve", multiplier=1)
    sim.call(svc.pay_temporary, township, temp.id)
    yield sim.later(rng, 60, 24 * 60)
    income = max(0, 800 * len(home.member_ids) - rng.randint(150, 600))  # below the line
    sim.call(svc.complete_investigation, township, case.id, household_income=str(income),
             signed_by=home.member_ids[0], investigators=["bh-11", "bh-12"])  # fmt: skip
    yield sim.later(rng, 60, 2 * 24 * 60)
    sim.call(svc.start_verification, centre, case.id)
    yield sim.later(rng, 24 * 60, 5 * 24 * 60)
    sim.call(svc.record_check, centre, case.id, result="meets_standard")
    yield sim.later(rng, 60, 24 * 60)
    view: CaseView = sim.call(svc.give_opinion, township, case.id, recommend=True,
                              opinion="经入户调查和信息核对，符合低保条件")  # fmt: skip
    ends = datetime.fromisoformat(view.deadlines["notice_ends"].replace("Z", "+00:00"))
    yield ends + timedelta(hours=2)  # the worker closes the notice when its 7 days end
    yield sim.later(rng, 60, 3 * 24 * 60)
    sim.call(svc.decide_standard, county, case.id, decision="confirm")
    sim.call(svc.close_temporary, township, temp.id, note="已纳入低保")


def national_day(sim: Any, story: PathStory, rng: Random) -> Script:
    svc = sim.svc
    village, township, county, centre = _binhai(sim)
    home = sim.household(BINHAI_VILLAGE, members(sim, rng, 2, 70))
    case = sim.call(svc.apply_standard, village, household_id=home.id,
                    applicant_id=home.member_ids[0])  # fmt: skip
    story.case_id = case.id
    sim.call(svc.accept_standard, township, case.id)  # Friday 20 September 2024
    yield at("2024-09-27", 16)  # late: the 3-working-day limit passed on the 26th
    sim.call(svc.start_investigation, township, case.id, investigators=["bh-21", "bh-22"])
    sim.call(svc.complete_investigation, township, case.id, household_income="1000",
             signed_by=home.member_ids[0], investigators=["bh-21", "bh-22"])  # fmt: skip
    yield at("2024-10-08", 10)  # within 3 working days: Sun 29 Sep (make-up), 30 Sep, 8 Oct
    sim.call(svc.start_verification, centre, case.id)
    yield at("2024-10-12", 10)  # a make-up working Saturday
    sim.call(svc.record_check, centre, case.id, result="meets_standard")
    sim.call(svc.give_opinion, township, case.id, recommend=True, opinion="符合条件")
    yield at("2024-10-15", 10)
    sim.call(svc.record_objection, village, case.id, route="reinvestigate",
             summary="群众反映家中有出租房收入 (rental income reported)",
             investigators=["bh-23", "bh-24"])  # fmt: skip
    yield at("2024-10-18", 10)
    sim.call(svc.complete_investigation, township, case.id, household_income="1000",
             signed_by=home.member_ids[0], investigators=["bh-23", "bh-24"])  # fmt: skip
    yield at("2024-10-21", 10)
    sim.call(svc.record_check, centre, case.id, result="meets_standard")
    sim.call(svc.give_opinion, township, case.id, recommend=True, opinion="复查属实无出租收入")
    yield at("2024-11-05", 10)
    sim.call(svc.decide_standard, county, case.id, decision="confirm")


def summary(svc: CaseService, actors: list[Actor]) -> dict[str, dict[str, int]]:
    """Cases of the two paths by state in the actors' jurisdictions, and their money."""
    counts: dict[str, dict[str, int]] = {standard.NAME: {}, temporary.NAME: {}}
    money = {"monthly_fen": 0, "grants_fen": 0}
    for actor in actors:
        offset = 0
        while page := svc.list_cases(actor, limit=1000, offset=offset):
            for view in page:
                if view.workflow in counts:
                    states = counts[view.workflow]
                    states[view.state] = states.get(view.state, 0) + 1
                    money["monthly_fen"] += view.monthly_amount_fen or 0
                    money["grants_fen"] += view.facts.get("paid", {}).get("cash_fen", 0)
                    money["grants_fen"] += view.facts.get("paid", {}).get("in_kind_fen", 0)
            offset += len(page)
    return {**counts, "money": money}


def confirmed_in_march(sim: Any, q: Qinhuai, story: PathStory, rng: Random, *, head_age: int,
                       category: str, investigators: list[str]) -> Generator[datetime, None, Any]:  # fmt: skip
    """A family of three in Gongyuan community on the standard path, March 2024: applies on the
    4th with 1,200 yuan a month, confirmed on the 20th at 945 x 3 - 1,200 = 1,635 yuan a month
    as ``category``; returns the household (``yield from`` it in a story's script)."""
    svc = sim.svc
    centre = Actor(Role.VERIFICATION_CENTRE, QINHUAI[0], "demo")
    home = sim.call(svc.register_household, q.village, members=members(sim, rng, 3, head_age))
    case = sim.call(svc.apply_standard, q.village, household_id=home.id,
                    applicant_id=home.member_ids[0])  # fmt: skip
    story.case_id = case.id
    sim.call(svc.accept_standard, q.township, case.id)
    yield at("2024-03-05", 10)
    sim.call(svc.start_investigation, q.township, case.id, investigators=investigators)
    sim.call(svc.complete_investigation, q.township, case.id, household_income="1200",
             signed_by=home.member_ids[0], investigators=investigators)  # fmt: skip
    yield at("2024-03-06", 10)
    sim.call(svc.start_verification, centre, case.id)
    sim.call(svc.record_check, centre, case.id, result="meets_standard")
    yield at("2024-03-08", 10)
    sim.call(svc.give_opinion, q.township, case.id, recommend=True, opinion="经调查核实符合条件")
    yield at("2024-03-20", 10)  # the 7-day notice ended on the 16th
    sim.call(svc.decide_standard, q.county, case.id, decision="confirm",
             household_category=category)  # fmt: skip
    return home
