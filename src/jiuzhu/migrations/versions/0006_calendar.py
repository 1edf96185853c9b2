"""the working-day calendar as loaded data; the database's own settings (issue 11)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "calendar_revisions"


def upgrade() -> None:
    serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        TABLE,
        sa.Column("id", serial, autoincrement=True, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("document", text(length=100), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("workdays", sa.JSON(), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("note", text(length=200), nullable=True),
        sa.Column("source_sha256", text(length=64), nullable=False),
        sa.Column("loaded_by", text(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "revision", name="uq_calendar_year_revision"),
    )
    op.create_table(
        "database_settings",
        sa.Column("key", text(length=64), nullable=False),
        sa.Column("value", text(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    # A loaded revision is never rewritten (a correction is a new revision): append-only.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION jiuzhu_{TABLE}_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{TABLE} are append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION jiuzhu_{TABLE}_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS jiuzhu_{TABLE}_append_only()")
    op.drop_table("database_settings")
    op.drop_table(TABLE)
