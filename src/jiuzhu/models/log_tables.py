"""The Merkle log's tables: its leaves, its size, the stored subtree hashes, its checkpoints.

``log_leaves`` holds one row per leaf, numbered from 0 in commit order: the transaction that
writes an event, a ledger entry, a credit record or a registry change appends its leaves last,
after taking the next numbers from the single row of ``log_head`` (so leaves are numbered in
the order their transactions commit, without gaps).  ``log_nodes`` keeps the hash of every
complete subtree of 256, 65,536, ... leaves, written when a checkpoint is taken, so that proofs
need a few reads.  ``log_checkpoints`` keeps each checkpoint as its signed note.  Leaves,
nodes and checkpoints are append-only.  See ``jiuzhu.audit.log`` and ``docs/audit-format.md``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, Text
from sqlmodel import Field, SQLModel

from .tables import _instant, _serial


class LogLeafRecord(SQLModel, table=True):
    __tablename__ = "log_leaves"
    __table_args__ = (Index("ix_log_leaves_kind_ref", "kind", "ref"),)

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=16)  # event | ledger | credit | person | household | ...
    ref: str = Field(max_length=120)  # which row: case/seq, case/seq/line, or the record's id
    hash: str = Field(max_length=64)  # hex of SHA-256(0x00 || data)
    data: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON


class LogHeadRecord(SQLModel, table=True):
    __tablename__ = "log_head"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))


class LogNodeRecord(SQLModel, table=True):
    __tablename__ = "log_nodes"

    level: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: str = Field(max_length=64)


class LogCheckpointRecord(SQLModel, table=True):
    __tablename__ = "log_checkpoints"

    id: int | None = _serial()
    size: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    root: str = Field(max_length=64)
    note: str = Field(sa_column=Column(Text, nullable=False))  # signed note text
    taken_at: datetime = _instant()
    taken_by: str = Field(max_length=64)


LOG_TABLES = ("log_leaves", "log_head", "log_nodes", "log_checkpoints")
