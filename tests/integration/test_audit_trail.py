"""The audit trail on each database: append-only events, the hash chain, verify and replay.

Tampering needs the append-only guard out of the way, as an attacker with owner rights would
do it: on SQLite ``DROP TRIGGER``, on PostgreSQL ``ALTER TABLE ... DISABLE TRIGGER`` (switched
on again in the same transaction; the ``postgres_url`` fixture also restores it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from helpers import PATH_TO, STATES, Org, case_in, open_case
from sqlalchemy import Connection, and_, select
from sqlalchemy.exc import DBAPIError

from jiuzhu import CaseService, NotFound
from jiuzhu.audit.chain import event_hash
from jiuzhu.audit.verify import replay_case, verify_database
from jiuzhu.clock import iso_utc
from jiuzhu.models import rows as store
from jiuzhu.service.views import CaseView

events, cases, deadlines = store.events, store.cases, store.deadlines


@contextmanager
def tampering(svc: CaseService) -> Iterator[Connection]:
    """A transaction in which events may be updated and deleted."""
    postgres = svc.engine.dialect.name == "postgresql"
    with svc.engine.begin() as conn:
        if postgres:
            conn.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER events_append_only")
        else:
            conn.exec_driver_sql("DROP TRIGGER events_no_update")
            conn.exec_driver_sql("DROP TRIGGER events_no_delete")
        yield conn
        if postgres:
            conn.exec_driver_sql("ALTER TABLE events ENABLE TRIGGER events_append_only")


def the_event(case_id: str, seq: int) -> Any:
    return and_(events.c.case_id == case_id, events.c.seq == seq)


def stored_event(svc: CaseService, case_id: str, seq: int) -> Any:
    with svc.engine.connect() as conn:
        return conn.execute(select(events).where(the_event(case_id, seq))).one()


def breaks_of(svc: CaseService) -> set[tuple[str, int, str]]:
    """The chain's breaks (the Merkle log's, which name the same rows, are checked in
    tests/audit/test_log_attacks.py)."""
    return {(b.case_id, b.seq, b.kind) for b in verify_database(svc.engine).breaks
            if b.kind != "log"}  # fmt: skip


def _changed(value: Any) -> Any:
    """A different value of the same kind (bool before int: a bool is an int)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return [*value, "x"]
    return {"forged": True}


