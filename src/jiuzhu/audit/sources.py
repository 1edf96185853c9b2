"""Streams of what an audit reads, each ordered by case id, from a database or an export.

From a database the rows come through the driver's own cursor (a server-side cursor on
PostgreSQL), never as ORM objects: decoding is the cost of a full verification.  Every stream
is ordered by ``case_id`` in code-point order (PostgreSQL: ``COLLATE "C"`` unless the database
already sorts that way), which is also Python's string order, so :func:`merge` can walk them
side by side with memory for one case at a time.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from ..models.dialect import dialect_of

FETCH = 2000  # rows per round trip and stream: five streams in flight at once
EVENT_COLUMNS = ("id", "case_id", "seq", "type", "payload", "actor_role", "actor_org",
                 "actor_user", "occurred_at", "prev_hash", "hash")  # fmt: skip
CASE_COLUMNS = ("id", "state", "row_version", "programme", "household_id", "village_id",
                "org_path", "expenditure_fen", "monthly_amount_fen", "facts", "deadlines",
                "last_seq", "head_hash", "workflow", "workflow_version", "opened_at",
                "updated_at", "case_no")  # fmt: skip
CASE_JSON = ("facts", "deadlines")
CASE_INSTANTS = ("opened_at", "updated_at")


def merge(*streams: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, list[Any]]]:
    """Walk streams of (case_id, value), each sorted by case_id with unique ids, side by side:
    yield (case_id, [value or None per stream]) for every id in any of them."""
    iters = [iter(s) for s in streams]
    heads = [next(it, None) for it in iters]
    while True:
        keys = [h[0] for h in heads if h is not None]
        if not keys:
            return
        key = min(keys)
        values = []
        for i, head in enumerate(heads):
            if head is not None and head[0] == key:
                values.append(head[1])
                heads[i] = next(iters[i], None)
            else:
                values.append(None)
        yield key, values


def grouped(rows: Iterable[Any], key: Any = lambda r: r[0]) -> Iterator[tuple[str, list[Any]]]:
    for case_id, group in itertools.groupby(rows, key):
        yield case_id, list(group)


# -- the database ------------------------------------------------------------------------------
class DatabaseSource:
    """The streams of one connection, inside the caller's (snapshot) transaction."""

    def __init__(self, conn: Connection, span: tuple[str | None, str | None] = (None, None)
                 ) -> None:  # fmt: skip
        self.conn = conn
        self.span = span  # only case ids in [low, high): None is open (a parallel audit's part)
        self.dbapi: Any = conn.connection.driver_connection
        self.dialect = dialect_of(conn.dialect.name)
        self.sqlite = self.dialect.sqlite
        self.order = "case_id" if self.sqlite or self._sorts_by_code_point() else (
            'case_id COLLATE "C"')  # fmt: skip
        self._cursors = itertools.count()

    def within(self, column: str, where: str) -> str:
        """``where`` (empty, ``WHERE …`` or ``AND …``) with this source's span of case ids on
        ``column`` added, compared as the streams are ordered (code points)."""
        low, high = self.span
        key = self.order.replace("case_id", column, 1)
        bounds = ([f"{key} >= {self.mark('span_low')}"] if low is not None else []) + (
            [f"{key} < {self.mark('span_high')}"] if high is not None else [])  # fmt: skip
        if not bounds:
            return where
        clause = " AND ".join(bounds)
        if not where:
            return f"WHERE {clause}"
        keyword, rest = where.split(" ", 1)
        return f"{keyword} {clause} AND {rest}"

    def _sorts_by_code_point(self) -> bool:
        collation = self.conn.exec_driver_sql(
            "SELECT datcollate FROM pg_database WHERE datname = current_database()"
        ).scalar()  # fmt: skip
        return str(collation).split(".")[0] in ("C", "POSIX")

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
        if self.sqlite:
            cur = self.dbapi.cursor()
            cur.arraysize = FETCH
        else:
            cur = self.dbapi.cursor(name=f"jiuzhu_audit_{next(self._cursors)}")
            cur.itersize = FETCH
        try:
            spans = {"span_low": self.span[0], "span_high": self.span[1]}
            cur.execute(sql, {**(params or {}), **{k: v for k, v in spans.items() if k in sql}})
            while batch := cur.fetchmany(FETCH):
                yield from batch
        finally:
            cur.close()

    def instant(self, column: str) -> str:
        """SQL giving a UTC instant column as the text events are hashed with."""
        if self.sqlite:
            return column  # 'YYYY-MM-DD HH:MM:SS.ffffff', converted in Python
        return (f"to_char({column} AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")  # fmt: skip

    def case(self, case_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]],
                                         dict[str, str], list[dict[str, Any]],
                                         list[dict[str, Any]]]:  # fmt: skip
        """One case: (row values or None, events, open deadlines, ledger rows, credit rows)."""
        where = {"id": case_id}
        rows = list(self.cases(f"WHERE id = {self.mark('id')}", where))
        events = list(self.events(f"WHERE case_id = {self.mark('id')}", where))
        deadlines = list(self.open_deadlines(f"AND case_id = {self.mark('id')}", where))
        ledger = list(self.ledger(f"WHERE case_id = {self.mark('id')}", where))
        credits = list(self.credits(f"WHERE case_id = {self.mark('id')}", where))
        return (rows[0][1] if rows else None, events[0][1] if events else [],
                deadlines[0][1] if deadlines else {}, ledger[0][1] if ledger else [],
                credits[0][1] if credits else [])  # fmt: skip

    def mark(self, name: str) -> str:
        return self.dialect.placeholder(name)

    def events(self, where: str = "", params: dict[str, Any] | None = None
               ) -> Iterator[tuple[str, list[dict[str, Any]]]]:  # fmt: skip
        cols = ", ".join(self.instant(c) if c == "occurred_at" else c for c in EVENT_COLUMNS)
        where = self.within("case_id", where)
        rows = self.rows(f"SELECT {cols} FROM events {where} ORDER BY {self.order}, seq", params)
        load = self.dialect.read_json
        iso = sqlite_iso if self.sqlite else _same
        for case_id, group in grouped(rows, lambda r: r[1]):
            yield case_id, [
                {"id": r[0], "case_id": r[1], "seq": r[2], "type": r[3], "payload": load(r[4]),
                 "actor": {"role": r[5], "org": r[6], "user": r[7]} if r[7] else
                 {"role": r[5], "org": r[6]},
                 "occurred_at": iso(r[8]), "prev_hash": r[9], "hash": r[10]}
                for r in group
            ]  # fmt: skip

    def cases(self, where: str = "", params: dict[str, Any] | None = None
              ) -> Iterator[tuple[str, dict[str, Any]]]:  # fmt: skip
        cols = ", ".join(self.instant(c) if c in CASE_INSTANTS else c for c in CASE_COLUMNS)
        order = self.order.replace("case_id", "id", 1)
        load = self.dialect.read_json
        iso = sqlite_iso if self.sqlite else _same
        where = self.within("id", where)
        for row in self.rows(f"SELECT {cols} FROM cases {where} ORDER BY {order}", params):
            values = dict(zip(CASE_COLUMNS, row, strict=True))
            for name in CASE_JSON:
                values[name] = load(values[name])
            for name in CASE_INSTANTS:
                values[name] = iso(values[name])
            yield values.pop("id"), values

    def open_deadlines(self, where: str = "", params: dict[str, Any] | None = None
                       ) -> Iterator[tuple[str, dict[str, str]]]:  # fmt: skip
        where = self.within("case_id", where or "AND TRUE")
        rows = self.rows(f"SELECT case_id, kind, {self.instant('due_at')} FROM deadlines "
                         f"WHERE status IN ('pending', 'claimed') {where} "
                         f"ORDER BY {self.order}, kind", params)  # fmt: skip
        iso: Any = sqlite_iso if self.sqlite else _same
        for case_id, group in grouped(rows):
            yield case_id, {kind: iso(due) for _, kind, due in group}

    def ledger(self, where: str = "", params: dict[str, Any] | None = None
               ) -> Iterator[tuple[str, list[dict[str, Any]]]]:  # fmt: skip
        where = self.within("case_id", where)
        rows = self.rows("SELECT case_id, seq, line, kind, amount_fen, booked_on, period, ref "
                         f"FROM ledger_entries {where} ORDER BY {self.order}, seq, line", params)  # fmt: skip
        for case_id, group in grouped(rows):
            yield case_id, [
                {"case_id": r[0], "seq": r[1], "line": r[2], "kind": r[3], "amount_fen": r[4],
                 "booked_on": r[5] if isinstance(r[5], str) else r[5].isoformat(),
                 "period": r[6], "ref": r[7]}
                for r in group
            ]  # fmt: skip

    def credits(self, where: str = "", params: dict[str, Any] | None = None
                ) -> Iterator[tuple[str, list[dict[str, Any]]]]:  # fmt: skip
        where = self.within("case_id", where)
        rows = self.rows("SELECT case_id, seq, person_id, reason, recorded_on FROM credit_records "
                         f"{where} ORDER BY {self.order}, seq", params)  # fmt: skip
        for case_id, group in grouped(rows):
            yield case_id, [
                {"seq": r[1], "person_id": r[2], "reason": r[3],
                 "recorded_on": r[4] if isinstance(r[4], str) else r[4].isoformat()}
                for r in group
            ]  # fmt: skip

    def heads(self) -> Iterator[tuple[str, list[tuple[int, int, str]]]]:
        where = self.within("case_id", "")
        rows = self.rows(f"SELECT case_id, checkpoint, seq, hash FROM audit_checkpoint_heads "
                         f"{where} ORDER BY {self.order}, checkpoint")  # fmt: skip
        for case_id, group in grouped(rows):
            yield case_id, [(int(k), int(seq), digest) for _, k, seq, digest in group]


