"""What the service returns: plain frozen dataclasses, JSON-ready through ``to_dict``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from ..clock import iso_utc
from ..workflows import get as get_workflow


@dataclass(frozen=True)
class CaseView:
    id: str
    workflow: str
    workflow_version: int
    state: str
    state_zh: str
    state_en: str
    row_version: int
    programme: str
    village_id: str
    household_id: str
    expenditure_fen: int
    monthly_amount_fen: int | None
    facts: dict[str, Any]
    deadlines: dict[str, str]
    allowed: list[str]
    last_seq: int
    head_hash: str
    opened_at: datetime
    updated_at: datetime
    replayed: bool = False  # True when an idempotency key returned an earlier result
    case_no: str = ""  # e.g. 320922-2024-000123 (county, Shanghai year of opening, serial)
    village_name: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = shallow(self)
        data["opened_at"] = iso_utc(self.opened_at)
        data["updated_at"] = iso_utc(self.updated_at)
        return data


def shallow(view: Any) -> dict[str, Any]:
    """A view's fields as a dict that shares their values (facts, payloads: plain JSON values,
    not to be changed through it): ``asdict`` deep-copied every case's facts, and that was most
    of what serving a page of cases cost."""
    return {f.name: getattr(view, f.name) for f in fields(view)}


def case_view(row: Any, replayed: bool = False, village_name: str | None = None) -> CaseView:
    """The view of a case row; ``village_name`` defaults to the row's own (a joined column)."""
    wf = get_workflow(row.workflow, row.workflow_version)
    label = wf.state_label(row.state)
    return CaseView(
        id=row.id,
        workflow=row.workflow,
        workflow_version=row.workflow_version,
        state=row.state,
        state_zh=label.zh,
        state_en=label.en,
        row_version=row.row_version,
        programme=row.programme,
        village_id=row.village_id,
        household_id=row.household_id,
        expenditure_fen=row.expenditure_fen,
        monthly_amount_fen=row.monthly_amount_fen,
        facts=row.facts,
        deadlines=row.deadlines,
        allowed=wf.allowed(row.state),
        last_seq=row.last_seq,
        head_hash=row.head_hash,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        replayed=replayed,
        case_no=getattr(row, "case_no", None) or row.facts.get("case_no", ""),
        village_name=village_name if village_name is not None else getattr(row, "village_name", ""),
    )


@dataclass(frozen=True)
class EventView:
    case_id: str
    seq: int
    type: str
    type_zh: str
    type_en: str
    payload: dict[str, Any]
    actor: dict[str, str]
    occurred_at: datetime
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        data = shallow(self)
        data["occurred_at"] = iso_utc(self.occurred_at)
        return data


@dataclass(frozen=True)
class HouseholdView:
    """A household; ``members`` (read only) holds relation, masked ID number and, for case
    workers but not auditors, the name."""

    id: str
    village_id: str
    member_ids: list[str] = field(default_factory=list)
    members: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OrgUnitView:
    id: str
    name: str
    level: str
    parent_id: str | None
    path: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MemberView:
    """A household member as a case worker sees them (an auditor sees no name: ``""``)."""

    person_id: str
    name: str
    relation: str
    relation_zh: str
    id_number_masked: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReadLogEntry:
    """One read of a person's personal data: who, when, whose (the person's id), why."""

    id: int
    read_at: datetime
    actor_role: str
    actor_org: str
    actor_user: str | None
    person_id: str
    purpose: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["read_at"] = iso_utc(self.read_at)
        return data
