"""The per-case hash chain (pure: no I/O).

``hash = SHA-256(canonical JSON of {v, case_id, seq, type, payload, actor, occurred_at,
prev_hash})``; the first event of a case has ``prev_hash`` = 64 zeros.  Changing any value in a
stored event, removing one, inserting one or swapping two breaks the chain at that point.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .canonical import canonical_bytes

GENESIS = "0" * 64
SCHEMA_VERSION = 1


def event_document(
    *,
    case_id: str,
    seq: int,
    type: str,
    payload: dict[str, Any],
    actor: dict[str, str],
    occurred_at: str,
    prev_hash: str,
) -> dict[str, Any]:
    return {
        "v": SCHEMA_VERSION,
        "case_id": case_id,
        "seq": seq,
        "type": type,
        "payload": payload,
        "actor": actor,
        "occurred_at": occurred_at,
        "prev_hash": prev_hash,
    }


def event_hash(**fields: Any) -> str:
    return hashlib.sha256(canonical_bytes(event_document(**fields))).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    case_id: str
    seq: int
    kind: str  # altered | gap | prev_mismatch | head_mismatch
    detail: str

    def __str__(self) -> str:
        return f"case {self.case_id} seq {self.seq}: {self.kind} ({self.detail})"


def verify_chain(case_id: str, events: Iterable[dict[str, Any]]) -> Iterator[ChainBreak]:
    """Yield every break in one case's events, given in ``seq`` order.

    Each event is a mapping with the fields of :func:`event_document` plus ``hash``.
    """
    prev = GENESIS
    expected_seq = 1
    for ev in events:
        seq = ev["seq"]
        if seq != expected_seq:
            yield ChainBreak(case_id, seq, "gap", f"expected seq {expected_seq}, found {seq}")
        if ev["prev_hash"] != prev:
            yield ChainBreak(
                case_id, seq, "prev_mismatch", "prev_hash does not name the event before"
            )
        recomputed = event_hash(
            case_id=case_id,
            seq=seq,
            type=ev["type"],
            payload=ev["payload"],
            actor=ev["actor"],
            occurred_at=ev["occurred_at"],
            prev_hash=ev["prev_hash"],
        )
        if recomputed != ev["hash"]:
            yield ChainBreak(
                case_id, seq, "altered", "stored hash differs from the recomputed hash"
            )
        prev = ev["hash"]
        expected_seq = seq + 1
