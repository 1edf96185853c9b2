"""What differs between SQLite and PostgreSQL, in one object per database.

The hand-written statements (:mod:`jiuzhu.models.cursor`) speak to the DB-API cursor, so they
spell placeholders and row locks themselves and convert the values SQLAlchemy would otherwise
convert: JSON columns, UTC instants and calendar days.  SQLite keeps all three as text (the
very text SQLAlchemy's own SQLite types write, so Core reads these rows unchanged); psycopg
adapts them natively.  Everything else goes through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import msgspec
from sqlalchemy import Connection

# JSON columns (a case's facts, an event's payload): msgspec writes the text json.dumps writes
# with ensure_ascii=False and compact separators, about 7x faster, and reads it about 3x
# faster.  Storage only: the audit's hashes keep their own canonical JSON (audit/canonical.py).
_encode_json = msgspec.json.Encoder().encode
_decode_json = msgspec.json.Decoder().decode


def _write_json(value: Any) -> str:
    return _encode_json(value).decode()


def _identity(value: Any) -> Any:
    return value


def _sqlite_instant(value: datetime | None) -> str | None:
    # SQLAlchemy's own SQLite DATETIME text form, so Core reads these rows unchanged.
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_read_instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Dialect:
    """Placeholder syntax, row locks and value conversion of one database."""

    name: str
    sqlite: bool
    placeholder: Callable[[str], str]  # a named parameter: ``:id`` or ``%(id)s``
    for_update: str  # appended to a SELECT that locks the rows it reads
    skip_locked: str  # appended to a SELECT that locks its rows, passing rows others hold
    write_json: Callable[[Any], Any]
    read_json: Callable[[Any], Any]
    write_instant: Callable[[Any], Any]
    read_instant: Callable[[Any], Any]
    write_date: Callable[[Any], Any]
    read_date: Callable[[Any], Any]

    def marks(self, prefix: str, n: int) -> str:
        """``n`` numbered placeholders for an ``IN (...)`` list: ``prefix0, prefix1, ...``."""
        return ", ".join(self.placeholder(f"{prefix}{i}") for i in range(n))

    def begin_write(self, conn: Connection) -> None:
        """Open a writing transaction's lock at once where the database needs it (SQLite)."""
        if self.sqlite:
            from .db import begin_sqlite

            begin_sqlite(conn, write=True)


@cache
def dialect_of(name: str) -> Dialect:
    """The :class:`Dialect` of an engine's ``dialect.name`` (``sqlite`` or ``postgresql``)."""
    if name == "sqlite":
        return Dialect(name, True, ":{}".format, "", "", _write_json, _decode_json,
                       _sqlite_instant, _sqlite_read_instant, date.isoformat,
                       date.fromisoformat)  # fmt: skip
    from psycopg.types.json import Json

    def _pg_json(value: Any) -> Json:
        return Json(value, dumps=_write_json)

    return Dialect(name, False, "%({})s".format, " FOR UPDATE", " FOR UPDATE SKIP LOCKED", _pg_json,
                   _identity, _identity, _identity, _identity, _identity)  # fmt: skip


__all__ = ["Dialect", "dialect_of"]
