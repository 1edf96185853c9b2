"""``jiuzhu db``: the schema (Alembic migrations); ``db upgrade`` is what creates a database."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import cli_clock, database_url
from .options import shared
from .output import say

db_app = typer.Typer(help="Database schema 数据库结构 (Alembic migrations).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@shared(db="create", json=False)
def db_upgrade(
    simulation: Annotated[bool, typer.Option(
        "--simulation", help="Also mark the database as a simulation 模拟数据库, on which "
        "$JIUZHU_SIMULATED_TIME is honoured; only while it has no cases or events.")] = False,
    *, db: str | None,
) -> None:  # fmt: skip
    """Bring the schema to the newest migration 升级数据库结构 (Alembic head); safe to repeat.

    Creates the SQLite file if it is missing: the one command besides `jiuzhu demo` that does.
    """
    from ..clock import SimulatedClock, SystemClock
    from ..migrations import current, upgrade
    from ..models.db import make_engine
    from ..simulation import check_can_mark, mark_simulation, simulated_start

    start = simulated_start()  # a malformed variable is refused before anything is written
    url = database_url(db, must_exist=False)
    if not simulation:  # refused on a database that is not a simulation while time is simulated
        cli_clock(db, must_exist=False)
    engine = make_engine(url)
    try:
        if simulation:
            check_can_mark(engine)  # before the upgrade: a refusal writes nothing
        before = current(engine)
        upgrade(engine)
        after = current(engine)
        if before == after:
            say(f"数据库已是最新 already at head: revision {after}")
        else:
            say(f"数据库已升级 upgraded: revision {before or 'none'} → {after} (head)")
        if simulation:
            marked = mark_simulation(engine, SimulatedClock(start) if start else SystemClock())
            say("已标记为模拟数据库 marked as a simulation: $JIUZHU_SIMULATED_TIME is honoured "
                "on it" if marked else "已是模拟数据库 already a simulation")  # fmt: skip
    finally:
        engine.dispose()


@db_app.command("current")
@shared(json=False)
def db_current(*, db: str | None) -> None:
    """Show the schema revision of the database 当前数据库结构版本 and the newest one."""
    from ..migrations import current, head
    from ..models.db import make_engine
    from ..simulation import is_simulation

    cli_clock(db)  # refused on a database that is not a simulation while time is simulated
    engine = make_engine(database_url(db))
    try:
        at, simulated = current(engine), is_simulation(engine)
    finally:
        engine.dispose()
    wanted = head()
    status = "最新 up to date" if at == wanted else "需要升级 behind: run jiuzhu db upgrade"
    kind = "   模拟数据库 simulation" if simulated else ""
    say(f"当前版本 current: {at or 'none'}   最新版本 head: {wanted}   {status}{kind}")
