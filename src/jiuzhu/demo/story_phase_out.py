"""A demo story: an income rise phased out (渐退, docs/domain.md §4).

A family of three in Gongyuan community, Qinhuai, applies for dibao on the standard path in
March 2024 with a household income of 1,200 yuan a month; the county confirms it on 20 March
at 945 x 3 - 1,200 = 1,635 yuan a month, paid from April.  On 3 June the community records
that the spouse found work, and the township that the household's income is now 3,200 yuan a
month, above 945 x 3 = 2,835: each change opens the re-review at once, due within 3 months.
The community investigates, the township proposes a phase-out and on 12 June the county
decides one of 3 months: June, July and August are still paid at 1,635 yuan (June was not yet
paid on the 15th), and the case stops after August.

The demo's year (:mod:`.year`) plays it after ``paths.schedule(sim, seed)``, which sets up
Qinhuai's units.
"""

from __future__ import annotations

from random import Random
from typing import Any

from .paths import PathStory, Qinhuai, Script, at, confirmed_in_march
from .story_new_citizen import qinhuai

INVESTIGATORS = ["qh-41", "qh-42"]


def schedule(sim: Any, seed: int, q: Qinhuai | None = None) -> PathStory:
    """Start the story on ``sim`` (Qinhuai's units exist) and return it."""
    q = q or qinhuai()
    story = PathStory(
        "收入增加渐退 an income rise phased out",
        "秦淮区; confirmed at 1,635 yuan, income rose to 3,200 yuan in June, phased out over 3 "
        "months (June to August), then stopped",
    )
    sim.start(at("2024-03-04", 9), phased_out(sim, q, story, Random(seed + 41)))
    return story


def phased_out(sim: Any, q: Qinhuai, story: PathStory, rng: Random) -> Script:
    svc = sim.svc
    home = yield from confirmed_in_march(sim, q, story, rng, head_age=48, category="stable",
                                         investigators=INVESTIGATORS)  # fmt: skip
    case_id = story.case_id
    yield at("2024-06-03", 10)
    sim.call(svc.record_circumstance, q.village, case_id, kind="work_found",
             person_id=home.member_ids[1], note="配偶在园区企业就业")  # fmt: skip
    sim.call(svc.record_circumstance, q.township, case_id, kind="income_change",
             household_income="3200")  # fmt: skip
    yield at("2024-06-05", 10)
    sim.call(svc.investigate_review, q.village, case_id, findings="配偶已就业，家庭月收入 3,200 元",
             investigators=INVESTIGATORS, household_income="3200")  # fmt: skip
    yield at("2024-06-07", 10)
    sim.call(svc.give_review_opinion, q.township, case_id,
             opinion="家庭人均收入超过低保标准，建议渐退 3 个月")  # fmt: skip
    yield at("2024-06-12", 10)
    sim.call(svc.decide_phase_out, q.county, case_id, months=3,
             reasons="家庭成员就业，人均收入超过低保标准；给予 3 个月渐退期后停止保障")  # fmt: skip
