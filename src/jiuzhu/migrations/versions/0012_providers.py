"""service providers registered under a unit; users and tokens of the role provider name one

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

``providers`` holds the third-party organisations (服务机构) a unit registers.  A user or an
API token in the role ``provider`` names its provider in the new ``provider`` column (the
service checks that it exists and sits at the user's unit; other roles leave it empty).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "providers",
        sa.Column("id", text(length=36), nullable=False),
        sa.Column("unit_id", text(length=32), nullable=False),
        sa.Column("name", text(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_units.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_providers_unit_id", "providers", ["unit_id"])
    for table in ("users", "api_tokens"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("provider", text(length=36), nullable=True))


def downgrade() -> None:
    for table in ("users", "api_tokens"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("provider")
    op.drop_index("ix_providers_unit_id", table_name="providers")
    op.drop_table("providers")
