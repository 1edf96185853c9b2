"""A demo story: a re-review (复核) that lowers the amount (docs/domain.md §4, worked case 8).

A family of three in Gongyuan community, Qinhuai, applies for dibao on the standard path in
March 2024 with a household income of 1,200 yuan a month; the county confirms it on 20 March at
945 x 3 - 1,200 = 1,635 yuan a month, paid from April.  The son is able to work, so the county
records the household as ``able_to_work``: the re-review falls due 6 months after the decision's
month, at 00:00 on 1 September.  The worker opens it; the community finds the son employed
(income now 2,000 yuan), the township proposes a lower amount and the county changes it to
945 x 3 - 2,000 = 835 yuan from October, September being paid at 1,635 on the 15th.  The
household is now stable in the short term: the next re-review is due 1 September 2025.

The demo's year (:mod:`.year`) plays it after ``paths.schedule(sim, seed)``, which sets up
Qinhuai's units.
"""

from __future__ import annotations

from random import Random
from typing import Any

from .paths import PathStory, Qinhuai, Script, at, confirmed_in_march
from .story_new_citizen import qinhuai

INVESTIGATORS = ["qh-31", "qh-32"]


def schedule(sim: Any, seed: int, q: Qinhuai | None = None) -> PathStory:
    """Start the story on ``sim`` (Qinhuai's units exist) and return it."""
    q = q or qinhuai()
    story = PathStory(
        "复核调减保障金 a re-review lowers the amount",
        "秦淮区; confirmed at 1,635 yuan, re-reviewed after 6 months (a member able to work), "
        "lowered to 835 yuan from October",
    )
    sim.start(at("2024-03-04", 9), re_reviewed(sim, q, story, Random(seed + 31)))
    return story


def re_reviewed(sim: Any, q: Qinhuai, story: PathStory, rng: Random) -> Script:
    svc = sim.svc
    yield from confirmed_in_march(sim, q, story, rng, head_age=52, category="able_to_work",
                                         investigators=INVESTIGATORS)  # fmt: skip
    case_id = story.case_id
    yield at("2024-09-03", 10)  # the worker opened the re-review at 00:00 on 1 September
    sim.call(svc.investigate_review, q.village, case_id, findings="儿子已就业，家庭月收入 2,000 元",
             investigators=INVESTIGATORS, household_income="2000")  # fmt: skip
    yield at("2024-09-05", 10)
    sim.call(svc.give_review_opinion, q.township, case_id,
             opinion="建议按 945 × 3 − 2,000 = 835 元调减")  # fmt: skip
    yield at("2024-09-10", 10)
    sim.call(svc.decide_review, q.county, case_id, outcome="change",
             reasons="家庭成员就业，收入增加；按新收入重新核定保障金额", monthly_amount="835",
             from_month="2024-10", household_category="stable")  # fmt: skip
