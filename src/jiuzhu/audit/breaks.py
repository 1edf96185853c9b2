"""What is wrong with one case's stored chain, classified (pure: no I/O).

Every event names its own ``seq`` and the hash of the event before, and its hash covers both.
So an event that was moved still carries its original position: recomputing its hash with
another ``seq`` tells where it came from.  From that, each break gets one kind:

``altered``
    the event's content (or its stored hash) is not what was hashed, or the next event names
    another hash for it (it was rewritten and re-hashed);
``missing``
    an event of the chain is gone (a gap in the sequence, or later events renumbered to close it);
``inserted``
    an event that was never part of the chain sits in it (later events renumbered to make room,
    or appended after the head that the case row or a checkpoint records);
``reordered``
    events were swapped: each still hashes correctly at another position of the same chain;
``truncated``
    the chain ends before the head that the case row or a checkpoint records;
``deleted_case``
    a case whose events are all gone (its row or a checkpoint still names it);
``projection_differs``
    the stored case row (or its open deadlines) differs from what replaying the events gives;
``checkpoint``
    a checkpoint itself is broken (hash, link to the one before, signature, root or counts);
``log``
    the Merkle log is broken, or a stored row disagrees with it (``jiuzhu.audit.log``);
``stuck_claim``
    a due deadline held by a claim with a lease longer than any worker is given, or held long
    past its lease: it does not fire (a database only; see ``claims.py``);
``manifest``
    an export's manifest is unsigned while a trusted key was given, signed by another key, or
    edited after it was signed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .canonical import CanonicalJSONError
from .chain import GENESIS, SCHEMA_VERSION, event_hash

KINDS = ("altered", "missing", "inserted", "reordered", "truncated", "deleted_case",
         "projection_differs", "checkpoint", "log", "stuck_claim", "manifest")  # fmt: skip
KIND_LABELS = {
    "altered": "篡改 altered",
    "missing": "缺失 missing",
    "inserted": "插入 inserted",
    "reordered": "乱序 reordered",
    "truncated": "截断 truncated",
    "deleted_case": "整案删除 deleted case",
    "projection_differs": "投影不符 projection differs",
    "checkpoint": "检查点 checkpoint",
    "log": "默克尔日志 Merkle log",
    "stuck_claim": "期限被占用 stuck claim",
    "manifest": "导出清单 manifest",
}


@dataclass(frozen=True)
class Break:
    """One problem: the case, the sequence number it concerns, its kind and a sentence."""

    case_id: str  # "" for a checkpoint break (then ``seq`` is the checkpoint number)
    seq: int
    kind: str
    detail: str

    def __str__(self) -> str:
        if self.case_id:
            where = f"case {self.case_id} seq {self.seq}"
        else:
            where = f"checkpoint {self.seq}" if self.kind == "checkpoint" else "export"
        return f"{where}: {self.kind} ({self.detail})"


def rehash(ev: dict[str, Any], seq: int) -> str:
    """The hash ``ev`` would have if it sat at ``seq`` (its stored ``prev_hash`` kept); "" for
    content that has no canonical form (a float, a lone surrogate: never hashed by jiuzhu)."""
    try:
        return _event_hash(ev, seq)
    except CanonicalJSONError:
        return ""


def _event_hash(ev: dict[str, Any], seq: int) -> str:
    return event_hash(case_id=ev["case_id"], seq=seq, type=ev["type"], payload=ev["payload"],
                      actor=ev["actor"], occurred_at=ev["occurred_at"],
                      prev_hash=ev["prev_hash"])  # fmt: skip


_SORTED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                           sort_keys=True)  # fmt: skip


def hashes_as_stored(ev: dict[str, Any]) -> bool:
    """Quick check that ``ev`` hashes to its stored hash.

    For the values jiuzhu writes, the canonical form is JSON with sorted keys, which the C
    encoder produces without the validating walk of :mod:`.canonical`.  A match proves the
    event is intact (equal hashes mean equal bytes, and equal JSON text means equal values);
    on a mismatch the exact canonical form decides (:func:`rehash`).
    """
    doc = {"v": SCHEMA_VERSION, "case_id": ev["case_id"], "seq": ev["seq"], "type": ev["type"],
           "payload": ev["payload"], "actor": ev["actor"], "occurred_at": ev["occurred_at"],
           "prev_hash": ev["prev_hash"]}  # fmt: skip
    try:
        text = _SORTED.encode(doc)
    except (TypeError, ValueError):
        return False
    stored: str = ev["hash"]
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() == stored


def intact(events: Sequence[dict[str, Any]]) -> bool:
    """True when the events are exactly seq 1..n, each hashing correctly and linked to the last."""
    prev = GENESIS
    for position, ev in enumerate(events, 1):
        if ev["seq"] != position or ev["prev_hash"] != prev:
            return False
        if not hashes_as_stored(ev) and rehash(ev, position) != ev["hash"]:
            return False
        prev = ev["hash"]
    return True


def chain_breaks(case_id: str, events: Sequence[dict[str, Any]]) -> tuple[list[Break], int]:
    """Every break inside one case's events (given in stored ``seq`` order), classified, and the
    last position the events were hashed at (where the chain really ends)."""
    if intact(events):
        return [], len(events)
    seqs = [ev["seq"] for ev in events]
    origins = [_origin(ev, seqs) for ev in events]
    # an altered event keeps its place; a moved one is placed where it was hashed
    placed = [ev["seq"] if o is None else o for ev, o in zip(events, origins, strict=True)]
    moved = [o is not None and o != ev["seq"] for ev, o in zip(events, origins, strict=True)]
    moved_seqs = sorted(ev["seq"] for ev, m in zip(events, moved, strict=True) if m)
    moved_from = sorted(o for o, m in zip(placed, moved, strict=True) if m)
    permutation = bool(moved_seqs) and moved_seqs == moved_from
    found: list[Break] = []
    for ev, origin, was_moved in zip(events, origins, moved, strict=True):
        if origin is None:
            found.append(Break(case_id, ev["seq"], "altered",
                               "the event's content is not what its hash covers"))  # fmt: skip
        elif was_moved and permutation:
            found.append(Break(case_id, ev["seq"], "reordered",
                               f"this event was hashed as seq {origin}"))  # fmt: skip
    if not permutation:
        found += _inserted(case_id, events, placed, moved, set(moved_from))
    found += [Break(case_id, s, "missing", "no stored event was hashed at this position")
              for s in range(1, max(placed) + 1) if s not in set(placed)]  # fmt: skip
    found += _links(case_id, events, origins, moved, found)
    return found, max(placed)


def _origin(ev: dict[str, Any], seqs: Sequence[int]) -> int | None:
    """The position ``ev`` was hashed at: its own seq, a neighbour's, another in the chain."""
    seq: int = ev["seq"]
    if rehash(ev, seq) == ev["hash"]:
        return seq
    candidates = [seq - 1, seq + 1, *sorted(set(seqs) | {max(seqs) + 1})]
    for other in candidates:
        if other >= 1 and other != seq and rehash(ev, other) == ev["hash"]:
            return other
    return None


