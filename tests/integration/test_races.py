"""Races on one case, between threads and between OS processes, on each database.

Contenders are released together by a barrier.  Whatever the interleaving, exactly one command
is applied (one new event, one new row version) and every loser gets a clear error:
``ConcurrencyConflict`` when it named the version it read, ``TransitionNotAllowed`` (or a
conflict) when it did not.  Each race is run several times so that a lucky schedule does not
hide a lost update.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import pytest
from helpers import TOWNSHIP_IDS, Org, case_in, count_rows, fire

import jiuzhu
from jiuzhu import (
    Actor,
    CaseService,
    ConcurrencyConflict,
    FakeClock,
    JiuzhuError,
    Role,
    TransitionNotAllowed,
)
from jiuzhu.service.views import CaseView

ROUNDS = 5
TIMEOUT = 60  # seconds; only ever reached when something hangs


def race(contenders: list[Callable[[], CaseView]]) -> list[CaseView | BaseException]:
    """Run the callables in threads released together; return each result or exception."""
    barrier = threading.Barrier(len(contenders), timeout=TIMEOUT)
    results: list[CaseView | BaseException | None] = [None] * len(contenders)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = contenders[i]()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(contenders))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a contender hung"
    return [r for r in results if r is not None]


def winners_and_losers(results: list[Any]) -> tuple[list[CaseView], list[BaseException]]:
    won = [r for r in results if isinstance(r, CaseView)]
    lost = [r for r in results if not isinstance(r, CaseView)]
    return won, lost


# -- threads ----------------------------------------------------------------------------------


def test_one_thread_wins_when_two_race_with_same_expected_version(
    svc: CaseService, org: Org
) -> None:
    for _ in range(ROUNDS):
        case = case_in(svc, org, "reviewed")
        events = count_rows(svc, "events")
        approve = partial(fire, svc, org, case, "approve", expected_version=case.row_version)
        results = race([approve, approve])
        won, lost = winners_and_losers(results)
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], ConcurrencyConflict), repr(lost[0])
        assert count_rows(svc, "events") == events + 1
        stored = svc.get_case(org.county, case.id)
        assert (stored.state, stored.row_version) == ("provisionally_approved", 4)


def test_one_thread_wins_when_different_commands_race_without_version(
    svc: CaseService, org: Org
) -> None:
    for _ in range(ROUNDS):
        case = case_in(svc, org, "provisionally_approved")
        events = count_rows(svc, "events")
        results = race(
            [
                partial(fire, svc, org, case, "verify"),
                partial(fire, svc, org, case, "revoke", actor=org.centre),
            ]
        )
        won, lost = winners_and_losers(results)
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], TransitionNotAllowed | ConcurrencyConflict), repr(lost[0])
        assert count_rows(svc, "events") == events + 1
        stored = svc.get_case(org.county, case.id)
        assert (stored.state, stored.row_version) == (won[0].state, 5)
        assert [e.type for e in svc.history(org.county, case.id)][-2:] == [
            "approve",
            {"verified": "verify", "revoked": "revoke"}[won[0].state],
        ]


def test_one_thread_wins_when_same_command_races_without_version(
    svc: CaseService, org: Org
) -> None:
    for _ in range(ROUNDS):
        case = case_in(svc, org, "applied")
        events = count_rows(svc, "events")
        results = race([partial(fire, svc, org, case, "withdraw")] * 3)
        won, lost = winners_and_losers(results)
        assert len(won) == 1 and len(lost) == 2, results
        assert all(isinstance(e, TransitionNotAllowed | ConcurrencyConflict) for e in lost), lost
        assert count_rows(svc, "events") == events + 1


def test_idempotent_retries_racing_write_one_event(svc: CaseService, org: Org) -> None:
    for n in range(ROUNDS):
        case = case_in(svc, org, "reviewed")
        events = count_rows(svc, "events")
        key = f"approve-{n}"
        results = race([partial(fire, svc, org, case, "approve", idempotency_key=key)] * 2)
        won, lost = winners_and_losers(results)
        assert not lost, lost
        assert sorted(v.replayed for v in won) == [False, True]
        assert won[0].head_hash == won[1].head_hash
        assert count_rows(svc, "events") == events + 1


# -- processes --------------------------------------------------------------------------------


def race_in_child(
    url: str,
    start: datetime,
    case_ids: list[str],
    version: int,
    barrier: Any,
    results: Any,
    name: str,
) -> None:
    """A child process: connect on its own, then approve each case as the barrier releases."""
    try:
        svc = jiuzhu.connect(url, clock=FakeClock(start))
        township = Actor(Role.TOWNSHIP, TOWNSHIP_IDS[0])
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        results.put((name, "", "crash", repr(exc)))
        barrier.abort()
        return
    for case_id in case_ids:
        barrier.wait(TIMEOUT)
        try:
            view = svc.approve(township, case_id, monthly_amount="2000", expected_version=version)
            results.put((name, case_id, "won", view.state))
        except JiuzhuError as exc:
            results.put((name, case_id, type(exc).__name__, exc.message))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            results.put((name, case_id, "crash", repr(exc)))
    svc.close()


@pytest.mark.slow
def test_one_process_wins_when_two_race_with_same_expected_version(
    svc: CaseService, org: Org, db_url: str, clock: FakeClock
) -> None:
    cases = [case_in(svc, org, "reviewed") for _ in range(ROUNDS)]
    events = count_rows(svc, "events")
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    ids = [c.id for c in cases]
    children = [
        ctx.Process(
            target=race_in_child, args=(db_url, clock.now(), ids, 3, barrier, results, name)
        )
        for name in ("first", "second")
    ]
    for child in children:
        child.start()
    try:
        outcomes = [results.get(timeout=TIMEOUT) for _ in range(2 * ROUNDS)]
    except queue.Empty:
        pytest.fail("a child process did not report in time")
    finally:
        for child in children:
            child.join(TIMEOUT)
            if child.is_alive():
                child.kill()
    assert [c.exitcode for c in children] == [0, 0]

    for case in cases:
        mine = sorted(outcome[2:] for outcome in outcomes if outcome[1] == case.id)
        assert [kind for kind, _ in mine] == ["ConcurrencyConflict", "won"], mine
        stored = svc.get_case(org.county, case.id)
        assert (stored.state, stored.row_version) == ("provisionally_approved", 4)
    assert count_rows(svc, "events") == events + ROUNDS
