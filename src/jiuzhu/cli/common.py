"""What the commands share when they run: the actor, the database, the clock, the service.

Nothing heavy is imported at the top of this module (``jiuzhu --help`` stays quick): SQLAlchemy,
Alembic and the service are imported by the functions that need them, when a command runs.

The database: a command reads one that exists.  :func:`database_url` refuses a malformed
``--db`` and an SQLite path with no file behind it (a mistyped path would otherwise become a
new, empty database); only ``jiuzhu db upgrade`` and ``jiuzhu demo`` create one.

The clock (:func:`cli_clock`): the system clock, or the simulated one of
``$JIUZHU_SIMULATED_TIME`` on a database marked as a simulation (:mod:`jiuzhu.simulation`).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..clock import SHANGHAI, Clock
from ..errors import InvalidInput, JiuzhuError
from ..service.actors import ROLE_LABELS, Actor, Role

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..policy import PolicyBook
    from ..service.service import CaseService


# -- the actor -----------------------------------------------------------------------------
def actor_of(role: str | None, org: str | None, user: str | None,
             provider: str | None = None) -> Actor:  # fmt: skip
    if not role:
        raise InvalidInput(
            "give the acting role with --role (or $JIUZHU_ROLE), e.g. --role village",
            "请用 --role（或环境变量 JIUZHU_ROLE）指定操作角色，例如 --role village",
        )
    actor = Actor.parse(role, org or "", user, provider)
    if actor.role is not Role.ADMIN and not org:
        raise InvalidInput(
            f"give the organisation unit of role '{actor.role.value}' with --org (or $JIUZHU_ORG)",
            f"请用 --org（或环境变量 JIUZHU_ORG）指定“{ROLE_LABELS[actor.role].zh}”所属单位",
        )
    return actor


# -- the database --------------------------------------------------------------------------
def database_url(db: str | None, *, must_exist: bool = True) -> str:
    """The SQLAlchemy URL of ``--db``: refused when malformed, or (``must_exist``) when it
    names an SQLite file that does not exist."""
    from sqlalchemy.engine import make_url

    from ..models.db import resolve_url

    try:
        url = resolve_url(db)  # refuses an unknown scheme or backend itself
        port = make_url(url).port
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"port {port} is not in 1..65535")
    except ValueError as exc:  # e.g. postgresql://:::: (SQLAlchemy reads ':::' as the port)
        shown = db or os.environ.get("JIUZHU_DATABASE_URL", "")
        raise InvalidInput(
            f"'{shown}' is not a database URL ({exc}); expected e.g. "
            "postgresql://user@host/db or a file path",
            f"“{shown}”不是有效的数据库地址（应如 postgresql://user@host/db 或文件路径）",
        ) from None
    path = _sqlite_file(url)
    if must_exist and path is not None and not path.exists():
        raise InvalidInput(
            f"there is no database at {path}; create one with: jiuzhu db upgrade --db {path}",
            f"数据库文件 {path} 不存在；请先运行：jiuzhu db upgrade --db {path}",
            path=str(path),
        )
    return url


def sqlite_path(db: str | None) -> Path | None:
    """The file of an SQLite ``--db`` (None for PostgreSQL and in-memory SQLite)."""
    return _sqlite_file(database_url(db, must_exist=False))


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return None if parsed.database == ":memory:" else Path(parsed.database)


def cli_clock(db: str | None, *, must_exist: bool = True) -> Clock:
    """The clock of a command on ``db``: the system clock, or the simulated one of
    ``$JIUZHU_SIMULATED_TIME`` on a simulation database (see :mod:`jiuzhu.simulation`).

    Decided before the command opens its service, so that a refusal writes nothing, not even
    a new SQLite file or a schema upgrade.
    """
    from ..clock import SystemClock
    from ..models.db import make_engine
    from ..simulation import clock_for, not_a_simulation, simulated_start

    url = database_url(db, must_exist=must_exist)
    if simulated_start() is None:
        return SystemClock()
    path = _sqlite_file(url)
    if path is not None and not path.exists():  # a database yet to be made is no simulation
        raise not_a_simulation(str(path))
    engine = make_engine(url)
    try:
        return clock_for(engine)
    finally:
        engine.dispose()


def service(db: str | None) -> CaseService:
    """The case service on ``db`` (which must exist), on the command's clock."""
    import jiuzhu

    return jiuzhu.connect(database_url(db), clock=cli_clock(db))


