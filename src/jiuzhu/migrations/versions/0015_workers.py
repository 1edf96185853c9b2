"""workers: the deadline workers' heartbeats (id, host and pid, started, last beat)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

Each worker records itself in ``workers`` and beats on every sweep; a sweep releases the claims
of a worker that stopped beating (``jiuzhu.scheduler.heartbeat``).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "workers",
        sa.Column("worker_id", text(length=64), nullable=False),
        sa.Column("host", text(length=100), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id"),
    )


def downgrade() -> None:
    op.drop_table("workers")
