"""people's accounts and sign-in sessions for the web front

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "users",
        sa.Column("username", text(length=64), nullable=False),
        sa.Column("display_name", text(length=100), nullable=False),
        sa.Column("role", text(length=32), nullable=False),
        sa.Column("org", text(length=32), nullable=True),
        sa.Column("password_hash", text(length=200), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org"], ["org_units.id"]),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", text(length=64), nullable=False),
        sa.Column("username", text(length=64), nullable=False),
        sa.Column("csrf", text(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_sessions_username", "web_sessions", ["username"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_username", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("users")
