"""Appending to the Merkle log, and reading it back.

A unit of work collects the leaves its statements produce (:func:`queue`) and appends them as
its last statement before it commits (:func:`flush`): the single row of ``log_head`` is the
counter, so the leaves of concurrent transactions get consecutive numbers in the order those
transactions commit.  Taking the counter last keeps its row lock to the commit itself, and
since no transaction takes another lock after it, the counter cannot deadlock.  On PostgreSQL
the counter and the leaves are one statement (an ``UPDATE ... RETURNING`` feeding the
``INSERT``), and inside a unit of work it is held back and sent with the other writes and the
``COMMIT`` in one pipeline sync (:mod:`jiuzhu.models.pipeline`): the log costs no round trip of
its own.  Writes outside a unit of work
(``jiuzhu token create`` say) append at once (:func:`append`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table, select

from ..audit.leaves import REGISTRY, Leaf, record_leaf
from ..errors import StorageError
from . import (
    log_tables,  # noqa: F401  (the tables join the metadata)
    pipeline,
)
from .tables import metadata

PENDING = "jiuzhu.log_pending"
PG_BATCH = 2000
LEAVES: Table = metadata.tables["log_leaves"]
NODES: Table = metadata.tables["log_nodes"]
CHECKPOINTS: Table = metadata.tables["log_checkpoints"]
HEAD: Table = metadata.tables["log_head"]


def begin(conn: Connection) -> None:
    """Start collecting the leaves of this transaction (a unit of work calls it)."""
    conn.info[PENDING] = []


def discard(conn: Connection) -> None:
    conn.info.pop(PENDING, None)


def queue(conn: Connection, leaves: Iterable[Leaf]) -> None:
    """Add leaves to this transaction's; outside a unit of work they are appended at once."""
    pending = conn.info.get(PENDING)
    if pending is None:
        flush(conn, list(leaves))
    else:
        pending.extend(leaves)


append = queue


def flush_pending(conn: Connection) -> None:
    pending = conn.info.pop(PENDING, None)
    if pending:
        flush(conn, pending)


def flush(conn: Connection, leaves: Sequence[Leaf]) -> None:
    """Append ``leaves`` to the log, numbered after every leaf committed before."""
    if not leaves:
        return
    cur = conn.connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            for at in range(0, len(leaves), PG_BATCH):  # a statement takes 65,535 parameters
                part = leaves[at : at + PG_BATCH]
                params: dict[str, Any] = {"k": len(part)}
                for i, leaf in enumerate(part):
                    params.update({f"k{i}": leaf.kind, f"r{i}": leaf.ref,
                                   f"h{i}": leaf.hash.hex(), f"d{i}": leaf.data.decode()})  # fmt: skip
                if pipeline.defer(conn, _pg_append_checked(len(part)), params):
                    continue  # a missing counter row fails the sync, before COMMIT
                cur.execute(_pg_append(len(part)), params)
                if cur.rowcount != len(part):
                    raise no_head()
        else:
            cur.execute("UPDATE log_head SET size = size + :k WHERE id = 1 RETURNING size",
                        {"k": len(leaves)})  # fmt: skip
            head = cur.fetchone()
            if head is None:
                raise no_head()
            start = int(head[0]) - len(leaves)
            cur.executemany(
                "INSERT INTO log_leaves (idx, kind, ref, hash, data) VALUES (:i, :k, :r, :h, :d)",
                [
                    {
                        "i": start + i,
                        "k": leaf.kind,
                        "r": leaf.ref,
                        "h": leaf.hash.hex(),
                        "d": leaf.data.decode(),
                    }
                    for i, leaf in enumerate(leaves)
                ],  # fmt: skip
            )
    finally:
        cur.close()


def no_head() -> StorageError:
    return StorageError("the Merkle log's counter (table log_head) has no row: the database "
                        "was not set up by jiuzhu's migrations or was tampered with",
                        "默克尔日志计数器（log_head 表）缺少记录：数据库未经 jiuzhu 迁移建立，或已被篡改")  # fmt: skip


_PG_HEAD = "head AS (UPDATE log_head SET size = size + %(k)s WHERE id = 1 RETURNING size)"


def _pg_insert(n: int) -> str:
    values = ", ".join(f"({i}, %(k{i})s, %(r{i})s, %(h{i})s, %(d{i})s)" for i in range(n))
    return (
        "INSERT INTO log_leaves (idx, kind, ref, hash, data) "
        "SELECT head.size - %(k)s + v.o, v.kind, v.ref, v.hash, v.data "
        f"FROM head, (VALUES {values}) AS v (o, kind, ref, hash, data)"
    )


@cache
def _pg_append(n: int) -> str:
    return f"WITH {_PG_HEAD} {_pg_insert(n)}"


@cache
def _pg_append_checked(n: int) -> str:
    """:func:`_pg_append` failing in the database unless it appended ``n`` leaves."""
    return pipeline.counted(_pg_insert(n) + " RETURNING 1", "%(k)s", "log", "'head'",
                            ctes=_PG_HEAD + ", ")  # fmt: skip


