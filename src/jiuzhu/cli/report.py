"""``jiuzhu report``: per county and township, the cases, the beneficiaries and the money.

The table comes in two parts, cases and money, so that unit names and amounts stay whole on an
80-column terminal; ``--format csv|xlsx`` writes the file of :func:`jiuzhu.sheets.report_sheet`
(fixed columns: every state of every workflow), ``--format json`` the service's rows (fen).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from .common import service
from .files import FormatOpt, OutputOpt, view_of, write_file, write_json
from .options import shared
from .output import out, say, yuan_text
from .providers import YearOpt, show_projects

if TYPE_CHECKING:
    from ..service.service import CaseService

CASE_FIGURES = ("cases", "fast_track_cases", "beneficiaries", "open_recoveries",
                "overdue_verifications", "missed_visits")  # fmt: skip
MONEY_FIGURES = ("paid_this_month_fen", "paid_total_fen", "owed_fen")


@shared(json=False)
def report_command(
    unit: Annotated[str | None, typer.Option("--org", help="The unit to report on 单位 (a county "
                                             "or township id; default: every county).")] = None,
    fmt: FormatOpt = None,
    month: Annotated[str | None, typer.Option("--month", help="The month of 'paid this month' "
                                              "(YYYY-MM; default: this month).")] = None,
    output: OutputOpt = None,
    projects: Annotated[bool, typer.Option("--projects", help="Report the projects 帮扶项目 "
                                           "instead: beneficiary households and person-times "
                                           "服务人次 per project, unit and year.")] = False,
    year: YearOpt = None,
    *, db: str | None,
) -> None:  # fmt: skip
    """Per county and township 分县、乡镇统计: cases, beneficiaries, money paid and owed back.

    Cases by state, fast-track cases, beneficiaries (persons), paid this month and in total, open recoveries, overdue verifications, missed visits.  Read with the rights of an auditor of the unit (or of each county).  Amounts are yuan in the table, csv and xlsx, fen in json.  For Excel: --format xlsx -o report.xlsx (or --format csv, UTF-8 with BOM).  With --projects [--year Y]: the projects report (as jiuzhu project report).
    """
    if projects:
        show_projects(project_rows(service(db), unit, year), fmt, output)
        return
    view = view_of(fmt, output, None)
    rows = report_rows(service(db), unit, month)
    if view.file:
        from ..sheets import report_rows as flat
        from ..sheets import report_sheet

        write_file(view, report_sheet(), flat(rows))
    elif view.json:
        write_json(view, rows)
    else:
        print_report(rows)


def report_rows(svc: CaseService, unit: str | None, month: str | None) -> list[dict[str, Any]]:
    from ..service.actors import Actor, Role

    if unit is not None:
        return svc.report(Actor(Role.AUDITOR, unit), org=unit, month=month)
    rows = []
    for county in county_ids(svc):
        rows += svc.report(Actor(Role.AUDITOR, county), month=month)
    return rows


def project_rows(svc: CaseService, unit: str | None, year: int | None) -> list[dict[str, Any]]:
    from ..service.actors import Actor, Role

    units = [unit] if unit is not None else county_ids(svc)
    return [row for u in units for row in svc.report_projects(Actor(Role.AUDITOR, u), year=year)]


def print_report(rows: list[dict[str, Any]]) -> None:
    """Two tables, cases then money (yuan), each narrow enough for 80 columns."""
    from ..service.reports import COLUMN_LABELS

    for title, keys in (("救助统计：案件 assistance report: cases", CASE_FIGURES),
                        ("救助统计：资金（元） assistance report: money (yuan)", MONEY_FIGURES)):  # fmt: skip
        table = Table(box=box.SIMPLE, title=title, padding=(0, 1))
        table.add_column("单位\nunit", no_wrap=True)
        for key in keys:
            zh, en = COLUMN_LABELS[key]
            table.add_column(f"{zh}\n{en}", justify="right")  # a number is one word: whole
        for r in rows:
            indent = "  " if r["level"] == "township" else ""
            table.add_row(f"{indent}{r['name']}\n{indent}{r['unit']}",
                          *(yuan_text(r[k]) if k.endswith("_fen") else f"{r[k]:,}" for k in keys))  # fmt: skip
        out().print(table)
    say("按状态 cases by state:")
    for r in rows:
        by_state = ", ".join(f"{state_label(s)} {n}" for s, n in sorted(r["states"].items()))
        say(f"  {r['name']} ({r['unit']}): {by_state or '—'}")


def state_label(state: str) -> str:
    from ..workflows import REGISTRY

    for wf in REGISTRY.values():
        if state in wf.states:
            return f"{wf.states[state].zh} {state}"
    return state


def county_ids(svc: CaseService) -> list[str]:
    from sqlalchemy import select

    from ..models import rows as store

    units = store.org_units
    with svc.engine.connect() as conn:
        return list(conn.execute(select(units.c.id).where(units.c.level == "county")
                                 .order_by(units.c.id)).scalars())  # fmt: skip
