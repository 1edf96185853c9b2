"""How the audit commands open a database: read-only, never migrated, never taken for empty.

An auditor works on a copy, possibly on read-only media.  ``verify``, ``findings``, ``export``
and ``replay`` open it read-only (:func:`jiuzhu.models.db.make_readonly_engine`: SQLite through
a ``file:…?mode=ro`` URI, with ``immutable=1`` when the file or its directory cannot be
written; PostgreSQL with read-only transactions) and never run a migration: a schema at another
revision is refused, naming both revisions.

A wiped database must not pass as "audit passed: 0 cases".  A 0-byte SQLite file, a file that is
not a database, a database without jiuzhu's tables and one whose tables hold no case are each an
audit failure (exit 1), said in both languages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from ..errors import InvalidInput, JiuzhuError
from .common import _sqlite_file, database_url
from .exits import EXIT_AUDIT
from .output import emit_json, err, say

if TYPE_CHECKING:
    from sqlalchemy import Engine

TABLES = ("cases", "events", "deadlines")  # without these, it is not a jiuzhu database


def audit_engine(db: str | None, *, json_out: bool = False, need_cases: bool = True) -> Engine:
    """A read-only engine on ``db`` for an audit command, or exit 1 saying why there is
    nothing to audit (an empty file, not a database, no jiuzhu tables, ``need_cases``: no case).

    An SQLite copy whose ``-wal`` file still holds commits is refused when it has to be opened
    ``immutable`` (those commits would be missed): checkpoint it before copying.
    """
    from sqlalchemy import func, inspect, select
    from sqlalchemy.exc import DBAPIError

    from ..models import rows
    from ..models.db import make_readonly_engine, sqlite_readonly_uri
    from ..simulation import clock_for

    url = database_url(db)
    path = _sqlite_file(url)
    if path is not None:
        if path.stat().st_size == 0:
            fail(json_out, f"{path} is an empty file (0 bytes), not a jiuzhu database: there "
                 "is nothing to audit", f"{path} 是空文件（0 字节），不是 jiuzhu 数据库：没有可审计的内容")  # fmt: skip
        wal = path.with_name(path.name + "-wal")
        if "immutable=1" in sqlite_readonly_uri(path) and wal.exists() and wal.stat().st_size:
            raise InvalidInput(
                f"{path} cannot be written and its {wal.name} file holds commits an immutable "
                "read would miss; checkpoint the database before copying it (sqlite3 FILE "
                "'PRAGMA wal_checkpoint(TRUNCATE)')",
                f"{path} 不可写，且其 {wal.name} 文件中仍有未合并的提交，只读打开会遗漏；"
                "请在复制前先合并（sqlite3 文件 'PRAGMA wal_checkpoint(TRUNCATE)'）",
            )
    engine = make_readonly_engine(url)
    try:
        try:
            with engine.connect() as conn:
                names = set(inspect(conn).get_table_names())
                missing = [t for t in TABLES if t not in names]
                cases = None if missing else conn.execute(
                    select(func.count()).select_from(rows.cases)).scalar()  # fmt: skip
        except DBAPIError as exc:
            fail(json_out, f"{_shown(url)} is not a readable database ({exc.orig}): there "
                 "is nothing to audit", f"{_shown(url)} 不是可读取的数据库（{exc.orig}）：没有可审计的内容")  # fmt: skip
        if missing:
            fail(json_out, f"{_shown(url)} lacks jiuzhu's tables "
                 f"({', '.join(missing)} missing): it is not a jiuzhu database, or it was wiped",
                 f"{_shown(url)} 缺少 jiuzhu 的数据表（{'、'.join(missing)}）：不是 jiuzhu "
                 "数据库，或已被清空")  # fmt: skip
        require_current(engine)
        if need_cases and not cases:
            fail(json_out, f"{_shown(url)} holds no case: an audit of nothing passes "
                 "nothing (a wiped database?)", f"{_shown(url)} 中没有任何案件："
                 "空库不能算审计通过（数据库是否已被清空？）")  # fmt: skip
        clock_for(engine)  # refused on a database not a simulation under simulated time
    except (JiuzhuError, typer.Exit):
        engine.dispose()
        raise
    return engine


def require_current(engine: Engine) -> None:
    """Refuse a schema at another revision than this jiuzhu's: an audit never migrates."""
    from ..migrations import current, head

    at, wanted = current(engine), head()
    if at != wanted:
        raise InvalidInput(
            f"the database schema is at revision {at or 'none'}; this jiuzhu expects {wanted}. "
            "An audit reads the database as it is and never migrates it: audit it with the "
            f"jiuzhu version of revision {at or 'none'}, or upgrade a copy (jiuzhu db upgrade)",
            f"数据库结构版本为 {at or '无'}，本版 jiuzhu 需要 {wanted}。审计按原样只读，不做迁移："
            "请用与该版本对应的 jiuzhu 审计，或对副本运行 jiuzhu db upgrade",
            at=at, expected=wanted,
        )  # fmt: skip


def fail(json_out: bool, en: str, zh: str) -> None:
    """Exit 1 (an audit failure), saying why in both languages."""
    if json_out:
        emit_json({"ok": False, "cases": 0, "events": 0, "error": en, "error_zh": zh})
    say(f"审计未通过：{zh}", "bold red", err())
    say(f"audit FAILED: {en}", "bold red", err())
    raise typer.Exit(EXIT_AUDIT)


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    path = _sqlite_file(url)
    return str(path) if path is not None else make_url(url).render_as_string(hide_password=True)
