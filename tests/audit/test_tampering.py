"""Every single alteration of each kind is detected, with its case, seq and kind (both databases).

A generated database (a case in every state of the fast track, a checkpoint, then more cases)
is tampered with one alteration at a time, inside a transaction that is verified and rolled
back, as an owner of the database could do it: with the append-only triggers out of the way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from helpers import STATES, Org, case_in
from sqlalchemy import Connection, and_, select
from tamper import delete_case, tampered

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.chain import event_hash
from jiuzhu.audit.checkpoint import take_checkpoint
from jiuzhu.audit.verify import verify_connection, verify_database
from jiuzhu.models import rows as store

events, cases = store.events, store.cases


@dataclass(frozen=True)
class Generated:
    covered: list[str]  # cases whose events a checkpoint covers
    later: list[str]  # cases opened after the checkpoint


@pytest.fixture
def generated(svc: CaseService, org: Org, clock: FakeClock) -> Generated:
    covered = [case_in(svc, org, state).id for state in STATES]
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test")
    clock.advance(timedelta(hours=1))
    later = [case_in(svc, org, state).id for state in ("verified", "rejected")]
    assert verify_database(svc.engine).ok
    return Generated(covered, later)


def found(conn: Connection) -> set[tuple[str, int, str]]:
    return {(b.case_id, b.seq, b.kind) for b in verify_connection(conn).breaks}


def event_rows(svc: CaseService, case_id: str) -> list[Any]:
    with svc.engine.connect() as conn:
        query = select(events).where(events.c.case_id == case_id).order_by(events.c.seq)
        return conn.execute(query).all()


def all_events(svc: CaseService, ids: list[str]) -> list[Any]:
    return [row for case_id in ids for row in event_rows(svc, case_id)]


def one(case_id: str, seq: int) -> Any:
    return and_(events.c.case_id == case_id, events.c.seq == seq)


def set_seq(conn: Connection, case_id: str, old: int, new: int) -> None:
    conn.execute(events.update().where(one(case_id, old)).values(seq=new))


# -- altered -----------------------------------------------------------------------------------
ALTER: dict[str, Callable[[Any], dict[str, Any]]] = {
    "payload": lambda ev: {"payload": {**ev.payload, "forged": 1}},
    "type": lambda ev: {"type": ev.type + "x"},
    "actor_org": lambda ev: {"actor_org": "320922101001"},
    "occurred_at": lambda ev: {"occurred_at": ev.occurred_at + timedelta(microseconds=1)},
    "prev_hash": lambda ev: {"prev_hash": "e" * 64},
    "hash": lambda ev: {"hash": "d" * 64},
}


@pytest.mark.parametrize("field", list(ALTER))
def test_every_altered_event_is_found_at_its_seq(svc: CaseService, generated: Generated,
                                                  field: str) -> None:  # fmt: skip
    for ev in all_events(svc, generated.covered + generated.later):
        with tampered(svc) as conn:
            conn.execute(events.update().where(one(ev.case_id, ev.seq)).values(**ALTER[field](ev)))
            assert (ev.case_id, ev.seq, "altered") in found(conn), (field, ev.seq)


def test_every_rehashed_event_is_found_by_its_successor_or_the_head(
    svc: CaseService, generated: Generated
) -> None:
    """A consistent rewrite: the event's hash recomputed after its payload changed."""
    for ev in all_events(svc, generated.covered + generated.later):
        payload = {**ev.payload, "forged": 1}
        actor = {"role": ev.actor_role, "org": ev.actor_org}
        new = event_hash(case_id=ev.case_id, seq=ev.seq, type=ev.type, payload=payload,
                         actor=actor | ({"user": ev.actor_user} if ev.actor_user else {}),
                         occurred_at=store.event_dict(ev)["occurred_at"],
                         prev_hash=ev.prev_hash)  # fmt: skip
        with tampered(svc) as conn:
            conn.execute(events.update().where(one(ev.case_id, ev.seq))
                         .values(payload=payload, hash=new))  # fmt: skip
            assert (ev.case_id, ev.seq, "altered") in found(conn)


