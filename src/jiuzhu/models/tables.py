"""The tables (SQLModel).  Personal data lives only in ``persons``; events carry ids.

Table names are plural (``case`` is an SQL keyword).  States are plain strings checked against
the workflow, not SQL enums (an Enum column stores member names and Alembic misses new values).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from .types import UTCDateTime


def _serial() -> Any:
    # BIGINT on PostgreSQL; INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
    big = BigInteger().with_variant(Integer, "sqlite")
    return Field(default=None, sa_column=Column(big, primary_key=True, autoincrement=True))


def _instant(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class OrgUnitRecord(SQLModel, table=True):
    """County ⊃ township ⊃ village; ``path`` is the chain of ids from the county down."""

    __tablename__ = "org_units"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    level: str = Field(max_length=16)  # county | township | village
    parent_id: str | None = Field(default=None, foreign_key="org_units.id", max_length=32)
    path: str = Field(max_length=200, index=True)
    created_at: datetime = _instant()


class HouseholdRecord(SQLModel, table=True):
    __tablename__ = "households"

    id: str = Field(primary_key=True, max_length=36)
    village_id: str = Field(foreign_key="org_units.id", max_length=32, index=True)
    created_at: datetime = _instant()


class PersonRecord(SQLModel, table=True):
    """A household member.  Name and ID number are personal data: never put them in events."""

    __tablename__ = "persons"

    id: str = Field(primary_key=True, max_length=36)
    household_id: str = Field(foreign_key="households.id", max_length=36, index=True)
    name: str = Field(max_length=100)
    id_number: str = Field(max_length=18, unique=True)
    relation: str = Field(max_length=32)
    created_at: datetime = _instant()


class CaseRecord(SQLModel, table=True):
    """The stored projection of a case; its events are the truth, replay rebuilds this row."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_org_state", "org_path", "state"),
        Index("ix_cases_case_no", "case_no", unique=True),
    )

    id: str = Field(primary_key=True, max_length=36)
    workflow: str = Field(max_length=32)
    workflow_version: int
    state: str = Field(max_length=32, index=True)
    row_version: int
    programme: str = Field(max_length=32)
    household_id: str = Field(foreign_key="households.id", max_length=36, index=True)
    village_id: str = Field(foreign_key="org_units.id", max_length=32)
    org_path: str = Field(max_length=200)
    expenditure_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    monthly_amount_fen: int | None = Field(default=None, sa_column=Column(BigInteger))
    facts: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    deadlines: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    last_seq: int
    head_hash: str = Field(max_length=64)
    opened_at: datetime = _instant()
    updated_at: datetime = _instant()
    # the number people say on the phone: <county>-<year>-<serial>, e.g. 320922-2024-000123
    case_no: str = Field(max_length=32)


class EventRecord(SQLModel, table=True):
    """One link of a case's hash chain.  Append-only: never updated, never deleted."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),)

    id: int | None = _serial()
    case_id: str = Field(foreign_key="cases.id", max_length=36)
    seq: int
    type: str = Field(max_length=32)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    actor_role: str = Field(max_length=32)
    actor_org: str = Field(max_length=32)
    actor_user: str | None = Field(default=None, max_length=64)
    occurred_at: datetime = _instant()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    idempotency_key: str | None = Field(default=None, max_length=128, unique=True)


class DeadlineRecord(SQLModel, table=True):
    """A durable deadline, written in the transaction of the transition that starts it."""

    __tablename__ = "deadlines"
    __table_args__ = (Index("ix_deadlines_status_due", "status", "due_at"),)

    id: int | None = _serial()
    case_id: str = Field(foreign_key="cases.id", max_length=36, index=True)
    kind: str = Field(max_length=64)  # e.g. verification_due, visit_due/<plan id>
    due_at: datetime = _instant()
    status: str = Field(max_length=16)  # pending | claimed | fired | cancelled | done
    opened_seq: int
    closed_seq: int | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _instant(nullable=True)
    fired_at: datetime | None = _instant(nullable=True)


class LedgerEntryRecord(SQLModel, table=True):
    """One money movement under a case, caused by event ``seq`` of that case.  Append-only.

    Amounts are positive integer fen; the ``kind`` says which way the money goes (see
    ``jiuzhu.ledger``).  A balance is a sum.  ``period`` is the month (YYYY-MM) an allowance
    pays for, or the month of the entry a recovery line recovers.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", "line", name="uq_ledger_case_seq_line"),
        # one allowance per case and month, one recovery line per paid month
        UniqueConstraint("case_id", "kind", "period", name="uq_ledger_case_kind_period"),
        CheckConstraint("amount_fen > 0", name="ck_ledger_amount_positive"),
        Index("ix_ledger_org_kind", "org_path", "kind"),
    )

    id: int | None = _serial()
    case_id: str = Field(foreign_key="cases.id", max_length=36, index=True)
    seq: int
    line: int
    kind: str = Field(max_length=24)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    period: str | None = Field(default=None, max_length=7)
    ref: str | None = Field(default=None, max_length=64)
    booked_on: date = Field(sa_column=Column(Date, nullable=False))
    org_path: str = Field(max_length=200)
    created_at: datetime = _instant()


