"""The Merkle log: every write appends its leaves in commit order, checkpoints name the tree's
root, and proofs computed from the database verify (both databases)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from helpers import STATES, Org, case_in
from sqlalchemy import func, select

from jiuzhu import CaseService, FakeClock
from jiuzhu.audit import merkle, note
from jiuzhu.audit.checkpoint import generate_key, load_private_key, take_checkpoint
from jiuzhu.audit.leaves import Leaf
from jiuzhu.audit.log import DatabaseSource, latest_checkpoint, origin, store_nodes
from jiuzhu.audit.verify import verify_database
from jiuzhu.models import log_sql
from jiuzhu.models.tables import metadata


def leaf_rows(svc: CaseService) -> list[tuple[int, str, str]]:
    with svc.engine.connect() as conn:
        return [(r.idx, r.kind, r.hash) for r in log_sql.leaf_rows(conn)]


def count(svc: CaseService, table: str) -> int:
    with svc.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(
            metadata.tables[table])).scalar_one())  # fmt: skip


def test_every_write_appends_its_leaves_numbered_without_gaps(svc: CaseService, org: Org) -> None:
    for state in STATES:
        case_in(svc, org, state)
    leaves = leaf_rows(svc)
    assert [idx for idx, _, _ in leaves] == list(range(len(leaves)))
    kinds = [kind for _, kind, _ in leaves]
    assert kinds.count("event") == count(svc, "events") > 0
    assert kinds.count("ledger") == count(svc, "ledger_entries")
    assert kinds.count("credit") == count(svc, "credit_records")
    assert kinds.count("org_unit") == count(svc, "org_units") == 7
    assert kinds.count("person") == count(svc, "persons")
    assert kinds.count("household") == count(svc, "households")
    with svc.engine.connect() as conn:
        assert log_sql.size(conn) == len(leaves)
    assert verify_database(svc.engine).ok


def test_an_events_leaf_follows_the_registry_rows_it_needs(svc: CaseService, org: Org) -> None:
    case_in(svc, org, "applied")
    kinds = [kind for _, kind, _ in leaf_rows(svc)]
    assert kinds.index("household") < kinds.index("event")
    assert kinds.index("org_unit") < kinds.index("household")


def test_checkpoint_is_a_signed_note_over_the_root_of_every_leaf(
    svc: CaseService, org: Org, clock: FakeClock, tmp_path: Path
) -> None:
    public = generate_key(tmp_path / "agency.key")
    key = load_private_key(tmp_path / "agency.key")
    for state in ("verified", "revoked"):
        case_in(svc, org, state)
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test", key=key)
    with svc.engine.connect() as conn:
        cp, name = latest_checkpoint(conn), origin(conn)
    assert cp is not None and name.startswith("jiuzhu.local/log/")
    hashes = [bytes.fromhex(h) for _, _, h in leaf_rows(svc)]
    assert cp.size == len(hashes) and cp.root == merkle.root(hashes)
    opened = note.open_note(cp.note)
    assert note.parse_checkpoint(opened.body).root == cp.root
    assert note.verify_note(opened, name, public)
    assert verify_database(svc.engine, trusted_key=public).ok


def test_proofs_from_the_database_verify_against_two_checkpoints(
    svc: CaseService, org: Org, clock: FakeClock
) -> None:
    case_in(svc, org, "verified")
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test")
    with svc.engine.connect() as conn:
        old = latest_checkpoint(conn)
    clock.advance(timedelta(days=2))
    case_in(svc, org, "revoked")
    take_checkpoint(svc.engine, now=clock.now(), taken_by="test")
    with svc.engine.connect() as conn:
        new = latest_checkpoint(conn)
        assert old is not None and new is not None and new.size > old.size
        source = DatabaseSource(conn, new.size)
        for index in (0, old.size - 1, old.size, new.size - 1):
            leaf = source.leaves(index, index + 1)[0]
            proof = merkle.inclusion_proof(index, new.size, source)
            assert merkle.verify_inclusion(index, new.size, leaf, proof, new.root)
            assert not merkle.verify_inclusion(index, new.size, leaf, proof, old.root)
        proof = merkle.consistency_proof(old.size, new.size, source)
        assert merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)


def synthetic(n: int) -> list[Leaf]:
    return [Leaf("event", f"synthetic/{i}", hashlib.sha256(str(i).encode()).hexdigest().encode())
            for i in range(n)]  # fmt: skip


def test_stored_subtree_hashes_give_the_same_roots_and_proofs(svc: CaseService) -> None:
    leaves = synthetic(70_000)  # past one stored node of 2**16 leaves
    with svc.engine.begin() as conn:
        log_sql.flush(conn, leaves)
        size = log_sql.size(conn)
        written = store_nodes(conn, size)
    reference = merkle.ListSource([leaf.hash for leaf in leaves])
    assert size == len(leaves) and written == size // 256 + size // 65536
    with svc.engine.connect() as conn:
        source = DatabaseSource(conn, size)
        for end in (1, 255, 256, 257, 65_536, 65_537, size):
            assert source.subtree(0, end) == reference.subtree(0, end)
        for index in (0, 300, 65_535, 65_536, size - 1):
            assert merkle.inclusion_proof(index, size, source) == merkle.inclusion_proof(
                index, size, reference)  # fmt: skip
        assert merkle.consistency_proof(1_000, size, source) == merkle.consistency_proof(
            1_000, size, reference)  # fmt: skip
