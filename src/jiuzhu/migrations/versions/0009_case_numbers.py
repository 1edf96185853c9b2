"""case numbers; the ID-number digest index; the personal-data read log

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Existing cases are numbered in order of opening, serial per county (the first unit of the
case's ``org_path``) and Shanghai year; the counters continue from there.  A per-database
secret for the ID-number digests is created in ``database_settings`` and every existing person
is indexed.  Their opening events are left as they were (history is append-only): only cases
opened from now on carry ``case_no`` in their ``apply`` event.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op

from jiuzhu.clock import local_date
from jiuzhu.models.digests import DIGEST_KEY_SETTING, case_no, id_number_digest, new_secret
from jiuzhu.models.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LOG = "personal_data_reads"
_cases = sa.table("cases", sa.column("id", sa.String), sa.column("org_path", sa.String),
                  sa.column("opened_at", UTCDateTime()), sa.column("case_no", sa.String))  # fmt: skip
_counters = sa.table("case_number_counters", sa.column("county", sa.String),
                     sa.column("year", sa.Integer), sa.column("last", sa.Integer))  # fmt: skip
_persons = sa.table("persons", sa.column("id", sa.String), sa.column("id_number", sa.String))
_digests = sa.table("person_digests", sa.column("person_id", sa.String),
                    sa.column("digest", sa.String))  # fmt: skip
_settings = sa.table("database_settings", sa.column("key", sa.String),
                     sa.column("value", sa.String), sa.column("set_at", UTCDateTime()))  # fmt: skip


def upgrade() -> None:
    serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    text = sqlmodel.sql.sqltypes.AutoString
    conn = op.get_bind()
    op.create_table(
        "case_number_counters",
        sa.Column("county", text(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("county", "year"),
    )
    # SQLite adds a NOT NULL column only with a default (a batch copy of ``cases`` would
    # trip the foreign keys of its events); PostgreSQL adds it empty and then requires it.
    sqlite = conn.dialect.name == "sqlite"
    op.add_column("cases", sa.Column("case_no", text(length=32), nullable=not sqlite,
                                     server_default="" if sqlite else None))  # fmt: skip
    _number_existing_cases(conn)
    if not sqlite:
        op.alter_column("cases", "case_no", existing_type=text(length=32), nullable=False)
    op.create_index("ix_cases_case_no", "cases", ["case_no"], unique=True)

    op.create_table(
        "person_digests",
        sa.Column("person_id", text(length=36), nullable=False),
        sa.Column("digest", text(length=64), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"]),
        sa.PrimaryKeyConstraint("person_id"),
        sa.UniqueConstraint("digest"),
    )
    secret = new_secret()
    conn.execute(_settings.delete().where(_settings.c.key == DIGEST_KEY_SETTING))
    conn.execute(_settings.insert().values(key=DIGEST_KEY_SETTING, value=secret,
                                           set_at=datetime.now(UTC)))  # fmt: skip
    batch: list[dict[str, str]] = []
    for person_id, number in conn.execute(sa.select(_persons.c.id, _persons.c.id_number)):
        batch.append({"person_id": person_id, "digest": id_number_digest(secret, number)})
        if len(batch) == 1000:
            conn.execute(_digests.insert(), batch)
            batch = []
    if batch:
        conn.execute(_digests.insert(), batch)

    op.create_table(
        LOG,
        sa.Column("id", serial, autoincrement=True, nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_role", text(length=32), nullable=False),
        sa.Column("actor_org", text(length=32), nullable=False),
        sa.Column("actor_user", text(length=64), nullable=True),
        sa.Column("person_id", text(length=36), nullable=False),
        sa.Column("purpose", text(length=32), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table(LOG, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{LOG}_person_id"), ["person_id"], unique=False)
    # The read log is append-only, like the events.
    if conn.dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION jiuzhu_{LOG}_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{LOG} are append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {LOG}_append_only BEFORE UPDATE OR DELETE ON {LOG} "
            f"FOR EACH ROW EXECUTE FUNCTION jiuzhu_{LOG}_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {LOG}_no_{verb.lower()} BEFORE {verb} ON {LOG} "
                f"BEGIN SELECT RAISE(ABORT, '{LOG} are append-only'); END"
            )


def _number_existing_cases(conn: sa.Connection) -> None:
    """Number the cases in order of opening, serial per county and Shanghai year."""
    last: dict[tuple[str, int], int] = defaultdict(int)
    query = sa.select(_cases.c.id, _cases.c.org_path, _cases.c.opened_at).order_by(
        _cases.c.opened_at, _cases.c.id
    )
    numbered = []
    for case_id, org_path, opened_at in conn.execute(query).all():
        scope = (org_path.split("/", 1)[0], local_date(opened_at).year)
        last[scope] += 1
        numbered.append({"b_id": case_id, "b_no": case_no(*scope, last[scope])})
    if numbered:
        conn.execute(_cases.update().where(_cases.c.id == sa.bindparam("b_id"))
                     .values(case_no=sa.bindparam("b_no")), numbered)  # fmt: skip
        conn.execute(_counters.insert(), [{"county": c, "year": y, "last": n}
                                          for (c, y), n in sorted(last.items())])  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {LOG}_append_only ON {LOG}")
        op.execute(f"DROP FUNCTION IF EXISTS jiuzhu_{LOG}_append_only()")
    with op.batch_alter_table(LOG, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_{LOG}_person_id"))
    op.drop_table(LOG)
    op.drop_table("person_digests")
    op.execute(_settings.delete().where(_settings.c.key == DIGEST_KEY_SETTING))
    op.drop_index("ix_cases_case_no", table_name="cases")
    op.execute("ALTER TABLE cases DROP COLUMN case_no")
    op.drop_table("case_number_counters")
