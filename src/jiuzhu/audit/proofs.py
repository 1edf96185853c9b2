"""What the Merkle log's leaves hold, and the JSON forms of its proofs and case proof bundles
(``docs/audit-format.md`` §8).

What each leaf holds is :mod:`.leaves`'s.
Hashes are 64 lowercase hex digits in JSON and raw bytes in :mod:`.merkle`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..errors import InvalidInput
from .leaves import event_leaf
from .merkle import (
    NodeSource,
    consistency_proof,
    inclusion_proof,
    verify_inclusion,
)
from .note import Note, open_note, parse_checkpoint, verify_cosignature, verify_note

CASE_PROOF_FORMAT = "jiuzhu-case-proof"
CASE_PROOF_VERSION = 1
_HEX = re.compile(r"[0-9a-f]{64}")


def hex_hashes(hashes: Sequence[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def parse_hashes(values: Any, what: str) -> list[bytes]:
    if not isinstance(values, list) or not all(
        isinstance(v, str) and _HEX.fullmatch(v) for v in values
    ):
        raise InvalidInput(f"{what} must be a list of hashes, each 64 lowercase hex digits",
                           f"{what}应为哈希列表，每个为 64 位小写十六进制")  # fmt: skip
    return [bytes.fromhex(v) for v in values]


def inclusion_json(index: int, size: int, source: NodeSource) -> dict[str, Any]:
    hashes = hex_hashes(inclusion_proof(index, size, source))
    return {"leaf_index": index, "tree_size": size, "hashes": hashes}


def consistency_json(old: int, new: int, source: NodeSource) -> dict[str, Any]:
    hashes = hex_hashes(consistency_proof(old, new, source))
    return {"old_size": old, "new_size": new, "hashes": hashes}


def case_proof(case_id: str, checkpoint_note: str, events: Sequence[tuple[int, str, int]],
               source: NodeSource) -> dict[str, Any]:  # fmt: skip
    """The case proof bundle for ``events`` = (seq, hash, leaf index) of one case, against the
    signed checkpoint ``checkpoint_note`` (whose size and root ``source`` must give)."""
    checkpoint = parse_checkpoint(open_note(checkpoint_note).body)
    if source.subtree(0, checkpoint.size) != checkpoint.root:
        raise InvalidInput("the checkpoint's root is not the log's root at its size",
                           "检查点的根哈希与日志在该大小时的根哈希不符")  # fmt: skip
    rows = [{"seq": seq, "hash": digest, "leaf_index": index,
             "proof": hex_hashes(inclusion_proof(index, checkpoint.size, source))}
            for seq, digest, index in events]  # fmt: skip
    return {"format": CASE_PROOF_FORMAT, "format_version": CASE_PROOF_VERSION,
            "case_id": case_id, "checkpoint": checkpoint_note, "events": rows}  # fmt: skip


def check_case_proof(bundle: dict[str, Any], log_name: str, log_key: bytes | str,
                     cosigners: Sequence[tuple[str, bytes | str]] = ()) -> list[str]:  # fmt: skip
    """The problems of a case proof bundle (empty when it holds): signature, cosignatures,
    the events' order and every inclusion proof."""
    _check_shape(bundle)
    note: Note = open_note(bundle["checkpoint"])
    problems = [] if verify_note(note, log_name, log_key) else ["checkpoint: not signed by the log"]
    for name, key in cosigners:
        if verify_cosignature(note, name, key) is None:
            problems.append(f"checkpoint: no valid cosignature by {name}")
    checkpoint = parse_checkpoint(note.body)
    last_index = -1
    for number, event in enumerate(bundle["events"], 1):
        if event["seq"] != number or event["leaf_index"] <= last_index:
            problems.append(f"event {event['seq']}: out of order")
        last_index = event["leaf_index"]
        proof = parse_hashes(event["proof"], "an event's proof")
        leaf = event_leaf(bundle["case_id"], event["seq"], event["hash"]).hash
        if not verify_inclusion(event["leaf_index"], checkpoint.size, leaf, proof,
                                checkpoint.root):  # fmt: skip
            problems.append(f"event {event['seq']}: not in the log at its leaf index")
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_shape(bundle: Any) -> None:
    """Refuse a bundle whose members are missing or of the wrong type."""
    ok = (isinstance(bundle, dict) and bundle.get("format") == CASE_PROOF_FORMAT
          and bundle.get("format_version") == CASE_PROOF_VERSION
          and isinstance(bundle.get("case_id"), str) and isinstance(bundle.get("checkpoint"), str)
          and isinstance(bundle.get("events"), list))  # fmt: skip
    if not ok:
        raise InvalidInput("not a case proof bundle: expected format 'jiuzhu-case-proof', "
                           "format_version 1, case_id, checkpoint and events",
                           "不是案件证明包：应含 format、format_version、case_id、checkpoint、events")  # fmt: skip
    for event in bundle["events"]:
        if not (isinstance(event, dict) and _is_int(event.get("seq"))
                and _is_int(event.get("leaf_index")) and isinstance(event.get("hash"), str)
                and _HEX.fullmatch(event["hash"]) and isinstance(event.get("proof"), list)):  # fmt: skip
            raise InvalidInput("each event of a case proof bundle has seq, hash (64 lowercase "
                               "hex digits), leaf_index and proof",
                               "案件证明包的每个事件应含 seq、hash（64 位小写十六进制）、leaf_index、proof")  # fmt: skip
