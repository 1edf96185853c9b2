"""audit checkpoints (issue 6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit_checkpoints", "audit_checkpoint_heads")


def upgrade() -> None:
    serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", serial, autoincrement=True, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("high_water", sa.BigInteger(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("root", text(length=64), nullable=False),
        sa.Column("prev_hash", text(length=64), nullable=False),
        sa.Column("hash", text(length=64), nullable=False),
        sa.Column("taken_by", text(length=64), nullable=False),
        sa.Column("public_key", text(length=64), nullable=True),
        sa.Column("signature", text(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_table(
        "audit_checkpoint_heads",
        sa.Column("id", serial, autoincrement=True, nullable=False),
        sa.Column("checkpoint", sa.Integer(), nullable=False),
        sa.Column("case_id", text(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", text(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkpoint", "case_id", name="uq_checkpoint_heads_case"),
    )
    op.create_index("ix_checkpoint_heads_case", "audit_checkpoint_heads", ["case_id", "checkpoint"])
    for table in APPEND_ONLY:
        _append_only(table)


def _append_only(table: str) -> None:
    # Checkpoints are history like events: the database refuses UPDATE and DELETE.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION jiuzhu_{table}_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{table} are append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION jiuzhu_{table}_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS jiuzhu_{table}_append_only()")
    op.drop_index("ix_checkpoint_heads_case", table_name="audit_checkpoint_heads")
    op.drop_table("audit_checkpoint_heads")
    op.drop_table("audit_checkpoints")
