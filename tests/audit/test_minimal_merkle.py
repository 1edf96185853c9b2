"""The minimal verifier, written from docs/audit-format.md §8 alone, agrees with jiuzhu's
Merkle log, notes and case proofs: what jiuzhu makes it accepts, what is tampered it rejects."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.minimal_verifier import (
    merkle_leaf,
    verify_case_proof,
    verify_checkpoint_note,
    verify_consistency_proof,
    verify_inclusion_proof,
)
from jiuzhu.audit.leaves import credit_leaf, event_leaf, ledger_leaf, record_leaf
from jiuzhu.audit.merkle import ListSource, leaf_hash
from jiuzhu.audit.note import (
    COSIGNATURE_V1,
    add_cosignature,
    checkpoint_body,
    raw_public_key,
    sign_note,
    vkey,
)
from jiuzhu.audit.proofs import (
    case_proof,
    check_case_proof,
    consistency_json,
    inclusion_json,
)
from jiuzhu.errors import InvalidInput

ORIGIN = "jiuzhu.example/county-320922"
WITNESS = "witness.example/w1"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(33, 65)))
LOG_VKEY = vkey(ORIGIN, raw_public_key(LOG_KEY))
WITNESS_VKEY = vkey(WITNESS, raw_public_key(WITNESS_KEY), COSIGNATURE_V1)
CASE = "0b9f3c1e-0000-4000-8000-000000000001"
OTHER = "0b9f3c1e-0000-4000-8000-000000000002"


def event_hash(case_id: str, seq: int) -> str:
    return hashlib.sha256(f"{case_id}/{seq}".encode()).hexdigest()


def other_digit(digest: str) -> str:
    return ("0" if digest[0] != "0" else "1") + digest[1:]


def build_log() -> tuple[list[bytes], dict[int, int]]:
    """A log mixing two cases' events with ledger, credit and registry leaves; returns the leaf
    data and, for CASE, seq -> leaf index."""
    data: list[bytes] = []
    where: dict[int, int] = {}
    for seq in range(1, 8):
        data.append(record_leaf("person", {"id": f"p{seq}", "name": "张三"}).data)
        data.append(event_leaf(OTHER, seq, event_hash(OTHER, seq)).data)
        where[seq] = len(data)
        data.append(event_leaf(CASE, seq, event_hash(CASE, seq)).data)
        data.append(ledger_leaf(CASE, seq, 1, "grant", 50_000, "2026-01-05", "2026-01", None).data)
        data.append(credit_leaf(CASE, seq, f"p{seq}", "fraud", "2026-01-05").data)
    return data, where


def signed_checkpoint(source: ListSource, size: int, cosign: bool = True) -> str:
    text = sign_note(checkpoint_body(ORIGIN, size, source.subtree(0, size)), ORIGIN, LOG_KEY)
    return add_cosignature(text, WITNESS, WITNESS_KEY, 1_790_000_000) if cosign else text


@pytest.fixture(scope="module")
def log() -> tuple[list[bytes], dict[int, int], ListSource]:
    data, where = build_log()
    return data, where, ListSource([leaf_hash(d) for d in data])


def test_leaf_data_is_the_canonical_json_of_the_documented_objects() -> None:
    assert event_leaf(CASE, 3, "ab" * 32).data == (
        f'{{"case_id":"{CASE}","hash":"{"ab" * 32}","seq":3,"t":"event"}}'.encode()
    )
    leaf = json.loads(record_leaf("person", {"id": "p1", "name": "张三"}).data)
    assert set(leaf) == {"t", "id", "record"} and "张三" not in json.dumps(leaf, ensure_ascii=False)
    stored = json.dumps({"id": "p1", "name": "张三"}, sort_keys=True, separators=(",", ":"),
                        ensure_ascii=False).encode()  # fmt: skip
    assert leaf["record"] == hashlib.sha256(stored).hexdigest()
    assert merkle_leaf(b"x") == leaf_hash(b"x")


def test_inclusion_and_consistency_proofs_from_jiuzhu_verify(log) -> None:  # type: ignore[no-untyped-def]
    data, _, source = log
    n = len(data)
    for size in range(1, n + 1):
        top = source.subtree(0, size)
        for index in range(size):
            proof = inclusion_json(index, size, source)
            assert verify_inclusion_proof(proof, leaf_hash(data[index]), top) == []
        for old in range(0, size + 1):
            proof = consistency_json(old, size, source)
            assert verify_consistency_proof(proof, source.subtree(0, old), top) == [], (old, size)


def test_tampered_proofs_are_rejected(log) -> None:  # type: ignore[no-untyped-def]
    data, _, source = log
    n = len(data)
    top = source.subtree(0, n)
    proof = inclusion_json(10, n, source)
    leaf = leaf_hash(data[10])
    bad = [
        {**proof, "leaf_index": 11}, {**proof, "tree_size": 11}, {**proof, "leaf_index": n},
        {**proof, "hashes": proof["hashes"][:-1]}, {**proof, "hashes": [*proof["hashes"], "0" * 64]},
        {**proof, "hashes": [proof["hashes"][0].upper(), *proof["hashes"][1:]]},
        {**proof, "hashes": [other_digit(proof["hashes"][0]), *proof["hashes"][1:]]},
        {**proof, "leaf_index": "10"}, {**proof, "leaf_index": True}, {"hashes": []},
    ]  # fmt: skip
    for item in bad:
        assert verify_inclusion_proof(item, leaf, top), (bad.index(item), item)
    assert verify_inclusion_proof(proof, leaf_hash(data[11]), top)
    cons = consistency_json(13, n, source)
    old = source.subtree(0, 13)
    assert verify_consistency_proof(cons, old, top) == []
    for item in [{**cons, "old_size": 12}, {**cons, "old_size": 14}, {**cons, "new_size": 14},
                 {**cons, "old_size": n + 1}, {**cons, "hashes": cons["hashes"][1:]},
                 {**cons, "hashes": cons["hashes"][:-1]}, {**cons, "hashes": "ab"}]:  # fmt: skip
        assert verify_consistency_proof(item, old, top), item
    assert verify_consistency_proof(cons, source.subtree(0, 12), top)
    assert verify_consistency_proof(cons, old, source.subtree(0, n - 1))
    empty = hashlib.sha256(b"").digest()
    assert verify_consistency_proof({"old_size": 0, "new_size": n, "hashes": []}, empty, top) == []
    assert verify_consistency_proof({"old_size": 0, "new_size": n, "hashes": []}, old, top)
    assert verify_consistency_proof({"old_size": n, "new_size": n, "hashes": []}, top, top) == []
    assert verify_consistency_proof({"old_size": n, "new_size": n, "hashes": []}, old, top)


def test_a_signed_and_cosigned_checkpoint_verifies(log) -> None:  # type: ignore[no-untyped-def]
    data, _, source = log
    text = signed_checkpoint(source, len(data))
    checkpoint, problems = verify_checkpoint_note(text, LOG_VKEY, (WITNESS_VKEY,))
    assert problems == []
    assert checkpoint == {"origin": ORIGIN, "size": len(data), "root": source.subtree(0, len(data)),
                          "cosigned": {WITNESS: 1_790_000_000}}  # fmt: skip


def test_bad_checkpoints_are_rejected(log) -> None:  # type: ignore[no-untyped-def]
    data, _, source = log
    n = len(data)
    text = signed_checkpoint(source, n)
    stranger = Ed25519PrivateKey.from_private_bytes(bytes(range(65, 97)))
    stranger_vkey = vkey(ORIGIN, raw_public_key(stranger))
    _, problems = verify_checkpoint_note(text, stranger_vkey, ())
    assert problems == ["checkpoint: not signed by the log's key"]
    altered = text.replace(f"\n{n}\n", f"\n{n - 1}\n")
    _, problems = verify_checkpoint_note(altered, LOG_VKEY, (WITNESS_VKEY,))
    assert "checkpoint: the log's signature does not verify" in problems
    assert f"checkpoint: no valid cosignature by {WITNESS}" in problems
    _, problems = verify_checkpoint_note(signed_checkpoint(source, n, cosign=False), LOG_VKEY,
                                         (WITNESS_VKEY,))  # fmt: skip
    assert problems == [f"checkpoint: no valid cosignature by {WITNESS}"]
    # a cosignature moved onto another checkpoint
    moved = signed_checkpoint(source, n - 1, cosign=False) + text.splitlines(keepends=True)[-1]
    _, problems = verify_checkpoint_note(moved, LOG_VKEY, (WITNESS_VKEY,))
    assert f"checkpoint: a cosignature by {WITNESS} does not verify" in problems
    body = checkpoint_body(ORIGIN, n, source.subtree(0, n))
    for bad in [body, body + "\n", text.replace("\u2014", "-"), text.replace(f"\n{n}\n", f"\n0{n}\n"),
                text.replace(f"\n{n}\n", f"\n+{n}\n"), text.rstrip("\n"), text.replace("=\n\n", "\n\n")]:  # fmt: skip
        checkpoint, problems = verify_checkpoint_note(bad, LOG_VKEY, ())
        assert checkpoint is None and problems, bad


def test_a_case_proof_bundle_from_jiuzhu_verifies(log) -> None:  # type: ignore[no-untyped-def]
    data, where, source = log
    text = signed_checkpoint(source, len(data))
    events = [(seq, event_hash(CASE, seq), where[seq]) for seq in sorted(where)]
    bundle = case_proof(CASE, text, events, source)
    bundle = json.loads(json.dumps(bundle))  # as a third party receives it
    assert verify_case_proof(bundle, LOG_VKEY, (WITNESS_VKEY,)) == []
    log_key = raw_public_key(LOG_KEY)
    cosigners = [(WITNESS, raw_public_key(WITNESS_KEY))]
    assert check_case_proof(bundle, ORIGIN, log_key, cosigners) == []


def test_tampered_case_proofs_are_rejected_by_both(log) -> None:  # type: ignore[no-untyped-def]
    data, where, source = log
    text = signed_checkpoint(source, len(data))
    events = [(seq, event_hash(CASE, seq), where[seq]) for seq in sorted(where)]
    good = json.loads(json.dumps(case_proof(CASE, text, events, source)))
    log_key = raw_public_key(LOG_KEY)

    def tampered(change) -> dict:  # type: ignore[no-untyped-def]
        bundle = copy.deepcopy(good)
        change(bundle)
        return bundle

    cases = [
        lambda b: b.update(case_id=OTHER),
        lambda b: b["events"][2].update(hash=event_hash(CASE, 9)),
        lambda b: b["events"][2].update(leaf_index=b["events"][2]["leaf_index"] + 1),
        lambda b: b["events"].pop(2),
        lambda b: b["events"].reverse(),
        lambda b: b["events"][0]["proof"].pop(),
        lambda b: b.update(checkpoint=signed_checkpoint(source, len(data) - 1)),
        lambda b: b.update(checkpoint=b["checkpoint"].replace(f"\n{len(data)}\n", "\n40\n")),
    ]
    for number, change in enumerate(cases):
        bundle = tampered(change)
        assert verify_case_proof(bundle, LOG_VKEY), number
        assert check_case_proof(bundle, ORIGIN, log_key), number
    for change in [lambda b: b.update(format_version=2), lambda b: b.pop("events"),
                   lambda b: b["events"][0].update(seq="1")]:  # fmt: skip
        bundle = tampered(change)
        assert verify_case_proof(bundle, LOG_VKEY)
        with pytest.raises(InvalidInput):
            check_case_proof(bundle, ORIGIN, log_key)
    with pytest.raises(InvalidInput, match="root"):
        case_proof(CASE, signed_checkpoint(ListSource([leaf_hash(b"x")]), 1), events, source)
