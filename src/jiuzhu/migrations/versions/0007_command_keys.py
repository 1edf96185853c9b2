"""idempotency keys scoped to the actor's unit, with a digest of the command's arguments

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Keys already written with events (``events.idempotency_key``, unique across every unit) are
copied here under the unit of the actor who gave them, without a digest: a retry of such a
command still answers with its first result.  New events leave ``events.idempotency_key`` empty.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "command_keys",
        sa.Column("id", serial, autoincrement=True, nullable=False),
        sa.Column("org", text(length=32), nullable=False),
        sa.Column("key", text(length=128), nullable=False),
        sa.Column("digest", text(length=64), nullable=True),
        sa.Column("case_id", text(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", text(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org", "key", name="uq_command_keys_org_key"),
    )
    op.execute(
        "INSERT INTO command_keys (org, key, digest, case_id, seq, type, created_at) "
        "SELECT actor_org, idempotency_key, NULL, case_id, seq, type, occurred_at FROM events "
        "WHERE idempotency_key IS NOT NULL ORDER BY id"
    )


def downgrade() -> None:
    op.drop_table("command_keys")
