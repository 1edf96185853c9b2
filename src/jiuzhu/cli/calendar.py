"""``jiuzhu calendar``: the working-day calendar the limits are counted on.

``import FILE`` loads one year of the State Council's holiday notice (TOML or JSON, specified
in ``docs/calendar.md``) as a new revision; ``show [YEAR]`` lists each year with its source
and revisions, and warns from 1 October when next year's calendar is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from ..clock import local_date
from ..errors import InvalidInput
from .common import service
from .options import shared
from .output import emit_json, err, out, say

if TYPE_CHECKING:
    from ..service.actors import Actor

calendar_app = typer.Typer(
    help="Working-day calendar 工作日历: the State Council's holidays and make-up working days "
    "(调休) per year, built in or loaded from the notice.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(calendar_app, name="calendar")


def warning_lines(warnings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(Chinese, English) lines saying which limits are refused from when, and the fix."""
    if not warnings:
        return []
    year = warnings[0]["year"]
    lines = [(f"警告：{year} 年工作日历尚未载入，以下工作日时限将无法计算而被拒绝办理：",
              f"Warning: the working-day calendar of {year} is not loaded; these limits will "
              "be refused:")]  # fmt: skip
    for w in warnings:
        when = "已拒绝" if w["refused_now"] else "将拒绝"
        lines.append((f"  自 {w['refused_from']} 起{when}：{w['working_days']} 个工作日（{w['setting']}）",
                      f"  from {w['refused_from']}: {w['working_days']} working days, "
                      f"{w['what']} ({w['setting']})"))  # fmt: skip
    lines.append((f"  载入方法：{w['fix']}（见 docs/calendar.md）",
                  f"  fix: {w['fix']} (docs/calendar.md)"))  # fmt: skip
    return lines


def print_warnings(warnings: list[dict[str, Any]]) -> None:
    for zh, en in warning_lines(warnings):
        say(zh, "bold yellow", err())
        say(en, "yellow", err())


@calendar_app.command("import")
@shared(actor=True)
def calendar_import(
    file: Annotated[Path, typer.Argument(help="The year's notice as TOML or JSON "
                                         "(docs/calendar.md).", show_default=False)],
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Load one year's holiday notice 载入节假日安排 (admin): a new revision, never a rewrite."""
    from ..documents import read_text

    text = read_text(file, what="calendar file", what_zh="日历文件")
    svc = service(db)
    loaded = svc.calendar.import_notice(actor, text, filename=file.name, now=svc.clock.now())
    result = {"year": loaded.year, "revision": loaded.revision, "document": loaded.document,
              "effective_from": loaded.effective_from.isoformat(), "created": loaded.created}  # fmt: skip
    if json_out:
        emit_json(result)
        return
    if loaded.created:
        say(f"已载入 {loaded.year} 年工作日历第 {loaded.revision} 版（{loaded.document}），"
            f"自 {loaded.effective_from} 起适用", "green")  # fmt: skip
        say(f"Loaded the {loaded.year} calendar as revision {loaded.revision} "
            f"({loaded.document}), in force from {loaded.effective_from}")  # fmt: skip
    else:
        say(
            f"{loaded.year} 年工作日历第 {loaded.revision} 版（{loaded.document}）已载入过，未作改动"
        )
        say(f"The {loaded.year} calendar revision {loaded.revision} ({loaded.document}) is "
            "loaded already; nothing written")  # fmt: skip


@calendar_app.command("show")
@shared()
def calendar_show(
    year: Annotated[int | None, typer.Argument(min=2000, max=2100, show_default=False,
                                               help="One year (default: every year).")] = None,
    *, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Each year with its source and revisions 各年度工作日历及其来源、版本."""
    svc = service(db)
    today = local_date(svc.clock.now())
    years = svc.calendar.describe(today, year)
    warnings = svc.calendar.warnings(today, svc.policy_book.settings_on(today))
    if year is not None and not years[0]["revisions"]:
        raise InvalidInput(f"no calendar is built in or loaded for {year}",
                           f"{year} 年没有内置或已载入的工作日历", year=year)  # fmt: skip
    if json_out:
        emit_json({"today": today.isoformat(), "years": years, "warnings": warnings})
        return
    table = Table(box=box.SIMPLE_HEAD, title=f"工作日历 working-day calendar (today 今天 {today})")
    for name in ("年 year", "版本 revision", "来源 source", "生效 from",
                 "假日/调休/工作日 holidays/make-up/working", "适用 in force"):  # fmt: skip
        table.add_column(name, no_wrap=name.startswith("版本"))
    for entry in years:
        for r in entry["revisions"]:
            table.add_row(str(entry["year"]), r["revision"],
                          "内置 built in" if r["source"] == "built in" else "载入 loaded",
                          r["effective_from"] or "—",
                          f"{r['holidays']} / {r['make_up_workdays']} / {r['working_days']}",
                          "✓" if r["revision"] == entry["in_force"] else "")  # fmt: skip
    out().print(table)
    print_warnings(warnings)
