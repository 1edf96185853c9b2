"""The audit checkpoint's statements over the event log, named once.

A checkpoint (:mod:`jiuzhu.audit.checkpoint`) reads the last checkpoint, the event log's
high-water mark and the new chain head of every case that grew since, and writes those heads;
on PostgreSQL it first locks out writers (SQLite's ``BEGIN IMMEDIATE`` already has).  Heads are
ordered by case id in code-point order on both databases, so the root hash is the same.
"""

from __future__ import annotations

from sqlalchemy import Connection, TextClause, text

from .dialect import Dialect

LATEST_CHECKPOINT = text(
    "SELECT number, high_water, hash FROM audit_checkpoints ORDER BY number DESC LIMIT 1"
)
HIGH_WATER = text("SELECT COALESCE(MAX(id), 0) FROM events")
COUNT_UP_TO = text("SELECT COUNT(DISTINCT case_id), COUNT(*) FROM events WHERE id <= :high")
INSERT_HEADS = text(
    "INSERT INTO audit_checkpoint_heads (checkpoint, case_id, seq, hash) "
    "VALUES (:checkpoint, :case_id, :seq, :hash)"
)
# PostgreSQL: one checkpoint at a time, and no event committed while it is taken (a SHARE lock
# on events also waits for the writers already running)
_POSTGRES_LOCKS = (
    text("LOCK TABLE audit_checkpoints IN EXCLUSIVE MODE"),
    text("LOCK TABLE events IN SHARE MODE"),
)


def lock_for_checkpoint(conn: Connection, dialect: Dialect) -> None:
    """Hold writers back for the checkpoint's transaction (nothing more to do on SQLite)."""
    if not dialect.sqlite:
        for statement in _POSTGRES_LOCKS:
            conn.execute(statement)


def grown_heads(dialect: Dialect) -> TextClause:
    """(case_id, seq, hash) of the new head of every case with events in (:low, :high]."""
    order = "e.case_id" if dialect.sqlite else 'e.case_id COLLATE "C"'
    return text(
        "SELECT e.case_id, e.seq, e.hash FROM events e JOIN (SELECT case_id, MAX(seq) AS seq "
        "FROM events WHERE id > :low AND id <= :high GROUP BY case_id) m "
        f"ON e.case_id = m.case_id AND e.seq = m.seq ORDER BY {order}"
    )


__all__ = ["COUNT_UP_TO", "HIGH_WATER", "INSERT_HEADS", "LATEST_CHECKPOINT", "grown_heads",
           "lock_for_checkpoint"]  # fmt: skip
