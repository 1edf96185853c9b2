"""``jiuzhu policy``: the dated policy book the commands decide by, and what is in force today.

The book is the built-in one plus ``--policy FILE`` (or ``$JIUZHU_POLICY_FILE``); "today" is
the day on the clock of ``--db`` (a simulation database's simulated day, see ``jiuzhu db
upgrade --simulation``), else the system clock's.
"""

from __future__ import annotations

from typing import Any

import typer
from rich import box
from rich.table import Table

from ..clock import local_date
from .common import book_of, cli_clock
from .options import PolicyOpt, shared
from .output import emit_json, out, say

policy_app = typer.Typer(help="Dated policy 政策: dibao lines 低保标准 per city and date, limits.",
                         no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")


def shown(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@policy_app.command("show")
@shared(db="optional")
def policy_show(policy: PolicyOpt = None, *, db: str | None, json_out: bool) -> None:
    """Show the policy book 政策: dibao lines per city and date, the settings, their dated
    changes, and what is in force today 今日适用 (on the clock of --db, if given)."""
    from ..clock import SystemClock
    from ..policy import SETTINGS

    book = book_of(policy)
    today = local_date((cli_clock(db) if db else SystemClock()).now())
    data = book.describe()
    in_force = book.settings_on(today)
    lines = {city: max((e for e in entries if e.effective_from <= today),
                       key=lambda e: e.effective_from, default=None)
             for city, entries in sorted(book.lines.items())}  # fmt: skip
    if json_out:
        emit_json({**data, "in_force": {
            "on": today.isoformat(), "settings": in_force,
            "dibao_lines": {c: e.as_payload() for c, e in lines.items() if e}}})  # fmt: skip
        return
    table = Table(title=f"低保标准 dibao lines (yuan per person per month; ✓ in force on {today})",
                  box=box.SIMPLE_HEAD)  # fmt: skip
    for header in ("城市 city", "起 from", "元 yuan", "依据 source", "今日 today"):
        table.add_column(header)
    for city, entries in data["dibao_lines"].items():
        for e, entry in zip(entries, book.lines[city], strict=True):
            table.add_row(city, e["from"], e["yuan"], e["source"],
                          "✓" if entry is lines[city] else "")  # fmt: skip
    out().print(table)
    settings = Table(title=f"参数 settings: defaults, and in force on {today} 今日适用 (dated "
                     "changes below)", box=box.SIMPLE_HEAD)  # fmt: skip
    settings.add_column("参数 setting")
    settings.add_column("默认 default", justify="right")
    settings.add_column(f"今日 {today}", justify="right")
    settings.add_column("说明 meaning")
    settings.add_column("依据 source")
    for key, value in data["defaults"].items():
        spec = SETTINGS[key]
        settings.add_row(key, shown(value), shown(in_force[key]), spec.meaning, spec.source)
    out().print(settings)
    for change in data["changes"]:
        say(f"自 from {change['from']}: " + ", ".join(f"{k}={v}" for k, v in change.items()
                                                      if k != "from"))  # fmt: skip