class HouseholdMonthRecord(SQLModel, table=True):
    """One household's allowance of one programme for one month, and the case that was paid it.

    Written in the transaction that books the ``allowance`` ledger line (F's "one assistance
    chain per household": one allowance per programme, household and month).  The primary key
    is the rule: a second case paying the same month fails its transaction, even when two
    processes pay at the same moment.  ``programme`` is the case's programme (``cases.
    programme``): the fast track's dibao and the standard path's dibao are one programme.
    """

    __tablename__ = "household_months"

    household_id: str = Field(primary_key=True, foreign_key="households.id", max_length=36)
    programme: str = Field(primary_key=True, max_length=32)
    period: str = Field(primary_key=True, max_length=7)  # YYYY-MM
    case_id: str = Field(foreign_key="cases.id", max_length=36, index=True)
    seq: int  # the event of that case that paid the month
    created_at: datetime = _instant()


class CreditRecord(SQLModel, table=True):
    """A credit-record entry (信用记录) after falsification: person, case, reason, date."""

    __tablename__ = "credit_records"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_credit_case_seq"),)

    id: int | None = _serial()
    person_id: str = Field(foreign_key="persons.id", max_length=36, index=True)
    case_id: str = Field(foreign_key="cases.id", max_length=36, index=True)
    seq: int
    reason: str = Field(max_length=500)
    recorded_on: date = Field(sa_column=Column(Date, nullable=False))
    created_at: datetime = _instant()


class CommandKeyRecord(SQLModel, table=True):
    """An idempotency key, scoped to the unit that gave it, with a digest of its command.

    The same key from the same unit with the same arguments answers with the first result; with
    other arguments, or for another command or case, it is refused.  Keys of events written
    before this table (``events.idempotency_key``) were copied here without a digest.
    """

    __tablename__ = "command_keys"
    __table_args__ = (UniqueConstraint("org", "key", name="uq_command_keys_org_key"),)

    id: int | None = _serial()
    org: str = Field(max_length=32)  # the actor's unit
    key: str = Field(max_length=128)
    digest: str | None = Field(default=None, max_length=64)  # of the command and arguments
    case_id: str = Field(foreign_key="cases.id", max_length=36)
    seq: int
    type: str = Field(max_length=32)  # the trigger the command fired
    created_at: datetime = _instant()


class CaseNumberCounterRecord(SQLModel, table=True):
    """The last case number serial given out per county and (Shanghai) year.

    Opening a case increments its row in the opening transaction, so numbers are serial
    without gaps: a rolled-back opening gives its number back.
    """

    __tablename__ = "case_number_counters"

    county: str = Field(primary_key=True, max_length=32)
    year: int = Field(primary_key=True)
    last: int


class PersonDigestRecord(SQLModel, table=True):
    """The ID-number index: HMAC-SHA256 of a person's ID number under the database's secret.

    Search by ID number looks the digest up here, so no plain ID number is stored outside
    ``persons``.
    """

    __tablename__ = "person_digests"

    person_id: str = Field(primary_key=True, foreign_key="persons.id", max_length=36)
    digest: str = Field(max_length=64, unique=True)


class PersonalDataReadRecord(SQLModel, table=True):
    """Who read whose personal data (a name or an unmasked ID number), when and why.

    Ids only, never the name or the number read.
    """

    __tablename__ = "personal_data_reads"

    id: int | None = _serial()
    read_at: datetime = _instant()
    actor_role: str = Field(max_length=32)
    actor_org: str = Field(max_length=32)
    actor_user: str | None = Field(default=None, max_length=64)
    person_id: str = Field(foreign_key="persons.id", max_length=36, index=True)
    purpose: str = Field(max_length=32)


TABLES = (OrgUnitRecord, HouseholdRecord, PersonRecord, CaseRecord, EventRecord, DeadlineRecord,
          LedgerEntryRecord, HouseholdMonthRecord, CreditRecord, CommandKeyRecord,
          CaseNumberCounterRecord, PersonDigestRecord, PersonalDataReadRecord)  # fmt: skip
metadata = SQLModel.metadata
