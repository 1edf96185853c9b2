"""Tampering as an owner of the database could: in a transaction without the append-only
guards, rolled back at the end (shared by the audit's attack tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from jiuzhu import CaseService
from jiuzhu.models import rows as store
from jiuzhu.models.db import begin_sqlite

cases = store.cases


@contextmanager
def tampered(svc: CaseService, *, commit: bool = False) -> Iterator[Connection]:
    """A transaction without the append-only guards, rolled back at the end (``commit``: kept,
    for a test whose database is its own)."""
    with svc.engine.connect() as conn:
        if svc.engine.dialect.name == "sqlite":
            begin_sqlite(conn, write=True)
            trans = conn.begin()
            names = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all()  # fmt: skip
            for name in names:
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            trans = conn.begin()
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        try:
            yield conn
            if commit:
                trans.commit()
        finally:
            if trans.is_active:
                trans.rollback()


def delete_case(conn: Connection, case_id: str) -> None:
    for table in (
        store.events,
        store.deadlines,
        store.ledger,
        store.household_months,
        store.credit_records,
    ):
        conn.execute(table.delete().where(table.c.case_id == case_id))
    conn.execute(cases.delete().where(cases.c.id == case_id))
