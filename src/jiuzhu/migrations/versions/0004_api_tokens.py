"""HTTP API tokens (issue 7)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "api_tokens",
        sa.Column("id", text(length=16), nullable=False),
        sa.Column("secret_sha256", text(length=64), nullable=False),
        sa.Column("role", text(length=32), nullable=False),
        sa.Column("org", text(length=32), nullable=True),
        sa.Column("user", text(length=64), nullable=True),
        sa.Column("note", text(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org"], ["org_units.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