def altered_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with one value changed: the one under its first key in sorted order."""
    key = sorted(payload)[0]
    return {**payload, key: _changed(payload[key])}


@pytest.fixture
def verified(svc: CaseService, org: Org) -> CaseView:
    """A verified case (5 events) next to an untouched withdrawn one."""
    case_in(svc, org, "withdrawn")
    return case_in(svc, org, "verified")


# -- healthy databases ------------------------------------------------------------------------


def test_verify_database_is_ok_when_nothing_was_touched(svc: CaseService, org: Org) -> None:
    for state in STATES:
        case_in(svc, org, state)
    report = verify_database(svc.engine)
    assert report.ok, [str(b) for b in report.breaks]
    assert report.cases == len(STATES)
    assert report.events == sum(1 + len(PATH_TO[state]) for state in STATES)


def test_verify_database_is_ok_when_database_empty(svc: CaseService) -> None:
    report = verify_database(svc.engine)
    assert (report.ok, report.cases, report.events) == (True, 0, 0)


def test_replay_case_matches_every_stored_case(svc: CaseService, org: Org) -> None:
    ids = [case_in(svc, org, state).id for state in STATES]
    for case_id in ids:
        result = replay_case(svc.engine, case_id)
        assert result.ok, result.differences
        assert result.expected["state"] == svc.get_case(org.county, case_id).state


def test_replay_case_raises_not_found_when_case_unknown(svc: CaseService) -> None:
    with pytest.raises(NotFound):
        replay_case(svc.engine, "3f2b8c1e-5d4a-4b6f-9c0d-1e2f3a4b5c6d")


# -- the append-only guard --------------------------------------------------------------------


def test_events_refuse_update_when_guard_in_place(svc: CaseService, verified: CaseView) -> None:
    with pytest.raises(DBAPIError, match="append-only"), svc.engine.begin() as conn:
        conn.execute(events.update().where(the_event(verified.id, 2)).values(type="withdraw"))
    assert stored_event(svc, verified.id, 2).type == "promise"


def test_events_refuse_delete_when_guard_in_place(svc: CaseService, verified: CaseView) -> None:
    with pytest.raises(DBAPIError, match="append-only"), svc.engine.begin() as conn:
        conn.execute(events.delete().where(the_event(verified.id, 5)))
    assert stored_event(svc, verified.id, 5).type == "verify"


# -- tampering with an event -------------------------------------------------------------------

TAMPERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "payload": lambda ev: {"payload": altered_payload(ev.payload)},
    "type": lambda ev: {"type": "withdraw" if ev.type != "withdraw" else "promise"},
    "actor_role": lambda ev: {"actor_role": "county" if ev.actor_role != "county" else "village"},
    "actor_org": lambda ev: {"actor_org": "320922101001"},
    "actor_user": lambda ev: {"actor_user": "intruder"},
    "occurred_at": lambda ev: {"occurred_at": ev.occurred_at + timedelta(seconds=1)},
    "prev_hash": lambda ev: {"prev_hash": "f" * 64},
    "hash": lambda ev: {"hash": "0" * 64},
}


@pytest.mark.parametrize("seq", [1, 3, 5], ids=["first", "middle", "last"])
@pytest.mark.parametrize("field", list(TAMPERS))
def test_verify_database_reports_case_and_seq_when_event_value_changed(
    svc: CaseService, verified: CaseView, field: str, seq: int
) -> None:
    original = stored_event(svc, verified.id, seq)
    with tampering(svc) as conn:
        conn.execute(
            events.update().where(the_event(verified.id, seq)).values(**TAMPERS[field](original))
        )
    assert getattr(stored_event(svc, verified.id, seq), field) != getattr(original, field)

    found = breaks_of(svc)

    # one break, at the changed event; the next event's dangling link is not a second one
    assert found == {(verified.id, seq, "altered")}


def test_verify_database_reports_truncated_when_last_event_deleted(
    svc: CaseService, verified: CaseView
) -> None:
    with tampering(svc) as conn:
        conn.execute(events.delete().where(the_event(verified.id, 5)))
    assert breaks_of(svc) == {(verified.id, 5, "truncated")}


def test_verify_database_reports_missing_when_middle_event_deleted(
    svc: CaseService, verified: CaseView
) -> None:
    with tampering(svc) as conn:
        conn.execute(events.delete().where(the_event(verified.id, 3)))
    assert breaks_of(svc) == {(verified.id, 3, "missing")}


def test_verify_database_reports_inserted_when_well_hashed_event_appended(
    svc: CaseService, verified: CaseView
) -> None:
    last = stored_event(svc, verified.id, 5)
    forged = {
        "case_id": verified.id,
        "seq": 6,
        "type": "withdraw",
        "payload": {},
        "actor": {"role": "village", "org": last.actor_org},
        "occurred_at": iso_utc(last.occurred_at),
        "prev_hash": last.hash,
    }
    with svc.engine.begin() as conn:  # appending needs no bypass: INSERT is allowed
        conn.execute(
            events.insert().values(
                case_id=verified.id,
                seq=6,
                type="withdraw",
                payload={},
                actor_role="village",
                actor_org=last.actor_org,
                occurred_at=last.occurred_at,
                prev_hash=last.hash,
                hash=event_hash(**forged),
            )
        )
    assert breaks_of(svc) == {(verified.id, 6, "inserted")}


# -- tampering with the projection ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("state", "revoked"),
        ("monthly_amount_fen", 999_999),
        ("expenditure_fen", 1),
        ("programme", "tekun"),
    ],
)
def test_verify_database_reports_projection_differs_when_case_row_edited(
    svc: CaseService, verified: CaseView, column: str, value: Any
) -> None:
    with svc.engine.begin() as conn:
        conn.execute(cases.update().where(cases.c.id == verified.id).values({column: value}))
    report = verify_database(svc.engine)
    assert [(b.case_id, b.seq, b.kind) for b in report.breaks] == [
        (verified.id, 5, "projection_differs")
    ]
    assert column in report.breaks[0].detail
    replayed = replay_case(svc.engine, verified.id)
    assert not replayed.ok
    assert [name for name, _, _ in replayed.differences] == [column]


def test_verify_database_reports_projection_differs_when_deadline_row_cancelled(
    svc: CaseService, org: Org
) -> None:
    case = case_in(svc, org, "provisionally_approved")
    with svc.engine.begin() as conn:
        conn.execute(
            deadlines.update().where(deadlines.c.case_id == case.id).values(status="cancelled")
        )
    found = verify_database(svc.engine).breaks
    assert [(b.case_id, b.kind) for b in found] == [(case.id, "projection_differs")]
    assert "open_deadline_rows" in found[0].detail
    assert [name for name, _, _ in replay_case(svc.engine, case.id).differences] == [
        "open_deadline_rows"
    ]


def test_replay_case_reports_difference_when_row_edited(svc: CaseService, org: Org) -> None:
    case = open_case(svc, org)
    assert replay_case(svc.engine, case.id).ok
    with svc.engine.begin() as conn:
        conn.execute(cases.update().where(cases.c.id == case.id).values(state="withdrawn"))
    result = replay_case(svc.engine, case.id)
    assert result.differences == [("state", "applied", "withdrawn")]
