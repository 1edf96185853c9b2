"""Paying one household-month twice is impossible, for any sequence of commands (hypothesis).

One household of three in Qinhuai (dibao line 945) has two dibao cases: a fast-track case
(reviewed, awaiting the township's provisional approval) and a standard case (awaiting the
county's decision).  A rule-based machine then runs any sequence of: the approval, the data
check's outcome (verify, revoke, terminate), the standard decision, a re-review of either case
to any outcome (continue, change from the next unpaid month, suspend, stop), the household
moving house to another village (its open cases with it), and clock moves of
hypothesis-chosen length, each followed by a sweep that fires every due deadline (the
monthly payment run among them).  The policy may suspend assistance while the data check is
overdue, so that a late verification pays arrears.  After every step:

* no (household, programme, month) appears twice among the ledger's allowance lines, and
* ``household_months`` holds exactly the allowance lines: the same household, programme,
  month, case and event.

Runs on SQLite (a template copy per example) and PostgreSQL (the session database, emptied
per example), like every integration test.
"""

from __future__ import annotations

import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import EMPTY_DATABASE_SQL, fire, make_county, make_household, open_case
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, create_engine, text

import jiuzhu
from jiuzhu import CaseService, FakeClock, GuardRejected, InvalidInput, TransitionNotAllowed
from jiuzhu.errors import CalendarNotCovered
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.service.views import CaseView
from jiuzhu.workflows.calendar import next_month

START = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
QINHUAI = "320104"
REFUSED = (GuardRejected, TransitionNotAllowed, InvalidInput, CalendarNotCovered)
EXAMPLES = {"sqlite": 25, "postgres": 10}
LEDGER_MONTHS = text(
    "SELECT c.household_id, c.programme, l.period, l.case_id, l.seq FROM ledger_entries l "
    "JOIN cases c ON c.id = l.case_id WHERE l.kind = 'allowance'"
)
HELD_MONTHS = text("SELECT household_id, programme, period, case_id, seq FROM household_months")


