"""One database transaction per command, and the translation of driver errors.

On SQLite a command begins with ``BEGIN IMMEDIATE``; on PostgreSQL the case row is read
``FOR UPDATE``.  Either way commands on one case queue instead of interleaving, and the
``row_version`` check in the UPDATE remains as the last line of defence.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from ..errors import ConcurrencyConflict, JiuzhuError, StorageError
from ..models import log_sql
from ..models.db import begin_sqlite


class UnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        dbapi = engine.dialect.dbapi  # the hot path raises the driver's own exceptions
        self._integrity = (IntegrityError, dbapi.IntegrityError) if dbapi else (IntegrityError,)
        self._operational = (
            (OperationalError, dbapi.OperationalError) if dbapi else (OperationalError,)
        )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits when the block ends and rolls back on any error."""
        try:
            with self.engine.connect() as conn:
                if self.sqlite:
                    begin_sqlite(conn, write=True)
                with conn.begin():
                    log_sql.begin(conn)  # the leaves of the Merkle log, appended last
                    try:
                        yield conn
                        log_sql.flush_pending(conn)
                    finally:
                        log_sql.discard(conn)
        except JiuzhuError:
            raise
        except self._integrity as exc:
            raise ConcurrencyConflict(
                "another change to the same record was saved at the same moment; "
                "reload and try again",
                "同一记录刚被他人修改，请刷新后重试",
            ) from exc
        except self._operational as exc:
            raise translate(exc) from exc

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise translate(exc) from exc


def translate(exc: Exception) -> JiuzhuError:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    text = str(orig).lower()
    if "locked" in text or "busy" in text or "could not serialize" in text or "deadlock" in text:
        return ConcurrencyConflict(
            "the database was busy with another change; try again",
            "数据库正忙于处理其他操作，请重试",
        )
    return StorageError(
        f"the database refused the operation: {orig}",
        f"数据库操作失败：{orig}",
    )