# -- missing, inserted, reordered -----------------------------------------------------------------
def test_every_deleted_middle_event_is_missing(svc: CaseService, generated: Generated) -> None:
    for case_id in generated.covered + generated.later:
        rows = event_rows(svc, case_id)
        for ev in rows[:-1]:
            with tampered(svc) as conn:
                conn.execute(events.delete().where(one(case_id, ev.seq)))
                assert (case_id, ev.seq, "missing") in found(conn)
            with tampered(svc) as conn:  # and with the later events renumbered to close the gap
                conn.execute(events.delete().where(one(case_id, ev.seq)))
                for later in rows[ev.seq :]:
                    set_seq(conn, case_id, later.seq, later.seq - 1)
                assert (case_id, ev.seq, "missing") in found(conn)


def forged_after(prev: Any, seq: int) -> dict[str, Any]:
    doc = {"case_id": prev.case_id, "seq": seq, "type": "withdraw", "payload": {},
           "actor": {"role": "village", "org": prev.actor_org},
           "occurred_at": store.event_dict(prev)["occurred_at"], "prev_hash": prev.hash}  # fmt: skip
    return {"case_id": prev.case_id, "seq": seq, "type": "withdraw", "payload": {},
            "actor_role": "village", "actor_org": prev.actor_org,
            "occurred_at": prev.occurred_at, "prev_hash": prev.hash,
            "hash": event_hash(**doc)}  # fmt: skip


def test_every_insertion_is_found_where_it_was_made(svc: CaseService, generated: Generated) -> None:
    for case_id in generated.covered + generated.later:
        rows = event_rows(svc, case_id)
        for position in range(
            2, len(rows) + 2
        ):  # before each event after the first, and at the end
            with tampered(svc) as conn:
                for ev in reversed(rows[position - 1 :]):  # make room, last first
                    set_seq(conn, case_id, ev.seq, ev.seq + 1)
                conn.execute(events.insert().values(**forged_after(rows[position - 2], position)))
                assert (case_id, position, "inserted") in found(conn), position


def test_every_swap_of_two_events_is_reordered(svc: CaseService, generated: Generated) -> None:
    for case_id in generated.covered + generated.later:
        rows = event_rows(svc, case_id)
        for a, b in zip(rows, rows[1:], strict=False):
            with tampered(svc) as conn:
                set_seq(conn, case_id, a.seq, 0)
                set_seq(conn, case_id, b.seq, a.seq)
                set_seq(conn, case_id, 0, b.seq)
                assert {(case_id, a.seq, "reordered"), (case_id, b.seq, "reordered")} <= found(conn)


# -- truncated, deleted case (the checkpoint's part) ----------------------------------------------
def head_row_values(svc: CaseService, case_id: str, keep: int) -> dict[str, Any]:
    """The case row as it would read had the chain ended at ``keep`` (a careful forger)."""
    last = event_rows(svc, case_id)[keep - 1]
    return {"last_seq": keep, "row_version": keep, "head_hash": last.hash}


def test_every_cut_chain_is_truncated_even_with_its_row_rewritten(
    svc: CaseService, generated: Generated
) -> None:
    for case_id in generated.covered:
        rows = event_rows(svc, case_id)
        for keep in range(1, len(rows)):
            with tampered(svc) as conn:
                conn.execute(events.delete().where(and_(events.c.case_id == case_id,
                                                        events.c.seq > keep)))  # fmt: skip
                assert (case_id, keep + 1, "truncated") in found(conn)
                conn.execute(cases.update().where(cases.c.id == case_id)
                             .values(**head_row_values(svc, case_id, keep)))  # fmt: skip
                assert (case_id, keep + 1, "truncated") in found(conn)


def test_every_case_deleted_whole_is_found_by_the_checkpoint(
    svc: CaseService, generated: Generated
) -> None:
    for case_id in generated.covered:
        last = len(event_rows(svc, case_id))
        with tampered(svc) as conn:
            delete_case(conn, case_id)
            assert (case_id, last, "deleted_case") in found(conn)


