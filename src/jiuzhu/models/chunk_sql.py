"""The writes of a chunk of deadline firings, collected and then run a few statements per chunk.

A sweep fires a chunk of claimed deadlines in one transaction (``service/firing_set.py``).
Instead of five or six statements per deadline, the chunk reads its cases in one ``SELECT``
(locked ``FOR UPDATE`` on PostgreSQL, in id order, so that two workers never deadlock), checks
in one ``SELECT`` which claims it still holds, and then :class:`ChunkWrites` collects every
write the firings make -- case rows, events, ledger lines, household months, credit records,
deadlines marked fired, closed and opened -- to run them as one ``executemany`` per statement
when the chunk ends (:meth:`ChunkWrites.flush`).  The Merkle log's leaves are queued as each
firing is recorded, so they keep the order a firing at a time would give them.

A chunk holds at most one deadline per case: the writes of one firing never depend on another
firing's unflushed writes, except the household months, which :meth:`ChunkWrites.month_holder`
answers from the chunk first.  Every write is guarded on the claim still being held: marking a
row fired requires ``status = 'claimed'`` and this worker's id, and a count short of the chunk
raises, rolling the whole chunk back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from ..audit.leaves import credit_leaf, entry_leaves, event_leaf
from ..errors import ConcurrencyConflict
from . import log_sql, pipeline
from .cursor import _MUTABLE

if TYPE_CHECKING:
    from .cursor import CursorStatements


def _fetch(conn: Connection, query: str, params: dict[str, Any]) -> list[Any]:
    cur = conn.connection.cursor()
    try:
        cur.execute(query, params)
        return list(cur.fetchall())
    finally:
        cur.close()


def _in(codec: Any, name: str, n: int) -> str:
    return codec.marks(name, n)  # type: ignore[no-any-return]


class ChunkStatements:
    """The two reads of a chunk (its cases, the claims the worker still holds) and the one
    statement a chunk adds to the command path's; build once per service."""

    def __init__(self, sql: CursorStatements) -> None:
        self.sql = sql
        ph = sql.codec.placeholder
        self.mark_fired = (
            f"UPDATE deadlines SET status = 'fired', fired_at = {ph('fired_at')}, "
            f"closed_seq = {ph('seq')} WHERE id = {ph('id')} AND status = 'claimed' "
            f"AND claimed_by = {ph('worker')}"
        )

    def load_cases(self, conn: Connection, case_ids: Sequence[str]) -> dict[str, Any]:
        """The case rows of ``case_ids``, locked for update in id order (PostgreSQL)."""
        sql, codec = self.sql, self.sql.codec
        ids = sorted(set(case_ids))
        query = (f"SELECT {', '.join(sql.cases.columns)} FROM cases "
                 f"WHERE id IN ({_in(codec, 'c', len(ids))}) ORDER BY id{codec.for_update}")  # fmt: skip
        cur = conn.connection.cursor()
        try:
            cur.execute(query, {f"c{i}": case_id for i, case_id in enumerate(ids)})
            found = cur.fetchall()
        finally:
            cur.close()
        return {row.id: row for row in map(sql.cases.decode, found)}

    def claims_held(self, conn: Connection, ids: Sequence[int],
                    worker: str) -> dict[int, tuple[str, datetime]]:  # fmt: skip
        """{deadline id: (kind, due at)} of the rows of ``ids`` still claimed by ``worker``."""
        codec = self.sql.codec
        query = (f"SELECT id, kind, due_at FROM deadlines WHERE id IN "
                 f"({_in(codec, 'd', len(ids))}) AND status = 'claimed' "
                 f"AND claimed_by = {codec.placeholder('worker')}{codec.for_update}")  # fmt: skip
        params: dict[str, Any] = {f"d{i}": deadline_id for i, deadline_id in enumerate(ids)}
        params["worker"] = worker
        found = _fetch(conn, query, params)
        return {r[0]: (r[1], codec.read_instant(r[2])) for r in found}

    def month_holders(self, conn: Connection,
                      wanted: set[tuple[str, str, str]]) -> dict[tuple[str, str, str], str]:  # fmt: skip
        """{(household, programme, month): case} of the ``wanted`` months already paid: what
        a chunk of monthly payments checks, in one ``SELECT``."""
        if not wanted:
            return {}
        codec = self.sql.codec
        households = sorted({w[0] for w in wanted})
        periods = sorted({w[2] for w in wanted})
        query = (f"SELECT household_id, programme, period, case_id FROM household_months "
                 f"WHERE household_id IN ({_in(codec, 'h', len(households))}) "
                 f"AND period IN ({_in(codec, 'p', len(periods))})")  # fmt: skip
        params: dict[str, Any] = {f"h{i}": h for i, h in enumerate(households)}
        params.update({f"p{i}": p for i, p in enumerate(periods)})
        found = _fetch(conn, query, params)
        return {(r[0], r[1], r[2]): r[3] for r in found if (r[0], r[1], r[2]) in wanted}


