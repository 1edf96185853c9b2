"""One database transaction per command, and the translation of driver errors.

On SQLite a command begins with ``BEGIN IMMEDIATE``; on PostgreSQL the case row is read
``FOR UPDATE``.  Either way commands on one case queue instead of interleaving, and the
``row_version`` check in the UPDATE remains as the last line of defence.

On PostgreSQL the command path's writes, the Merkle log's statement and the ``COMMIT`` go in
one pipeline sync at the end (:mod:`jiuzhu.models.pipeline`); an error there (a unique index, a
missed version check) aborts the transaction before ``COMMIT`` and is translated here as it
would be had the statement run alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from ..errors import ConcurrencyConflict, JiuzhuError, StorageError
from ..models import log_sql, pipeline
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
        self._data = (DataError, dbapi.DataError) if dbapi else (DataError,)
        if not self.sqlite:
            pipeline.watch(engine)  # SQLAlchemy's statements see the writes held back

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits when the block ends and rolls back on any error."""
        try:
            with self.engine.connect() as conn:
                if self.sqlite:
                    begin_sqlite(conn, write=True)
                with conn.begin():
                    log_sql.begin(conn)  # the leaves of the Merkle log, appended last
                    if not self.sqlite:
                        pipeline.begin(conn)  # the writes, held back until the COMMIT
                    try:
                        yield conn
                        log_sql.flush_pending(conn)
                        if not self.sqlite:
                            pipeline.send(conn, commit=True)
                    finally:
                        log_sql.discard(conn)
                        pipeline.end(conn)
        except JiuzhuError:
            raise
        except self._data as exc:
            missed = _missed(exc)
            if missed is None:
                raise
            raise missed from exc
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


def _missed(exc: Exception) -> JiuzhuError | None:
    """The error a counted statement's failure in a pipeline stands for (None: not one)."""
    found = pipeline.miss(exc)
    if found is None:
        return None
    what, ref, _rows = found
    if what == "log":
        return log_sql.no_head()
    return ConcurrencyConflict(
        f"case {ref} was changed by someone else at the same moment; reload it and decide again",
        f"案件 {ref} 刚被他人修改，请刷新后重新办理",
    )


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
