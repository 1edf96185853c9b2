"""The generated caseload: applications drawn at random, each played to the fate drawn for it.

Late data checks become overdue and are chased weekly by the worker; a share of the approved
households receive services (物质+服务, docs/domain.md §6): cleaning four times a month by a third
party, a village visit every other day, a monthly follow-up visit by the township; visits not
done in time are recorded as missed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from random import Random
from typing import Any

from ..clock import SHANGHAI, local_date, parse_iso_utc
from ..errors import GuardRejected
from ..service.actors import Actor
from ..service.views import CaseView, HouseholdView
from ..workflows.calendar import add_months
from . import paths
from .simulation import DAYS, HOUR, OPEN, START, Script, Simulation, office_time, pick

FATES = {
    "verified": 835,
    "intake_refused": 40,
    "withdrawn": 30,
    "appraisal_failed": 30,
    "refused": 20,
    "revoked": 15,
    "terminated": 30,
}  # fmt: skip  (per mille)
# minutes from entering a state to the next step (office hours are applied on top)
DELAYS = {"applied": (20, 240), "promised": (60, 3 * 24 * 60), "reviewed": (20, 20 * 60)}
PROGRAMMES = {"dibao": 60, "tekun": 10, "near_dibao": 15, "rigid_expenditure": 15}
CAUSES = {"major_illness": 75, "accident": 15, "disaster": 10}
REASONS = {
    "falsification": "核对发现隐瞒经营收入和车辆，属弄虚作假 (concealed business income and a car)",
    "fails_without_falsification": "核对家庭收入高于标准，未发现弄虚作假 (income above the line, "
    "no falsification)",
    "refuse": "家庭有稳定收入，不符合容缺审批条件，转常规程序 (stable income: standard path)",
    "withdraw": "申请人主动撤回 (the applicant withdrew)",
    "insured": "家庭已获保险理赔，主动撤回 (insurance paid out; the family withdrew)",
    "hospital": "服务对象住院治疗，暂停上门服务 (in hospital: visits paused)",
    "home": "服务对象出院回家，恢复服务 (back home: visits resume)",
    "term": "服务期满 (the plan's term is over)",
}  # fmt: skip
# when the data check's result arrives, against its due date (per mille): the seed's "about a
# month" mostly holds, some results are days or weeks late, a few months late
TIMELINESS = {"on_time": 780, "late": 180, "very_late": 40}


@dataclass(frozen=True)
class Service:
    """A kind of service plan the demo's county runs (docs/domain.md §6), and how well it is kept."""

    kind: str
    recurrence: dict[str, Any]
    grace_hours: int
    by: str  # who opens the plan and records its visits: "village" or "township"
    what: str
    done_rate: float  # share of occurrences done in time; the rest are missed
    pause_rate: float = 0.0  # chance, per occurrence, of a hospital stay pausing the plan
    months: int | None = None  # the plan's term (None: until the case ends)


CLEANER = "滨海县暖心家政服务社"  # a fictional third party, like Xiangcheng's 暖心洁家 project
SERVICES = {
    "cleaning": Service("cleaning", {"type": "cron", "day": "1,8,15,22", "hour": 9}, 24,
                        "township", "清洁照料：打扫卫生、整理房间 (cleaning and tidying)",
                        0.95, 0.002),
    "home_visit": Service("home_visit", {"type": "interval", "days": 2}, 12, "village",
                          "上门探访：卫生保洁、陪伴聊天 (cleaning, company)", 0.9, 0.003),
    "follow_up": Service("follow_up", {"type": "cron", "hour": 10}, 72, "township",
                         "回访：了解救助和生活情况 (follow-up visit)", 0.97, months=6),
}  # fmt: skip
# share of approved households that receive services, by programme (the extremely poor most)
SERVICE_SHARE = {"tekun": 0.4, "dibao": 0.1, "near_dibao": 0.05, "rigid_expenditure": 0.05}


