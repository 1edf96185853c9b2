"""The Core statements of jiuzhu, named once, and the mappings between rows and models.

Commands run their few statements on the DB-API cursor (:mod:`jiuzhu.models.cursor`); the
statements here are SQLAlchemy Core, for everything else: organisation units and households,
idempotency look-ups, and the lists and counts of the reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Select, Table, and_, bindparam, case, func, or_, select

from ..clock import iso_utc, parse_iso_utc
from ..workflows.base import CaseModel
from .calendar_tables import CalendarRevisionRecord
from .tables import (
    CaseRecord,
    CommandKeyRecord,
    CreditRecord,
    DeadlineRecord,
    EventRecord,
    HouseholdMonthRecord,
    HouseholdRecord,
    LedgerEntryRecord,
    OrgUnitRecord,
    PersonRecord,
)


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


cases = _table(CaseRecord)
events = _table(EventRecord)
deadlines = _table(DeadlineRecord)
org_units = _table(OrgUnitRecord)
households = _table(HouseholdRecord)
persons = _table(PersonRecord)
ledger = _table(LedgerEntryRecord)
household_months = _table(HouseholdMonthRecord)
credit_records = _table(CreditRecord)
command_keys = _table(CommandKeyRecord)
calendar_revisions = _table(CalendarRevisionRecord)

SELECT_ORG = select(org_units).where(org_units.c.id == bindparam("id"))
INSERT_ORG = org_units.insert()
INSERT_HOUSEHOLD = households.insert()
SELECT_HOUSEHOLD = select(households).where(households.c.id == bindparam("id"))
SELECT_PERSONS = (
    select(persons)
    .where(persons.c.household_id == bindparam("household_id"))
    .order_by(persons.c.id)
)
INSERT_PERSON = persons.insert()
SELECT_PERSON_BY_NUMBERS = (
    select(persons.c.household_id, households.c.village_id)
    .join(households, households.c.id == persons.c.household_id)
    .where(persons.c.id_number.in_(bindparam("numbers", expanding=True)))
)

SELECT_CASE = select(cases).where(cases.c.id == bindparam("id"))

SELECT_EVENTS = (
    select(events).where(events.c.case_id == bindparam("case_id")).order_by(events.c.seq)
)
SELECT_EVENTS_UPTO = SELECT_EVENTS.where(events.c.seq <= bindparam("seq"))
SELECT_COMMAND_KEY = select(
    command_keys.c.case_id, command_keys.c.seq, command_keys.c.type, command_keys.c.digest
).where(command_keys.c.org == bindparam("org"), command_keys.c.key == bindparam("key"))
INSERT_COMMAND_KEY = command_keys.insert()

# the working-day calendar's revisions (service/calendar.py): counted on every recount, read
# whole when the count changed, read per year when a notice is loaded
COUNT_CALENDAR_REVISIONS = select(func.count()).select_from(calendar_revisions)
SELECT_CALENDAR_REVISIONS = select(calendar_revisions).order_by(calendar_revisions.c.id)
SELECT_CALENDAR_REVISIONS_OF_YEAR = (
    select(calendar_revisions)
    .where(calendar_revisions.c.year == bindparam("year"))
    .order_by(calendar_revisions.c.revision)
)
INSERT_CALENDAR_REVISION = calendar_revisions.insert()
SELECT_EARLIEST_PENDING = select(func.min(deadlines.c.due_at)).where(
    deadlines.c.status == "pending"
)
OPEN_DEADLINE = deadlines.c.status.in_(("pending", "claimed"))


def in_subtree(column: Any, path: str) -> Any:
    """``column`` (an org path) lies in the subtree rooted at ``path``.

    autoescape: '_' is allowed in unit ids and is a LIKE wildcard.
    """
    return or_(column == path, column.startswith(path + "/", autoescape=True))


def model_of(row: Any) -> CaseModel:
    return CaseModel(
        case_id=row.id,
        state=row.state,
        facts=dict(row.facts),
        deadlines={kind: parse_iso_utc(due) for kind, due in row.deadlines.items()},
        seq=row.last_seq,
        head_hash=row.head_hash,
    )


def actor_of(row: Any) -> dict[str, str]:
    actor = {"role": row.actor_role, "org": row.actor_org}
    if row.actor_user:
        actor["user"] = row.actor_user
    return actor


def event_dict(row: Any) -> dict[str, Any]:
    """An event row as the hash chain and replay see it."""
    return {
        "case_id": row.case_id,
        "seq": row.seq,
        "type": row.type,
        "payload": row.payload,
        "actor": actor_of(row),
        "occurred_at": iso_utc(row.occurred_at),
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def event_dicts(rows: Iterable[Any]) -> list[dict[str, Any]]:
    return [event_dict(r) for r in rows]


# -- the statements of the reads ---------------------------------------------------------------
def list_cases(path: str, *, state: str | None, programme: str | None, workflow: str | None,
               overdue: bool | None, overdue_kinds: tuple[str, ...], limit: int,
               offset: int) -> Select[Any]:  # fmt: skip
    """Cases under ``path``, filtered, oldest first (see ``CaseService.list_cases``)."""
    d = deadlines
    query = select(cases).where(in_subtree(cases.c.org_path, path))
    if state is not None:
        query = query.where(cases.c.state == state)
    if programme is not None:
        query = query.where(cases.c.programme == programme)
    if workflow is not None:
        query = query.where(cases.c.workflow == workflow)
    if overdue is not None:
        late = (select(d.c.id).where(d.c.case_id == cases.c.id, OPEN_DEADLINE,
                                     d.c.kind.in_(overdue_kinds)).exists())  # fmt: skip
        query = query.where(late if overdue else ~late)
    return query.order_by(cases.c.opened_at, cases.c.id).limit(limit).offset(offset)


def count_by_state(path: str) -> Select[Any]:
    """(programme, state, count) of the cases under ``path``."""
    return (select(cases.c.programme, cases.c.state, func.count())
            .where(in_subtree(cases.c.org_path, path))
            .group_by(cases.c.programme, cases.c.state))  # fmt: skip


def overdue_verifications(path: str) -> Select[Any]:
    """(case id, village, facts) of the cases under ``path`` whose data check is overdue."""
    c, d = cases, deadlines
    return (
        select(c.c.id, c.c.village_id, c.c.facts)
        .join(d, d.c.case_id == c.c.id)
        .where(and_(d.c.kind == "verification_reminder", OPEN_DEADLINE,
                    in_subtree(c.c.org_path, path)))
    )  # fmt: skip


def missed_visits(path: str) -> Select[Any]:
    """Fired visit deadlines of the cases under ``path``, oldest first."""
    c, d = cases, deadlines
    return (
        select(c.c.id, c.c.village_id, c.c.facts, d.c.kind, d.c.due_at, d.c.fired_at)
        .join(d, d.c.case_id == c.c.id)
        .where(and_(d.c.kind.startswith("visit_due/"), d.c.status == "fired",
                    in_subtree(c.c.org_path, path)))
        .order_by(d.c.due_at, d.c.id)
    )  # fmt: skip


def limit_alarms(path: str, limits: tuple[str, ...]) -> Select[Any]:
    """Cases under ``path`` with a fired limit deadline of one of ``limits``."""
    c, d = cases, deadlines
    return (
        select(c.c.id, c.c.workflow, c.c.village_id, c.c.state, c.c.facts)
        .where(and_(in_subtree(c.c.org_path, path),
                    c.c.id.in_(select(d.c.case_id).where(and_(
                        d.c.kind.in_(limits), d.c.status == "fired"))))))  # fmt: skip


def credit_records_of(path: str, case_id: str | None = None) -> Select[Any]:
    """Credit-record entries of the cases under ``path`` (of one case when given)."""
    c, cr = cases, credit_records
    query = (select(cr.c.person_id, cr.c.case_id, cr.c.seq, cr.c.reason, cr.c.recorded_on)
             .join(c, c.c.id == cr.c.case_id)
             .where(in_subtree(c.c.org_path, path))
             .order_by(cr.c.recorded_on, cr.c.id))  # fmt: skip
    return query if case_id is None else query.where(cr.c.case_id == case_id)


class ReportStatements(NamedTuple):
    """The grouped queries of the county report, by village (``org_path``)."""

    by_state: Select[Any]  # (org_path, state, workflow, cases)
    beneficiaries: Select[Any]  # (org_path, persons in paying cases)
    paid: Select[Any]  # (org_path, paid in total, paid in the month)
    owed: Select[Any]  # (org_path, open recoveries, owed)
    deadlines: Select[Any]  # (org_path, overdue checks, missed visits)
    units: Select[Any]  # the organisation units under the path


def report_statements(path: str, *, paying: tuple[str, ...], paid_out: Iterable[str],
                      owed: Iterable[str], reducing: Iterable[str], first: date,
                      after: date) -> ReportStatements:  # fmt: skip
    """The report's queries for the subtree at ``path`` and the month [first, after)."""
    c, p, d, le = cases, persons, deadlines, ledger
    inside = in_subtree(c.c.org_path, path)
    in_ledger = in_subtree(le.c.org_path, path)
    paid = le.c.kind.in_(tuple(paid_out))
    this_month = and_(paid, le.c.booked_on >= first, le.c.booked_on < after)
    signed = case(
        (le.c.kind.in_(tuple(owed)), le.c.amount_fen),
        (le.c.kind.in_(tuple(reducing)), -le.c.amount_fen),
        else_=0,
    )
    owing = (select(le.c.org_path, func.sum(signed).label("owed"))
             .where(in_ledger).group_by(le.c.case_id, le.c.org_path).subquery())  # fmt: skip
    return ReportStatements(
        select(c.c.org_path, c.c.state, c.c.workflow, func.count())
        .where(inside).group_by(c.c.org_path, c.c.state, c.c.workflow),
        select(c.c.org_path, func.count(func.distinct(p.c.id)))
        .join(p, p.c.household_id == c.c.household_id)
        .where(and_(inside, c.c.state.in_(paying))).group_by(c.c.org_path),
        select(le.c.org_path,
               func.sum(case((paid, le.c.amount_fen), else_=0)),
               func.sum(case((this_month, le.c.amount_fen), else_=0)))
        .where(in_ledger).group_by(le.c.org_path),
        select(owing.c.org_path, func.count(), func.sum(owing.c.owed))
        .where(owing.c.owed > 0).group_by(owing.c.org_path),
        select(c.c.org_path,
               func.sum(case((and_(d.c.kind == "verification_reminder", OPEN_DEADLINE), 1),
                             else_=0)),
               func.sum(case((and_(d.c.kind.startswith("visit_due/"), d.c.status == "fired"), 1),
                             else_=0)))
        .join(d, d.c.case_id == c.c.id).where(inside).group_by(c.c.org_path),
        select(org_units).where(in_subtree(org_units.c.path, path)),
    )  # fmt: skip


