"""``jiuzhu demo``: a simulated year of Binhai county (:mod:`jiuzhu.demo`), then an audit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ..clock import SHANGHAI, parse_iso_utc
from .exits import EXIT_AUDIT
from .output import err, local_time, out, say


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)


def demo_command(
    db: Annotated[str | None, typer.Option(
        "--db", help="Demo database 演示数据库 (file path or URL; default ./jiuzhu-demo.db, "
        "recreated each run).")] = None,
    cases: Annotated[int, typer.Option(
        "--cases", min=0, max=200_000, help="Generated applications 生成申请数.")] = 3000,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**32 - 1,
                                      help="Random seed 随机种子.")] = 7,  # fmt: skip
    fresh: Annotated[bool, typer.Option(
        "--fresh", help="Delete an existing --db SQLite file first.")] = False,
) -> None:  # fmt: skip
    """Run the Binhai county 滨海县 demo: the seed's stories and a generated caseload."""
    from sqlalchemy.engine import make_url

    from .. import demo
    from ..audit.checkpoint import take_checkpoint
    from .audit import render_report, verify_with_progress
    from .common import database_url, sqlite_path

    url, notice = demo.prepare_database(database_url(db or demo.DEFAULT_DB, must_exist=False),
                                        fresh=fresh)  # fmt: skip
    if notice:
        err().print(Text(notice))
    svc, clock, units = demo.open_county(url)
    with demo_progress() as on_day:
        result = demo.run(svc, clock, units, cases=cases, seed=seed, on_day=on_day)
    demo.render(result, out())
    cp = take_checkpoint(result.engine, now=clock.now(), taken_by="demo")  # the year-end one
    say(f"检查点 checkpoint {cp.number} at {local_time(parse_iso_utc(cp.taken_at))}: root "
        f"{cp.root[:16]}… over {cp.cases:,} chain heads and {cp.events:,} events (jiuzhu audit "
        "checkpoint; the worker takes one daily)")  # fmt: skip
    report = verify_with_progress(result.engine)
    render_report(report)
    users = demo.create_users(svc)
    result.engine.dispose()
    morning = (clock.now().astimezone(SHANGHAI) + timedelta(days=1)).replace(hour=9, minute=0)
    where = sqlite_path(url) or make_url(url).render_as_string(hide_password=True)
    say(f"模拟数据库 a simulation database: carry on from the next morning with "
        f"JIUZHU_SIMULATED_TIME={morning.replace(second=0, microsecond=0).isoformat()} "
        f"jiuzhu worker --once --db {where}")  # fmt: skip
    revoked = next((v for _, v in result.stories if v.state == "revoked"), None)
    if revoked is not None:  # the falsification story's recovery notice, printed and checked
        county = units.county.org
        say(f"文书 letters: jiuzhu letter print {revoked.case_no} recovery -o notice.pdf --role "
            f"county --org {county} --db {where} ; jiuzhu letter check --pdf notice.pdf --role "
            f"auditor --org {county} --db {where}")  # fmt: skip
    say_users(users, where)
    if not report.ok:
        raise typer.Exit(EXIT_AUDIT)


@contextmanager
def demo_progress() -> Iterator[Callable[[int, int, str], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err()) as progress:
        task = progress.add_task("模拟 simulating", total=None)

        def on_day(done: int, total: int, today: str) -> None:
            progress.update(task, completed=done, total=total,
                            description=f"模拟 simulating {today}")  # fmt: skip

        yield on_day


def say_users(users: list[tuple[str, str, str, str]], where: str) -> None:
    """The demo's people and their passwords (made up for this database; shown only here)."""
    table = Table(title="演示用户 the demo's users (web front: jiuzhu serve; passwords shown "
                  "only now)", box=box.SIMPLE_HEAD)  # fmt: skip
    for header in ("用户名 user", "密码 password", "角色 role", "姓名 name"):
        table.add_column(header)
    for row in users:
        table.add_row(*row)
    out().print(table)
    say(f"登录 sign in at http://127.0.0.1:8000/ after: jiuzhu serve --db {where}")
