"""An in-memory fake of the persistence port, for tests of the service without a database.

:class:`MemoryStatements` has the methods of :class:`jiuzhu.models.port.Statements` that the
command path uses, over plain dicts; :class:`MemoryUnitOfWork` gives it transactions (a copy
of the data is taken when one begins and put back when it fails); :class:`MemoryCalendar` is
the built-in working-day calendar.  Rows come back as :class:`~types.SimpleNamespace` with the
columns of the real tables, so the service reads them as it reads database rows.  The unique
indexes that commands rely on (a person's ID number, one event per case and seq, a unit's
idempotency key) are kept: a second row fails the transaction as a concurrent change would.

Not covered: the Core reads (lists, reports, the ledger and credit lists), deadline claims.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from ..audit.leaves import credit_leaf, entry_leaves, event_leaf
from ..errors import ConcurrencyConflict
from ..ledger import Entry
from ..workflows.workdays import BUILTIN, WorkCalendar
from . import rows

_CASE_COLUMNS = tuple(c.name for c in rows.cases.columns)
_MUTABLE = ("state", "row_version", "monthly_amount_fen", "facts", "deadlines", "last_seq",
            "head_hash", "updated_at", "village_id", "org_path")  # fmt: skip


class Duplicate(Exception):
    """A row that a unique index of the real schema refuses."""


@dataclass
class MemoryData:
    """Every table the command path writes, as lists and dicts."""

    org_units: dict[str, SimpleNamespace] = field(default_factory=dict)
    households: dict[str, SimpleNamespace] = field(default_factory=dict)
    persons: dict[str, SimpleNamespace] = field(default_factory=dict)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[SimpleNamespace] = field(default_factory=list)
    deadlines: list[SimpleNamespace] = field(default_factory=list)
    ledger: list[Entry] = field(default_factory=list)
    household_months: dict[tuple[str, str, str], tuple[str, int]] = field(default_factory=dict)
    credit_records: list[SimpleNamespace] = field(default_factory=list)
    command_keys: dict[tuple[str, str], SimpleNamespace] = field(default_factory=dict)
    case_number_counters: dict[tuple[str, int], int] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    person_digests: dict[str, str] = field(default_factory=dict)  # digest -> person id
    personal_data_reads: list[dict[str, Any]] = field(default_factory=list)
    log: list[Any] = field(default_factory=list)  # the Merkle log's leaves, in order


class MemoryUnitOfWork:
    """Transactions over :class:`MemoryData`: a failed one leaves the data as it was."""

    def __init__(self, data: MemoryData) -> None:
        self.data = data

    @contextmanager
    def write(self) -> Iterator[MemoryData]:
        saved = copy.deepcopy(self.data.__dict__)
        try:
            yield self.data
        except BaseException as exc:
            self.data.__dict__.update(saved)
            if isinstance(exc, Duplicate):
                raise ConcurrencyConflict(
                    "another change to the same record was saved at the same moment; "
                    "reload and try again",
                    "同一记录刚被他人修改，请刷新后重试",
                ) from exc
            raise

    @contextmanager
    def read(self) -> Iterator[MemoryData]:
        yield self.data


class MemoryCalendar:
    """The built-in working-day calendar (no notices loaded)."""

    def current(self, conn: Any = None) -> WorkCalendar:
        return BUILTIN

    def invalidate(self) -> None:
        pass


class MemoryStatements:
    """The statements of the service's command path, over :class:`MemoryData`.

    Each method takes the "connection" its unit of work yielded: the data itself.
    """

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    # -- cases -----------------------------------------------------------------------------
    def load_case(self, conn: MemoryData, case_id: str, *, for_update: bool) -> Any:
        row = conn.cases.get(case_id)
        return None if row is None else SimpleNamespace(**copy.deepcopy(row))

    def insert_case_row(self, conn: MemoryData, values: dict[str, Any]) -> None:
        if values["id"] in conn.cases:
            raise Duplicate(f"case {values['id']}")
        conn.cases[values["id"]] = copy.deepcopy({c: values[c] for c in _CASE_COLUMNS})

    def update_case_row(self, conn: MemoryData, values: dict[str, Any], old_version: int) -> int:
        row = conn.cases.get(values["id"])
        if row is None or row["row_version"] != old_version:
            return 0
        row.update(copy.deepcopy({n: values[n] for n in _MUTABLE}))
        return 1

    def household_members(self, conn: MemoryData, household_id: str) -> list[tuple[str, str]]:
        home = conn.households.get(household_id)
        if home is None:
            return []
        members = [(home.village_id, p.id) for p in conn.persons.values()
                   if p.household_id == household_id]  # fmt: skip
        return members or [(home.village_id, None)]  # type: ignore[list-item]

    # -- events and idempotency keys -------------------------------------------------------
    def append_event(self, conn: MemoryData, params: dict[str, Any]) -> None:
        if any(e.case_id == params["case_id"] and e.seq == params["seq"] for e in conn.events):
            raise Duplicate(f"event {params['case_id']}/{params['seq']}")
        conn.events.append(SimpleNamespace(id=next(self._ids), **copy.deepcopy(params)))
        conn.log.append(event_leaf(params["case_id"], params["seq"], params["hash"]))

    def events_of(self, conn: MemoryData, case_id: str, upto: int | None = None) -> list[Any]:
        found = [e for e in conn.events if e.case_id == case_id and (upto is None or e.seq <= upto)]
        return sorted(found, key=lambda e: e.seq)

    def command_key(self, conn: MemoryData, org: str, key: str) -> Any:
        return conn.command_keys.get((org, key))

    def record_command_key(self, conn: MemoryData, values: dict[str, Any]) -> None:
        scope = (values["org"], values["key"])
        if scope in conn.command_keys:
            raise Duplicate(f"idempotency key {scope}")
        conn.command_keys[scope] = SimpleNamespace(**values)

    # -- deadlines -------------------------------------------------------------------------
    def open_deadline(self, conn: MemoryData, case_id: str, kind: str, due: datetime,
                      seq: int) -> None:  # fmt: skip
        conn.deadlines.append(SimpleNamespace(
            id=next(self._ids), case_id=case_id, kind=kind, due_at=due, status="pending",
            opened_seq=seq, closed_seq=None, claimed_by=None, lease_until=None, fired_at=None))  # fmt: skip

    def close_deadline(self, conn: MemoryData, case_id: str, kind: str, seq: int, *,
                       status: str = "cancelled") -> None:  # fmt: skip
        for d in conn.deadlines:
            if d.case_id == case_id and d.kind == kind and d.status in ("pending", "claimed"):
                d.status, d.closed_seq = status, seq

    def earliest_pending(self, conn: MemoryData) -> datetime | None:
        return min((d.due_at for d in conn.deadlines if d.status == "pending"), default=None)

    def claim_due(self, conn: MemoryData, *, worker: str, now: datetime, batch: int,
                  lease: timedelta, max_lease: timedelta) -> list[tuple[int, str, datetime]]:  # fmt: skip
        due = sorted((d for d in conn.deadlines
                      if (d.status == "pending" and d.due_at <= now)
                      or (d.status == "claimed" and not now <= d.lease_until <= now + max_lease)),
                     key=lambda d: (d.due_at, d.id))[:batch]  # fmt: skip
        for d in due:
            d.status, d.claimed_by, d.lease_until = "claimed", worker, now + lease
        return [(d.id, d.case_id, d.due_at) for d in due]

    def release_claims(self, conn: MemoryData, *, worker: str, ids: Sequence[int]) -> None:
        for d in conn.deadlines:
            if d.id in ids and d.status == "claimed" and d.claimed_by == worker:
                d.status, d.claimed_by, d.lease_until = "pending", None, None

    # -- money -----------------------------------------------------------------------------
    def ledger_entries(self, conn: MemoryData, case_id: str) -> list[Entry]:
        return sorted((e for e in conn.ledger if e.case_id == case_id),
                      key=lambda e: (e.seq, e.line))  # fmt: skip

    def book(self, conn: MemoryData, entries: Sequence[Entry], org_path: str,
             at: datetime) -> None:  # fmt: skip
        conn.ledger.extend(entries)
        conn.log.extend(entry_leaves(entries))

    def hold_months(self, conn: MemoryData, household_id: str, programme: str,
                    periods: Sequence[str], case_id: str, seq: int,
                    at: datetime) -> None:  # fmt: skip
        for period in periods:
            if (household_id, programme, period) in conn.household_months:
                raise Duplicate(f"household month {household_id}/{programme}/{period}")
            conn.household_months[(household_id, programme, period)] = (case_id, seq)

    def month_holder(self, conn: MemoryData, household_id: str, programme: str,
                     period: str) -> tuple[str, int] | None:  # fmt: skip
        return conn.household_months.get((household_id, programme, period))

    def add_credit_record(self, conn: MemoryData, *, person_id: str, case_id: str, seq: int,
                          reason: str, on: date, at: datetime) -> None:  # fmt: skip
        conn.credit_records.append(SimpleNamespace(person_id=person_id, case_id=case_id,
                                                   seq=seq, reason=reason, recorded_on=on,
                                                   created_at=at))  # fmt: skip
        conn.log.append(credit_leaf(case_id, seq, person_id, reason, on))

    # -- organisation units and households -------------------------------------------------
    def org_unit(self, conn: MemoryData, unit_id: str) -> Any:
        return conn.org_units.get(unit_id)

    def insert_org_unit(self, conn: MemoryData, values: dict[str, Any]) -> None:
        if values["id"] in conn.org_units:
            raise Duplicate(f"unit {values['id']}")
        conn.org_units[values["id"]] = SimpleNamespace(**values)

    def household(self, conn: MemoryData, household_id: str) -> Any:
        return conn.households.get(household_id)

    def move_household(self, conn: MemoryData, household_id: str, village_id: str) -> None:
        conn.households[household_id].village_id = village_id

    def persons(self, conn: MemoryData, household_id: str) -> list[Any]:
        return sorted((p for p in conn.persons.values() if p.household_id == household_id),
                      key=lambda p: p.id)  # fmt: skip

    def person_registered(self, conn: MemoryData, numbers: Sequence[str]) -> Any:
        for p in conn.persons.values():
            if p.id_number in numbers:
                home = conn.households[p.household_id]
                return SimpleNamespace(household_id=home.id, village_id=home.village_id)
        return None

    def insert_household(self, conn: MemoryData, values: dict[str, Any],
                         members: list[dict[str, Any]]) -> None:  # fmt: skip
        taken = {p.id_number for p in conn.persons.values()}
        if any(m["id_number"] in taken for m in members):
            raise Duplicate("ID number")
        conn.households[values["id"]] = SimpleNamespace(**values)
        for m in members:
            conn.persons[m["id"]] = SimpleNamespace(**m)

    # -- finding cases ---------------------------------------------------------------------
    def next_case_serial(self, conn: MemoryData, county: str, year: int) -> int:
        serial = conn.case_number_counters.get((county, year), 0) + 1
        conn.case_number_counters[(county, year)] = serial
        return serial

    def database_setting(self, conn: MemoryData, key: str) -> str | None:
        return conn.settings.get(key)

    def put_database_setting(self, conn: MemoryData, key: str, value: str, at: datetime) -> None:
        conn.settings.setdefault(key, value)

    def count_person_digests(self, conn: MemoryData) -> int:
        return len(conn.person_digests)

    def index_persons(self, conn: MemoryData, digests: list[dict[str, str]]) -> None:
        if any(d["digest"] in conn.person_digests for d in digests):
            raise Duplicate("ID number digest")
        conn.person_digests.update((d["digest"], d["person_id"]) for d in digests)

    def log_personal_reads(self, conn: MemoryData, entries: list[dict[str, Any]]) -> None:
        conn.personal_data_reads.extend(copy.deepcopy(entries))


__all__ = ["MemoryCalendar", "MemoryData", "MemoryStatements", "MemoryUnitOfWork"]