__all__ = [
    "INSERT_HOUSEHOLD", "INSERT_ORG", "INSERT_PERSON", "OPEN_DEADLINE", "SELECT_CASE",
    "SELECT_EARLIEST_PENDING", "SELECT_EVENTS", "SELECT_EVENTS_UPTO", "SELECT_COMMAND_KEY", "INSERT_COMMAND_KEY",
    "SELECT_HOUSEHOLD", "SELECT_ORG", "SELECT_PERSONS", "SELECT_PERSON_BY_NUMBERS", "actor_of",
    "cases", "command_keys", "count_by_state", "credit_records", "credit_records_of", "deadlines",
    "event_dict", "event_dicts", "events", "households", "in_subtree", "ledger",
    "limit_alarms", "list_cases", "missed_visits", "model_of", "org_units",
    "overdue_verifications", "persons", "ReportStatements", "report_statements",
]  # fmt: skip


# -- keyset pages of the long lists (service/reads.py): a page and its total, one statement each
def after_key(columns: tuple[Any, ...], key: tuple[Any, ...] | None) -> Any:
    """Rows strictly after ``key`` in the order of ``columns`` (None: from the first row)."""
    if key is None:
        return None
    (first, rest), (value, rest_values) = (columns[0], columns[1:]), (key[0], key[1:])
    if not rest:
        return first > value
    return or_(first > value, and_(first == value, after_key(rest, rest_values)))


