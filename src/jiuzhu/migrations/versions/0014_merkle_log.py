"""the Merkle log: one leaf per event, ledger entry, credit record and registry change

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

Creates ``log_leaves``, ``log_head`` (its size: the counter every writing transaction takes
last), ``log_nodes`` (stored subtree hashes) and ``log_checkpoints`` (signed notes), all but
the counter append-only.  What is stored already is logged here, in this order: organisation
units, households, persons, providers, user accounts and API tokens as they stand, then each
event in the order it was stored, each followed by the ledger entries and the credit record it
wrote.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from jiuzhu.audit.leaves import REGISTRY, Leaf, credit_leaf, event_leaf, ledger_leaf, record_leaf

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

APPEND_ONLY = ("log_leaves", "log_nodes", "log_checkpoints")
BATCH = 5000


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "log_leaves",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", text(length=16), nullable=False),
        sa.Column("ref", text(length=120), nullable=False),
        sa.Column("hash", text(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("idx"),
    )
    op.create_index("ix_log_leaves_kind_ref", "log_leaves", ["kind", "ref"])
    op.create_table(
        "log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "log_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", text(length=64), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    op.create_table(
        "log_checkpoints",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", text(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", text(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("size"),
    )
    conn = op.get_bind()
    size = _log_what_is_stored(conn)
    conn.execute(sa.text("INSERT INTO log_head (id, size) VALUES (1, :size)"), {"size": size})
    for table in APPEND_ONLY:
        _append_only(conn, table)


def _log_what_is_stored(conn: sa.Connection) -> int:
    from jiuzhu.models.tables import metadata

    present = set(sa.inspect(conn).get_table_names())
    writer = _Writer(conn)
    for kind, (name, key, _fields) in REGISTRY.items():
        if name not in present:
            continue
        table = metadata.tables[name]
        stored = {c["name"] for c in sa.inspect(conn).get_columns(name)}
        columns = [c for c in table.columns if c.name in stored]
        for row in conn.execute(sa.select(*columns).order_by(table.c[key])):
            writer.add(record_leaf(kind, row._mapping))
    ledger, credits = _money(conn)
    events = sa.text("SELECT case_id, seq, hash FROM events ORDER BY id")
    for case_id, seq, digest in conn.execute(events):
        writer.add(event_leaf(case_id, seq, digest))
        for leaf in ledger.pop((case_id, seq), ()):
            writer.add(leaf)
        if (case_id, seq) in credits:
            writer.add(credits.pop((case_id, seq)))
    return writer.close()


def _money(conn: sa.Connection) -> tuple[dict[tuple[str, int], list[Leaf]], dict[Any, Leaf]]:
    ledger: dict[tuple[str, int], list[Leaf]] = defaultdict(list)
    rows = sa.text("SELECT case_id, seq, line, kind, amount_fen, booked_on, period, ref "
                   "FROM ledger_entries ORDER BY case_id, seq, line")  # fmt: skip
    for case_id, seq, line, kind, amount, booked_on, period, ref in conn.execute(rows):
        ledger[(case_id, seq)].append(ledger_leaf(case_id, seq, line, kind, amount,
                                                  _day(booked_on), period, ref))  # fmt: skip
    credits = {}
    rows = sa.text("SELECT case_id, seq, person_id, reason, recorded_on FROM credit_records")
    for case_id, seq, person_id, reason, recorded_on in conn.execute(rows):
        credits[(case_id, seq)] = credit_leaf(case_id, seq, person_id, reason, _day(recorded_on))
    return ledger, credits


def _day(value: Any) -> str:
    return value if isinstance(value, str) else value.isoformat()


class _Writer:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn, self.size, self.batch = conn, 0, []  # type: list[dict[str, Any]]

    def add(self, leaf: Leaf) -> None:
        self.batch.append({"idx": self.size, "kind": leaf.kind, "ref": leaf.ref,
                           "hash": leaf.hash.hex(), "data": leaf.data.decode()})  # fmt: skip
        self.size += 1
        if len(self.batch) >= BATCH:
            self._write()

    def _write(self) -> None:
        if self.batch:
            self.conn.execute(sa.text("INSERT INTO log_leaves (idx, kind, ref, hash, data) "
                                      "VALUES (:idx, :kind, :ref, :hash, :data)"), self.batch)  # fmt: skip
            self.batch = []

    def close(self) -> int:
        self._write()
        return self.size


def _append_only(conn: sa.Connection, table: str) -> None:
    if conn.dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION jiuzhu_{table}_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{table} are append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION jiuzhu_{table}_append_only()"
        )
        return
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
    op.drop_table("log_checkpoints")
    op.drop_table("log_nodes")
    op.drop_table("log_head")
    op.drop_index("ix_log_leaves_kind_ref", table_name="log_leaves")
    op.drop_table("log_leaves")
