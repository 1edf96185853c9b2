"""Shared test factories: an organisation tree, households with valid members, cases in any state.

Import from any test module (``tests/`` is on ``sys.path`` through the root ``conftest.py``)::

    from helpers import make_county, make_household, case_in

    org = make_county(svc)                              # or use the ``org`` fixture
    case = case_in(svc, org, "provisionally_approved")  # a fresh household and case
    case = fire(svc, org, case, "verify")               # one more step, by the right actor
    before = db_snapshot(svc)                           # compare after a refused command

Everything here goes through the public service API, so a helper never writes a state the
workflow could not reach.  ID numbers are valid (GB 11643 check character) and unique within
the test process; names are fictional.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

import jiuzhu.models as jiuzhu_models
from jiuzhu import Actor, CaseService, Role
from jiuzhu.idnumber import check_character
from jiuzhu.models import rows as store
from jiuzhu.service.views import CaseView, HouseholdView

# -- emptying a PostgreSQL database between tests --------------------------------------------

# Every jiuzhu table, parents before children (emptied in reverse), read off the models so
# that a new table is emptied too.  The append-only guards are row triggers; a replica-role
# session does not run triggers, so the emptying needs no knowledge of them.
JIUZHU_TABLES = tuple(t.name for t in jiuzhu_models.metadata.sorted_tables)
EMPTY_DATABASE_SQL = (
    "SET LOCAL lock_timeout = '10s'",  # a leaked transaction makes the next test fail, not hang
    "SET LOCAL session_replication_role = replica",
    *(f"DELETE FROM {table}" for table in reversed(JIUZHU_TABLES)),  # children first
    "INSERT INTO log_head (id, size) VALUES (1, 0)",  # the Merkle log's counter, as migrated
)

# -- the organisation tree ------------------------------------------------------------------

COUNTY_ID = "320922"  # 滨海县 (Binhai county, the fast-track pilot)
TOWNSHIP_IDS = ("320922100", "320922101")
VILLAGE_IDS = ("320922100001", "320922100002", "320922101001", "320922101002")
_TOWNSHIP_NAMES = ("东坎街道", "八滩镇")
_VILLAGE_NAMES = ("团结社区", "人民社区", "八滩村", "振东村")


@dataclass(frozen=True)
class Org:
    """The actors of one county with two townships of two villages each.

    ``villages[0]`` and ``villages[1]`` belong to ``townships[0]``; ``villages[2]`` and
    ``villages[3]`` to ``townships[1]``.  The short names pick the usual cast of a test:
    ``village`` and ``township`` act on the case, ``neighbour_village`` sits in the same
    township, ``other_township`` and ``far_village`` in the other one.
    """

    admin: Actor
    county: Actor
    centre: Actor  # the verification centre (核对中心) at the county
    auditor: Actor  # read-only, at the county
    townships: tuple[Actor, ...]
    villages: tuple[Actor, ...]

    @property
    def township(self) -> Actor:
        return self.townships[0]

    @property
    def village(self) -> Actor:
        return self.villages[0]

    @property
    def neighbour_village(self) -> Actor:
        return self.villages[1]

    @property
    def other_township(self) -> Actor:
        return self.townships[1]

    @property
    def far_village(self) -> Actor:
        return self.villages[2]

    def village_actor(self, village_id: str) -> Actor:
        for actor in self.villages:
            if actor.org == village_id:
                return actor
        raise KeyError(f"village {village_id} is not in this county")

    def township_of(self, village: Actor | str) -> Actor:
        village_id = village.org if isinstance(village, Actor) else village
        return self.townships[self.villages.index(self.village_actor(village_id)) // 2]

    def actor_for(self, trigger: str, village: Actor | str) -> Actor:
        """The actor who normally fires ``trigger`` on a case of ``village``."""
        level = TRIGGER_LEVEL[trigger]
        if level == "village":
            return self.village_actor(village.org if isinstance(village, Actor) else village)
        if level == "township":
            return self.township_of(village)
        return self.county


def make_county(svc: CaseService, county_id: str = COUNTY_ID) -> Org:
    """Create the county, its two townships and four villages; return their actors.

    With another ``county_id`` (same length, digits) a second, disjoint county is made: its
    unit ids are ``county_id`` followed by the same suffixes as the default tree.
    """
    admin = Actor(Role.ADMIN, "")
    svc.add_org_unit(admin, id=county_id, name="滨海县", level="county")
    county = Actor(Role.COUNTY, county_id)
    townships, villages = [], []
    for t_index, default_tid in enumerate(TOWNSHIP_IDS):
        tid = county_id + default_tid[len(COUNTY_ID) :]
        svc.add_org_unit(
            county, id=tid, name=_TOWNSHIP_NAMES[t_index], level="township", parent_id=county_id
        )
        townships.append(Actor(Role.TOWNSHIP, tid))
        for v_index in (2 * t_index, 2 * t_index + 1):
            vid = county_id + VILLAGE_IDS[v_index][len(COUNTY_ID) :]
            svc.add_org_unit(
                county, id=vid, name=_VILLAGE_NAMES[v_index], level="village", parent_id=tid
            )
            villages.append(Actor(Role.VILLAGE, vid))
    return Org(
        admin=admin,
        county=county,
        centre=Actor(Role.VERIFICATION_CENTRE, county_id),
        auditor=Actor(Role.AUDITOR, county_id),
        townships=tuple(townships),
        villages=tuple(villages),
    )


# -- people and households ------------------------------------------------------------------

_NAMES = ("陈必华", "王秀英", "陈小明", "李桂兰", "张建国", "刘淑珍", "赵志强", "孙丽娟")
_RELATIONS = ("head", "spouse", "child", "parent", "grandchild", "sibling", "other", "other")
_serial = itertools.count()


def new_id_number(area: str = COUNTY_ID, born: date | None = None) -> str:
    """A valid 18-character ID number, unique within this test process.

    Without ``born`` the birth date walks forward from 1950-01-01 every 1,000 numbers.
    """
    n = next(_serial)
    birth = born or date(1950, 1, 1) + timedelta(days=n // 1000)
    body = f"{area}{birth:%Y%m%d}{n % 1000:03d}"
    return body + check_character(body)


def new_members(size: int = 1) -> list[dict[str, str]]:
    """``size`` member records (name, ID number, relation) as ``register_household`` takes them."""
    return [
        {
            "name": _NAMES[i % len(_NAMES)],
            "id_number": new_id_number(),
            "relation": _RELATIONS[i % len(_RELATIONS)],
        }
        for i in range(size)
    ]


def make_household(
    svc: CaseService, village: Actor, size: int = 1, members: list[dict[str, str]] | None = None
) -> HouseholdView:
    """Register a household of ``size`` members (or exactly ``members``) in ``village``."""
    return svc.register_household(village, members=members or new_members(size))


# -- cases ----------------------------------------------------------------------------------

# The trigger each case command fires (``record_appraisal`` and ``record_verification`` fire
# one of several, chosen by their outcome/result argument).
TRIGGER_COMMAND = {
    "promise": "promise",
    "review": "record_appraisal",
    "fail_appraisal": "record_appraisal",
    "approve": "approve",
    "refuse": "refuse",
    "verify": "record_verification",
    "revoke": "record_verification",
    "terminate": "record_verification",
    "withdraw": "withdraw",
}
TRIGGER_LEVEL = {
    "promise": "village",
    "review": "village",
    "fail_appraisal": "village",
    "approve": "township",
    "refuse": "township",
    "verify": "county",
    "revoke": "county",
    "terminate": "county",
    "withdraw": "village",
}
# The shortest trigger sequence from 'applied' to each state of the fast track.
PATH_TO: dict[str, tuple[str, ...]] = {
    "applied": (),
    "promised": ("promise",),
    "reviewed": ("promise", "review"),
    "provisionally_approved": ("promise", "review", "approve"),
    "verified": ("promise", "review", "approve", "verify"),
    "revoked": ("promise", "review", "approve", "revoke"),
    "terminated": ("promise", "review", "approve", "terminate"),
    "rejected": ("promise", "fail_appraisal"),
    "withdrawn": ("withdraw",),
}
STATES = tuple(PATH_TO)
TRIGGERS = tuple(TRIGGER_COMMAND)
# The triggers docs/domain.md §3 allows in each state, written out by hand (not read from the
# workflow) so that tests hold the workflow to the rules rather than to itself.
ALLOWED: dict[str, frozenset[str]] = {
    "applied": frozenset({"promise", "withdraw"}),
    "promised": frozenset({"review", "fail_appraisal", "withdraw"}),
    "reviewed": frozenset({"approve", "refuse", "withdraw"}),
    "provisionally_approved": frozenset({"verify", "revoke", "terminate"}),
    "verified": frozenset(),
    "revoked": frozenset(),
    "terminated": frozenset(),
    "rejected": frozenset(),
    "withdrawn": frozenset(),
}
FINAL_STATES = tuple(state for state, triggers in ALLOWED.items() if not triggers)
# Money commands keep a case open after its decision (docs/domain.md §7): medical bills while it pays,
# fines (falsification only), repayments and write-offs while something is owed.
MONEY_TRIGGERS: dict[str, frozenset[str]] = {
    "provisionally_approved": frozenset({"record_medical_bill"}),
    "verified": frozenset({"record_medical_bill"}),
    "revoked": frozenset({"impose_fine", "record_repayment", "write_off"}),
    "terminated": frozenset({"record_repayment", "write_off"}),
}
# A verified case is re-reviewed (复核, docs/domain.md §4): its steps keep it in its state; so
# do its changes of circumstance (but a phase-out, after the steps, stops it).
REVIEW_TRIGGERS: dict[str, frozenset[str]] = {
    "verified": frozenset({"open_review", "investigate_review", "give_review_opinion",
                           "decide_review", "stop_review", "record_circumstance",
                           "decide_phase_out", "record_rigid_expenditure",
                           "renew_rigid_expenditure"}),
}  # fmt: skip
# Everything a person may do in each state (what ``CaseView.allowed`` lists).
OFFERED = {state: ALLOWED[state] | MONEY_TRIGGERS.get(state, frozenset())
           | REVIEW_TRIGGERS.get(state, frozenset()) for state in ALLOWED}  # fmt: skip


def command_call(trigger: str, case: CaseView) -> tuple[str, dict[str, Any]]:
    """The service method name and keyword arguments that fire ``trigger`` on ``case``.

    The arguments are the seed's numbers (docs/domain.md §3): 2,000 yuan a month, an appraisal of 20
    present.  Pass the result to ``getattr(svc, name)(actor, case.id, **kwargs)``.
    """
    kwargs: dict[str, Any] = {
        "promise": {"signed_by": case.facts["applicant_id"]},
        "review": {
            "outcome": "passed",
            "attendance": 20,
            "votes_for": 18,
            "votes_against": 1,
            "abstentions": 1,
        },
        "fail_appraisal": {
            "outcome": "failed",
            "attendance": 20,
            "votes_for": 5,
            "votes_against": 14,
            "abstentions": 1,
        },
        "approve": {"monthly_amount": "2000"},
        "refuse": {"reason": "家庭经济状况不符合条件"},
        "verify": {"result": "meets_standard"},
        "revoke": {"result": "falsification", "reason": "隐瞒存款 20 万元"},
        "terminate": {"result": "fails_without_falsification", "reason": "收入超过低保标准"},
        "withdraw": {"reason": "申请人主动撤回"},
    }[trigger]
    return TRIGGER_COMMAND[trigger], kwargs


def fire(
    svc: CaseService,
    org: Org,
    case: CaseView,
    trigger: str,
    *,
    actor: Actor | None = None,
    **overrides: Any,
) -> CaseView:
    """Fire ``trigger`` on ``case`` through its service command, by the usual actor.

    ``overrides`` replace or add keyword arguments (``expected_version``, ``idempotency_key``,
    ``monthly_amount``...).
    """
    name, kwargs = command_call(trigger, case)
    who = actor or org.actor_for(trigger, case.village_id)
    result: CaseView = getattr(svc, name)(who, case.id, **{**kwargs, **overrides})
    return result


def open_case(
    svc: CaseService,
    org: Org,
    *,
    village: Actor | None = None,
    household: HouseholdView | None = None,
    size: int = 1,
    **apply_kwargs: Any,
) -> CaseView:
    """Register a household (unless given) and open a fast-track case for it.

    Defaults are the seed's case: dibao for a major illness costing 90,000 yuan.
    """
    village = village or org.village
    household = household or make_household(svc, village, size)
    kwargs: dict[str, Any] = {
        "applicant_id": household.member_ids[0],
        "programme": "dibao",
        "cause": "major_illness",
        "expenditure": "90000",
    }
    kwargs.update(apply_kwargs)
    return svc.apply(village, household_id=household.id, **kwargs)


def case_in(svc: CaseService, org: Org, state: str, **open_kwargs: Any) -> CaseView:
    """A new case driven along :data:`PATH_TO` into ``state`` (``rejected`` by a failed appraisal)."""
    case = open_case(svc, org, **open_kwargs)
    for trigger in PATH_TO[state]:
        case = fire(svc, org, case, trigger)
    assert case.state == state
    return case


# -- looking at the database ----------------------------------------------------------------


def db_snapshot(svc: CaseService) -> dict[str, Any]:
    """Everything a refused command must leave untouched: row counts, case versions, deadlines.

    Two snapshots compare equal iff no case, event, deadline, ledger entry, credit record,
    household, person or unit was added, and no case row or deadline row changed state.
    """
    tables = (
        store.org_units,
        store.households,
        store.persons,
        store.cases,
        store.events,
        store.deadlines,
        store.ledger,
        store.credit_records,
    )
    with svc.engine.connect() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables
        }
        c, d = store.cases, store.deadlines
        case_rows = conn.execute(
            select(c.c.id, c.c.state, c.c.row_version, c.c.last_seq, c.c.head_hash).order_by(c.c.id)
        ).all()
        deadline_rows = conn.execute(
            select(d.c.id, d.c.case_id, d.c.kind, d.c.status, d.c.due_at).order_by(d.c.id)
        ).all()
    return {
        "counts": counts,
        "cases": [tuple(r) for r in case_rows],
        "deadlines": [tuple(r) for r in deadline_rows],
    }


def count_rows(svc: CaseService, table: str) -> int:
    """The number of rows in one jiuzhu table (``cases``, ``events``, ``deadlines``...)."""
    t = {
        tbl.name: tbl
        for tbl in (
            store.org_units,
            store.households,
            store.persons,
            store.cases,
            store.events,
            store.deadlines,
            store.ledger,
            store.credit_records,
        )
    }[table]
    with svc.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t)).scalar_one())


def deadline_rows(svc: CaseService, case_id: str) -> list[dict[str, Any]]:
    """The deadline rows of one case, oldest first, as dicts."""
    d = store.deadlines
    with svc.engine.connect() as conn:
        rows = conn.execute(select(d).where(d.c.case_id == case_id).order_by(d.c.id)).all()
    return [dict(r._mapping) for r in rows]


@contextmanager
def served(app: Any, name: str) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port, in a thread; yield its base URL."""
    import threading
    import time

    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                            access_log=False)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    started = time.monotonic()
    while not server.started:  # start-up, not a deadline of the domain
        assert thread.is_alive(), "the test server did not start"
        assert time.monotonic() - started < 30, "the test server did not start within 30 s"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
