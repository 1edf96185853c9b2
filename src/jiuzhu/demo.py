"""The Binhai county (滨海县) demo: the seed's fast-track stories and a year of caseload.

Everything goes through the real service on a :class:`FakeClock` that runs from 2024-02-20,
just after the Spring Festival like Chen Bihua's story in the seed, to 2025-02-20.  Each case is
a small script (a generator) that performs one step, then yields the moment of its next step; a
heap runs the scripts in time order and moves the clock forward, so office hours, same-day
approvals and the month-long data check all happen on the simulated calendar.  The deadline
worker wakes on the hour after each due time, as ``jiuzhu worker`` arms its wake-up job, and
sweeps what fell due (``scheduler.sweep``): late data checks become overdue and are chased
weekly, and service visits not done in time are recorded as missed.  A share of the approved
households receive services (物质+服务, DOMAIN §6): cleaning four times a month by a third
party, a village visit every other day, a monthly follow-up visit by the township.

People are synthetic (居民00001 …) with valid, generated ID numbers; they stay in the person
registry and never reach events.  The seed's own names appear only in its stories.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time as timer
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from random import Random
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

import jiuzhu

from . import ledger
from .clock import SHANGHAI, FakeClock, local_date, parse_iso_utc
from .errors import GuardRejected, InvalidInput, PermissionDenied
from .idnumber import check_character
from .models.db import resolve_url
from .policy import DEMO_FILE
from .scheduler.sweep import SweepReport, earliest_pending, sweep
from .service import store
from .service.actors import Actor, Role
from .service.service import CaseService
from .service.views import CaseView, HouseholdView
from .simulation import mark_simulation
from .workflows import fast_track, service_plan
from .workflows.calendar import add_months

DEFAULT_DB = "jiuzhu-demo.db"
START = datetime(2024, 2, 20, 8, 0, tzinfo=SHANGHAI)  # the Tuesday after the Spring Festival
OPEN, CLOSE = time(8, 30), time(17, 30)
END = datetime(2025, 2, 20, 17, 30, tzinfo=SHANGHAI)  # a year later, at closing time
DAYS = (END.date() - START.date()).days  # applications arrive until the last day
HOUR = timedelta(hours=1)  # the simulated worker sweeps on the hour after each due time
WORKER = "demo"
AREA = "320922"  # Binhai county's division code, also the area part of generated ID numbers

COUNTY = ("320922", "滨海县")
TOWNSHIPS = (
    ("320922100", "东坎街道", ("团结社区", "和平社区", "振东社区", "向阳社区", "中市社区",
                               "新坎社区")),
    ("320922101", "坎北街道", ("坎北社区", "北园社区", "永宁社区", "通榆社区", "华兴社区",
                               "东湖社区")),
    ("320922102", "八巨镇", tuple(f"八巨{n}村" for n in "一二三四五六")),
    ("320922103", "五汛镇", tuple(f"五汛{n}村" for n in "一二三四五六")),
    ("320922104", "滨淮镇", tuple(f"滨淮{n}村" for n in "一二三四五六")),
)  # fmt: skip
TUANJIE = "320922100001"  # 团结社区, Chen Bihua's community

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
    """A kind of service plan the demo's county runs (DOMAIN §6), and how well it is kept."""

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
CHEN_FOLLOW_UP = Service("follow_up", {"type": "cron", "day": 19, "hour": 10}, 72, "village",
                         "社区工作人员上门回访 (the community worker's follow-up visit)", 1.0,
                         months=12)  # fmt: skip


