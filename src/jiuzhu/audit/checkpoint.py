"""Checkpoints: a chain of (optionally Ed25519-signed) roots over the heads of all case chains.

A checkpoint covers every event stored so far (``events.id`` up to its ``high_water``).  It
records one *head line* ``"<case_id> <seq> <hash>\\n"`` for each case whose chain grew since
the checkpoint before (new cases included), and its ``root`` is the SHA-256 of those lines,
concatenated in ascending ``case_id`` order.  Its document (every field but the hash and the
signature) is hashed as RFC 8785 JSON, and names the hash of the checkpoint before, so the
latest checkpoint commits to the head of every case at every checkpoint: a case deleted whole,
a chain cut short or rewritten, a head line dropped -- all are found against it.  An attacker
with write access can recompute unsigned checkpoints; a signature made with a key kept away
from the database (and an auditor who knows its public key) closes that door.
``docs/audit-format.md`` specifies all of this for third parties.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from ..clock import iso_utc
from ..errors import InvalidInput
from ..models import audit_sql as sql
from ..models.audit_tables import CheckpointRecord
from ..models.dialect import dialect_of
from .breaks import Break
from .canonical import canonical_bytes
from .chain import GENESIS
from .log import take_log_checkpoint

VERSION = 1
DOCUMENT_FIELDS = ("number", "taken_at", "high_water", "cases", "events", "changed", "root",
                   "prev_hash", "taken_by")  # fmt: skip
INSERT_BATCH = 5000
CHECKPOINTS: Table = CheckpointRecord.__table__  # type: ignore[attr-defined]


def head_line(case_id: str, seq: int, digest: str) -> bytes:
    return f"{case_id} {seq} {digest}\n".encode()


def document(values: dict[str, Any]) -> dict[str, Any]:
    """The hashed and signed part of a checkpoint (``taken_at`` as ISO text)."""
    doc = {"v": VERSION, **{name: values[name] for name in DOCUMENT_FIELDS}}
    if isinstance(doc["taken_at"], datetime):
        doc["taken_at"] = iso_utc(doc["taken_at"])
    return doc


def document_hash(doc: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(doc)).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    number: int
    taken_at: str
    high_water: int
    cases: int
    events: int
    changed: int
    root: str
    prev_hash: str
    taken_by: str
    hash: str
    public_key: str | None = None
    signature: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**document(self.__dict__), "hash": self.hash, "public_key": self.public_key,
                "signature": self.signature}  # fmt: skip

    @classmethod
    def from_row(cls, row: Any) -> Checkpoint:
        values = dict(row._mapping)
        values["taken_at"] = iso_utc(values["taken_at"])
        return cls(**{name: values[name] for name in (*DOCUMENT_FIELDS, "hash", "public_key",
                                                     "signature")})  # fmt: skip


# -- keys and signatures ------------------------------------------------------------------------
def generate_key(path: Path) -> str:
    """Write a new Ed25519 private key (PEM, mode 0600) to ``path`` and its public key to
    ``path.pub``; return the public key as hex."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if path.exists():
        raise InvalidInput(f"{path} exists already; choose another file",
                           f"文件 {path} 已存在，请另选文件名")  # fmt: skip
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = key.public_key()
    Path(f"{path}.pub").write_bytes(public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))  # fmt: skip
    return _raw_hex(public)


def load_private_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidInput(f"cannot read the signing key {path}: {exc}",
                           f"无法读取签名私钥 {path}") from None  # fmt: skip
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path} is not an Ed25519 private key", f"{path} 不是 Ed25519 私钥")
    return key


