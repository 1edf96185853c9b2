"""The writes of a PostgreSQL unit of work, sent in one pipeline sync with its COMMIT.

A command reads its case ``FOR UPDATE`` and must wait for that answer; nothing it writes after
that needs one.  So inside a unit of work on PostgreSQL (:func:`begin`), the statements of the
command path (:mod:`jiuzhu.models.cursor`, :mod:`jiuzhu.models.log_sql`) are held back
(:func:`defer`) instead of each costing a round trip, and :func:`send` runs them in psycopg's
pipeline mode with ``COMMIT`` last: one sync, one round trip for all the writes.  The first
read opens that pipeline with a ``BEGIN`` of its own (:func:`read_cursor`), so that ``BEGIN``
and ``SELECT ... FOR UPDATE`` cost one round trip too: two for a command.

Reading your own writes stays exact: a read of the command path sends what is held back ahead
of it in the pipeline, and every statement that goes through SQLAlchemy on the connection (a
``before_cursor_execute`` listener, :func:`watch`) first sends it and closes the pipeline
(SQLAlchemy cannot read results in pipeline mode).  A statement that must
change rows to be right (the case row's ``row_version`` check, the Merkle log's counter) cannot
have its row count looked at before ``COMMIT`` is sent, so it counts the rows itself and fails
in the database when the count is wrong (:func:`counted`): the transaction is then aborted
before ``COMMIT``, nothing is written, and the error names what went wrong (:func:`miss`).
SQLite has no such round trips: there every statement runs at once.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, Engine, event

KEY = "jiuzhu.pipeline"
_MARK = "jiuzhu-count-check"
_MISS = re.compile(_MARK + r":([a-z_]+):([^:\"]*):(\d+)")


class _Held(list[tuple[str, Any, bool]]):
    """The statements held back, the driver's pipeline while one is open (``opened``), and
    whether this unit of work sent its own ``BEGIN`` (``began``: see :func:`read_cursor`)."""

    opened: Any = None
    began = False


def begin(conn: Connection) -> None:
    """Hold back the command path's statements on this connection until :func:`send`."""
    conn.info[KEY] = _Held()


def end(conn: Connection) -> None:
    """Stop holding statements back; what is still held is dropped and an open pipeline is
    closed (after an error: the caller rolls back)."""
    held = conn.info.pop(KEY, None)
    if held is None:
        return
    try:
        if held.opened is not None:
            _close(held)
    except Exception:  # noqa: BLE001 - the error that brought us here is the one to raise
        pass
    if held.began:
        try:
            _give_back(conn.connection.driver_connection)
        except Exception:  # noqa: BLE001 - never pool a connection left in autocommit
            conn.invalidate()


def defer(conn: Connection, sql: str, params: Any, *, many: bool = False) -> bool:
    """Hold ``sql`` back if this connection's unit of work pipelines; False: run it now."""
    held = conn.info.get(KEY)
    if held is None:
        return False
    held.append((sql, params, many))
    return True


def read_cursor(conn: Connection) -> Any:
    """A driver cursor for a read of the command path.  In a unit of work that pipelines, the
    read joins a pipeline left open: its ``BEGIN`` (before the first read) and the writes held
    back go out with it, and its fetch waits for them all: one round trip."""
    held = conn.info.get(KEY)
    raw: Any = conn.connection.driver_connection
    if held is None:
        return raw.cursor()
    if held.opened is None:
        # psycopg syncs after the BEGIN it sends itself, a round trip of its own; with no
        # transaction open yet, this unit of work sends its own BEGIN in the pipeline instead
        begin_here = not held.began and _plain_idle(raw)
        if begin_here:
            raw.autocommit = True  # no BEGIN of the driver's; ours opens the transaction
            held.began = True
        held.opened = raw.pipeline()
        held.opened.__enter__()
        if begin_here:
            raw.cursor().execute("BEGIN")
    _run(raw, held)
    return raw.cursor()