# -- the database ------------------------------------------------------------------------------
def prepare_database(db: str | None, *, fresh: bool) -> tuple[str, str | None]:
    """The URL to run on, and a notice if an old demo file was deleted first.

    The default file (``jiuzhu-demo.db``) is recreated on every run, so the README's command
    can be repeated; any other existing file is replaced only with ``--fresh``, and only if it
    is an SQLite database.
    """
    url = resolve_url(db or DEFAULT_DB)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return url, None
    path = Path(parsed.database)
    if not path.exists():
        return url, None
    if not (fresh or path.name == DEFAULT_DB):
        raise InvalidInput(
            f"{path} already exists and the demo needs a new database; add --fresh to delete "
            "and recreate it, or choose another --db",
            f"{path} 已存在，演示需要新的数据库；加 --fresh 删除后重建，或换一个 --db",
        )
    if not is_sqlite_file(path):
        raise InvalidInput(f"{path} is not an SQLite database; it was not deleted",
                           f"{path} 不是 SQLite 数据库，未删除")  # fmt: skip
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    return url, f"已删除旧的演示数据库 removed the previous demo database {path}; starting fresh"


def is_sqlite_file(path: Path) -> bool:
    with path.open("rb") as handle:
        header = handle.read(16)
    return header in (b"", b"SQLite format 3\x00")


# -- the organisation --------------------------------------------------------------------------
@dataclass
class Units:
    county: Actor
    centre: Actor
    townships: dict[str, Actor] = field(default_factory=dict)  # township id -> actor
    villages: dict[str, Actor] = field(default_factory=dict)  # village id -> actor
    township_of: dict[str, str] = field(default_factory=dict)  # village id -> township id


def set_up_county(svc: CaseService) -> Units:
    admin = Actor(Role.ADMIN, "", "demo")
    try:
        svc.add_org_unit(admin, id=COUNTY[0], name=COUNTY[1], level="county")
    except InvalidInput:
        raise InvalidInput(
            f"this database already holds the demo's county {COUNTY[0]}; use a new database",
            f"该数据库已有演示县 {COUNTY[0]}，请使用新的数据库",
        ) from None
    units = Units(Actor(Role.COUNTY, COUNTY[0], "demo"),
                  Actor(Role.VERIFICATION_CENTRE, COUNTY[0], "demo"))  # fmt: skip
    for township_id, name, villages in TOWNSHIPS:
        svc.add_org_unit(units.county, id=township_id, name=name, level="township",
                         parent_id=COUNTY[0])  # fmt: skip
        units.townships[township_id] = Actor(Role.TOWNSHIP, township_id, "demo")
        for n, village in enumerate(villages, 1):
            village_id = f"{township_id}{n:03d}"
            svc.add_org_unit(units.county, id=village_id, name=village, level="village",
                             parent_id=township_id)  # fmt: skip
            units.villages[village_id] = Actor(Role.VILLAGE, village_id, "demo")
            units.township_of[village_id] = township_id
    return units


# -- synthetic people --------------------------------------------------------------------------
class People:
    """Synthetic household members: names 居民00001…, valid unique ID numbers."""

    def __init__(self) -> None:
        self.count = 0
        self.numbers: set[str] = set()

    def person(self, rng: Random, *, age: int, female: bool, relation: str,
               today: date, name: str | None = None) -> dict[str, str]:  # fmt: skip
        born = years_before(today, age) - timedelta(days=rng.randrange(1, 365))  # aged `age`
        while True:
            sequence = rng.randrange(500) * 2 + (0 if female else 1)  # odd: male, even: female
            body = f"{AREA}{born:%Y%m%d}{sequence:03d}"
            number = body + check_character(body)
            if number not in self.numbers:
                break
        self.numbers.add(number)
        self.count += 1
        return {"name": name or f"居民{self.count:05d}", "id_number": number, "relation": relation}

    def household(self, rng: Random, today: date) -> list[dict[str, str]]:
        size = rng.choices((1, 2, 3, 4, 5), weights=(20, 30, 25, 18, 7))[0]
        head_age, female = rng.randint(28, 82), rng.random() < 0.4
        members = [self.person(rng, age=head_age, female=female, relation="head", today=today)]
        if size >= 2:
            spouse_age = max(20, head_age + rng.randint(-5, 5))
            members.append(self.person(rng, age=spouse_age, female=not female, relation="spouse",
                                       today=today))  # fmt: skip
        for _ in range(size - len(members)):
            grand = head_age >= 58 and rng.random() < 0.5
            age = rng.randint(1, 17) if grand else rng.randint(0, max(0, head_age - 22))
            members.append(
                self.person(
                    rng,
                    age=age,
                    female=rng.random() < 0.5,
                    relation="grandchild" if grand else "child",
                    today=today,
                )
            )
        return members


