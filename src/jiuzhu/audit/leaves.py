"""The leaves of the Merkle log: what each stored change contributes, as canonical JSON.

Every event, ledger entry, credit record and registry change becomes one leaf, appended in the
transaction that writes it (so a row written behind the application's back has no leaf, and a
row changed behind its back no longer matches its leaf).  A leaf's data is the RFC 8785 text of
a small object; ``docs/audit-format.md`` ("The Merkle log") specifies each:

- ``{"t":"event","case_id","seq","hash"}`` -- the event's hash covers its content;
- ``{"t":"ledger","case_id","seq","line","kind","amount_fen","booked_on","period","ref"}``;
- ``{"t":"credit","case_id","seq","person_id","reason","recorded_on"}``;
- ``{"t": KIND, "id", "record"}`` for a registry record (a person, household, organisation
  unit, user account, API token or provider), ``record`` being the SHA-256 of the canonical
  JSON of its stored fields: a person's leaf reveals nothing about the person.

A :class:`Leaf` also carries ``kind`` and ``ref`` (which row it stands for), for the checks
that compare the log with the tables.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..clock import iso_utc
from .canonical import canonical_bytes

# registry kinds -> (table, key column, the fields a leaf covers; None: every column)
REGISTRY: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "org_unit": ("org_units", "id", None),
    "household": ("households", "id", None),
    "person": ("persons", "id", None),
    "provider": ("providers", "id", None),
    # sign-in bookkeeping (password hash, failed attempts, last sign-in) is not a grant
    "user": (
        "users",
        "username",
        ("username", "display_name", "role", "org", "provider", "disabled_at", "created_at"),
    ),  # fmt: skip
    "token": ("api_tokens", "id", None),
}
ROW_KINDS = ("event", "ledger", "credit")


@dataclass(frozen=True)
class Leaf:
    kind: str
    ref: str
    data: bytes

    @property
    def hash(self) -> bytes:
        """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
        return hashlib.sha256(b"\x00" + self.data).digest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _safe(text: str) -> bool:
    """Text that canonical JSON writes as itself between quotes (ids, hex digests)."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def event_leaf(case_id: str, seq: int, digest: str) -> Leaf:
    seq = int(seq)
    if isinstance(case_id, str) and isinstance(digest, str) and _safe(case_id) and _safe(digest):
        # the canonical text itself (members in key order): verify builds one per stored event
        data = f'{{"case_id":"{case_id}","hash":"{digest}","seq":{seq},"t":"event"}}'.encode()
    else:
        data = canonical_bytes({"t": "event", "case_id": case_id, "seq": seq, "hash": digest})
    return Leaf("event", f"{case_id}/{seq}", data)


def ledger_leaf(case_id: str, seq: int, line: int, kind: str, amount_fen: int,
                booked_on: date | str, period: str | None, ref: str | None) -> Leaf:  # fmt: skip
    doc = {"t": "ledger", "case_id": case_id, "seq": int(seq), "line": int(line), "kind": kind,
           "amount_fen": int(amount_fen), "booked_on": _plain(booked_on), "period": period,
           "ref": ref}  # fmt: skip
    return Leaf("ledger", f"{case_id}/{seq}/{line}", canonical_bytes(doc))


def credit_leaf(case_id: str, seq: int, person_id: str, reason: str,
                recorded_on: date | str) -> Leaf:  # fmt: skip
    doc = {"t": "credit", "case_id": case_id, "seq": int(seq), "person_id": person_id,
           "reason": reason, "recorded_on": _plain(recorded_on)}  # fmt: skip
    return Leaf("credit", f"{case_id}/{seq}", canonical_bytes(doc))


def record_digest(kind: str, row: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of the fields of ``row`` a ``kind`` leaf covers."""
    fields = REGISTRY[kind][2] or tuple(row)
    return hashlib.sha256(canonical_bytes({n: _plain(row[n]) for n in fields})).hexdigest()


def record_leaf(kind: str, row: Mapping[str, Any]) -> Leaf:
    key = str(row[REGISTRY[kind][1]])
    doc = {"t": kind, "id": key, "record": record_digest(kind, row)}
    return Leaf(kind, key, canonical_bytes(doc))


def entry_leaves(entries: Sequence[Any]) -> list[Leaf]:
    """Leaves of ledger entries (``jiuzhu.ledger.Entry`` or rows with the same fields)."""
    return [ledger_leaf(e.case_id, e.seq, e.line, e.kind, e.amount_fen, e.booked_on, e.period,
                        e.ref) for e in entries]  # fmt: skip
