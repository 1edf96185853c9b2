"""The SQL of a command and of the deadline claims, run on the driver's cursor inside the
SQLAlchemy transaction.

A command is a handful of small statements (read the case, update it, append the event, open or
close a deadline).  Through SQLAlchemy Core each statement costs ~60-100 µs of Python before
the driver sees it -- more than the database itself spends on it -- so the command path speaks
to the DB-API cursor directly, with statements generated once from the SQLModel tables (so the
column lists cannot drift from the schema) and the two type conversions that matter done here:
JSON columns and UTC instants (:mod:`jiuzhu.models.dialect`).  The transaction, the pool and every other query stay with
SQLAlchemy.  Both databases run the same integration contract suite through this path.

On PostgreSQL, inside a unit of work, the writes are held back and sent with the ``COMMIT`` in
one pipeline sync (:mod:`jiuzhu.models.pipeline`); every read here sends them first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import JSON, Connection, Table

from ..audit.leaves import credit_leaf, entry_leaves, event_leaf
from ..ledger import Entry
from . import log_sql, pipeline, rows
from .dialect import Dialect, dialect_of
from .types import UTCDateTime


class _TableSQL:
    """INSERT / SELECT text for one table, with converters derived from its column types."""

    def __init__(self, table: Table, codec: Dialect) -> None:
        self.name = table.name
        self.columns = [c.name for c in table.columns]
        self.codec = codec
        self.json = {c.name for c in table.columns if isinstance(c.type, JSON)}
        self.instants = {c.name for c in table.columns if isinstance(c.type, UTCDateTime)}

    def insert(self, names: Sequence[str]) -> str:
        marks = ", ".join(self.codec.placeholder(n) for n in names)
        return f"INSERT INTO {self.name} ({', '.join(names)}) VALUES ({marks})"

    def encode(self, params: dict[str, Any]) -> dict[str, Any]:
        out = dict(params)
        for name in self.json.intersection(out):
            out[name] = self.codec.write_json(out[name])
        for name in self.instants.intersection(out):
            out[name] = self.codec.write_instant(out[name])
        return out

    def decode(self, row: Sequence[Any]) -> SimpleNamespace:
        values = dict(zip(self.columns, row, strict=True))
        for name in self.json:
            values[name] = self.codec.read_json(values[name])
        for name in self.instants:
            values[name] = self.codec.read_instant(values[name])
        return SimpleNamespace(**values)


# village_id and org_path change only when the household moves house (workflows.transfer)
_MUTABLE = ("state", "row_version", "monthly_amount_fen", "facts", "deadlines", "last_seq",
            "head_hash", "updated_at", "village_id", "org_path")  # fmt: skip
_EVENT_COLUMNS = ("case_id", "seq", "type", "payload", "actor_role", "actor_org", "actor_user",
                  "occurred_at", "prev_hash", "hash", "idempotency_key")  # fmt: skip
_DEADLINE_COLUMNS = ("case_id", "kind", "due_at", "status", "opened_seq")
_LEDGER_COLUMNS = ("case_id", "seq", "line", "kind", "amount_fen", "period", "ref", "booked_on",
                   "org_path", "created_at")  # fmt: skip
_MONTH_COLUMNS = ("household_id", "programme", "period", "case_id", "seq", "created_at")
_CREDIT_COLUMNS = ("person_id", "case_id", "seq", "reason", "recorded_on", "created_at")


class CursorStatements:
    """The statements of one command and of the deadline claims, for one dialect; build once
    per engine."""

    def __init__(self, dialect: str) -> None:
        codec = self.codec = dialect_of(dialect)
        ph = codec.placeholder
        self.cases = _TableSQL(rows.cases, codec)
        self.events = _TableSQL(rows.events, codec)
        self.deadlines = _TableSQL(rows.deadlines, codec)
        select = f"SELECT {', '.join(self.cases.columns)} FROM cases WHERE id = {ph('id')}"
        self.select_case = select
        self.select_case_for_update = select + codec.for_update
        self.insert_case = self.cases.insert(self.cases.columns)
        sets = ", ".join(f"{n} = {ph(n)}" for n in _MUTABLE)
        self.update_case = (
            f"UPDATE cases SET {sets} WHERE id = {ph('id')} AND row_version = {ph('old_version')}"
        )
        # held back in a pipeline, the version check fails in the database when it misses
        self.update_case_checked = pipeline.counted(self.update_case + " RETURNING 1", "1",
                                                    "case", ph("id"))  # fmt: skip
        self.insert_event = self.events.insert(_EVENT_COLUMNS)
        self.insert_deadline = self.deadlines.insert(_DEADLINE_COLUMNS)
        self.select_members = (
            "SELECT h.village_id, p.id FROM households h LEFT JOIN persons p "
            f"ON p.household_id = h.id WHERE h.id = {ph('household_id')}"
        )
        self.close_deadline_sql = (
            f"UPDATE deadlines SET status = {ph('status')}, closed_seq = {ph('seq')} "
            f"WHERE case_id = {ph('case_id')} AND kind = {ph('kind')} "
            "AND status IN ('pending', 'claimed')"
        )
        self.select_deadline = (
            f"SELECT id, case_id, kind, due_at, status, claimed_by FROM deadlines "
            f"WHERE id = {ph('id')}"
        )
        self.select_deadline_for_update = self.select_deadline + codec.for_update
        self.mark_fired = (
            f"UPDATE deadlines SET status = 'fired', fired_at = {ph('fired_at')}, "
            f"closed_seq = {ph('seq')} WHERE id = {ph('id')} AND status = 'claimed' "
            f"AND claimed_by = {ph('worker')} RETURNING kind, due_at"
        )
        self.drop_stale = f"UPDATE deadlines SET status = 'cancelled' WHERE id = {ph('id')}"
        self.insert_ledger = _TableSQL(rows.ledger, codec).insert(_LEDGER_COLUMNS)
        self.insert_month = _TableSQL(rows.household_months, codec).insert(_MONTH_COLUMNS)
        self.select_month = (
            "SELECT case_id, seq FROM household_months WHERE "
            f"household_id = {ph('household_id')} AND programme = {ph('programme')} "
            f"AND period = {ph('period')}"
        )
        self.insert_credit = _TableSQL(rows.credit_records, codec).insert(_CREDIT_COLUMNS)
        self.select_ledger = (
            "SELECT case_id, seq, line, kind, amount_fen, booked_on, period, ref "
            f"FROM ledger_entries WHERE case_id = {ph('case_id')} ORDER BY seq, line"
        )
        # a claim marks due rows (and expired claims, and claims whose lease is longer than
        # any worker may hold: a ghost's) as one worker's, with a lease
        self.claim_sql = (
            f"UPDATE deadlines SET status = 'claimed', claimed_by = {ph('worker')}, "
            f"lease_until = {ph('until')} WHERE id IN ("
            "SELECT id FROM deadlines WHERE "
            f"(status = 'pending' AND due_at <= {ph('now')}) "
            f"OR (status = 'claimed' AND lease_until < {ph('now')}) "
            f"OR (status = 'claimed' AND lease_until > {ph('ceiling')}) "
            f"ORDER BY due_at, id LIMIT {ph('batch')}{codec.skip_locked}) "
            "RETURNING id, case_id, due_at"
        )
        self.release_sql = (
            "UPDATE deadlines SET status = 'pending', claimed_by = NULL, lease_until = NULL "
            f"WHERE status = 'claimed' AND claimed_by = {ph('worker')} AND id IN ({{}})"
        )

    @staticmethod
    def _cursor(conn: Connection) -> Any:
        """A cursor for a read: what the unit of work holds back goes out before it, so that
        the read sees it (see :mod:`jiuzhu.models.pipeline`)."""
        return pipeline.read_cursor(conn)

    def load_case(self, conn: Connection, case_id: str, *, for_update: bool) -> Any:
        cur = self._cursor(conn)
        cur.execute(
            self.select_case_for_update if for_update else self.select_case, {"id": case_id}
        )
        row = cur.fetchone()
        cur.close()
        return None if row is None else self.cases.decode(row)

    def household_members(self, conn: Connection, household_id: str) -> list[tuple[str, str]]:
        """[(village_id, person_id), ...] of a household; empty when it does not exist."""
        cur = self._cursor(conn)
        cur.execute(self.select_members, {"household_id": household_id})
        rows = [tuple(r) for r in cur.fetchall()]
        cur.close()
        return rows  # type: ignore[return-value]

    def insert_case_row(self, conn: Connection, values: dict[str, Any]) -> None:
        self._run(
            conn, self.insert_case, self.cases.encode({c: values[c] for c in self.cases.columns})
        )

    def update_case_row(self, conn: Connection, values: dict[str, Any], old_version: int) -> int:
        params = self.cases.encode({n: values[n] for n in _MUTABLE})
        params.update(id=values["id"], old_version=old_version)
        if pipeline.defer(conn, self.update_case_checked, params):
            return 1  # the database checks the version: a miss fails the sync, before COMMIT
        return self._run(conn, self.update_case, params)

    def append_event(self, conn: Connection, params: dict[str, Any]) -> None:
        self._run(conn, self.insert_event, self.events.encode(params))
        log_sql.queue(conn, [event_leaf(params["case_id"], params["seq"], params["hash"])])

    def open_deadline(self, conn: Connection, case_id: str, kind: str, due: datetime,
                      seq: int) -> None:  # fmt: skip
        params = {"case_id": case_id, "kind": kind, "due_at": due, "status": "pending",
                  "opened_seq": seq}  # fmt: skip
        self._run(conn, self.insert_deadline, self.deadlines.encode(params))

    def close_deadline(self, conn: Connection, case_id: str, kind: str, seq: int, *,
                       status: str = "cancelled") -> None:  # fmt: skip
        params = {"case_id": case_id, "kind": kind, "seq": seq, "status": status}
        self._run(conn, self.close_deadline_sql, params)

    def load_deadline(self, conn: Connection, deadline_id: int, *, for_update: bool) -> Any:
        cur = self._cursor(conn)
        sql = self.select_deadline_for_update if for_update else self.select_deadline
        cur.execute(sql, {"id": deadline_id})
        row = cur.fetchone()
        cur.close()
        if row is None:
            return None
        case_id, kind, due_at = row[1], row[2], self.codec.read_instant(row[3])
        return SimpleNamespace(id=row[0], case_id=case_id, kind=kind, due_at=due_at,
                               status=row[4], claimed_by=row[5])  # fmt: skip

    def deadline_fired(self, conn: Connection, deadline_id: int, worker: str, at: datetime,
                       seq: int) -> tuple[str, datetime] | None:  # fmt: skip
        """Mark the row fired if ``worker`` still holds its claim: (kind, due_at), else None."""
        params = {"id": deadline_id, "fired_at": self.codec.write_instant(at), "seq": seq,
                  "worker": worker}  # fmt: skip
        cur = self._cursor(conn)
        cur.execute(self.mark_fired, params)
        row = cur.fetchone()
        cur.close()
        return None if row is None else (row[0], self.codec.read_instant(row[1]))

    def deadline_stale(self, conn: Connection, deadline_id: int) -> None:
        self._run(conn, self.drop_stale, {"id": deadline_id})

    def book(self, conn: Connection, entries: Sequence[Any], org_path: str,
             at: datetime) -> None:  # fmt: skip
        """Insert ledger entries (``jiuzhu.ledger.Entry``) booked by one event."""
        codec = self.codec
        rows = [{"case_id": e.case_id, "seq": e.seq, "line": e.line, "kind": e.kind,
                 "amount_fen": e.amount_fen, "period": e.period, "ref": e.ref,
                 "booked_on": codec.write_date(e.booked_on), "org_path": org_path,
                 "created_at": codec.write_instant(at)} for e in entries]  # fmt: skip
        self._run_many(conn, self.insert_ledger, rows)
        log_sql.queue(conn, entry_leaves(entries))

    def hold_months(self, conn: Connection, household_id: str, programme: str,
                    periods: Sequence[str], case_id: str, seq: int,
                    at: datetime) -> None:  # fmt: skip
        """Rows of ``household_months``: the household's ``programme`` paid for ``periods`` by
        event ``seq`` of ``case_id``.  A month another case holds fails the primary key."""
        when = self.codec.write_instant(at)
        self._run_many(conn, self.insert_month, [
            {"household_id": household_id, "programme": programme, "period": period,
             "case_id": case_id, "seq": seq, "created_at": when} for period in periods])  # fmt: skip

    def month_holder(self, conn: Connection, household_id: str, programme: str,
                     period: str) -> tuple[str, int] | None:  # fmt: skip
        """(case id, seq) of the payment of the household's ``programme`` for ``period``."""
        cur = self._cursor(conn)
        try:
            cur.execute(self.select_month, {"household_id": household_id,
                                            "programme": programme, "period": period})  # fmt: skip
            row = cur.fetchone()
        finally:
            cur.close()
        return None if row is None else (row[0], int(row[1]))

    def ledger_entries(self, conn: Connection, case_id: str) -> list[Entry]:
        cur = self._cursor(conn)
        cur.execute(self.select_ledger, {"case_id": case_id})
        rows = cur.fetchall()
        cur.close()
        return [Entry(r[0], r[1], r[2], r[3], r[4], self.codec.read_date(r[5]), r[6], r[7])
                for r in rows]  # fmt: skip

    def add_credit_record(self, conn: Connection, *, person_id: str, case_id: str, seq: int,
                          reason: str, on: date, at: datetime) -> None:  # fmt: skip
        self._run(conn, self.insert_credit, {
            "person_id": person_id, "case_id": case_id, "seq": seq, "reason": reason,
            "recorded_on": self.codec.write_date(on), "created_at": self.codec.write_instant(at),
        })  # fmt: skip
        log_sql.queue(conn, [credit_leaf(case_id, seq, person_id, reason, on)])

    def claim_due(self, conn: Connection, *, worker: str, now: datetime, batch: int,
                  lease: timedelta, max_lease: timedelta) -> list[tuple[int, str, datetime]]:  # fmt: skip
        """Claim up to ``batch`` due rows (and expired claims, and claims with a lease longer
        than ``max_lease`` from ``now``): [(id, case id, due at)]."""
        codec = self.codec
        params = {"worker": worker, "until": codec.write_instant(now + lease),
                  "now": codec.write_instant(now), "batch": batch,
                  "ceiling": codec.write_instant(now + max_lease)}  # fmt: skip
        cur = self._cursor(conn)
        try:
            cur.execute(self.claim_sql, params)
            found = cur.fetchall()
        finally:
            cur.close()
        return [(r[0], r[1], codec.read_instant(r[2])) for r in found]

    def release_claims(self, conn: Connection, *, worker: str, ids: Sequence[int]) -> None:
        """Give back ``worker``'s claims on ``ids`` not fired yet."""
        params: dict[str, Any] = {f"id{i}": deadline_id for i, deadline_id in enumerate(ids)}
        params["worker"] = worker
        self._run(conn, self.release_sql.format(self.codec.marks("id", len(ids))), params)

    @staticmethod
    def _run(conn: Connection, sql: str, params: dict[str, Any]) -> int:
        """Run a write now, or hold it back in the unit of work's pipeline (then -1: no count
        yet; no caller of a held write looks at it)."""
        if pipeline.defer(conn, sql, params):
            return -1
        cur = conn.connection.cursor()
        try:
            cur.execute(sql, params)
            return int(cur.rowcount)
        finally:
            cur.close()

    @staticmethod
    def _run_many(conn: Connection, sql: str, rows: list[dict[str, Any]]) -> None:
        if pipeline.defer(conn, sql, rows, many=True):
            return
        cur = conn.connection.cursor()
        try:
            cur.executemany(sql, rows)
        finally:
            cur.close()