# -- the generated caseload --------------------------------------------------------------------
def generated_case(sim: Simulation, index: int, village: str) -> Script:
    """One application, from registration to the fate drawn for it (if the demo lasts)."""
    rng = Random(f"{sim.seed}-{index}")
    fate = pick(rng, FATES)
    household = sim.household(village, sim.people.household(rng, local_date(sim.clock.now())))
    sim.stats.applications += 1
    try:
        case = sim.call(sim.svc.apply, sim.units.villages[village], household_id=household.id,
                        applicant_id=household.member_ids[0], programme=pick(rng, PROGRAMMES),
                        cause=pick(rng, CAUSES), expenditure=expenditure(rng, fate))  # fmt: skip
    except GuardRejected:
        sim.stats.intake_refusals += 1  # below the threshold: the standard path instead
        if rng.random() < 0.5:  # half of them apply there; the rest go without
            sim.stats.routed += 1
            yield from paths.routed_standard(sim, rng, household, village,
                                                  expenditure(rng, fate))  # fmt: skip
        return
    yield from pending_steps(sim, rng, fate, case, household, village)


def expenditure(rng: Random, fate: str) -> str:
    if fate == "intake_refused":
        return "29999" if rng.random() < 0.05 else str(rng.randint(50, 299) * 100)
    if rng.random() < 0.03:
        return "30000"  # exactly the threshold qualifies
    return f"{min(600_000, 30_000 * math.exp(rng.expovariate(1.2))):.2f}"


def pending_steps(sim: Simulation, rng: Random, fate: str, case: CaseView,
                  household: HouseholdView, village: str) -> Script:  # fmt: skip
    """Commitment, appraisal, decision and data check, each after a realistic delay."""
    svc, actor = sim.svc, sim.units.villages[village]
    stop = rng.choice(("applied", "promised", "reviewed")) if fate == "withdrawn" else None
    for state in ("applied", "promised", "reviewed"):
        yield sim.later(rng, *DELAYS[state])
        if stop == state:
            sim.call(svc.withdraw, actor, case.id, reason=REASONS["withdraw"],
                     expected_version=case.row_version)  # fmt: skip
            return
        if state == "applied":
            signer = rng.choice(household.member_ids[:2])
            case = sim.call(svc.promise, actor, case.id, signed_by=signer,
                            expected_version=case.row_version)  # fmt: skip
        elif state == "promised":
            case = appraise(sim, rng, actor, case, passed=fate != "appraisal_failed")
            if fate == "appraisal_failed":
                return
        else:
            case = decide(sim, rng, fate, case, village, len(household.member_ids))
            if fate == "refused":
                return
    if case.facts.get("cause") == "major_illness" and rng.random() < 0.7:
        sim.start(sim.clock.now(), medical_bills(sim, Random(rng.getrandbits(32)), case.id,
                                                 village))  # fmt: skip
    services = draw_services(rng, case.programme)
    if services:
        sim.start(sim.clock.now(), set_up_services(sim, Random(rng.getrandbits(32)), case.id,
                                                   village, services))  # fmt: skip
    yield result_time(rng, parse_iso_utc(case.deadlines["verification_due"]))
    view = verify(sim, fate, case)
    owed = view.facts.get("money", {}).get("owed_fen", 0)
    if owed and rng.random() < 0.7:  # most households pay back, some in instalments
        yield from repayments(sim, rng, view, village, owed)


def medical_bills(sim: Simulation, rng: Random, case_id: str, village: str) -> Script:
    """The township settles one to three hospital bills in the weeks after the approval."""
    township = sim.units.townships[sim.units.township_of[village]]
    approved = local_date(sim.clock.now())
    for n in range(rng.randint(1, 3)):
        yield sim.later(rng, 6 * 60, 20 * 24 * 60)
        if case_id in sim.closed:
            return
        billed = approved + timedelta(days=rng.randint(-3, 15) if n == 0 else rng.randint(0, 40))
        billed = min(billed, local_date(sim.clock.now()))
        total = rng.randint(20, 600) * 100
        insurance = total * rng.randint(40, 65) // 100
        try:
            sim.call(sim.svc.record_medical_bill, township, case_id, billed_on=billed,
                     total=str(total), insurance_paid=str(insurance), hospital="县人民医院",
                     bill_id=f"ZY-{n}")  # fmt: skip
        except GuardRejected:
            sim.stats.bills_refused += 1  # dated before the day of inclusion


