"""The persistence port of the service: every statement a command runs, on one object.

:class:`Statements` is the real one: the cursor statements of the command path
(:class:`~jiuzhu.models.cursor.CursorStatements`) and the Core statements of
:mod:`jiuzhu.models.rows` that commands need (organisation units, households, idempotency
keys).  :class:`jiuzhu.models.memory.MemoryStatements` has the same methods over plain dicts.
Each method takes the connection of the caller's unit of work first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Connection

from . import find_sql, log_sql, rows
from .cursor import CursorStatements


class Writes(Protocol):
    """Where a command's writes go: the statements themselves, or a chunk of deadline firings
    collecting them (:class:`~jiuzhu.models.chunk_sql.ChunkWrites`)."""

    def insert_case_row(self, conn: Connection, values: dict[str, Any]) -> None: ...
    def update_case_row(self, conn: Connection, values: dict[str, Any],
                        old_version: int) -> int: ...  # fmt: skip
    def append_event(self, conn: Connection, params: dict[str, Any]) -> None: ...
    def record_command_key(self, conn: Connection, values: dict[str, Any]) -> None: ...
    def book(self, conn: Connection, entries: Sequence[Any], org_path: str,
             at: datetime) -> None: ...  # fmt: skip
    def hold_months(self, conn: Connection, household_id: str, programme: str,
                    periods: Sequence[str], case_id: str, seq: int,
                    at: datetime) -> None: ...  # fmt: skip
    def add_credit_record(self, conn: Connection, *, person_id: str, case_id: str, seq: int,
                          reason: str, on: date, at: datetime) -> None: ...  # fmt: skip
    def close_deadline(self, conn: Connection, case_id: str, kind: str, seq: int, *,
                       status: str = "cancelled") -> None: ...  # fmt: skip
    def open_deadline(self, conn: Connection, case_id: str, kind: str, due: datetime,
                      seq: int) -> None: ...  # fmt: skip


class Statements(CursorStatements):
    """The statements of the service, for one dialect; build once per engine."""

    # -- organisation units and households -------------------------------------------------
    def org_unit(self, conn: Connection, unit_id: str) -> Any:
        return conn.execute(rows.SELECT_ORG, {"id": unit_id}).first()

    def insert_org_unit(self, conn: Connection, values: dict[str, Any]) -> None:
        conn.execute(rows.INSERT_ORG, values)
        log_sql.log_records(conn, "org_unit", [values["id"]])

    def household(self, conn: Connection, household_id: str) -> Any:
        return conn.execute(rows.SELECT_HOUSEHOLD, {"id": household_id}).first()

    def move_household(self, conn: Connection, household_id: str, village_id: str) -> None:
        """The household now lives in ``village_id`` (moving house: its cases' events say so)."""
        h = rows.households
        conn.execute(h.update().where(h.c.id == household_id).values(village_id=village_id))
        log_sql.log_records(conn, "household", [household_id])

    def persons(self, conn: Connection, household_id: str) -> list[Any]:
        return list(conn.execute(rows.SELECT_PERSONS, {"household_id": household_id}).all())

    def person_registered(self, conn: Connection, numbers: Sequence[str]) -> Any:
        """(household_id, village_id) of a person holding one of ``numbers``, or None."""
        return conn.execute(rows.SELECT_PERSON_BY_NUMBERS, {"numbers": sorted(numbers)}).first()

    def insert_household(self, conn: Connection, values: dict[str, Any],
                         members: list[dict[str, Any]]) -> None:  # fmt: skip
        conn.execute(rows.INSERT_HOUSEHOLD, values)
        conn.execute(rows.INSERT_PERSON, members)
        log_sql.log_records(conn, "household", [values["id"]])
        log_sql.log_records(conn, "person", [m["id"] for m in members])

    # -- events and idempotency keys -------------------------------------------------------
    def events_of(self, conn: Connection, case_id: str, upto: int | None = None) -> list[Any]:
        if upto is None:
            return list(conn.execute(rows.SELECT_EVENTS, {"case_id": case_id}).all())
        return list(conn.execute(rows.SELECT_EVENTS_UPTO, {"case_id": case_id, "seq": upto}))

    def command_key(self, conn: Connection, org: str, key: str) -> Any:
        """(case_id, seq, type, digest) of the command unit ``org`` gave ``key``, or None."""
        return conn.execute(rows.SELECT_COMMAND_KEY, {"org": org, "key": key}).first()

    def record_command_key(self, conn: Connection, values: dict[str, Any]) -> None:
        """Keep ``key`` for unit ``org``: a second command under it fails the unique index."""
        conn.execute(rows.INSERT_COMMAND_KEY, values)

    # -- deadlines -------------------------------------------------------------------------
    def earliest_pending(self, conn: Connection) -> datetime | None:
        return conn.execute(rows.SELECT_EARLIEST_PENDING).scalar()  # type: ignore[no-any-return]

    # -- finding cases: case numbers, the ID-number index, the personal-data read log ------
    def next_case_serial(self, conn: Connection, county: str, year: int) -> int:
        """The next case number serial of ``county`` in ``year`` (counted in this transaction)."""
        stmt = find_sql.next_case_serial(self.codec.name)
        return int(conn.execute(stmt, {"county": county, "year": year}).scalar_one())

    def database_setting(self, conn: Connection, key: str) -> str | None:
        return conn.execute(find_sql.SELECT_SETTING, {"key": key}).scalar()  # type: ignore[no-any-return]

    def put_database_setting(self, conn: Connection, key: str, value: str, at: datetime) -> None:
        """Set ``key`` unless it is set already."""
        conn.execute(find_sql.insert_setting(self.codec.name), {"key": key, "value": value,
                                                            "set_at": at})  # fmt: skip

    def count_person_digests(self, conn: Connection) -> int:
        return int(conn.execute(find_sql.COUNT_PERSON_DIGESTS).scalar_one())

    def index_persons(self, conn: Connection, digests: list[dict[str, str]]) -> None:
        """Rows of ``person_digests``: {person_id, digest}."""
        conn.execute(find_sql.INSERT_PERSON_DIGESTS, digests)

    def log_personal_reads(self, conn: Connection, entries: list[dict[str, Any]]) -> None:
        """Rows of ``personal_data_reads`` (ids only)."""
        if entries:
            conn.execute(find_sql.INSERT_READS, entries)


__all__ = ["Statements"]
