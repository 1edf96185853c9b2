"""projects (帮扶项目) grouping service plans and one-off projects across cases

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

``projects`` holds the projects a county or township registers under a unit, for a year.  A
service plan or a one-off names its project in its opening event (``project_id``).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "projects",
        sa.Column("id", text(length=36), nullable=False),
        sa.Column("unit_id", text(length=32), nullable=False),
        sa.Column("name", text(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_units.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_projects_unit_id", "projects", ["unit_id"])


def downgrade() -> None:
    op.drop_index("ix_projects_unit_id", table_name="projects")
    op.drop_table("projects")
