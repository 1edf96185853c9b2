"""Properties of the money, for any sequence of commands and clock moves (hypothesis).

On a fresh database per example: a case approved 2024-03-15 at 2,000 a month, then a random
run of sweeps, clock moves, medical bills, the data check's decision and repayments.  Whatever
happens: no allowance is dated after a revocation, each month is paid at most once and none is
skipped, the ledger replays from the events, and a case revoked for fraud nets to zero once
what it owes is repaid.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import case_in, fire, make_county
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jiuzhu
from jiuzhu import FakeClock, GuardRejected, TransitionNotAllowed
from jiuzhu.audit.replay import ledger_entries as replay
from jiuzhu.clock import local_date
from jiuzhu.ledger import balance
from jiuzhu.models import rows as store
from jiuzhu.scheduler.sweep import sweep
from jiuzhu.workflows.calendar import month_of, months_through, next_month

START = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, as the suite's clock
STEP = st.one_of(
    st.tuples(st.just("bill"), st.integers(min_value=1, max_value=60_000)),
    st.tuples(st.just("revoke"), st.just(0)),
    st.tuples(st.just("advance"), st.integers(min_value=0, max_value=75)),
    st.tuples(st.just("sweep"), st.just(0)),
    st.tuples(st.just("bill"), st.integers(min_value=1, max_value=60_000)),
    st.tuples(st.sampled_from(["verify", "revoke", "terminate"]), st.just(0)),
    st.tuples(st.just("repay"), st.integers(min_value=1, max_value=10_000)),
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("money-properties")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=14))
def test_money_invariants_hold_for_any_sequence_of_commands_and_clock_moves(
    sqlite_template: Path, workdir: Path, steps: list[tuple[str, int]]
) -> None:
    path = workdir / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(sqlite_template, path)
    clock = FakeClock(START)
    svc = jiuzhu.connect(f"sqlite:///{path}", clock=clock, upgrade=False)
    try:
        org = make_county(svc)
        case = case_in(svc, org, "provisionally_approved")
        revoked_on = None
        for action, n in steps:
            try:
                if action == "advance":
                    clock.advance(timedelta(days=n, hours=n % 24))
                elif action == "sweep":
                    sweep(svc, worker="prop", now=clock.now())
                elif action == "bill":
                    svc.record_medical_bill(org.township, case.id, total=str(n),
                                            billed_on=local_date(clock.now()),
                                            hospital="医院")  # fmt: skip
                elif action == "repay":
                    svc.record_repayment(org.township, case.id, amount=str(n))
                else:
                    view = fire(svc, org, svc.get_case(org.county, case.id), action)
                    if action == "revoke":
                        revoked_on = local_date(clock.now())
                        assert view.state == "revoked"
            except (GuardRejected, TransitionNotAllowed):
                pass  # refused in this state or beyond what is owed: fine, nothing written

        entries = svc.ledger(org.county, case.id).entries
        allowances = [e for e in entries if e.kind == "allowance"]
        months = [e.period for e in allowances]
        # each month at most once, and none skipped from the month of approval
        assert months == months_through("2024-03", months[-1]) if months else True
        if revoked_on is not None:
            assert all(e.booked_on <= revoked_on for e in allowances)
            assert all(m <= month_of(revoked_on) for m in months)
            paid_out = sum(e.amount_fen for e in entries if e.kind in ("allowance", "medical"))
            recovered = sum(e.amount_fen for e in entries if e.kind == "recovery")
            assert recovered == paid_out  # every yuan paid, allowance and medical
            assert len([e for e in entries if e.kind == "recovery"]) == len(
                [e for e in entries if e.kind in ("allowance", "medical")]
            )  # itemised by entry
        # the stored ledger is exactly what the events imply
        with svc.engine.connect() as conn:
            events = store.event_dicts(
                conn.execute(store.SELECT_EVENTS, {"case_id": case.id}).all()
            )
        assert replay(events) == entries

        view = svc.get_case(org.county, case.id)
        if view.state == "revoked":
            owed = balance(entries)["owed_fen"]
            assert owed == view.facts["money"]["owed_fen"] >= 0
            if owed:
                svc.record_repayment(
                    org.township, case.id, amount=f"{owed // 100}.{owed % 100:02d}"
                )
            final = svc.ledger(org.county, case.id).entries
            assert balance(final)["owed_fen"] == 0
            paid_out = sum(e.amount_fen for e in final if e.kind in ("allowance", "medical"))
            repaid = sum(e.amount_fen for e in final if e.kind == "repayment")
            assert paid_out - repaid == 0  # nets to zero
        if view.state in ("provisionally_approved", "verified") and months:
            assert view.facts["allowance"]["next_month"] == next_month(months[-1]) or (
                view.facts["allowance"].get("withheld")
            )
    finally:
        svc.close()
        path.unlink(missing_ok=True)
