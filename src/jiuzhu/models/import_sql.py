"""The statements of an import: jobs, row outcomes, the look-ups of a chunk, bulk inserts.

Each chunk of rows reads what it needs in a few ``IN (...)`` queries (persons by ID number,
households by source key, members of households, running cases) and writes with one
executemany per table: no round trip per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from .cursor import _DEADLINE_COLUMNS as DEADLINE_COLUMNS
from .cursor import _EVENT_COLUMNS as EVENT_COLUMNS
from .cursor import _TableSQL
from .dialect import dialect_of
from .find_sql import case_number_counters, person_digests
from .import_tables import ImportJobRecord, ImportRowRecord
from .rows import cases, deadlines, events, households, org_units, persons

jobs = ImportJobRecord.__table__  # type: ignore[attr-defined]
row_outcomes = ImportRowRecord.__table__  # type: ignore[attr-defined]
INSERT_DIGESTS = person_digests.insert()

INSERT_JOB = jobs.insert()
SELECT_JOB = select(jobs).where(jobs.c.id == bindparam("id"))
SELECT_JOB_OF_FILE = select(jobs).where(jobs.c.kind == bindparam("kind"),
                                        jobs.c.file_sha256 == bindparam("sha"))  # fmt: skip
INSERT_ROWS = row_outcomes.insert()


def list_jobs(limit: int, org_path: str | None) -> Any:
    query = select(jobs).order_by(jobs.c.created_at.desc(), jobs.c.id).limit(limit)
    if org_path is not None:  # a county sees the jobs its own unit ran
        query = query.where(jobs.c.actor_org == org_path.split("/", 1)[0])
    return query


def update_job(conn: Connection, job_id: str, **values: Any) -> None:
    conn.execute(jobs.update().where(jobs.c.id == job_id).values(**values))


def done_rows(conn: Connection, sha: str, kind: str) -> dict[int, Any]:
    """Row number -> its recorded outcome, for the rows of this file already imported."""
    query = select(row_outcomes).where(row_outcomes.c.file_sha256 == sha,
                                       row_outcomes.c.kind == kind)  # fmt: skip
    return {r.row_no: r for r in conn.execute(query)}


def outcome_counts(conn: Connection, sha: str, kind: str) -> dict[str, int]:
    query = (select(row_outcomes.c.outcome, func.count()).where(
        row_outcomes.c.file_sha256 == sha, row_outcomes.c.kind == kind)
        .group_by(row_outcomes.c.outcome))  # fmt: skip
    return {outcome: int(n) for outcome, n in conn.execute(query)}


def persons_by_number(conn: Connection, numbers: Sequence[str]) -> dict[str, Any]:
    if not numbers:
        return {}
    query = (select(persons.c.id_number, persons.c.id, persons.c.household_id,
                    households.c.village_id)
             .join(households, households.c.id == persons.c.household_id)
             .where(persons.c.id_number.in_(sorted(set(numbers)))))  # fmt: skip
    return {r.id_number: r for r in conn.execute(query)}


def households_by_key(conn: Connection, keys: Sequence[str]) -> dict[str, Any]:
    """Source household key -> (household_id, village_id), from earlier household imports."""
    if not keys:
        return {}
    query = (select(row_outcomes.c.source_key, row_outcomes.c.household_id,
                    households.c.village_id)
             .join(households, households.c.id == row_outcomes.c.household_id)
             .where(row_outcomes.c.kind == "households",
                    row_outcomes.c.source_key.in_(sorted(set(keys))))
             .order_by(row_outcomes.c.file_sha256, row_outcomes.c.row_no))  # fmt: skip
    found: dict[str, Any] = {}
    for r in conn.execute(query):
        found.setdefault(r.source_key, r)
    return found


def persons_imported_from(conn: Connection, sha: str, person_ids: Sequence[str]) -> set[str]:
    """Which of ``person_ids`` rows of this same file added or linked (a repeated row).

    Searched by person (its index), the file and kind checked here: searched by file, the
    primary key's prefix, a look-up would read every row of the file so far."""
    if not person_ids:
        return set()
    query = select(row_outcomes.c.person_id, row_outcomes.c.file_sha256, row_outcomes.c.kind
                   ).where(row_outcomes.c.person_id.in_(sorted(set(person_ids))))  # fmt: skip
    return {r[0] for r in conn.execute(query) if r[1] == sha and r[2] == "households"}


