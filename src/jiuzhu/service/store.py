"""Tables and the Core statements of reads (commands use :mod:`.hotpath`); row mappings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, bindparam, or_, select

from ..clock import iso_utc, parse_iso_utc
from ..models.tables import (
    CaseRecord,
    CreditRecord,
    DeadlineRecord,
    EventRecord,
    HouseholdRecord,
    LedgerEntryRecord,
    OrgUnitRecord,
    PersonRecord,
)
from ..workflows.base import CaseModel


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


cases = _table(CaseRecord)
events = _table(EventRecord)
deadlines = _table(DeadlineRecord)
org_units = _table(OrgUnitRecord)
households = _table(HouseholdRecord)
persons = _table(PersonRecord)
ledger = _table(LedgerEntryRecord)
credit_records = _table(CreditRecord)

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
SELECT_PERSON_BY_NUMBERS = select(persons.c.household_id).where(
    persons.c.id_number.in_(bindparam("numbers", expanding=True))
)

SELECT_CASE = select(cases).where(cases.c.id == bindparam("id"))

SELECT_EVENTS = (
    select(events).where(events.c.case_id == bindparam("case_id")).order_by(events.c.seq)
)
SELECT_EVENTS_UPTO = SELECT_EVENTS.where(events.c.seq <= bindparam("seq"))
SELECT_EVENT_BY_KEY = select(events.c.case_id, events.c.seq, events.c.type).where(
    events.c.idempotency_key == bindparam("key")
)


# Which triggers a command may have fired (an idempotency key names a command, not a trigger).
COMMAND_TRIGGERS = {
    "apply": {"apply"},
    "promise": {"promise"},
    "record_appraisal": {"review", "fail_appraisal"},
    "approve": {"approve"},
    "refuse": {"refuse"},
    "record_verification": {"verify", "revoke", "terminate"},
    "withdraw": {"withdraw"},
    "manage_service_plans": {"plan.open", "plan.suspend", "plan.resume", "plan.end"},
    "record_visit": {"plan.visit"},
    # the standard path and temporary assistance
    "apply_standard": {"apply"},
    "accept_standard": {"accept"},
    "investigate": {"start_investigation", "complete_investigation"},
    "check_standard": {"start_verification", "record_check"},
    "propose_standard": {"recommend", "not_recommend", "mark_special"},
    "record_objection": {"object_reinvestigate", "object_appraise"},
    "appraise_standard": {"appraise"},
    "decide_standard": {"confirm", "reject"},
    "deliver_rejection_notice": {"deliver_notice"},
    "apply_temporary": {"apply"},
    "assess_temporary": {"assess", "complete_paperwork"},
    "decide_temporary": {"approve", "reject", "assist_first"},
    "pay_temporary": {"pay", "close"},
}  # any other command fires the trigger of its own name


def in_subtree(column: Any, path: str) -> Any:
    """``column`` (an org path) lies in the subtree rooted at ``path``.

    autoescape: '_' is allowed in unit ids and is a LIKE wildcard.
    """
    return or_(column == path, column.startswith(path + "/", autoescape=True))


def same_command(trigger: str, command: str) -> bool:
    return trigger in COMMAND_TRIGGERS.get(command, {command})


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