def _inserted(case_id: str, events: Sequence[dict[str, Any]], placed: list[int],
              moved: list[bool], moved_from: set[int]) -> list[Break]:  # fmt: skip
    """An unmoved event at a position that a moved event was hashed at was slipped in."""
    out, seen = [], set()
    for ev, at, was_moved in zip(events, placed, moved, strict=True):
        seq = ev["seq"]
        slipped_in = not was_moved and (seq in moved_from or placed.count(at) > 1)
        if slipped_in and seq not in seen:
            seen.add(seq)
            out.append(Break(case_id, seq, "inserted",
                             "this event takes the place of another that was moved on"))  # fmt: skip
    return out


def _links(case_id: str, events: Sequence[dict[str, Any]], origins: list[int | None],
           moved: list[bool], found: list[Break]) -> list[Break]:  # fmt: skip
    """A well-hashed event that names another hash than the event before: that one was rewritten."""
    flagged = {b.seq for b in found}
    out = []
    prev: dict[str, Any] | None = None
    for ev, origin, was_moved in zip(events, origins, moved, strict=True):
        seq = ev["seq"]
        expected = GENESIS if prev is None else prev["hash"]
        explained = (
            origin is None or was_moved or seq in flagged or seq - 1 in flagged
            or (prev is not None and prev["seq"] != seq - 1)
        )  # fmt: skip
        if ev["prev_hash"] != expected and not explained:
            at = prev["seq"] if prev is not None else seq
            out.append(Break(case_id, at, "altered",
                             f"seq {seq} names another hash for the event before it"))  # fmt: skip
        prev = ev
    return out