def repayments(sim: Simulation, rng: Random, view: CaseView, village: str,
               owed: int) -> Script:  # fmt: skip
    township = sim.units.townships[sim.units.township_of[village]]
    parts = rng.randint(1, 3)
    for i in range(parts):
        yield sim.later(rng, 10 * 24 * 60, 40 * 24 * 60)
        amount = owed // parts if i < parts - 1 else owed - (owed // parts) * (parts - 1)
        if amount:
            sim.call(sim.svc.record_repayment, township, view.id,
                     amount=f"{amount // 100}.{amount % 100:02d}")  # fmt: skip


def result_time(rng: Random, due: datetime) -> datetime:
    """When the data check's result arrives: mostly within the month, some late, a few very."""
    timing = pick(rng, TIMELINESS)
    if timing == "on_time":
        return office_time(due - timedelta(minutes=rng.randint(6 * 60, 12 * 24 * 60)), rng)
    days = rng.uniform(0.2, 30) if timing == "late" else rng.uniform(30, 120)
    return office_time(due + timedelta(days=days), rng)


def appraise(sim: Simulation, rng: Random, actor: Actor, case: CaseView, *,
             passed: bool) -> CaseView:  # fmt: skip
    attendance = rng.randint(15, 40)
    majority, minority = attendance - rng.randint(1, 4), rng.randint(0, 3)
    votes_for, votes_against = (
        (majority - minority, minority) if passed else (minority, majority - minority)
    )
    return sim.call(
        sim.svc.record_appraisal,
        actor,
        case.id,
        outcome="passed" if passed else "failed",
        attendance=attendance,
        votes_for=votes_for,
        votes_against=votes_against,
        abstentions=attendance - majority,
        expected_version=case.row_version,
    )


def decide(sim: Simulation, rng: Random, fate: str, case: CaseView, village: str,
           size: int) -> CaseView:  # fmt: skip
    township = sim.units.townships[sim.units.township_of[village]]
    if fate == "refused":
        return sim.call(sim.svc.refuse, township, case.id, reason=REASONS["refuse"],
                        expected_version=case.row_version)  # fmt: skip
    amount = min(4000, size * rng.randint(45, 80) * 10)
    return sim.call(sim.svc.approve, township, case.id, monthly_amount=str(amount),
                    expected_version=case.row_version)  # fmt: skip


def verify(sim: Simulation, fate: str, case: CaseView) -> CaseView:
    """The data check's result.  No expected version: the worker and the services have been
    writing to the case since the approval, and the result stands whatever they wrote."""
    result = {"revoked": "falsification", "terminated": "fails_without_falsification"}.get(
        fate, "meets_standard"
    )
    actor = sim.units.centre if result == "meets_standard" else sim.units.county
    view = sim.call(sim.svc.record_verification, actor, case.id, result=result,
                    reason=REASONS.get(result))  # fmt: skip
    if result != "meets_standard":
        sim.closed.add(case.id)  # revoked or terminated: its service plans have ended
    return view


# -- services (物质+服务) and the worker ---------------------------------------------------------
def draw_services(rng: Random, programme: str) -> tuple[str, ...]:
    """Which services an approved household receives (most receive none)."""
    if rng.random() >= SERVICE_SHARE[programme]:
        return ()
    if programme == "tekun":  # the town's cleaning project, and the village adds visits
        return ("cleaning", "home_visit") if rng.random() < 0.3 else ("cleaning",)
    return ("follow_up",) if rng.random() < 0.7 else ("cleaning",)


def set_up_services(sim: Simulation, rng: Random, case_id: str, village: str,
                    names: tuple[str, ...]) -> Script:  # fmt: skip
    """Some days after the approval the plans are opened; each then runs as its own script."""
    yield sim.later(rng, 24 * 60, 10 * 24 * 60)
    for name in names:
        if case_id in sim.closed:
            return
        service = SERVICES[name]
        plan = open_plan(sim, case_id, village, service)
        sim.start(sim.clock.now(), visits(sim, rng, case_id, village, service, plan))


