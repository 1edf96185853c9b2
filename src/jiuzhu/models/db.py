"""Engines: SQLite (the embedded default) with its pragmas, or PostgreSQL by URL.

Nothing here runs at import.  On SQLite, jiuzhu's commands open their transaction themselves
with ``BEGIN IMMEDIATE`` (:func:`begin_sqlite`), so that writers queue on the busy timeout
instead of failing later on a stale snapshot.  The driver keeps its default transaction
handling, so ``engine.begin()`` behaves for embedders exactly as SQLAlchemy documents it for
SQLite.  (A ``begin`` event listener would also do it, but any connection-level listener makes
every statement dispatch events, which cost ~15% of a command.)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError

from ..errors import InvalidInput

ENV_URL = "JIUZHU_DATABASE_URL"
DEFAULT_PATH = "jiuzhu.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
ENV_SYNCHRONOUS = "JIUZHU_SQLITE_SYNCHRONOUS"
SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")
"""SQLite's ``synchronous`` levels jiuzhu accepts.  ``FULL`` (the default) syncs the WAL on
every commit, so an acknowledged command survives a power cut or an OS crash; ``NORMAL`` syncs
only at checkpoints: faster, and safe against a crash of the process, but the last commits can
be lost when the machine loses power.  A benefits system's "done" must survive that, so
``NORMAL`` is an opt-in (``$JIUZHU_SQLITE_SYNCHRONOUS=NORMAL``) for training copies and
benchmarks, never the default."""


def resolve_url(db: str | None = None) -> str:
    """``--db`` value -> SQLAlchemy URL.  A plain path means an SQLite file."""
    db = db or os.environ.get(ENV_URL) or DEFAULT_PATH
    if "://" not in db:
        return f"sqlite:///{Path(db).expanduser().resolve()}"
    if db.startswith(("postgresql://", "postgres://")):
        db = "postgresql+psycopg://" + db.split("://", 1)[1]
    try:
        url = make_url(db)
    except ArgumentError:
        raise InvalidInput(
            f"'{db}' is not a database URL (expected e.g. postgresql://user@host/db or a file path)",
            f"“{db}”不是有效的数据库地址",
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(
            f"database '{url.get_backend_name()}' is not supported; use SQLite or PostgreSQL",
            "仅支持 SQLite 和 PostgreSQL 数据库",
        )
    return db


def sqlite_synchronous(level: str | None = None) -> str:
    """The ``synchronous`` level: ``level``, else ``$JIUZHU_SQLITE_SYNCHRONOUS``, else FULL."""
    chosen = (level or os.environ.get(ENV_SYNCHRONOUS) or "FULL").strip().upper()
    if chosen not in SYNCHRONOUS:
        raise InvalidInput(
            f"SQLite synchronous level '{chosen}' is not one of {', '.join(SYNCHRONOUS)} "
            f"(${ENV_SYNCHRONOUS}; FULL unless a lost last commit on power loss is acceptable)",
            f"SQLite 同步级别“{chosen}”无效，应为 {'、'.join(SYNCHRONOUS)} 之一（默认 FULL）",
        )
    return chosen


def make_engine(db: str | None = None, *, synchronous: str | None = None,
                **kwargs: Any) -> Engine:  # fmt: skip
    """An engine on ``db`` (see :func:`resolve_url`); on SQLite with jiuzhu's pragmas and the
    ``synchronous`` level of :func:`sqlite_synchronous`."""
    url = resolve_url(db)
    if url.startswith("sqlite"):
        level = sqlite_synchronous(synchronous)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, level)
    else:
        own_ping = "pool_pre_ping" not in kwargs
        engine = create_engine(url, **kwargs)
        if own_ping:
            ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_S = 1.0
"""A pooled PostgreSQL connection idle longer than this is pinged before it is used again."""
_IDLE_SINCE = "jiuzhu.idle_since"


def ping_when_idle(engine: Engine, *, idle_s: float = PING_AFTER_IDLE_S,
                   clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
    """Ping a pooled connection at checkout only when it lay idle for ``idle_s`` or more.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one round trip of a command's
    three on PostgreSQL (see :mod:`jiuzhu.models.pipeline`).  A connection back in use within
    a second is as good as tested by its last use; one idle longer (a restarted server, a
    dropped idle connection) is pinged, and if the ping finds it dead the pool replaces it
    before the command starts, as ``pool_pre_ping`` would.
    """

    @event.listens_for(engine.pool, "checkin")
    def _idle(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = clock()

    @event.listens_for(engine.pool, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)  # None: connected just now
        if since is None or clock() - since < idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise DisconnectionError(str(exc)) from exc  # the pool connects afresh
            raise


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute(f"PRAGMA synchronous = {synchronous}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def begin_sqlite(conn: Connection, *, write: bool) -> None:
    """Open the transaction on an SQLite connection before its first statement."""
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one consistent snapshot, on either database."""
    with engine.connect() as conn:
        if is_sqlite(engine):
            begin_sqlite(conn, write=False)
        else:
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        try:
            yield conn
        finally:
            conn.rollback()


def sqlite_readonly_uri(path: Path) -> str:
    """The ``file:`` URI that opens ``path`` read-only: ``mode=ro``, and ``immutable=1`` when
    the file or its directory cannot be written (read-only media, a snapshot chmod'ed
    read-only): a WAL database opened ``mode=ro`` needs its ``-shm`` file, which SQLite cannot
    create there.  ``immutable=1`` takes no locks and reads no ``-wal`` file, so such a copy
    must be whole on its own (checkpointed: ``PRAGMA wal_checkpoint(TRUNCATE)``)."""
    from urllib.parse import quote

    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    return f"file:{quote(str(path))}?mode=ro" + ("" if writable else "&immutable=1")


def make_readonly_engine(db: str | None = None) -> Engine:
    """An engine that never writes: SQLite through a read-only ``file:`` URI (no pragma that
    writes, ``query_only`` on), PostgreSQL with every transaction read-only.  For the audit
    commands: they read an auditor's copy and never migrate it."""
    import sqlite3

    url = resolve_url(db)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True,
                             connect_args={"options": "-c default_transaction_read_only=on"})  # fmt: skip
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InvalidInput("an audit reads a database file, not an in-memory database",
                           "审计需读取数据库文件，不能使用内存数据库")  # fmt: skip
    uri = sqlite_readonly_uri(Path(database))

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only = ON")
        return conn

    return create_engine(url, creator=connect)  # the URL names the file; creator opens it
