"""The statements of finding cases: case numbers, the ID-number index, search, work queues and
the personal-data read log (used by :mod:`jiuzhu.service.search`, :mod:`jiuzhu.service.queues`
and :mod:`jiuzhu.service.casenumbers`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Select, Table, and_, bindparam, func, or_, select

from .calendar_tables import DatabaseSettingRecord
from .rows import OPEN_DEADLINE, cases, deadlines, households, in_subtree, org_units, persons
from .tables import CaseNumberCounterRecord, PersonalDataReadRecord, PersonDigestRecord


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


case_number_counters = _table(CaseNumberCounterRecord)
person_digests = _table(PersonDigestRecord)
personal_data_reads = _table(PersonalDataReadRecord)
database_settings = _table(DatabaseSettingRecord)

SELECT_CASE_BY_NO = select(cases).where(cases.c.case_no == bindparam("case_no"))
SELECT_SETTING = select(database_settings.c.value).where(
    database_settings.c.key == bindparam("key")
)
INSERT_PERSON_DIGESTS = person_digests.insert()
COUNT_PERSON_DIGESTS = select(func.count()).select_from(person_digests)
INSERT_READS = personal_data_reads.insert()


@cache
def next_case_serial(dialect: str) -> Any:
    """Increment (or start at 1) the serial of (county, year), returning it.

    ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on both databases: on PostgreSQL a second
    opening in the same county and year waits on the counter row until the first commits, so
    numbers are given out without gaps or duplicates.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(case_number_counters).values(county=bindparam("county"),
                                              year=bindparam("year"), last=1)  # fmt: skip
    return stmt.on_conflict_do_update(
        index_elements=["county", "year"], set_={"last": case_number_counters.c.last + 1}
    ).returning(case_number_counters.c.last)


@cache
def insert_setting(dialect: str) -> Any:
    """Insert a database setting unless it exists (two first uses at once keep one)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(database_settings).on_conflict_do_nothing(index_elements=["key"])


def _hits_all() -> Select[Any]:
    """(case, person) pairs: every member of each case's household."""
    return (
        select(cases.c.id.label("case_id"), persons.c.id.label("person_id"),
               persons.c.name, persons.c.relation, persons.c.household_id)
        .join(persons, persons.c.household_id == cases.c.household_id)
    )  # fmt: skip


def _hits(path: str) -> Select[Any]:
    """(case, person) pairs of the cases under ``path``."""
    return _hits_all().where(in_subtree(cases.c.org_path, path))


def search_by_name(path: str, name: str, limit: int) -> Select[Any]:
    """Members whose name contains ``name`` (autoescaped), with their household's cases."""
    return (_hits(path).where(persons.c.name.contains(name, autoescape=True))
            .order_by(cases.c.opened_at.desc(), cases.c.id, persons.c.id).limit(limit))  # fmt: skip


def search_by_digest(path: str, digest: str, limit: int) -> Select[Any]:
    """The cases of the household of the person whose ID number has ``digest``."""
    d = person_digests
    return (_hits(path).join(d, d.c.person_id == persons.c.id).where(d.c.digest == digest)
            .order_by(cases.c.opened_at.desc(), cases.c.id).limit(limit))  # fmt: skip


def hits_of_case(case_id: str) -> Select[Any]:
    """(case, person) pairs of one case: the members of its household."""
    return _hits_all().where(cases.c.id == case_id).order_by(persons.c.id)


def cases_by_id(ids: Iterable[str]) -> Select[Any]:
    return select(cases).where(cases.c.id.in_(sorted(set(ids))))


def units_named(path: str | None) -> Select[Any]:
    """(id, name) of the units under ``path`` and of those above it (every unit: None)."""
    query = select(org_units.c.id, org_units.c.name)
    if path is None:
        return query
    return query.where(or_(in_subtree(org_units.c.path, path), org_units.c.id.in_(path.split("/"))))


def reads_of(path: str, *, limit: int, before: int | None) -> Select[Any]:
    """The read log's entries about persons of households under ``path``, newest first."""
    r, h = personal_data_reads, households
    query = (
        select(r)
        .join(persons, persons.c.id == r.c.person_id)
        .join(h, h.c.id == persons.c.household_id)
        .join(org_units, org_units.c.id == h.c.village_id)
        .where(in_subtree(org_units.c.path, path))
    )
    if before is not None:
        query = query.where(r.c.id < before)
    return query.order_by(r.c.id.desc()).limit(limit)


def open_deadlines_due(path: str, start: Any, end: Any) -> Select[Any]:
    """(case id, kind, due at) of open deadlines under ``path`` due in [start, end)."""
    d = deadlines
    return (
        select(d.c.case_id, d.c.kind, d.c.due_at)
        .join(cases, cases.c.id == d.c.case_id)
        .where(and_(OPEN_DEADLINE, d.c.due_at >= start, d.c.due_at < end,
                    in_subtree(cases.c.org_path, path)))
        .order_by(d.c.due_at, d.c.id)
    )  # fmt: skip


def cases_in_states(path: str, pairs: Iterable[tuple[str, str]]) -> Select[Any]:
    """Cases under ``path`` whose (workflow, state) is one of ``pairs``, longest waiting first."""
    wanted = [and_(cases.c.workflow == w, cases.c.state == s) for w, s in sorted(set(pairs))]
    return (select(cases).where(in_subtree(cases.c.org_path, path), or_(*wanted))
            .order_by(cases.c.updated_at, cases.c.id))  # fmt: skip
