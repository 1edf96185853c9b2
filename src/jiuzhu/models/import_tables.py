"""Bringing an existing caseload in: import jobs and the outcome of every row imported.

A job is one source file of one kind (``households`` or ``cases``), found again by the file's
SHA-256, so running the same file twice adds nothing.  ``import_rows`` keeps, for every row
of that file, what became of it: the household, person or case it added or linked, or why it
was refused.  Rows are committed in chunks; after an interruption a new run starts after the
last row recorded.  Ids only: no name or ID number is kept here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from .types import UTCDateTime


class ImportJobRecord(SQLModel, table=True):
    __tablename__ = "import_jobs"
    __table_args__ = (UniqueConstraint("kind", "file_sha256", name="uq_import_jobs_kind_sha"),)

    id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=16)  # households | cases
    file_sha256: str = Field(max_length=64)
    file_name: str = Field(max_length=255)
    state: str = Field(max_length=16)  # queued | running | done | failed
    rows_total: int
    rows_done: int
    rows_refused: int
    added_households: int
    added_persons: int
    linked_persons: int
    added_cases: int
    actor_role: str = Field(max_length=32)
    actor_org: str = Field(max_length=32)
    actor_user: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class ImportRowRecord(SQLModel, table=True):
    """What became of row ``row_no`` (1 = the header) of a source file."""

    __tablename__ = "import_rows"
    # look-ups of a chunk: a household by its source key; a person or case this file added
    __table_args__ = (Index("ix_import_rows_kind_key", "kind", "source_key"),
                      Index("ix_import_rows_person_id", "person_id"),
                      Index("ix_import_rows_case_id", "case_id"))  # fmt: skip

    file_sha256: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)
    row_no: int = Field(primary_key=True)
    job_id: str = Field(foreign_key="import_jobs.id", max_length=36)
    outcome: str = Field(max_length=16)  # added | linked | refused
    source_key: str | None = Field(default=None, max_length=64)  # the source's household key
    household_id: str | None = Field(default=None, max_length=36)
    person_id: str | None = Field(default=None, max_length=36)
    case_id: str | None = Field(default=None, max_length=36)
    refused_column: str | None = Field(default=None, max_length=64)  # the column refused
    reason_zh: str | None = Field(default=None, max_length=500)
    reason_en: str | None = Field(default=None, max_length=500)


IMPORT_TABLES = (ImportJobRecord, ImportRowRecord)
