"""The writes of a PostgreSQL unit of work, sent in one pipeline sync with its COMMIT.

A command reads its case ``FOR UPDATE`` and must wait for that answer; nothing it writes after
that needs one.  So inside a unit of work on PostgreSQL (:func:`begin`), the statements of the
command path (:mod:`jiuzhu.models.cursor`, :mod:`jiuzhu.models.log_sql`) are held back
(:func:`defer`) instead of each costing a round trip, and :func:`send` runs them in psycopg's
pipeline mode with ``COMMIT`` last: one sync, one round trip for all the writes.

Reading your own writes stays exact: every read of the command path, and every statement that
goes through SQLAlchemy on the connection (a ``before_cursor_execute`` listener,
:func:`watch`), sends what is held back first (without committing).  A statement that must
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


def begin(conn: Connection) -> None:
    """Hold back the command path's statements on this connection until :func:`send`."""
    conn.info[KEY] = []


def end(conn: Connection) -> None:
    """Stop holding statements back (what is still held is dropped: the caller rolls back)."""
    conn.info.pop(KEY, None)


def defer(conn: Connection, sql: str, params: Any, *, many: bool = False) -> bool:
    """Hold ``sql`` back if this connection's unit of work pipelines; False: run it now."""
    held = conn.info.get(KEY)
    if held is None:
        return False
    held.append((sql, params, many))
    return True


def send(conn: Connection, *, commit: bool = False) -> None:
    """Run the statements held back, in order, in one pipeline sync; with ``commit``, the
    transaction's ``COMMIT`` goes in the same sync.  The first error raises here, and the
    statements after it (``COMMIT`` too) do not run."""
    held = conn.info.get(KEY)
    if not held and not commit:
        return
    items = list(held or ())
    if held:
        held.clear()
    raw = conn.connection.driver_connection
    with raw.pipeline():
        cur = raw.cursor()
        try:
            for sql, params, many in items:
                if many:
                    cur.executemany(sql, params)
                else:
                    cur.execute(sql, params)
            if commit:
                # the pipeline's closing sync carries it; the driver sees the transaction
                # closed, so SQLAlchemy's own commit afterwards sends nothing
                cur.execute("COMMIT")
        finally:
            cur.close()


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
    if conn.info.get(KEY):
        send(conn)


def watch(engine: Engine) -> None:
    """Have every SQLAlchemy statement on ``engine`` send what its unit of work holds back
    first, so that it sees those writes (and runs after them)."""
    if not event.contains(engine, "before_cursor_execute", _send_before):
        event.listen(engine, "before_cursor_execute", _send_before)


__all__ = ["begin", "counted", "defer", "end", "miss", "send", "watch"]
