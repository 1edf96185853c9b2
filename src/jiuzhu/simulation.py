"""Simulated time, and the marker that confines it to simulation databases.

``$JIUZHU_SIMULATED_TIME`` (an ISO-8601 instant with its offset, e.g.
``2024-03-15T10:00:00+08:00``) makes the command line run on a :class:`SimulatedClock` that
starts at that instant and then advances with real time.  It is honoured only on a database
marked as a simulation -- ``database_settings`` holding ``simulation = "true"``, written by
``jiuzhu db upgrade --simulation`` (or the demo) while the database has no cases and no events.
On any other database a command with the variable set is refused before it writes anything,
so the events of a production database always carry the system clock's time.  A mark is never
removed: a simulation's history stays a simulation's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, Engine, inspect, text

from .clock import Clock, SimulatedClock, SystemClock, ensure_utc
from .errors import InvalidInput

ENV_SIMULATED_TIME = "JIUZHU_SIMULATED_TIME"
SETTING = "simulation"
EXAMPLE = "2024-03-15T10:00:00+08:00"


def simulated_start(environ: Mapping[str, str] | None = None) -> datetime | None:
    """The instant ``$JIUZHU_SIMULATED_TIME`` gives (None when unset or empty)."""
    raw = (os.environ if environ is None else environ).get(ENV_SIMULATED_TIME, "").strip()
    if not raw:
        return None
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise InvalidInput(
            f"{ENV_SIMULATED_TIME}='{raw}' is not an ISO-8601 instant with an offset "
            f"(e.g. {EXAMPLE})",
            f"环境变量 {ENV_SIMULATED_TIME}=“{raw}”不是带时区偏移的 ISO-8601 时间（例如 {EXAMPLE}）",
        )
    try:
        return ensure_utc(instant)
    except OverflowError:
        raise InvalidInput(f"{ENV_SIMULATED_TIME}='{raw}' is out of range",
                           f"环境变量 {ENV_SIMULATED_TIME}=“{raw}”超出范围") from None  # fmt: skip


def is_simulation(engine: Engine) -> bool:
    """Whether the database is marked as a simulation (False for one without the table)."""
    with engine.connect() as conn:
        return _marked(conn)


def _marked(conn: Connection) -> bool:
    if not inspect(conn).has_table("database_settings"):
        return False
    value = conn.execute(text("SELECT value FROM database_settings WHERE key = :key"),
                         {"key": SETTING}).scalar()  # fmt: skip
    return value == "true"


def _has_history(conn: Connection) -> bool:
    tables = inspect(conn)
    return any(
        tables.has_table(table)
        and conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None
        for table in ("cases", "events")
    )  # fmt: skip


def check_can_mark(engine: Engine) -> None:
    """Refuse to mark a database that already holds cases or events (their times are real)."""
    with engine.connect() as conn:
        if not _marked(conn) and _has_history(conn):
            raise _has_history_error(engine)


def mark_simulation(engine: Engine, clock: Clock) -> bool:
    """Mark the database (at the current schema) as a simulation; False if it already was.

    Refused with :class:`InvalidInput` while it holds any case or event: marking it would let
    simulated times be written beside real ones.
    """
    with engine.begin() as conn:
        if _marked(conn):
            return False
        if _has_history(conn):
            raise _has_history_error(engine)
        conn.execute(text("INSERT INTO database_settings (key, value, set_at) "
                          "VALUES (:key, 'true', :at)"), {"key": SETTING, "at": clock.now()})  # fmt: skip
    return True


def clock_for(engine: Engine, environ: Mapping[str, str] | None = None) -> Clock:
    """The clock the command line runs on for this database.

    The system clock unless ``$JIUZHU_SIMULATED_TIME`` is set; then a :class:`SimulatedClock`
    if the database is marked as a simulation, and otherwise :class:`InvalidInput` naming the
    variable and the database.
    """
    start = simulated_start(environ)
    if start is None:
        return SystemClock()
    if not is_simulation(engine):
        raise not_a_simulation(shown(engine))
    return SimulatedClock(start)


def not_a_simulation(database: str) -> InvalidInput:
    return InvalidInput(
        f"{ENV_SIMULATED_TIME} is set, but the database {database} is not a simulation: "
        f"simulated time is honoured only on a database marked as one (jiuzhu db upgrade "
        f"--simulation, on a database without cases); unset {ENV_SIMULATED_TIME} to work on "
        "this database",
        f"已设置环境变量 {ENV_SIMULATED_TIME}，但数据库 {database} 不是模拟数据库：模拟时间只用于"
        f"标记为模拟的数据库（在尚无案件的数据库上运行 jiuzhu db upgrade --simulation）；"
        f"要操作此数据库，请取消设置 {ENV_SIMULATED_TIME}",
    )


def _has_history_error(engine: Engine) -> InvalidInput:
    database = shown(engine)
    return InvalidInput(
        f"the database {database} already holds cases or events, recorded on the system clock; "
        "only a database without them can be marked as a simulation",
        f"数据库 {database} 已有案件或事件（按系统时钟记录），不能标记为模拟数据库；"
        "只有尚无案件和事件的数据库才可标记",
    )


def shown(engine: Engine) -> str:
    """The database as a user names it: an SQLite file's path, else the URL sans password."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        return str(engine.url.database)
    return engine.url.render_as_string(hide_password=True)