def load_public_key(path: Path) -> str:
    """An Ed25519 public key file (PEM, or 64 hex characters) -> the key as hex."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the public key {path}: {exc.strerror}",
                           f"无法读取公钥 {path}") from None  # fmt: skip
    stripped = data.strip().decode("ascii", errors="replace")
    if len(stripped) == 64 and all(c in "0123456789abcdef" for c in stripped.lower()):
        return stripped.lower()
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(f"{path} is not an Ed25519 public key (PEM or 64 hex characters)",
                           f"{path} 不是 Ed25519 公钥")  # fmt: skip
    return _raw_hex(key)


def _raw_hex(public: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return str(raw.hex())


def sign(doc: dict[str, Any], key: Any) -> tuple[str, str]:
    """(public key hex, signature hex) over the canonical bytes of ``doc``."""
    return _raw_hex(key.public_key()), key.sign(canonical_bytes(doc)).hex()


def signature_ok(doc: dict[str, Any], public_hex: str, signature_hex: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        public.verify(bytes.fromhex(signature_hex), canonical_bytes(doc))
    except (ValueError, InvalidSignature):
        return False
    return True


# -- taking one ----------------------------------------------------------------------------------
def take_checkpoint(engine: Engine, *, now: datetime, taken_by: str,
                    key: Any = None) -> Checkpoint:  # fmt: skip
    """Take a checkpoint over every event stored now; sign it when ``key`` is given.

    Writers are held back for its duration (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a SHARE
    lock on ``events``, which also waits for writers already running), so that every event with
    an id up to the high-water mark is committed and none can join it later.
    """
    dialect = dialect_of(engine.dialect.name)
    with engine.connect() as conn:
        dialect.begin_write(conn)
        with conn.begin():
            sql.lock_for_checkpoint(conn, dialect)
            taken = _take(conn, now, taken_by, key)
    with engine.connect() as conn:  # the Merkle log's needs no lock (see jiuzhu.audit.log)
        dialect.begin_write(conn)
        with conn.begin():
            take_log_checkpoint(conn, now=now, taken_by=taken_by, key=key)
    return taken


def _take(conn: Connection, now: datetime, taken_by: str, key: Any) -> Checkpoint:
    prev = conn.execute(sql.LATEST_CHECKPOINT).first()
    number, low, prev_hash = (1, 0, GENESIS) if prev is None else (
        prev.number + 1, prev.high_water, prev.hash)  # fmt: skip
    high = conn.execute(sql.HIGH_WATER).scalar_one()
    high = max(int(high), low)
    cases, events = conn.execute(sql.COUNT_UP_TO, {"high": high}).one()
    hasher, changed, batch = hashlib.sha256(), 0, []
    for case_id, seq, digest in _grown_heads(conn, low, high):
        hasher.update(head_line(case_id, seq, digest))
        batch.append({"checkpoint": number, "case_id": case_id, "seq": seq, "hash": digest})
        changed += 1
        if len(batch) >= INSERT_BATCH:
            _insert_heads(conn, batch)
    _insert_heads(conn, batch)
    values = {"number": number, "taken_at": now, "high_water": high, "cases": int(cases),
              "events": int(events), "changed": changed, "root": hasher.hexdigest(),
              "prev_hash": prev_hash, "taken_by": taken_by}  # fmt: skip
    doc = document(values)
    public, signature = sign(doc, key) if key is not None else (None, None)
    row = {**values, "hash": document_hash(doc), "public_key": public, "signature": signature}
    conn.execute(CHECKPOINTS.insert(), row)
    return Checkpoint(**{**row, "taken_at": doc["taken_at"]})


def _grown_heads(conn: Connection, low: int, high: int) -> Iterable[tuple[str, int, str]]:
    """(case_id, seq, hash) of the new head of every case with events in (low, high]."""
    query = sql.grown_heads(dialect_of(conn.dialect.name)).execution_options(
        stream_results=True, yield_per=INSERT_BATCH
    )
    rows = conn.execute(query, {"low": low, "high": high})
    for case_id, seq, digest in rows:
        yield case_id, int(seq), digest


def _insert_heads(conn: Connection, batch: list[dict[str, Any]]) -> None:
    if batch:
        conn.execute(sql.INSERT_HEADS, batch)
        batch.clear()


def load_checkpoints(conn: Connection) -> list[Checkpoint]:
    rows = conn.execute(select(CHECKPOINTS).order_by(CHECKPOINTS.c.number))
    return [Checkpoint.from_row(row) for row in rows]


# -- checking the chain of checkpoints --------------------------------------------------------------
def checkpoint_breaks(checkpoints: Sequence[Checkpoint],
                      trusted_key: str | None = None) -> list[Break]:  # fmt: skip
    """Breaks of the checkpoints themselves: numbering, links, hashes, signatures."""
    found: list[Break] = []
    prev_hash, expected = GENESIS, 1
    for cp in checkpoints:
        doc = document(cp.__dict__)
        if cp.number != expected:
            found.append(Break("", expected, "checkpoint",
                               f"checkpoint {expected} is missing (next found: {cp.number})"))  # fmt: skip
        if cp.prev_hash != prev_hash:
            found.append(Break("", cp.number, "checkpoint",
                               "it does not name the hash of the checkpoint before"))  # fmt: skip
        if document_hash(doc) != cp.hash:
            found.append(Break("", cp.number, "checkpoint",
                               "its stored hash is not the hash of its contents"))  # fmt: skip
        found += _signature_breaks(cp, doc, trusted_key)
        prev_hash, expected = cp.hash, cp.number + 1
    return found


def _signature_breaks(cp: Checkpoint, doc: dict[str, Any],
                      trusted_key: str | None) -> list[Break]:  # fmt: skip
    if cp.signature is None or cp.public_key is None:
        if trusted_key is None:
            return []
        return [
            Break("", cp.number, "checkpoint", "it is not signed, but a signature was required")
        ]
    if not signature_ok(doc, cp.public_key, cp.signature):
        return [Break("", cp.number, "checkpoint", "its signature does not verify")]
    if trusted_key is not None and cp.public_key != trusted_key:
        return [Break("", cp.number, "checkpoint",
                      f"signed by key {cp.public_key[:16]}…, not by the trusted key")]  # fmt: skip
    return []