def paged(query: Select[Any], columns: tuple[Any, ...], key: tuple[Any, ...] | None,
          limit: int) -> tuple[Select[Any], Select[Any]]:  # fmt: skip
    """(the page: ``limit`` + 1 rows after ``key``, to know whether more follow; the total)."""
    total = select(func.count()).select_from(query.order_by(None).subquery())
    after = after_key(columns, key)
    page = query if after is None else query.where(after)
    return page.order_by(*columns).limit(limit + 1), total


def case_page(path: str, *, state: str | None, programme: str | None, workflow: str | None,
              overdue: bool | None, overdue_kinds: tuple[str, ...], key: tuple[Any, ...] | None,
              limit: int) -> tuple[Select[Any], Select[Any]]:  # fmt: skip
    """A page of the cases under ``path``, filtered as :func:`list_cases`, by (opened, id)."""
    d = deadlines
    query = select(cases).where(in_subtree(cases.c.org_path, path))
    for column, value in ((cases.c.state, state), (cases.c.programme, programme),
                          (cases.c.workflow, workflow)):  # fmt: skip
        if value is not None:
            query = query.where(column == value)
    if overdue is not None:
        late = (select(d.c.id).where(d.c.case_id == cases.c.id, OPEN_DEADLINE,
                                     d.c.kind.in_(overdue_kinds)).exists())  # fmt: skip
        query = query.where(late if overdue else ~late)
    return paged(query, (cases.c.opened_at, cases.c.id), key, limit)


def missed_visit_page(path: str, key: tuple[Any, ...] | None,
                      limit: int) -> tuple[Select[Any], Select[Any]]:  # fmt: skip
    """A page of :func:`missed_visits` (with the deadline id), by (due, id)."""
    query = missed_visits(path).order_by(None).add_columns(deadlines.c.id.label("deadline_id"))
    return paged(query, (deadlines.c.due_at, deadlines.c.id), key, limit)


def overdue_verification_page(path: str, key: tuple[Any, ...] | None,
                              limit: int) -> tuple[Select[Any], Select[Any]]:  # fmt: skip
    """A page of :func:`overdue_verifications`, by the next reminder's (due, id)."""
    query = overdue_verifications(path).add_columns(deadlines.c.due_at.label("reminder_at"),
                                                    deadlines.c.id.label("deadline_id"))  # fmt: skip
    return paged(query, (deadlines.c.due_at, deadlines.c.id), key, limit)


def credit_record_page(path: str, case_id: str | None, key: tuple[Any, ...] | None,
                       limit: int) -> tuple[Select[Any], Select[Any]]:  # fmt: skip
    """A page of :func:`credit_records_of`, by (date recorded, id)."""
    query = credit_records_of(path, case_id).order_by(None).add_columns(
        credit_records.c.id.label("record_id"))  # fmt: skip
    return paged(query, (credit_records.c.recorded_on, credit_records.c.id), key, limit)