@pytest.fixture(
    scope="module",
    params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)],
)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_database(
    engine_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """A function giving a fresh migrated database per example: a copy of the SQLite
    template, or the session's PostgreSQL database emptied (DELETE, as the suite does)."""
    if engine_name == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")

        def copy() -> str:
            path = tmp_path / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"

        yield copy
        return
    url: str = request.getfixturevalue("postgres_database")
    resetter: Engine = create_engine(url)

    def emptied() -> str:
        with resetter.begin() as conn:
            for statement in EMPTY_DATABASE_SQL:
                conn.execute(text(statement))
        return url

    try:
        yield emptied
    finally:
        resetter.dispose()


class HouseholdChain(RuleBasedStateMachine):
    """Two dibao cases of one household, driven by any sequence of commands and clock moves."""

    fresh: Callable[[], str]

    def __init__(self) -> None:
        super().__init__()
        self.service: CaseService | None = None
        self.url = ""

    @property
    def svc(self) -> CaseService:
        assert self.service is not None
        return self.service

    @initialize(suspend=st.booleans())
    def open_two_cases(self, suspend: bool) -> None:
        self.url = type(self).fresh()
        self.clock = FakeClock(START)
        self.service = jiuzhu.connect(self.url, clock=self.clock, upgrade=False,
                                  policy={"suspend_when_overdue": suspend})  # fmt: skip
        svc, org = self.svc, make_county(self.svc, QINHUAI)
        self.org = org
        home = make_household(svc, org.village, 3)
        fast = open_case(svc, org, household=home)
        for trigger in ("promise", "review"):
            fast = fire(svc, org, fast, trigger)
        case = svc.apply_standard(org.village, household_id=home.id,
                                  applicant_id=home.member_ids[1])  # fmt: skip
        case = svc.accept_standard(org.township, case.id)
        case = svc.start_investigation(org.township, case.id, investigators=["nj-01", "nj-02"])
        case = svc.complete_investigation(org.township, case.id, household_income="1200",
                                          signed_by=home.member_ids[1],
                                          investigators=["nj-01", "nj-02"])  # fmt: skip
        case = svc.start_verification(org.centre, case.id)
        case = svc.record_check(org.centre, case.id, result="meets_standard")
        case = svc.give_opinion(org.township, case.id, recommend=False, opinion="提请县级确认")
        self.cases = {"fast": fast.id, "standard": case.id}
        self.states = {"fast": fast.state, "standard": case.state}

    def case(self, which: str) -> CaseView:
        return self.svc.get_case(self.org.county, self.cases[which])

    def attempt(self, command: Callable[[], Any]) -> None:
        try:
            command()
        except REFUSED:
            pass  # refused in this state: nothing written (the invariants still hold)
        self.states = {which: self.case(which).state for which in self.cases}

    def paying(self, which: str) -> bool:
        return self.states[which] in ("provisionally_approved", "verified", "confirmed")

    # -- the commands -------------------------------------------------------------------------
    @precondition(lambda self: self.states["fast"] == "reviewed")
    @rule()
    def approve_fast_track(self) -> None:
        self.attempt(lambda: fire(self.svc, self.org, self.case("fast"), "approve"))

    @precondition(lambda self: self.states["fast"] == "provisionally_approved")
    @rule(outcome=st.sampled_from(["verify", "revoke", "terminate"]))
    def data_check(self, outcome: str) -> None:
        self.attempt(lambda: fire(self.svc, self.org, self.case("fast"), outcome))

    @precondition(lambda self: self.states["standard"] == "county_review")
    @rule()
    def decide_standard(self) -> None:
        svc, org = self.svc, self.org
        self.attempt(lambda: svc.decide_standard(org.county, self.cases["standard"],
                                                 decision="confirm"))  # fmt: skip

    @precondition(lambda self: self.paying("fast") or self.paying("standard"))
    @rule(which=st.sampled_from(["fast", "standard"]),
          outcome=st.sampled_from(["continue", "change", "suspend", "stop"]))  # fmt: skip
    def re_review(self, which: str, outcome: str) -> None:
        svc, org, case_id = self.svc, self.org, self.cases[which]

        def review() -> None:
            if not self.paying(which):
                return
            view = self.case(which)
            allowance = view.facts.get("allowance") or {}
            township, village = org.township_of(view.village_id), org.village_actor(view.village_id)
            svc.open_review(township, case_id, reason="家庭情况变化")
            svc.investigate_review(village, case_id, findings="入户核实")
            svc.give_review_opinion(township, case_id, opinion="提请县级决定")
            change: dict[str, Any] = {}
            if outcome == "change":
                start = allowance.get("next_month", "2024-04")
                change = {"monthly_amount": "1000", "from_month": next_month(start)}
            svc.decide_review(org.county, case_id, outcome=outcome, reasons="复核决定", **change)

        self.attempt(review)

    @rule(to=st.sampled_from([0, 2]))
    def move_house(self, to: int) -> None:
        """The household moves (to the first or the third village, another township): its open
        cases pass to the new unit and keep being paid there, never twice."""
        home = self.case("fast").household_id
        village = self.org.villages[to].org
        self.attempt(lambda: self.svc.transfer_household(self.org.county, home, to_village=village,
                                                         reason="迁居"))  # fmt: skip

    @rule(days=st.integers(min_value=0, max_value=20), hours=st.integers(min_value=0, max_value=23))
    def days_pass(self, days: int, hours: int) -> None:
        self.sweep_after(timedelta(days=days, hours=hours))

    @rule(days=st.integers(min_value=20, max_value=75))
    def months_pass(self, days: int) -> None:
        self.sweep_after(timedelta(days=days))

    def sweep_after(self, step: timedelta) -> None:
        self.clock.advance(step)
        report = sweep(self.svc, worker="prop", now=self.clock.now())
        assert report.failed == 0
        self.states = {which: self.case(which).state for which in self.cases}

    # -- after every step ---------------------------------------------------------------------
    @invariant()
    def one_allowance_per_household_programme_and_month(self) -> None:
        with self.svc.engine.connect() as conn:
            lines = {tuple(r) for r in conn.execute(LEDGER_MONTHS)}
            held = {tuple(r) for r in conn.execute(HELD_MONTHS)}
        twice = [m for m, n in Counter(line[:3] for line in lines).items() if n > 1]
        assert twice == [], f"paid twice: {twice}"
        assert held == lines  # household_months agrees with the ledger, line for line

    def teardown(self) -> None:
        if self.service is not None:
            self.service.close()
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).unlink(missing_ok=True)


def test_no_household_month_is_paid_twice_for_any_sequence_of_commands(
    engine_name: str, fresh_database: Callable[[], str]
) -> None:
    machine = type("Chain", (HouseholdChain,), {"fresh": staticmethod(fresh_database)})
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=EXAMPLES[engine_name], stateful_step_count=16,
                          deadline=None, suppress_health_check=[HealthCheck.too_slow]),
    )  # fmt: skip