def supervisor(sim: Simulation, service: Service, village: str) -> Actor:
    if service.by == "village":
        return sim.units.villages[village]
    return sim.units.townships[sim.units.township_of[village]]


def open_plan(sim: Simulation, case_id: str, village: str, service: Service) -> dict[str, Any]:
    """Open ``service`` on the case now; returns the new plan (as the case's facts hold it)."""
    start = sim.clock.now()
    recurrence = dict(service.recurrence)
    if service.kind == "follow_up" and "day" not in recurrence:
        recurrence["day"] = min(local_date(start).day, 28)  # monthly, on the day it started
    if service.kind == "home_visit":  # from the next afternoon, every other day
        start = datetime.combine(local_date(start) + timedelta(days=1), time(15), SHANGHAI)
    provider = {"name": CLEANER} if service.kind == "cleaning" else {
        "org": supervisor(sim, service, village).org}  # fmt: skip
    ends = add_months(start, service.months) if service.months else None
    before = sim.svc.get_case(sim.units.county, case_id).facts.get("plans", {})
    view = sim.call(sim.svc.open_service_plan, supervisor(sim, service, village), case_id,
                    kind=service.kind, provider=provider, recurrence=recurrence,
                    starts_at=start, ends_at=ends, grace_hours=service.grace_hours)  # fmt: skip
    plans = view.facts["plans"]
    return dict(plans[next(p for p in plans if p not in before)])


def visits(sim: Simulation, rng: Random, case_id: str, village: str, service: Service,
           plan: dict[str, Any], notes: dict[int, str] | None = None) -> Script:  # fmt: skip
    """Each occurrence is done in time (usually) or missed, until the plan or the case ends."""
    svc, actor, plan_id = sim.svc, supervisor(sim, service, village), plan["plan_id"]
    grace = timedelta(hours=service.grace_hours)
    while plan["state"] == "active" and plan["scheduled_at"] is not None:
        scheduled = parse_iso_utc(plan["scheduled_at"])
        if rng.random() < service.pause_rate:
            yield scheduled - timedelta(hours=2)
            if case_id in sim.closed:
                return
            sim.call(svc.suspend_service_plan, actor, case_id, plan_id=plan_id,
                     reason=REASONS["hospital"])  # fmt: skip
            yield sim.later(rng, 10 * 24 * 60, 35 * 24 * 60)
            if case_id in sim.closed:
                return
            view = sim.call(svc.resume_service_plan, actor, case_id, plan_id=plan_id,
                            reason=REASONS["home"])  # fmt: skip
        elif rng.random() < service.done_rate:
            yield scheduled + min(grace / 2, timedelta(hours=8)) * rng.random()
            if case_id in sim.closed:
                return
            view = sim.call(svc.record_visit, actor, case_id, plan_id=plan_id, what=service.what,
                            notes=(notes or {}).get(plan["n"]))  # fmt: skip
        else:  # nobody came: after the grace period the worker records the occurrence missed
            yield scheduled + grace + HOUR + timedelta(minutes=1)
            if case_id in sim.closed:
                return
            view = svc.get_case(sim.units.county, case_id)
        plan = view.facts["plans"][plan_id]
    if plan["state"] == "active":  # no occurrence left: the term is over
        sim.call(svc.end_service_plan, actor, case_id, plan_id=plan_id, reason=REASONS["term"])


def schedule_arrivals(sim: Simulation, cases: int, rng: Random) -> None:
    villages = sorted(sim.units.villages)
    for index in range(cases):
        day = START.date() + timedelta(days=rng.randrange(DAYS + 1))
        candidate = datetime.combine(day, OPEN, SHANGHAI) + timedelta(minutes=rng.randint(0, 540))
        sim.start(office_time(candidate, rng), generated_case(sim, index, rng.choice(villages)))