def members_of(conn: Connection, household_ids: Sequence[str]) -> dict[str, list[Any]]:
    """Household id -> its members (id, relation, id_number, village_id), oldest first."""
    if not household_ids:
        return {}
    query = (select(persons.c.household_id, persons.c.id, persons.c.relation,
                    persons.c.id_number, households.c.village_id)
             .join(households, households.c.id == persons.c.household_id)
             .where(persons.c.household_id.in_(sorted(set(household_ids))))
             .order_by(persons.c.household_id, persons.c.created_at, persons.c.id))  # fmt: skip
    out: dict[str, list[Any]] = {}
    for r in conn.execute(query):
        out.setdefault(r.household_id, []).append(r)
    return out


def running_cases(conn: Connection, household_ids: Sequence[str],
                  states: Sequence[str]) -> dict[tuple[str, str], str]:  # fmt: skip
    """(household id, programme) -> case id of a case in one of ``states``.

    The states are filtered here, not in SQL: given both, SQLite searched the state index
    (every confirmed case, more with each chunk) instead of the household's."""
    if not household_ids:
        return {}
    query = select(cases.c.household_id, cases.c.programme, cases.c.id, cases.c.state).where(
        cases.c.household_id.in_(sorted(set(household_ids)))
    )
    wanted = set(states)
    return {(r.household_id, r.programme): r.id for r in conn.execute(query) if r.state in wanted}


def cases_imported_from(conn: Connection, sha: str, case_ids: Sequence[str]) -> dict[str, int]:
    """Case id -> the row of this same file that imported it."""
    if not case_ids:
        return {}
    query = select(row_outcomes.c.case_id, row_outcomes.c.row_no, row_outcomes.c.file_sha256,
                   row_outcomes.c.kind).where(row_outcomes.c.case_id.in_(sorted(set(case_ids))))  # fmt: skip
    return {r.case_id: r.row_no for r in conn.execute(query)
            if r.file_sha256 == sha and r.kind == "cases"}  # fmt: skip


def units(conn: Connection) -> dict[str, tuple[str, str]]:
    """Every organisation unit: id -> (level, path)."""
    return {r.id: (r.level, r.path) for r in
            conn.execute(select(org_units.c.id, org_units.c.level, org_units.c.path))}  # fmt: skip


@cache
def bulk_inserts(dialect: str) -> dict[str, tuple[str, tuple[str, ...], Any]]:
    """Table name -> (INSERT text, its value encoder) for the driver cursor's executemany: the
    rows a chunk adds go to the driver in one call per table, without SQLAlchemy's per-row
    parameter processing (what the command path does, :mod:`.cursor`)."""
    codec = dialect_of(dialect)
    out = {}
    for table in (households, persons, person_digests, row_outcomes, cases, events, deadlines):
        sql = _TableSQL(table, codec)
        names = {"events": EVENT_COLUMNS, "deadlines": DEADLINE_COLUMNS}.get(table.name)
        names = names or tuple(sql.columns)
        out[table.name] = (sql.insert(names), names, sql)
    return out


def insert_many(conn: Connection, dialect: str, table: str,
                values: Sequence[dict[str, Any]]) -> None:  # fmt: skip
    """Insert ``values`` (every column, or the event columns) with one executemany.

    On SQLite the driver's own executemany; on PostgreSQL one ``COPY ... FROM STDIN`` per table
    and chunk (psycopg's ``Cursor.copy``), in the chunk's transaction: the rows stream to the
    server in one command, where an executemany sends one INSERT a row (bench/import.py)."""
    if not values:
        return
    statement, names, sql = bulk_inserts(dialect)[table]
    if dialect == "postgresql":
        cursor = conn.connection.cursor()
        try:
            with cursor.copy(f"COPY {sql.name} ({', '.join(names)}) FROM STDIN") as copy:
                for v in values:
                    encoded = sql.encode({n: v[n] for n in names})
                    copy.write_row([encoded[n] for n in names])
        finally:
            cursor.close()
        return
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(statement, [sql.encode({n: v[n] for n in names}) for v in values])
    finally:
        cursor.close()


@cache
def reserve_case_serials(dialect: str) -> Any:
    """Add ``n`` to the serial of (county, year), returning the last one reserved."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(case_number_counters).values(county=bindparam("county"),
                                              year=bindparam("year"), last=bindparam("n"))  # fmt: skip
    return stmt.on_conflict_do_update(
        index_elements=["county", "year"],
        set_={"last": case_number_counters.c.last + stmt.excluded.last},
    ).returning(case_number_counters.c.last)


__all__ = ["INSERT_JOB", "INSERT_ROWS", "SELECT_JOB", "SELECT_JOB_OF_FILE", "done_rows",
           "households_by_key", "list_jobs", "members_of", "outcome_counts", "persons_by_number",
           "reserve_case_serials", "running_cases", "units", "update_job"]  # fmt: skip