def existing_engine(db: str | None) -> Engine:
    """An engine on a database that must already exist (never creates an SQLite file).

    Refused, like every command, on a database that is not a simulation while
    ``$JIUZHU_SIMULATED_TIME`` is set; ``clock_for(engine)`` gives the command's clock.
    """
    from ..models.db import make_engine
    from ..simulation import clock_for

    engine = make_engine(database_url(db))
    try:
        clock_for(engine)
    except JiuzhuError:
        engine.dispose()
        raise
    return engine


def require_head(engine: Engine) -> None:
    from ..migrations import current, head

    at, wanted = current(engine), head()
    if at != wanted:
        raise InvalidInput(
            f"the database schema is at revision {at or 'none'}, not {wanted}; "
            "run: jiuzhu db upgrade",
            f"数据库结构版本为 {at or '无'}，应为 {wanted}；请先运行：jiuzhu db upgrade",
        )


# -- the policy book -----------------------------------------------------------------------
def book_of(path: Path | None) -> PolicyBook:
    """The book of ``--policy FILE`` (without it: ``$JIUZHU_POLICY_FILE``'s, else built in)."""
    from .. import policy

    return policy.book_from(None) if path is None else policy.read_file(path)


def path_service(db: str | None, policy: Path | None) -> CaseService:
    """The service on ``db``; ``--policy FILE`` (or ``$JIUZHU_POLICY_FILE``, which every
    command's service reads through :func:`jiuzhu.connect`) gives its book."""
    from ..policy import ENV_POLICY_FILE

    svc = service(db)
    if policy is not None and str(policy) != os.environ.get(ENV_POLICY_FILE):
        svc.policy_book = book_of(policy)  # an explicit --policy over the environment's file
    return svc


def use_policy_file(path: Path | None) -> None:
    """Check the policy file now, so that a malformed one is refused before anything starts,
    and name it to every process and thread that opens the service (:func:`jiuzhu.connect`
    reads ``$JIUZHU_POLICY_FILE``: uvicorn's worker processes, the deadline worker)."""
    from ..policy import ENV_POLICY_FILE, read_file

    if path is None:
        return
    read_file(path)
    os.environ[ENV_POLICY_FILE] = str(path.resolve())


# -- input ---------------------------------------------------------------------------------
def one_of(value: str | None, valid: Collection[str], option: str) -> str | None:
    """``value`` if it is one of ``valid`` (or None); else refused, listing the valid values."""
    if value is None or value in valid:
        return value
    listed = ", ".join(sorted(valid))
    raise InvalidInput(f"{option} '{value}' is unknown; expected one of: {listed}",
                       f"{option}“{value}”无效，应为以下之一：{listed}", option=option,
                       valid=sorted(valid))  # fmt: skip


def required(value: str | None, option: str, en: str, zh: str) -> str:
    """The value of a required option, or a refusal naming it in both languages."""
    if value is None or not value.strip():
        raise InvalidInput(f"give {en} with {option}", f"请用 {option} 填写{zh}")
    return value


YEARS = range(1970, 3000)  # of a date-time on the command line: room for any arithmetic on it


def local_instant(text: str | None, option: str) -> datetime | None:
    """ISO date-time text; without an offset it is Shanghai time (what case workers type)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{option} '{text}' is not a date-time; expected e.g. 2024-03-22T09:00 "
            "(Shanghai time) or 2024-03-22T01:00Z",
            f"{option}“{text}”不是有效时间，应如 2024-03-22T09:00（北京时间）",
        ) from None
    if value.year not in YEARS:
        raise InvalidInput(
            f"{option} '{text}' is out of range: the year must be {YEARS[0]} to {YEARS[-1]}",
            f"{option}“{text}”超出范围：年份应在 {YEARS[0]} 至 {YEARS[-1]} 之间",
        )
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
