"""A demo story: an elderly tekun man served by a provider (服务机构), and a rewiring project.

Mr Wang, 82, lives alone in Gongyuan community, Qinhuai.  The community applies for support for
the extremely poor (特困供养) on the fast track on 4 March 2024; he signs the commitment, the
appraisal passes and the street office approves 1,500 yuan a month the same day.  The street
office registers 暖心居家养老服务中心 as a provider and a project, 暖心助老 2024; the community
opens a plan of home visits every other day for the project, assigned to the provider, and a
one-off project: rewiring his old house (更换老化电线、加装漏电保护) by 31 March.  The provider's
nurse records each visit until the end of March (14 of them); its electrician finishes the
rewiring on 20 March.  The projects report counts one household and 15 person-times.

The verification centre returns the data check on 28 March: he meets the standard.  The demo's
year (:mod:`.year`) plays the story after ``paths.schedule(sim, seed)``, which sets up Qinhuai's
units.
"""

from __future__ import annotations

from datetime import timedelta
from random import Random
from typing import Any

from ..service.actors import Actor, Role
from .paths import FUZIMIAO, QINHUAI, PathStory, Qinhuai, Script, at
from .story_new_citizen import qinhuai

VISITS = 14  # every other day from 4 March: the 4th, 6th, ..., 30th


def schedule(sim: Any, seed: int, q: Qinhuai | None = None) -> PathStory:
    """Start the story on ``sim`` (Qinhuai's units exist) and return it."""
    q = q or qinhuai()
    story = PathStory(
        "服务机构上门探访与电路改造 a provider's visits and a rewiring project",
        "秦淮区; an elderly tekun man visited every other day by a provider, his house rewired",
    )
    sim.start(at("2024-03-04", 9), served(sim, q, story, Random(seed + 41)))
    return story


def served(sim: Any, q: Qinhuai, story: PathStory, rng: Random) -> Script:
    svc = sim.svc
    today = sim.clock.now().date()
    man = sim.people.person(rng, age=82, female=False, relation="head", today=today)
    home = sim.call(svc.register_household, q.village, members=[man])
    case = sim.call(svc.apply, q.village, household_id=home.id, applicant_id=home.member_ids[0],
                    programme="tekun", cause="major_illness", expenditure="90000")  # fmt: skip
    story.case_id = case.id
    sim.call(svc.promise, q.village, case.id, signed_by=home.member_ids[0])
    sim.call(svc.record_appraisal, q.village, case.id, outcome="passed", attendance=15,
             votes_for=15, votes_against=0, abstentions=0)  # fmt: skip
    sim.call(svc.approve, q.township, case.id, monthly_amount="1500")
    provider = sim.call(svc.register_provider, q.township, unit_id=FUZIMIAO[0],
                        name="暖心居家养老服务中心")  # fmt: skip
    project = sim.call(svc.register_project, q.township, unit_id=FUZIMIAO[0], name="暖心助老",
                       year=2024)  # fmt: skip
    nurse = Actor(Role.PROVIDER, FUZIMIAO[0], "nx-nurse-1", provider.id)
    electrician = Actor(Role.PROVIDER, FUZIMIAO[0], "nx-electrician-1", provider.id)
    mine = {"provider": provider.id}
    opened = sim.call(svc.open_service_plan, q.village, case.id, kind="home_visit",
                      provider=mine, recurrence={"type": "interval", "days": 2},
                      project_id=project.id)  # fmt: skip
    [plan_id] = opened.facts["plans"]
    one = sim.call(svc.open_oneoff, q.village, case.id, kind="rewiring",
                   what="更换老化电线、加装漏电保护", due_on="2024-03-31", provider=mine,
                   project_id=project.id)  # fmt: skip
    [oneoff_id] = one.facts["oneoffs"]
    first = sim.clock.now()
    for n in range(VISITS):
        yield first + timedelta(days=2 * n, hours=1)
        sim.call(svc.record_visit, nurse, case.id, plan_id=plan_id,
                 what="测血压、打扫卫生、陪聊" if n % 2 else "上门探访、送餐")  # fmt: skip
        if n == 8:  # 20 March, the rewiring is done
            sim.call(svc.complete_oneoff, electrician, case.id, oneoff_id=oneoff_id,
                     notes="已通电测试，漏电保护器动作正常")  # fmt: skip
        if n == 12:  # 28 March, within the month
            sim.call(svc.record_verification, Actor(Role.VERIFICATION_CENTRE, QINHUAI[0], "demo"),
                     case.id, result="meets_standard")  # fmt: skip
    sim.call(svc.end_service_plan, q.village, case.id, plan_id=plan_id,
             reason="三月探访计划结束，四月起另行安排")  # fmt: skip