# -- the simulation ----------------------------------------------------------------------------
Script = Iterator[datetime]
T = TypeVar("T")


@dataclass
class Stats:
    commands: int = 0
    applications: int = 0
    intake_refusals: int = 0
    households: int = 0
    sweeps: int = 0  # the worker's wake-ups, each sweeping what was due
    fired: int = 0  # deadlines the simulated worker fired
    bills_refused: int = 0  # medical bills dated before the day of inclusion
    routed: int = 0  # fast-track refusals that applied on the standard path
    latest_minutes: float = 0.0  # the latest any of them fired after falling due


class Simulation:
    def __init__(self, svc: CaseService, clock: FakeClock, units: Units, seed: int) -> None:
        self.svc, self.clock, self.units, self.seed = svc, clock, units, seed
        self.people = People()
        self.stats = Stats()
        self.closed: set[str] = set()  # cases revoked or terminated: their services stop
        self._wakes: set[datetime] = set()  # the hours the worker is armed to sweep at
        self._heap: list[tuple[datetime, int, Script]] = []
        self._order = itertools.count()

    def start(self, at: datetime, script: Script) -> None:
        heapq.heappush(self._heap, (at, next(self._order), script))

    def run(self, until: datetime, on_day: Callable[[int, int, str], None]) -> None:
        total, shown = (until - START).days, -1
        while self._heap and self._heap[0][0] <= until:
            at, order, script = heapq.heappop(self._heap)
            self.clock.set(at)
            days = (at - START).days
            if days != shown:
                shown = days
                on_day(days, total, local_date(at).isoformat())
            step = next(script, None)
            if step is not None:  # never in the past: the clock only moves forward
                heapq.heappush(self._heap, (max(step, at), order, script))
        on_day(total, total, local_date(until).isoformat())

    def wake_at(self, due: datetime) -> None:
        """Have the worker sweep at the first whole hour at or after ``due`` (once per hour)."""
        hour = due.replace(minute=0, second=0, microsecond=0)
        hour += HOUR if hour < due else timedelta(0)
        if hour not in self._wakes:
            self._wakes.add(hour)
            self.start(hour, wake(self, hour))

    def record_sweep(self, report: SweepReport) -> None:
        self.stats.sweeps += 1
        self.stats.fired += report.fired
        late = max(report.late_seconds, default=0.0) / 60
        self.stats.latest_minutes = max(self.stats.latest_minutes, late)

    def call(self, command: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a service command; any deadline it leaves open arms the worker's wake-up."""
        self.stats.commands += 1
        result = command(*args, **kwargs)
        if isinstance(result, CaseView):
            for due in result.deadlines.values():
                self.wake_at(parse_iso_utc(due))
        return result

    def household(self, village: str, members: list[dict[str, str]]) -> HouseholdView:
        self.stats.households += 1
        return self.call(self.svc.register_household, self.units.villages[village],
                         members=members)  # fmt: skip

    def later(self, rng: Random, low_minutes: int, high_minutes: int) -> datetime:
        candidate = self.clock.now() + timedelta(minutes=rng.randint(low_minutes, high_minutes))
        return office_time(candidate, rng)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def office_time(candidate: datetime, rng: Random) -> datetime:
    """``candidate`` if it falls in office hours on a weekday, else the next opening (+jitter)."""
    local = candidate.astimezone(SHANGHAI)
    day = local.date()
    if local.time() >= CLOSE:
        day += timedelta(days=1)
    elif local.time() >= OPEN and day.weekday() < 5:
        return candidate
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, OPEN, SHANGHAI) + timedelta(minutes=rng.randint(0, 180))


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), SHANGHAI)


