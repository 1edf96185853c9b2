"""Audit checkpoints: a chain of signed roots over the heads of every case's hash chain.

A checkpoint covers every event whose id is at most ``high_water``: it records, in
``audit_checkpoint_heads``, the head (last seq and hash) of each case whose chain grew since the
checkpoint before, and a root hash over those lines.  Each checkpoint names the hash of the one
before, so the latest checkpoint commits to the heads of every case at every checkpoint.  Both
tables are append-only.  See ``jiuzhu.audit.checkpoint`` and ``docs/audit-format.md``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from .tables import _instant, _serial


class CheckpointRecord(SQLModel, table=True):
    __tablename__ = "audit_checkpoints"

    id: int | None = _serial()
    number: int = Field(unique=True)  # 1, 2, 3 ... in the order they were taken
    taken_at: datetime = _instant()
    high_water: int = Field(sa_column=Column(BigInteger, nullable=False))  # max events.id covered
    cases: int
    events: int = Field(sa_column=Column(BigInteger, nullable=False))
    changed: int  # head lines recorded with this checkpoint
    root: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    taken_by: str = Field(max_length=64)
    public_key: str | None = Field(default=None, max_length=64)  # Ed25519, hex
    signature: str | None = Field(default=None, max_length=128)  # hex


class CheckpointHeadRecord(SQLModel, table=True):
    __tablename__ = "audit_checkpoint_heads"
    __table_args__ = (
        UniqueConstraint("checkpoint", "case_id", name="uq_checkpoint_heads_case"),
        Index("ix_checkpoint_heads_case", "case_id", "checkpoint"),
    )

    id: int | None = _serial()
    checkpoint: int = Field(sa_column=Column(Integer, nullable=False))  # the checkpoint number
    case_id: str = Field(max_length=36)
    seq: int
    hash: str = Field(max_length=64)


AUDIT_TABLES = (CheckpointRecord, CheckpointHeadRecord)