class ChunkWrites:
    """Collects a chunk's writes (the write methods of the statements, same signatures) and runs
    them in one ``executemany`` per statement; see the module's docstring."""

    def __init__(self, statements: ChunkStatements, worker: str) -> None:
        self.statements = statements
        self.sql = statements.sql
        self.worker = worker
        self.fired: list[dict[str, Any]] = []
        self.stale: list[dict[str, Any]] = []
        self.cases: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.ledger: list[dict[str, Any]] = []
        self.months: list[dict[str, Any]] = []
        self.credits: list[dict[str, Any]] = []
        self.closed: list[dict[str, Any]] = []
        self.opened: list[dict[str, Any]] = []
        self._held: dict[tuple[str, str, str], str] = {}  # (household, programme, month) -> case
        self._looked_up: set[tuple[str, str, str]] = set()  # what ``_held`` answers for all

    def know_months(self, conn: Connection, wanted: set[tuple[str, str, str]]) -> None:
        """Read at once which of the ``wanted`` months are paid already (see month_holder)."""
        self._held.update(self.statements.month_holders(conn, wanted))
        self._looked_up |= wanted

    # -- what the firing decides about its deadline row ---------------------------------------
    def mark_fired(self, deadline_id: int, at: datetime, seq: int) -> None:
        self.fired.append({"id": deadline_id, "fired_at": self.sql.codec.write_instant(at),
                           "seq": seq, "worker": self.worker})  # fmt: skip

    def mark_stale(self, deadline_id: int) -> None:
        self.stale.append({"id": deadline_id})

    def __len__(self) -> int:
        return len(self.fired) + len(self.stale)

    # -- the write methods of the statements (``CommandBase._record`` calls them) ---------------
    def insert_case_row(self, conn: Connection, values: dict[str, Any]) -> None:
        raise AssertionError("a deadline fires on a case that exists")  # pragma: no cover

    def record_command_key(self, conn: Connection, values: dict[str, Any]) -> None:
        raise AssertionError("a deadline fires without an idempotency key")  # pragma: no cover

    def update_case_row(self, conn: Connection, values: dict[str, Any], old_version: int) -> int:
        params = self.sql.cases.encode({n: values[n] for n in _MUTABLE})
        params.update(id=values["id"], old_version=old_version)
        self.cases.append(params)
        return 1  # checked for the whole chunk in flush()

    def append_event(self, conn: Connection, params: dict[str, Any]) -> None:
        self.events.append(self.sql.events.encode(params))
        log_sql.queue(conn, [event_leaf(params["case_id"], params["seq"], params["hash"])])

    def book(self, conn: Connection, entries: Sequence[Any], org_path: str,
             at: datetime) -> None:  # fmt: skip
        codec = self.sql.codec
        when = codec.write_instant(at)
        self.ledger.extend({"case_id": e.case_id, "seq": e.seq, "line": e.line, "kind": e.kind,
                            "amount_fen": e.amount_fen, "period": e.period, "ref": e.ref,
                            "booked_on": codec.write_date(e.booked_on), "org_path": org_path,
                            "created_at": when} for e in entries)  # fmt: skip
        log_sql.queue(conn, entry_leaves(entries))

    def hold_months(self, conn: Connection, household_id: str, programme: str,
                    periods: Sequence[str], case_id: str, seq: int,
                    at: datetime) -> None:  # fmt: skip
        when = self.sql.codec.write_instant(at)
        for period in periods:
            self._held[(household_id, programme, period)] = case_id
            self.months.append({"household_id": household_id, "programme": programme,
                                "period": period, "case_id": case_id, "seq": seq,
                                "created_at": when})  # fmt: skip

    def month_holder(self, conn: Connection, household_id: str, programme: str,
                     period: str) -> tuple[str, int] | None:  # fmt: skip
        """As the statements' ``month_holder``, with the months this chunk holds already."""
        key = (household_id, programme, period)
        case_id = self._held.get(key)
        if case_id is not None:
            return case_id, 0
        if key in self._looked_up:
            return None
        return self.sql.month_holder(conn, household_id, programme, period)  # type: ignore[attr-defined, no-any-return]

    def add_credit_record(self, conn: Connection, *, person_id: str, case_id: str, seq: int,
                          reason: str, on: date, at: datetime) -> None:  # fmt: skip
        codec = self.sql.codec
        self.credits.append({"person_id": person_id, "case_id": case_id, "seq": seq,
                             "reason": reason, "recorded_on": codec.write_date(on),
                             "created_at": codec.write_instant(at)})  # fmt: skip
        log_sql.queue(conn, [credit_leaf(case_id, seq, person_id, reason, on)])

    def close_deadline(self, conn: Connection, case_id: str, kind: str, seq: int, *,
                       status: str = "cancelled") -> None:  # fmt: skip
        self.closed.append({"case_id": case_id, "kind": kind, "seq": seq, "status": status})

    def open_deadline(self, conn: Connection, case_id: str, kind: str, due: datetime,
                      seq: int) -> None:  # fmt: skip
        self.opened.append(self.sql.deadlines.encode({
            "case_id": case_id, "kind": kind, "due_at": due, "status": "pending",
            "opened_seq": seq}))  # fmt: skip

    # -- the chunk's statements ----------------------------------------------------------------
    def flush(self, conn: Connection) -> None:
        """Run the collected writes, one ``executemany`` per statement, in the order a single
        firing writes them; raise :class:`ConcurrencyConflict` if a claim or a case row was
        not as read (the transaction then rolls back)."""
        sql = self.sql
        pipeline.send(conn)  # PostgreSQL: what the unit of work holds back goes first, and
        cur = conn.connection.cursor()  # these run outside a pipeline: their counts are read
        try:
            for statement, params, check in (
                (self.statements.mark_fired, self.fired, True),
                (sql.drop_stale, self.stale, False),
                (sql.update_case, self.cases, True),
                (sql.insert_event, self.events, False),
                (sql.insert_ledger, self.ledger, False),
                (sql.insert_month, self.months, False),
                (sql.insert_credit, self.credits, False),
                (sql.close_deadline_sql, self.closed, False),
                (sql.insert_deadline, self.opened, False),
            ):
                if not params:
                    continue
                cur.executemany(statement, params)
                if check and cur.rowcount != len(params):
                    raise ConcurrencyConflict(
                        "a claimed deadline or its case changed while its chunk fired; the "
                        "chunk is fired again one deadline at a time",
                        "批量触发期间有期限或案件被修改，改为逐条重新触发",
                    )
        finally:
            cur.close()
