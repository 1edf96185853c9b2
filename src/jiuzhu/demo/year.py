"""The demo's year as a whole: open the county, play the stories and the caseload, summarise."""

from __future__ import annotations

import time as timer
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random
from typing import Any

from sqlalchemy import Engine, func, select

import jiuzhu

from ..clock import FakeClock
from ..errors import InvalidInput, PermissionDenied
from ..models import rows as store
from ..policy import DEMO_FILE
from ..service.actors import Actor, Role
from ..service.service import CaseService
from ..service.views import CaseView
from ..simulation import mark_simulation
from ..workflows import fast_track, service_plan
from . import paths, story_new_citizen, story_phase_out, story_provider, story_review
from .caseload import schedule_arrivals
from .county import Units, set_up_county
from .simulation import END, START, Simulation, Stats
from .stories import STORIES, Story


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
    path_stories = paths.schedule(sim, seed)  # the standard path and temporary assistance
    path_stories.append(story_new_citizen.schedule(sim, seed))  # out-of-area dibao
    path_stories.append(story_review.schedule(sim, seed))  # a re-review lowers the amount
    path_stories.append(story_phase_out.schedule(sim, seed))  # an income rise phased out
    path_stories.append(story_provider.schedule(sim, seed))  # a provider's visits, a rewiring
    schedule_arrivals(sim, cases, Random(seed))
    sim.run(END, on_day)
    clock.set(END)
    seconds = timer.perf_counter() - began
    county = units.county
    views = [(s, svc.get_case(county, s.case_id)) for s in stories]
    counties = [county, Actor(Role.COUNTY, paths.QINHUAI[0])]
    views += [(s, view_in(svc, counties, s.case_id)) for s in path_stories]  # type: ignore[misc]
    rows, services, ended_with_case = summary(svc, units)
    money, firings = money_by_month(svc)
    return DemoResult(svc.engine, sim.stats, seconds, rows, views, len(units.villages),
                      timeliness(svc), services, ended_with_case,
                      len(svc.overdue_verifications(county)),
                      len(svc.missed_visits(county)), money, firings,
                      len(svc.credit_records(county)),
                      paths.summary(svc, counties),
                      sum(len(svc.limit_alarms(c)) for c in counties))  # fmt: skip


def view_in(svc: CaseService, counties: list[Actor], case_id: str) -> CaseView:
    """The case as the county it belongs to sees it."""
    for actor in counties[:-1]:
        try:
            return svc.get_case(actor, case_id)
        except PermissionDenied:
            continue
    return svc.get_case(counties[-1], case_id)


# -- the summary ---------------------------------------------------------------------------
def summary(svc: CaseService, units: Units) -> tuple[list[StateRow], list[ServiceRow], int]:
    """Cases by state, service plans by kind, and plans ended with their case, in one pass."""
    rows = {name: StateRow(name, label.zh, label.en) for name, label in fast_track.STATES.items()}
    services = {kind: ServiceRow(kind) for kind in service_plan.KINDS}
    ended_with_case, offset = 0, 0
    while page := svc.list_cases(units.county, limit=1000, offset=offset):
        for view in page:
            if view.workflow != fast_track.NAME:
                continue  # the standard path and temporary assistance: see paths
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
