"""one assistance chain per household: the months each household was paid, per programme

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

``household_months`` holds one row per (household, programme, month) paid, naming the case and
the event that paid it.  Its primary key is the rule (F: 一户一条救助链): a second case of the
household paying the same month fails its transaction.  The allowance lines booked before this
table are copied into it, the earliest line of a month first; a month that two cases were
already both paid keeps the first (the audit's findings show the other).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from jiuzhu.models.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLE = "household_months"
_cases = sa.table("cases", sa.column("id", sa.String), sa.column("household_id", sa.String),
                  sa.column("programme", sa.String))  # fmt: skip
_ledger = sa.table("ledger_entries", sa.column("id", sa.Integer),
                   sa.column("case_id", sa.String), sa.column("seq", sa.Integer),
                   sa.column("kind", sa.String), sa.column("period", sa.String),
                   sa.column("created_at", UTCDateTime()))  # fmt: skip
_months = sa.table(TABLE, sa.column("household_id", sa.String),
                   sa.column("programme", sa.String), sa.column("period", sa.String),
                   sa.column("case_id", sa.String), sa.column("seq", sa.Integer),
                   sa.column("created_at", UTCDateTime()))  # fmt: skip


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        TABLE,
        sa.Column("household_id", text(length=36), nullable=False),
        sa.Column("programme", text(length=32), nullable=False),
        sa.Column("period", text(length=7), nullable=False),
        sa.Column("case_id", text(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["households.id"]),
        sa.PrimaryKeyConstraint("household_id", "programme", "period"),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{TABLE}_case_id"), ["case_id"], unique=False)
    _copy_paid_months(op.get_bind())


def _copy_paid_months(conn: sa.Connection) -> None:
    query = (
        sa.select(_cases.c.household_id, _cases.c.programme, _ledger.c.period,
                  _ledger.c.case_id, _ledger.c.seq, _ledger.c.created_at)
        .join(_cases, _cases.c.id == _ledger.c.case_id)
        .where(_ledger.c.kind == "allowance", _ledger.c.period.is_not(None))
        .order_by(_ledger.c.created_at, _ledger.c.id)
    )  # fmt: skip
    held: dict[tuple[str, str, str], dict[str, object]] = {}
    for household_id, programme, period, case_id, seq, created_at in conn.execute(query):
        held.setdefault((household_id, programme, period), {
            "household_id": household_id, "programme": programme, "period": period,
            "case_id": case_id, "seq": seq, "created_at": created_at})  # fmt: skip
    if held:
        conn.execute(_months.insert(), list(held.values()))


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{TABLE}_case_id"))
    op.drop_table(TABLE)