def record_leaves(conn: Connection, kind: str, keys: Iterable[str]) -> list[Leaf]:
    """Leaves of registry records as they are stored now (read back after a write)."""
    wanted = sorted(set(keys))
    if not wanted:
        return []
    table: Table = metadata.tables[REGISTRY[kind][0]]
    column = table.c[REGISTRY[kind][1]]
    found = []
    for start in range(0, len(wanted), 500):
        query = select(table).where(column.in_(wanted[start : start + 500])).order_by(column)
        found += [record_leaf(kind, row._mapping) for row in conn.execute(query)]
    return found


def log_records(conn: Connection, kind: str, keys: Iterable[str]) -> None:
    """Queue the leaves of registry records this transaction wrote."""
    queue(conn, record_leaves(conn, kind, keys))


# -- reading ------------------------------------------------------------------------------------
def size(conn: Connection) -> int:
    return int(conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one())


def _raw(conn: Connection, statement: str, params: dict[str, Any]) -> list[Any]:
    """Rows of one read on the driver's cursor: a proof reads a few blocks of 256 hashes, and
    the driver alone reads them several times faster than result rows do."""
    if conn.dialect.name == "postgresql":
        statement = re.sub(r":(\w+)", r"%(\1)s", statement)
    cur = conn.connection.cursor()
    try:
        cur.execute(statement, params)
        return list(cur.fetchall())
    finally:
        cur.close()


def leaf_hashes(conn: Connection, start: int, end: int) -> list[bytes]:
    rows = _raw(conn, "SELECT hash FROM log_leaves WHERE idx >= :lo AND idx < :hi ORDER BY idx",
                {"lo": start, "hi": end})  # fmt: skip
    return [bytes.fromhex(h) for (h,) in rows]


def hash_ranges(conn: Connection, leaves: list[tuple[int, int]],
                nodes: list[tuple[int, int, int]]) -> dict[tuple[int, int], bytes]:  # fmt: skip
    """{(level, idx): hash} of the leaves in the ranges [lo, hi) (level 0) and of the stored
    nodes in the ranges (level, lo, hi): one statement each."""
    found: dict[tuple[int, int], bytes] = {}
    params: dict[str, Any] = {}
    if leaves:
        where = " OR ".join(f"(idx >= :a{i} AND idx < :b{i})" for i in range(len(leaves)))
        for i, (lo, hi) in enumerate(leaves):
            params.update({f"a{i}": lo, f"b{i}": hi})
        for idx, digest in _raw(conn, f"SELECT idx, hash FROM log_leaves WHERE {where}", params):
            found[(0, int(idx))] = bytes.fromhex(digest)
    if nodes:
        params = {}
        where = " OR ".join(f"(level = :l{i} AND idx >= :a{i} AND idx < :b{i})"
                            for i in range(len(nodes)))  # fmt: skip
        for i, (level, lo, hi) in enumerate(nodes):
            params.update({f"l{i}": level, f"a{i}": lo, f"b{i}": hi})
        query = f"SELECT level, idx, hash FROM log_nodes WHERE {where}"
        for level, idx, digest in _raw(conn, query, params):
            found[(int(level), int(idx))] = bytes.fromhex(digest)
    return found


def leaf_rows(conn: Connection, start: int = 0, end: int | None = None,
              batch: int = 5000) -> Iterator[Any]:  # fmt: skip
    """(idx, kind, ref, hash, data) of the leaves in [start, end), in order, streamed."""
    query = select(LEAVES.c.idx, LEAVES.c.kind, LEAVES.c.ref, LEAVES.c.hash, LEAVES.c.data)
    query = query.where(LEAVES.c.idx >= start)
    if end is not None:
        query = query.where(LEAVES.c.idx < end)
    query = query.order_by(LEAVES.c.idx).execution_options(stream_results=True, yield_per=batch)
    yield from conn.execute(query)


def leaves_of(conn: Connection, kind: str, ref: str) -> list[Any]:
    """(idx, hash, data) of every leaf for one row, oldest first."""
    query = (select(LEAVES.c.idx, LEAVES.c.hash, LEAVES.c.data)
             .where(LEAVES.c.kind == kind, LEAVES.c.ref == ref).order_by(LEAVES.c.idx))  # fmt: skip
    return list(conn.execute(query))


def nodes(conn: Connection, level: int, start: int, end: int) -> dict[int, bytes]:
    rows = _raw(conn, "SELECT idx, hash FROM log_nodes WHERE level = :level AND idx >= :lo "
                "AND idx < :hi", {"level": level, "lo": start, "hi": end})  # fmt: skip
    return {int(i): bytes.fromhex(h) for i, h in rows}


def stored_node_count(conn: Connection, level: int) -> int:
    from sqlalchemy import func

    query = select(func.count()).select_from(NODES).where(NODES.c.level == level)
    return int(conn.execute(query).scalar_one())


def insert_nodes(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(NODES.insert(), rows)