def sqlite_iso(text: str | None) -> str | None:
    """SQLite's stored instant text ('2024-03-15 02:00:00.000000', UTC) -> the hashed form."""
    if text is None:
        return None
    if len(text) == 26:
        return f"{text[:10]}T{text[11:]}Z"
    from datetime import UTC, datetime

    from ..clock import iso_utc

    return iso_utc(datetime.fromisoformat(text).replace(tzinfo=UTC))


def _same(value: Any) -> Any:
    return value


# -- an export directory -------------------------------------------------------------------------
def jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


class ExportSource:
    """The same streams read back from the files of ``jiuzhu audit export``."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def events(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        return grouped(jsonl(self.dir / "events.jsonl"), lambda e: e["case_id"])

    def cases(self, where: str = "", params: dict[str, Any] | None = None
              ) -> Iterator[tuple[str, dict[str, Any]]]:  # fmt: skip
        for case in jsonl(self.dir / "cases.jsonl"):
            case.pop("open_deadline_rows")
            case.pop("ledger_rows")
            case.pop("credit_rows", None)
            yield case.pop("case_id"), case

    def ledger(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        for case in jsonl(self.dir / "cases.jsonl"):
            yield case["case_id"], case["ledger_rows"]

    def credits(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        for case in jsonl(self.dir / "cases.jsonl"):
            yield case["case_id"], case.get("credit_rows", [])

    def open_deadlines(self) -> Iterator[tuple[str, dict[str, str]]]:
        for case in jsonl(self.dir / "cases.jsonl"):
            yield case["case_id"], case["open_deadline_rows"]

    def heads(self) -> Iterator[tuple[str, list[tuple[int, int, str]]]]:
        # the file is ordered by case id, then checkpoint (docs/audit-format.md)
        lines = jsonl(self.dir / "checkpoint_heads.jsonl")
        for case_id, group in grouped(lines, lambda h: h["case_id"]):
            yield case_id, [(h["checkpoint"], h["seq"], h["hash"]) for h in group]
