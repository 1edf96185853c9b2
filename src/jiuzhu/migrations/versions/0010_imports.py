"""import jobs and the outcome of every imported row

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "import_jobs",
        sa.Column("id", text(length=36), nullable=False),
        sa.Column("kind", text(length=16), nullable=False),
        sa.Column("file_sha256", text(length=64), nullable=False),
        sa.Column("file_name", text(length=255), nullable=False),
        sa.Column("state", text(length=16), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_refused", sa.Integer(), nullable=False),
        sa.Column("added_households", sa.Integer(), nullable=False),
        sa.Column("added_persons", sa.Integer(), nullable=False),
        sa.Column("linked_persons", sa.Integer(), nullable=False),
        sa.Column("added_cases", sa.Integer(), nullable=False),
        sa.Column("actor_role", text(length=32), nullable=False),
        sa.Column("actor_org", text(length=32), nullable=False),
        sa.Column("actor_user", text(length=64), nullable=True),
        sa.Column("error", text(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "file_sha256", name="uq_import_jobs_kind_sha"),
    )
    op.create_table(
        "import_rows",
        sa.Column("file_sha256", text(length=64), nullable=False),
        sa.Column("kind", text(length=16), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("job_id", text(length=36), nullable=False),
        sa.Column("outcome", text(length=16), nullable=False),
        sa.Column("source_key", text(length=64), nullable=True),
        sa.Column("household_id", text(length=36), nullable=True),
        sa.Column("person_id", text(length=36), nullable=True),
        sa.Column("case_id", text(length=36), nullable=True),
        sa.Column("refused_column", text(length=64), nullable=True),
        sa.Column("reason_zh", text(length=500), nullable=True),
        sa.Column("reason_en", text(length=500), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["import_jobs.id"]),
        sa.PrimaryKeyConstraint("file_sha256", "kind", "row_no"),
    )
    op.create_index("ix_import_rows_kind_key", "import_rows", ["kind", "source_key"])
    op.create_index("ix_import_rows_person_id", "import_rows", ["person_id"])
    op.create_index("ix_import_rows_case_id", "import_rows", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_import_rows_case_id", table_name="import_rows")
    op.drop_index("ix_import_rows_person_id", table_name="import_rows")
    op.drop_index("ix_import_rows_kind_key", table_name="import_rows")
    op.drop_table("import_rows")
    op.drop_table("import_jobs")
