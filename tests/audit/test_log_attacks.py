"""Attacks by an insider with write access, made after a checkpoint, each caught by the Merkle
log (both databases).

Each attack runs in a transaction without the append-only guards (``tamper.tampered``), as the
owner of the database could make it, and is verified and rolled back.  None of these was found
before the log: the per-case chains and the head checkpoints cover only what a checkpoint had
seen, and neither covered the registry.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import Org, case_in
from sqlalchemy import Connection, select
from tamper import delete_case, tampered

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit.chain import event_hash
from jiuzhu.audit.checkpoint import generate_key, load_private_key, take_checkpoint
from jiuzhu.audit.verify import verify_connection
from jiuzhu.models import log_sql
from jiuzhu.models import rows as store


@pytest.fixture
def after_checkpoint(svc: CaseService, org: Org, clock: FakeClock) -> dict[str, str]:
    """A revoked case (credit record, ledger), a checkpoint, then a paying case opened after."""
    from jiuzhu.scheduler.sweep import sweep

    revoked = case_in(svc, org, "revoked").id
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test")
    clock.advance(timedelta(days=1))
    later = case_in(svc, org, "provisionally_approved").id
    sweep(svc, worker="test", now=clock.now())
    with svc.engine.connect() as conn:
        assert not verify_connection(conn).breaks
    return {"revoked": revoked, "later": later}


def log_breaks(conn: Connection) -> list[str]:
    return [b.detail for b in verify_connection(conn).breaks if b.kind == "log"]


def head(conn: Connection, case_id: str) -> Any:
    e = store.events
    query = select(e).where(e.c.case_id == case_id).order_by(e.c.seq.desc()).limit(1)
    return conn.execute(query).one()


def test_a_forged_payment_after_the_checkpoint_has_no_leaf(
    svc: CaseService, after_checkpoint: dict[str, str]
) -> None:
    case_id = after_checkpoint["later"]
    with tampered(svc) as conn:
        last = head(conn, case_id)
        payload = {"period": "2024-04", "allowance_fen": 90_000}
        fields = {"case_id": case_id, "seq": last.seq + 1, "type": "pay_allowance",
                  "payload": payload, "actor": {"org": "320922", "role": "system"},
                  "occurred_at": "2024-04-01T00:00:00.000000Z", "prev_hash": last.hash}  # fmt: skip
        digest = event_hash(**fields)
        conn.execute(store.events.insert(), {
            "case_id": case_id, "seq": last.seq + 1, "type": "pay_allowance", "payload": payload,
            "actor_role": "system", "actor_org": "320922", "actor_user": None,
            "occurred_at": last.occurred_at + timedelta(days=10), "prev_hash": last.hash,
            "hash": digest, "idempotency_key": None})  # fmt: skip
        conn.execute(store.cases.update().where(store.cases.c.id == case_id)
                     .values(last_seq=last.seq + 1, head_hash=digest))  # fmt: skip
        found = log_breaks(conn)
    assert any(f"event {case_id}/{last.seq + 1} is not in the log" in d for d in found)


def test_a_newer_case_deleted_whole_is_still_in_the_log(
    svc: CaseService, after_checkpoint: dict[str, str]
) -> None:
    with tampered(svc) as conn:
        delete_case(conn, after_checkpoint["later"])
        found = log_breaks(conn)
    later = after_checkpoint["later"]
    assert any(d.startswith(f"event {later}/1 ") and "no longer stored as logged" in d
               for d in found)  # fmt: skip


def test_a_newer_case_rechained_no_longer_matches_its_leaves(
    svc: CaseService, after_checkpoint: dict[str, str]
) -> None:
    case_id = after_checkpoint["later"]
    e = store.events
    with tampered(svc) as conn:
        rows = conn.execute(select(e).where(e.c.case_id == case_id).order_by(e.c.seq)).all()
        prev = "0" * 64
        for row in rows:  # rewrite the first event's payload, then re-chain every event
            payload = {**row.payload, "note": "rewritten"} if row.seq == 1 else row.payload
            actor = {"role": row.actor_role, "org": row.actor_org,
                     **({"user": row.actor_user} if row.actor_user else {})}  # fmt: skip
            digest = event_hash(case_id=case_id, seq=row.seq, type=row.type, payload=payload,
                                actor=actor, occurred_at=_iso(row.occurred_at), prev_hash=prev)  # fmt: skip
            conn.execute(e.update().where(e.c.id == row.id)
                         .values(payload=payload, prev_hash=prev, hash=digest))  # fmt: skip
            prev = digest
        found = log_breaks(conn)
    assert any(f"event {case_id}/1 is not in the log" in d for d in found)


def _iso(instant: Any) -> str:
    from jiuzhu.clock import iso_utc

    return iso_utc(instant)


@pytest.mark.parametrize(
    ("what", "statement"),
    [
        ("token", "UPDATE api_tokens SET role = 'county'"),
        (
            "person",
            "UPDATE persons SET id_number = '320922199001010000' WHERE id = "
            "(SELECT person_id FROM credit_records LIMIT 1)",
        ),
        (
            "org_unit",
            "UPDATE org_units SET parent_id = '320922100', "  # to the other township
            "path = '320922/320922100/320922101001' WHERE id = '320922101001'",
        ),
        ("user", "UPDATE users SET role = 'admin', org = NULL"),
    ],
    ids=["token_promoted", "id_number_swapped", "village_moved", "user_promoted"],
)
def test_a_registry_change_behind_jiuzhus_back_differs_from_its_leaf(
    svc: CaseService, org: Org, after_checkpoint: dict[str, str], tmp_path: Path, what: str,
    statement: str,
) -> None:  # fmt: skip
    from jiuzhu.api.tokens import create_token

    create_token(svc.engine, svc.clock, role="village", org=org.villages[0].org, note="village")
    svc.create_user(org.admin, username="clerk", display_name="村干部", role="village",
                    org=org.villages[0].org, password="a long enough password 123")  # fmt: skip
    with tampered(svc) as conn:
        assert conn.exec_driver_sql(statement).rowcount >= 1
        found = log_breaks(conn)
    assert any(d.startswith(what) and "changed outside jiuzhu" in d for d in found), found


def test_a_rewritten_log_no_longer_has_its_checkpoints_root(
    svc: CaseService, after_checkpoint: dict[str, str]
) -> None:
    from jiuzhu.audit.leaves import event_leaf

    with tampered(svc) as conn:  # rewrite leaf 0 consistently: data and hash
        leaf = event_leaf("forged", 1, "0" * 64)
        conn.exec_driver_sql(f"UPDATE log_leaves SET data = '{leaf.data.decode()}', "
                             f"hash = '{leaf.hash.hex()}' WHERE idx = 0")  # fmt: skip
        found = log_breaks(conn)
    assert any("do not have the root its checkpoint names" in d for d in found)


def test_leaves_removed_from_the_end_fall_short_of_the_checkpoint(
    svc: CaseService, after_checkpoint: dict[str, str]
) -> None:
    with tampered(svc) as conn:
        conn.exec_driver_sql("DELETE FROM log_leaves")
        conn.exec_driver_sql("UPDATE log_head SET size = 0")
        found = log_breaks(conn)
    assert any("leaves were removed" in d for d in found)


def test_an_unsigned_log_checkpoint_is_refused_when_the_agency_signs(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path
) -> None:
    public = generate_key(tmp_path / "agency.key")
    case_in(svc, org, "verified")
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test",
                    key=load_private_key(tmp_path / "agency.key"))  # fmt: skip
    clock.advance(timedelta(days=1))
    case_in(svc, org, "verified")
    take_checkpoint(svc.engine, now=clock.now(), taken_by="insider")  # no key: unsigned
    with svc.engine.connect() as conn:
        breaks = [b.detail for b in verify_connection(conn, trusted_key=public).breaks]
    assert any("is not signed by the trusted key" in d for d in breaks)


def test_a_stripped_signature_shows_without_the_trusted_key(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path
) -> None:
    generate_key(tmp_path / "agency.key")
    key = load_private_key(tmp_path / "agency.key")
    case_in(svc, org, "verified")
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test", key=key)
    clock.advance(timedelta(days=1))
    case_in(svc, org, "verified")
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test", key=key)
    with tampered(svc) as conn:  # the insider replaces the newest note by its unsigned body
        size, text = conn.exec_driver_sql(
            "SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1").one()  # fmt: skip
        conn.execute(log_sql.CHECKPOINTS.update().where(log_sql.CHECKPOINTS.c.size == size)
                     .values(note=text[: text.index("\n\n") + 1]))  # fmt: skip
        breaks = [b.detail for b in verify_connection(conn).breaks]
    assert any("a signature was stripped or replaced" in d for d in breaks), breaks