def test_case_deleted_with_its_head_lines_breaks_the_checkpoint(
    svc: CaseService, generated: Generated
) -> None:
    case_id = generated.covered[0]
    with tampered(svc) as conn:
        delete_case(conn, case_id)
        conn.exec_driver_sql("DELETE FROM audit_checkpoint_heads WHERE case_id = "
                             f"'{case_id}'")  # fmt: skip
        breaks = found(conn)
    assert ("", 1, "checkpoint") in breaks  # the root and the counts no longer add up


def test_event_slipped_under_the_checkpoint_is_inserted(svc: CaseService,
                                                        generated: Generated) -> None:  # fmt: skip
    """A well-formed event appended with an id below the checkpoint's high-water mark."""
    case_id = generated.covered[0]
    rows = event_rows(svc, case_id)
    forged = forged_after(rows[-1], len(rows) + 1)
    with tampered(svc) as conn:
        conn.execute(events.insert().values(id=0, **forged))
        conn.execute(cases.update().where(cases.c.id == case_id).values(
            last_seq=len(rows) + 1, head_hash=forged["hash"]))  # fmt: skip
        assert (case_id, len(rows) + 1, "inserted") in found(conn)


# -- projections and the checkpoint itself --------------------------------------------------------
@pytest.mark.parametrize(("column", "value"), [("state", "forged_state"), ("row_version", 99),
                                               ("org_path", "320922/x")])  # fmt: skip
def test_every_edited_case_row_differs_from_its_replay(svc: CaseService, generated: Generated,
                                                       column: str, value: Any) -> None:  # fmt: skip
    for case_id in generated.covered + generated.later:
        with tampered(svc) as conn:
            conn.execute(cases.update().where(cases.c.id == case_id).values({column: value}))
            kinds = {kind for cid, _, kind in found(conn) if cid == case_id}
            assert "projection_differs" in kinds or "altered" in kinds


@pytest.mark.parametrize("column", ["root", "prev_hash", "events", "hash"])
def test_edited_checkpoint_is_found(svc: CaseService, generated: Generated, column: str) -> None:
    value: Any = 7 if column == "events" else "a" * 64
    with tampered(svc) as conn:
        conn.exec_driver_sql(f"UPDATE audit_checkpoints SET {column} = "
                             f"{value if isinstance(value, int) else repr(value)}")  # fmt: skip
        assert ("", 1, "checkpoint") in found(conn)


def test_nothing_is_found_when_nothing_was_touched(svc: CaseService, generated: Generated) -> None:
    with tampered(svc) as conn:
        assert found(conn) == set()


# -- money: ledger rows and credit records ---------------------------------------------------------
@pytest.fixture
def paid_and_revoked(svc: CaseService, org: Org, clock: FakeClock) -> str:
    """A case paid its first month, a medical bill, then revoked: ledger rows and a credit row."""
    from jiuzhu.scheduler.sweep import sweep

    case = case_in(svc, org, "provisionally_approved", size=2)  # two persons in the household
    sweep(svc, worker="tamper", now=clock.now())
    svc.record_medical_bill(org.township, case.id, billed_on="2024-03-15", total="1000",
                            hospital="医院")  # fmt: skip
    svc.record_verification(org.county, case.id, result="falsification", reason="隐瞒收入")
    assert verify_database(svc.engine).ok
    return case.id


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE ledger_entries SET amount_fen = amount_fen + 1 WHERE kind = 'allowance'",
        "UPDATE ledger_entries SET kind = 'write_off' WHERE kind = 'recovery'",
        "DELETE FROM ledger_entries WHERE kind = 'medical'",
        "UPDATE credit_records SET reason = '无'",
        "UPDATE credit_records SET person_id = (SELECT p.id FROM persons p "
        "WHERE p.id <> credit_records.person_id ORDER BY p.id LIMIT 1)",
        "DELETE FROM credit_records",
    ],
    ids=["amount", "kind", "deleted_entry", "credit_reason", "credit_person", "credit_deleted"],
)
def test_every_altered_ledger_or_credit_row_differs_from_its_replay(
    svc: CaseService, paid_and_revoked: str, tamper: str
) -> None:
    with tampered(svc) as conn:
        conn.exec_driver_sql(tamper)
        assert (paid_and_revoked, 5 + 2, "projection_differs") in found(conn)
