"""The Binhai county (滨海县) demo: the seed's fast-track stories and a generated caseload.

Everything goes through the real service on a :class:`FakeClock` that starts on 2024-02-20,
just after the Spring Festival, like Chen Bihua's story in the seed.  Each case is a small
script (a generator) that performs one step, then yields the moment of its next step; a heap
runs the scripts in time order and moves the clock forward, so office hours, same-day
approvals and the month-long data check all happen on the simulated calendar.

People are synthetic (居民00001 …) with valid, generated ID numbers; they stay in the person
registry and never reach events.  The seed's own names appear only in its stories.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time as timer
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from random import Random
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

import jiuzhu

from .clock import SHANGHAI, FakeClock, local_date
from .errors import GuardRejected, InvalidInput
from .idnumber import check_character
from .models.db import resolve_url
from .service.actors import Actor, Role
from .service.service import CaseService
from .service.views import CaseView, HouseholdView
from .workflows import fast_track

DEFAULT_DB = "jiuzhu-demo.db"
START = datetime(2024, 2, 20, 8, 0, tzinfo=SHANGHAI)  # the Tuesday after the Spring Festival
OPEN, CLOSE = time(8, 30), time(17, 30)
DAYS = 125  # applications arrive until the last day, so some are pending at every stage
END = datetime.combine(START.date() + timedelta(days=DAYS), CLOSE, SHANGHAI)
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
}  # fmt: skip


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


class Simulation:
    def __init__(self, svc: CaseService, clock: FakeClock, units: Units, seed: int) -> None:
        self.svc, self.clock, self.units, self.seed = svc, clock, units, seed
        self.people = People()
        self.stats = Stats()
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
            if step is not None:
                heapq.heappush(self._heap, (step, order, script))
        on_day(total, total, local_date(until).isoformat())

    def call(self, command: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        self.stats.commands += 1
        return command(*args, **kwargs)

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
    yield sim.later(rng, 26 * 24 * 60, 36 * 24 * 60)
    verify(sim, fate, case)


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
    result = {"revoked": "falsification", "terminated": "fails_without_falsification"}.get(
        fate, "meets_standard"
    )
    actor = sim.units.centre if result == "meets_standard" else sim.units.county
    return sim.call(
        sim.svc.record_verification,
        actor,
        case.id,
        result=result,
        reason=REASONS.get(result),
        expected_version=case.row_version,
    )


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
    yield at("2024-03-21", 10, 0)  # the data check returns about a month later
    sim.call(svc.record_verification, sim.units.centre, case.id, result="meets_standard")


def fraud(sim: Simulation, story: Story) -> Script:
    """DOMAIN §10 case 2: approved 2024-03-15 at 2,000/month, revoked 2024-05-10."""
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
    yield at("2024-05-10", 10, 0)
    sim.call(svc.record_verification, sim.units.county, case.id, result="falsification",
             reason=REASONS["falsification"])  # fmt: skip


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


# -- running and reporting ---------------------------------------------------------------------
@dataclass
class StateRow:
    state: str
    zh: str
    en: str
    cases: int = 0
    expenditure_fen: int = 0
    monthly_fen: int = 0


@dataclass
class DemoResult:
    engine: Engine
    stats: Stats
    seconds: float
    rows: list[StateRow]
    stories: list[tuple[Story, CaseView]]
    villages: int


def open_county(url: str) -> tuple[CaseService, FakeClock, Units]:
    """The service on a demo clock standing at 2024-02-20 08:00, with Binhai county set up."""
    clock = FakeClock(START)
    svc = jiuzhu.connect(url, clock=clock)
    return svc, clock, set_up_county(svc)


def run(svc: CaseService, clock: FakeClock, units: Units, *, cases: int, seed: int,
        on_day: Callable[[int, int, str], None]) -> DemoResult:  # fmt: skip
    """Play the stories and ``cases`` generated applications until the demo's last day."""
    began = timer.perf_counter()
    sim = Simulation(svc, clock, units, seed)
    stories = [Story(title, note) for _, _, title, note in STORIES]
    for (start, script, _, _), story in zip(STORIES, stories, strict=True):
        sim.start(start, script(sim, story))
    schedule_arrivals(sim, cases, Random(seed))
    sim.run(END, on_day)
    seconds = timer.perf_counter() - began
    views = [(s, svc.get_case(units.county, s.case_id)) for s in stories]
    return DemoResult(svc.engine, sim.stats, seconds, summary(svc, units.county), views,
                      len(units.villages))  # fmt: skip


def schedule_arrivals(sim: Simulation, cases: int, rng: Random) -> None:
    villages = sorted(sim.units.villages)
    for index in range(cases):
        day = START.date() + timedelta(days=rng.randrange(DAYS + 1))
        candidate = datetime.combine(day, OPEN, SHANGHAI) + timedelta(minutes=rng.randint(0, 540))
        sim.start(office_time(candidate, rng), generated_case(sim, index, rng.choice(villages)))


def summary(svc: CaseService, county: Actor) -> list[StateRow]:
    rows = {name: StateRow(name, label.zh, label.en) for name, label in fast_track.STATES.items()}
    offset = 0
    while page := svc.list_cases(county, limit=1000, offset=offset):
        for view in page:
            row = rows[view.state]
            row.cases += 1
            row.expenditure_fen += view.expenditure_fen
            row.monthly_fen += view.monthly_amount_fen or 0
        offset += len(page)
    return list(rows.values())


def grouped_yuan(fen: int) -> str:
    """Fen as yuan with thousands separators: 9000000 -> '90,000.00'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def render(result: DemoResult, console: Console) -> None:
    stats = result.stats
    console.print(Text(
        f"滨海县 Binhai county ({COUNTY[0]}): {len(TOWNSHIPS)} 乡镇（街道） townships, "
        f"{result.villages} 村（社区） villages; simulated {START.date()} → {END.date()}"),
        soft_wrap=True)  # fmt: skip
    console.print(state_table(result.rows))
    console.print(Text(
        f"申请 applications: {stats.applications:,} generated + {len(result.stories)} stories; "
        f"低于门槛不予受理 refused at intake (below 30,000 yuan, to the standard path): "
        f"{stats.intake_refusals:,} (no case opened); households 家庭: {stats.households:,}"),
        soft_wrap=True)  # fmt: skip
    console.print(story_table(result.stories))
    rate = stats.commands / result.seconds if result.seconds else 0.0
    console.print(f"速度 rate: {stats.commands:,} commands in {result.seconds:.1f} s = "
                  f"{rate:,.0f} commands/s ({result.engine.dialect.name})",
                  soft_wrap=True)  # fmt: skip


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


def story_table(stories: list[tuple[Story, CaseView]]) -> Table:
    table = Table(title="种子故事 the seed's stories")
    for header in ("故事 story", "案件 case", "状态 final state", "说明 note"):
        table.add_column(header, no_wrap=header == "案件 case", overflow="fold")
    for story, view in stories:
        table.add_row(story.title, view.id, f"{view.state_zh} {view.state_en}", Text(story.note))
    return table