def pick(rng: Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


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
            from . import demo_paths

            sim.stats.routed += 1
            yield from demo_paths.routed_standard(sim, rng, household, village,
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


def wake(sim: Simulation, at: datetime) -> Script:
    """The deadline worker's wake-up: sweep what is due, then arm the next wake-up at the
    earliest pending deadline (as ``jiuzhu worker`` does with its APScheduler date job)."""
    sim.record_sweep(sweep(sim.svc, worker=WORKER, now=at))
    following = earliest_pending(sim.svc)
    if following is not None:
        sim.wake_at(max(following, at + HOUR))
    yield from ()  # a script of one step


# -- the seed's stories ------------------------------------------------------------------------
@dataclass
class Story:
    title: str
    note: str
    case_id: str = ""


def chen_bihua(sim: Simulation, story: Story) -> Script:
    """SEED: 50, cerebral haemorrhage after the Spring Festival; dibao the same day, 2,000/month."""
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
    # which medical assistance pays 85 %: he pays about 6,000 himself (SEED: "5000多元")
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
    """DOMAIN §10 case 2: approved 2024-03-15 at 2,000/month, revoked 2024-05-10.

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


# -- running ---------------------------------------------------------------------------------
@dataclass
class StateRow:
    state: str
    zh: str
    en: str
    cases: int = 0
    expenditure_fen: int = 0
    monthly_fen: int = 0


@dataclass
class TimelinessRow:
    """Data checks by when their result came, against the due date (approval + 1 month)."""

    zh: str
    en: str
    cases: int = 0
    overdue_events: int = 0
    reminders: int = 0
    late_days: list[float] = field(default_factory=list)


@dataclass
class ServiceRow:
    kind: str
    providers: set[str] = field(default_factory=set)
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(service_plan.STATES, 0))
    done: int = 0
    missed: int = 0


@dataclass
class DemoResult:
    engine: Engine
    stats: Stats
    seconds: float
    rows: list[StateRow]
    stories: list[tuple[Story, CaseView]]
    villages: int
    timeliness: list[TimelinessRow]
    services: list[ServiceRow]
    ended_with_case: int  # plans that ended because their case was revoked or terminated
    overdue_listed: int  # the county's overdue list at the end (jiuzhu deadlines overdue)
    missed_listed: int  # the county's missed-visit list at the end (jiuzhu deadlines missed)
    money: dict[str, dict[str, int]] = field(default_factory=dict)  # month -> kind -> fen
    firings: dict[str, int] = field(default_factory=dict)  # event type -> deadlines fired
    credit_records: int = 0
    paths: dict[str, Any] = field(default_factory=dict)  # standard and temporary cases
    limit_alarms: int = 0  # standard-path limits passed, on the counties' lists at the end


def open_county(url: str) -> tuple[CaseService, FakeClock, Units]:
    """The service on a demo clock standing at 2024-02-20 08:00, with Binhai county set up;
    it decides by the demo's policy file (dibao lines for Yancheng, Suzhou and Nanjing).

    The database is marked as a simulation first, so that the command line can carry on from
    the demo's last day with ``$JIUZHU_SIMULATED_TIME`` (see :mod:`jiuzhu.simulation`).
    """
    clock = FakeClock(START)
    svc = jiuzhu.connect(url, clock=clock, policy=DEMO_FILE)
    try:
        mark_simulation(svc.engine, clock)
    except InvalidInput:
        svc.close()
        raise
    return svc, clock, set_up_county(svc)


def run(svc: CaseService, clock: FakeClock, units: Units, *, cases: int, seed: int,
        on_day: Callable[[int, int, str], None]) -> DemoResult:  # fmt: skip
    """Play the stories and ``cases`` generated applications until the demo's last day."""
    began = timer.perf_counter()
    sim = Simulation(svc, clock, units, seed)
    stories = [Story(title, note) for _, _, title, note in STORIES]
    for (start, script, _, _), story in zip(STORIES, stories, strict=True):
        sim.start(start, script(sim, story))
    from . import demo_paths  # imports this module

    path_stories = demo_paths.schedule(sim, seed)  # the standard path and temporary assistance
    schedule_arrivals(sim, cases, Random(seed))
    sim.run(END, on_day)
    clock.set(END)
    seconds = timer.perf_counter() - began
    county = units.county
    views = [(s, svc.get_case(county, s.case_id)) for s in stories]
    counties = [county, Actor(Role.COUNTY, demo_paths.QINHUAI[0])]
    views += [(s, view_in(svc, counties, s.case_id)) for s in path_stories]  # type: ignore[misc]
    rows, services, ended_with_case = summary(svc, units)
    money, firings = money_by_month(svc)
    return DemoResult(svc.engine, sim.stats, seconds, rows, views, len(units.villages),
                      timeliness(svc), services, ended_with_case,
                      len(svc.overdue_verifications(county)),
                      len(svc.missed_visits(county)), money, firings,
                      len(svc.credit_records(county)),
                      demo_paths.summary(svc, counties),
                      sum(len(svc.limit_alarms(c)) for c in counties))  # fmt: skip


def view_in(svc: CaseService, counties: list[Actor], case_id: str) -> CaseView:
    """The case as the county it belongs to sees it."""
    for actor in counties[:-1]:
        try:
            return svc.get_case(actor, case_id)
        except PermissionDenied:
            continue
    return svc.get_case(counties[-1], case_id)


def schedule_arrivals(sim: Simulation, cases: int, rng: Random) -> None:
    villages = sorted(sim.units.villages)
    for index in range(cases):
        day = START.date() + timedelta(days=rng.randrange(DAYS + 1))
        candidate = datetime.combine(day, OPEN, SHANGHAI) + timedelta(minutes=rng.randint(0, 540))
        sim.start(office_time(candidate, rng), generated_case(sim, index, rng.choice(villages)))


# -- the summary ---------------------------------------------------------------------------
def summary(svc: CaseService, units: Units) -> tuple[list[StateRow], list[ServiceRow], int]:
    """Cases by state, service plans by kind, and plans ended with their case, in one pass."""
    rows = {name: StateRow(name, label.zh, label.en) for name, label in fast_track.STATES.items()}
    services = {kind: ServiceRow(kind) for kind in service_plan.KINDS}
    ended_with_case, offset = 0, 0
    while page := svc.list_cases(units.county, limit=1000, offset=offset):
        for view in page:
            if view.workflow != fast_track.NAME:
                continue  # the standard path and temporary assistance: see demo_paths
            row = rows[view.state]
            row.cases += 1
            row.expenditure_fen += view.expenditure_fen
            row.monthly_fen += view.monthly_amount_fen or 0
            for plan in view.facts.get("plans", {}).values():
                count_plan(services[plan["kind"]], plan, units)
                ended_with_case += view.state in ("revoked", "terminated")
        offset += len(page)
    offered = [row for row in services.values() if sum(row.states.values())]
    return list(rows.values()), offered, ended_with_case


def count_plan(row: ServiceRow, plan: dict[str, Any], units: Units) -> None:
    row.providers.add(provider_kind(plan["provider"], units))
    row.states[plan["state"]] += 1
    row.done += plan["done"]
    row.missed += plan["missed"]


def provider_kind(provider: dict[str, str], units: Units) -> str:
    if "name" in provider:
        return "第三方 third party"
    if provider["org"] in units.villages:
        return "村（社区） village"
    return "乡镇 township" if provider["org"] in units.townships else "县 county"


def timeliness(svc: CaseService) -> list[TimelinessRow]:
    """Every provisionally approved case's data check: on time, late, still overdue, not due.

    Read from the record itself: the ``verification_due`` deadline rows, the result events and
    the overdue and reminder events the worker wrote.
    """
    d, e = store.deadlines, store.events
    with svc.engine.connect() as conn:
        dues = conn.execute(select(d.c.case_id, d.c.due_at)
                            .where(d.c.kind == "verification_due")).all()  # fmt: skip
        results = dict(conn.execute(select(e.c.case_id, e.c.occurred_at)
                                    .where(e.c.type.in_(("verify", "revoke", "terminate"))))
                       .all())  # fmt: skip
        chased = {(case_id, kind): n for case_id, kind, n in conn.execute(
            select(e.c.case_id, e.c.type, func.count())
            .where(e.c.type.in_(("mark_overdue", "remind"))).group_by(e.c.case_id, e.c.type))}  # fmt: skip
    rows = {"on_time": TimelinessRow("按期返回", "on time"),
            "late": TimelinessRow("逾期后返回", "came back late"),
            "overdue": TimelinessRow("期末仍逾期", "still overdue at the end"),
            "not_due": TimelinessRow("尚未到期", "not yet due")}  # fmt: skip
    now = svc.clock.now()
    for case_id, due_at in dues:
        came = results.get(case_id)
        key = ("on_time" if came <= due_at else "late") if came else (
            "overdue" if due_at <= now else "not_due")  # fmt: skip
        row = rows[key]
        row.cases += 1
        row.overdue_events += chased.get((case_id, "mark_overdue"), 0)
        row.reminders += chased.get((case_id, "remind"), 0)
        if key in ("late", "overdue"):
            row.late_days.append(((came or now) - due_at).total_seconds() / 86400)
    return list(rows.values())


def money_by_month(svc: CaseService) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """The ledger summed by month booked and kind, and the worker's firings by event type."""
    le, e = store.ledger, store.events
    months: dict[str, dict[str, int]] = {}
    with svc.engine.connect() as conn:
        for kind, booked_on, fen in conn.execute(
            select(le.c.kind, le.c.booked_on, func.sum(le.c.amount_fen))
            .group_by(le.c.kind, le.c.booked_on)
        ):  # fmt: skip
            month = months.setdefault(f"{booked_on:%Y-%m}", {})
            month[kind] = month.get(kind, 0) + int(fen)
        firings = dict(conn.execute(select(e.c.type, func.count())
                                    .where(e.c.actor_role == Role.SYSTEM.value)
                                    .group_by(e.c.type)).all())  # fmt: skip
    return dict(sorted(months.items())), {k: int(v) for k, v in sorted(firings.items())}


def grouped_yuan(fen: int) -> str:
    """Fen as yuan with thousands separators: 9000000 -> '90,000.00'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


# -- rendering -----------------------------------------------------------------------------
def render(result: DemoResult, console: Console) -> None:
    stats = result.stats

    def line(text: str) -> None:
        console.print(Text(text), soft_wrap=True)

    line(f"滨海县 Binhai county ({COUNTY[0]}): {len(TOWNSHIPS)} 乡镇（街道） townships, "
         f"{result.villages} 村（社区） villages; simulated {START.date()} → {END.date()}, "
         "the deadline worker sweeping on the hour after each due time")  # fmt: skip
    console.print(state_table(result.rows))
    line(f"申请 applications: {stats.applications:,} generated + {len(result.stories)} stories; "
         f"低于门槛不予受理 refused at intake (below 30,000 yuan, to the standard path): "
         f"{stats.intake_refusals:,} (no case opened); households 家庭: {stats.households:,}")  # fmt: skip
    console.print(timeliness_table(result.timeliness))
    line(f"县核对逾期清单 the county's overdue list at the end (jiuzhu deadlines overdue): "
         f"{result.overdue_listed:,} cases")  # fmt: skip
    console.print(services_table(result.services))
    line(f"漏访清单 the county's missed-visit list (jiuzhu deadlines missed): "
         f"{result.missed_listed:,} occurrences; 随案件撤销、终止而结束的服务计划 plans ended "
         f"with a revoked or terminated case: {result.ended_with_case:,}")  # fmt: skip
    console.print(money_table(result.money))
    total = {k: sum(m.get(k, 0) for m in result.money.values()) for k in ledger.KINDS}
    owed = total["recovery"] + total["fine"] - total["repayment"] - total["write_off"]
    line(f"资金 money: paid out 已发放 {grouped_yuan(sum(total[k] for k in ledger.PAID_OUT))} "
         f"(monthly allowance 低保金 {grouped_yuan(total['allowance'])}, medical assistance "
         f"医疗救助 {grouped_yuan(total['medical'])}); owed back 应追回 "
         f"{grouped_yuan(total['recovery'] + total['fine'])}, repaid 已退还 "
         f"{grouped_yuan(total['repayment'])}, still owed 尚欠 {grouped_yuan(owed)}; "
         f"credit records 信用记录: {result.credit_records:,}; medical bills refused as dated "
         f"before inclusion: {stats.bills_refused:,}")  # fmt: skip
    paths = result.paths
    for name, label in (("standard", "常规程序 standard path"),
                        ("temporary", "临时救助 temporary assistance")):  # fmt: skip
        states = ", ".join(f"{state} {n:,}" for state, n in sorted(paths[name].items()))
        line(f"{label}: {sum(paths[name].values()):,} cases ({states})")
    line(f"常规程序 standard path: {stats.routed:,} fast-track refusals applied there; monthly "
         f"amounts confirmed {grouped_yuan(paths['money']['monthly_fen'])}; temporary grants "
         f"paid {grouped_yuan(paths['money']['grants_fen'])}; working-day limits passed, still "
         f"on the counties' alarm lists (jiuzhu standard alarms): {result.limit_alarms:,}")  # fmt: skip
    console.print(story_table(result.stories))
    rate = stats.commands / result.seconds if result.seconds else 0.0
    fired = ", ".join(f"{kind} {n:,}" for kind, n in result.firings.items())
    line(f"定时任务 worker: {stats.sweeps:,} wake-ups (on the hour after each due time) fired "
         f"{stats.fired:,} deadlines, each at most {stats.latest_minutes:.0f} min after it fell "
         f"due: {fired}")  # fmt: skip
    line(f"速度 rate: {stats.commands:,} commands and {stats.fired:,} firings in "
         f"{result.seconds:.1f} s = {rate:,.0f} commands/s ({result.engine.dialect.name})")  # fmt: skip


def money_table(months: dict[str, dict[str, int]]) -> Table:
    table = Table(title="资金 money by month booked (ledger, yuan 元)")
    table.add_column("月份\nmonth")
    kinds = ("allowance", "medical", "recovery", "repayment")
    for kind in kinds:
        zh, en = ledger.KIND_LABELS[kind]
        table.add_column(f"{zh}\n{en}", justify="right")
    for month, sums in months.items():
        table.add_row(month, *(grouped_yuan(sums.get(k, 0)) for k in kinds))
    table.add_section()
    table.add_row("合计 total", *(grouped_yuan(sum(m.get(k, 0) for m in months.values()))
                                  for k in kinds))  # fmt: skip
    return table


def state_table(rows: list[StateRow]) -> Table:
    table = Table(title="容缺审批案件 fast-track cases by state (amounts in yuan 元)")
    table.add_column("状态")
    table.add_column("state")
    for header in ("案件 cases", "突发支出 expenditure", "月救助金 monthly amount"):
        table.add_column(header, justify="right")
    for row in rows:
        monthly = grouped_yuan(row.monthly_fen) if row.monthly_fen else "—"
        table.add_row(row.zh, f"{row.en} ({row.state})", f"{row.cases:,}",
                      grouped_yuan(row.expenditure_fen), monthly)  # fmt: skip
    paying = sum(r.monthly_fen for r in rows if r.state in ("provisionally_approved", "verified"))
    table.add_section()
    table.add_row("合计", "total", f"{sum(r.cases for r in rows):,}",
                  grouped_yuan(sum(r.expenditure_fen for r in rows)), "")  # fmt: skip
    table.add_row("发放中", "in payment (provisionally approved + verified)", "", "",
                  grouped_yuan(paying))  # fmt: skip
    return table


def timeliness_table(rows: list[TimelinessRow]) -> Table:
    table = Table(title="核对时效 verification timeliness: result against due date (approval + 1 "
                  "month)")  # fmt: skip
    table.add_column("核对时效")
    table.add_column("timeliness")
    for header in ("案件\ncases", "逾期记录\noverdue events", "催办\nreminders",
                   "逾期天数 days late\nmedian / max"):  # fmt: skip
        table.add_column(header, justify="right")
    for row in rows:
        late = sorted(row.late_days)
        days = f"{late[len(late) // 2]:.1f} / {late[-1]:.1f}" if late else "—"
        table.add_row(row.zh, row.en, f"{row.cases:,}", f"{row.overdue_events:,}",
                      f"{row.reminders:,}", days)  # fmt: skip
    table.add_section()
    table.add_row("合计", "provisionally approved", f"{sum(r.cases for r in rows):,}",
                  f"{sum(r.overdue_events for r in rows):,}",
                  f"{sum(r.reminders for r in rows):,}", "")  # fmt: skip
    return table


def services_table(rows: list[ServiceRow]) -> Table:
    table = Table(title="服务计划 service plans (物质+服务): occurrences done and missed")
    table.add_column("服务\nservice")
    table.add_column("提供方\nprovider")
    for header in ("计划\nplans", "服务中/暂停/结束\nactive/paused/ended", "完成\ndone",
                   "未完成\nmissed", "漏访率\nmissed share"):  # fmt: skip
        table.add_column(header, justify="right")
    for row in rows:
        label, states = service_plan.KINDS[row.kind], row.states
        share = row.missed / (row.done + row.missed) if row.done + row.missed else 0.0
        table.add_row(f"{label.zh}\n{label.en}", "\n".join(sorted(row.providers)),
                      f"{sum(states.values()):,}",
                      f"{states['active']:,} / {states['suspended']:,} / {states['ended']:,}",
                      f"{row.done:,}", f"{row.missed:,}", f"{share:.1%}")  # fmt: skip
    table.add_section()
    table.add_row("合计", "total", f"{sum(sum(r.states.values()) for r in rows):,}", "",
                  f"{sum(r.done for r in rows):,}", f"{sum(r.missed for r in rows):,}", "")  # fmt: skip
    return table


def story_table(stories: list[tuple[Story, CaseView]]) -> Table:
    table = Table(title="种子故事 the seed's stories")
    for header in ("故事 story", "案件 case", "状态 final state", "说明 note"):
        table.add_column(header, no_wrap=header == "案件 case", overflow="fold")
    for story, view in stories:
        note = "; ".join([story.note, *story_facts(view)])
        table.add_row(story.title, view.id, f"{view.state_zh} {view.state_en}", Text(note))
    return table


def story_facts(view: CaseView) -> list[str]:
    """What the year recorded on a story's case: an overdue data check, its service plans."""
    facts = []
    overdue = view.facts.get("overdue")
    if overdue:
        due = local_date(parse_iso_utc(overdue["due_at"]))
        facts.append(f"data check overdue 核对逾期 from {due}, {overdue['reminders']} weekly "
                     "reminder(s) before the result")  # fmt: skip
    money = view.facts.get("money")
    if money:
        medical = sum(view.facts.get("medical", {}).get("used_fen", {}).values())
        facts.append(f"paid 已发放 {grouped_yuan(money['paid_fen'])} (medical 医疗救助 "
                     f"{grouped_yuan(medical)})")  # fmt: skip
        if money["recovered_fen"]:
            facts.append(f"recovery ordered 应追回 {grouped_yuan(money['recovered_fen'])}, "
                         f"repaid 已退还 {grouped_yuan(money['repaid_fen'])}, still owed 尚欠 "
                         f"{grouped_yuan(money['owed_fen'])}; credit record written")  # fmt: skip
    for plan in view.facts.get("plans", {}).values():
        kind, state = service_plan.KINDS[plan["kind"]], service_plan.STATES[plan["state"]]
        facts.append(f"{kind.zh} {kind.en}: {plan['done']} done, {plan['missed']} missed, "
                     f"{state.zh} {state.en}")  # fmt: skip
    return facts