def _plain_idle(raw: Any) -> bool:
    """No transaction open, and none of the driver's transaction settings that its own BEGIN
    would spell out."""
    from psycopg.pq import TransactionStatus

    return (raw.pgconn.transaction_status == TransactionStatus.IDLE and not raw.autocommit
            and raw.isolation_level is None and raw.read_only is None
            and raw.deferrable is None)  # fmt: skip


def _give_back(raw: Any) -> None:
    """The connection as the driver had it: a transaction still open (after an error) is
    rolled back, and the driver opens transactions itself again."""
    from psycopg.pq import TransactionStatus

    if raw.pgconn.transaction_status != TransactionStatus.IDLE:
        raw.rollback()
    raw.autocommit = False


def send(conn: Connection, *, commit: bool = False) -> None:
    """Run the statements held back, in order, in one pipeline sync; with ``commit``, the
    transaction's ``COMMIT`` goes in the same sync.  The first error raises here, and the
    statements after it (``COMMIT`` too) do not run.  The pipeline is closed afterwards, so
    that SQLAlchemy may use the connection again."""
    held = conn.info.get(KEY)
    if held is None or (not held and held.opened is None and not (commit and held.began)):
        return  # nothing held, nothing open, and no transaction of ours to commit
    raw: Any = conn.connection.driver_connection
    if held.opened is None:
        held.opened = raw.pipeline()
        held.opened.__enter__()
    _run(raw, held)
    if commit:
        # the pipeline's closing sync carries it; the driver sees the transaction closed, so
        # SQLAlchemy's own commit afterwards sends nothing
        raw.cursor().execute("COMMIT")
    _close(held)
    if commit and held.began:
        held.began = False
        _give_back(raw)


def _run(raw: Any, held: _Held) -> None:
    if not held:
        return
    items = list(held)
    held.clear()
    cur = raw.cursor()
    try:
        for sql, params, many in items:
            if many:
                cur.executemany(sql, params)
            else:
                cur.execute(sql, params)
    finally:
        cur.close()


def _close(held: _Held) -> None:
    opened, held.opened = held.opened, None
    opened.__exit__(None, None, None)  # the sync: the first error of the pipeline raises here


def counted(statement: str, expected: str, what: str, ref: str, *, ctes: str = "") -> str:
    """``statement`` (an ``UPDATE``/``INSERT`` with ``RETURNING``) wrapped so that it fails in
    the database unless it returned the number of rows in ``expected`` (a placeholder or a
    literal).  ``ctes``: ``WITH`` clauses it reads (``"a AS (...), "``; a data-modifying
    ``WITH`` may not be nested, so they join this one).

    The failure is a cast of a marked text to an integer; :func:`miss` reads ``what`` (a word),
    ``ref`` (an SQL text expression, say the case id's placeholder) and the count found back
    from its message."""
    return (
        f"WITH {ctes}counted AS ({statement}) SELECT CASE WHEN count(*) = {expected} THEN 0 "
        f"ELSE CAST('{_MARK}:{what}:' || {ref} || ':' || count(*) AS integer) END FROM counted"
    )


def miss(exc: BaseException) -> tuple[str, str, int] | None:
    """(what, ref, rows found) when ``exc`` is the failure of a :func:`counted` statement."""
    found = _MISS.search(str(exc))
    return None if found is None else (found[1], found[2], int(found[3]))


def _send_before(conn: Connection, *_args: Any) -> None:
    held = conn.info.get(KEY)
    if held or (held is not None and held.opened is not None):
        send(conn)


def watch(engine: Engine) -> None:
    """Have every SQLAlchemy statement on ``engine`` send what its unit of work holds back
    first, so that it sees those writes (and runs after them)."""
    if not event.contains(engine, "before_cursor_execute", _send_before):
        event.listen(engine, "before_cursor_execute", _send_before)


__all__ = ["begin", "counted", "defer", "end", "miss", "send", "watch"]
