"""``jiuzhu provider``: service providers 服务机构 and what their staff see; ``jiuzhu oneoff``:
one-off service projects 一次性服务项目 (a repair) on a case; ``jiuzhu project``: projects
帮扶项目 grouping plans and one-offs, and their report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import service
from .files import FormatOpt, OutputOpt, view_of, write_file, write_json
from .options import CaseArg, Write, shared
from .output import emit_json, say

if TYPE_CHECKING:
    from ..service.actors import Actor

provider_app = typer.Typer(help="Service providers 服务机构: registered under a unit; their "
                           "staff record the visits of the plans assigned to them.",
                           no_args_is_help=True)  # fmt: skip


oneoff_app = typer.Typer(help="One-off service projects 一次性服务项目 (a repair, e.g. rewiring): "
                         "a due day, done once.", no_args_is_help=True)  # fmt: skip


project_app = typer.Typer(help="Projects 帮扶项目: plans and one-offs across cases, by unit and "
                          "year; their report.", no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(provider_app, name="provider")
    app.add_typer(oneoff_app, name="oneoff")
    app.add_typer(project_app, name="project")


@provider_app.command("register")
@shared(actor=True)
def provider_register(
    unit: Annotated[str, typer.Option("--unit", help="Unit id 所属单位 it is registered under.")],
    name: Annotated[str, typer.Option("--name", help="Provider name 机构名称.")],
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Register a service provider 登记服务机构 (a county or township, in its jurisdiction)."""
    view = service(db).register_provider(actor, unit_id=unit, name=name)
    if json_out:
        emit_json(view.to_dict())
        return
    say(f"已登记服务机构 registered provider {view.name} ({view.id}) under {view.unit_id}")


@provider_app.command("list")
@shared(actor=True)
def provider_list(*, actor: Actor, db: str | None, json_out: bool) -> None:
    """List the providers 服务机构列表 of the jurisdiction and of the units above it."""
    views = service(db).list_providers(actor)
    if json_out:
        emit_json([v.to_dict() for v in views])
        return
    for v in views:
        say(f"{v.id}  {v.unit_id}  {v.name}")
    if not views:
        say("没有服务机构 no providers")


@provider_app.command("plans")
@shared(actor=True)
def provider_plans(*, actor: Actor, db: str | None, json_out: bool) -> None:
    """What awaits the acting provider 待服务事项 (--role provider): plans' visits, one-offs."""
    items = service(db).provider_plans(actor)
    if json_out:
        emit_json(items)
        return
    for i in items:
        what = (f"plan {i['plan_id']}  {i['kind']} #{i['n']}" if "plan_id" in i
                else f"one-off {i['oneoff_id']}  {i['kind']} {i['what']} ({i['state']})")  # fmt: skip
        say(f"{i['due_at']}  case {i['case_id']}  {what}")
    if not items:
        say("没有待服务计划 no plans awaiting a visit")


@oneoff_app.command("open")
@shared(actor=True, write="full")
def oneoff_open(
    case_id: CaseArg,
    kind: Annotated[str, typer.Option("--kind", help="repair 维修改造, rewiring 电路改造, "
                                      "accessibility 适老化改造, equipment 设备配置, other 其他.")],
    what: Annotated[str, typer.Option("--what", help="What is to be done 项目内容.")],
    due: Annotated[str, typer.Option("--due", help="Due day 完成期限 (YYYY-MM-DD).")],
    provider_name: Annotated[str | None, typer.Option(
        "--provider-name", help="A third-party provider 第三方社会组织.")] = None,
    provider_org: Annotated[str | None, typer.Option(
        "--provider-org", help="Or an organisation unit 服务单位.")] = None,
    provider_id: Annotated[str | None, typer.Option(
        "--provider-id", help="Or a registered service provider 已登记服务机构.")] = None,
    project: Annotated[str | None, typer.Option(
        "--project", help="The project 帮扶项目 it belongs to.")] = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Open a one-off project 设立一次性服务项目 on an approved case."""
    from .plans import provider_of

    svc = service(db)
    view = svc.open_oneoff(actor, case_id, kind=kind, what=what, due_on=due,
                           provider=provider_of(provider_name, provider_org, provider_id),
                           project_id=project, **write)  # fmt: skip
    event = next(e for e in reversed(svc.history(actor, view.id)) if e.seq == view.last_seq)
    item = view.facts["oneoffs"][event.payload["oneoff_id"]]
    if json_out:
        emit_json({"oneoff": item, "case": view.to_dict()})
        return
    say(f"已设立 opened: 一次性服务项目 one-off {item['oneoff_id']} ({item['kind']}), "
        f"due {item['due_on']}; case {view.id} version {view.row_version}")  # fmt: skip


@oneoff_app.command("complete")
@shared(actor=True, write="full")
def oneoff_complete(
    case_id: CaseArg,
    oneoff: Annotated[str, typer.Option("--oneoff", help="One-off project id 项目编号.")],
    notes: Annotated[str | None, typer.Option("--notes", help="Notes 备注.")] = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record a one-off project done 完成一次性服务项目 (village, or its provider)."""
    view = service(db).complete_oneoff(actor, case_id, oneoff_id=oneoff, notes=notes, **write)
    item = view.facts["oneoffs"][oneoff.strip().lower()]
    if json_out:
        emit_json({"oneoff": item, "case": view.to_dict()})
        return
    say(f"已完成 completed: 一次性服务项目 one-off {item['oneoff_id']}; case {view.id} "
        f"version {view.row_version}")  # fmt: skip


YearOpt = Annotated[int | None, typer.Option("--year", min=2000, max=2100,
                                             help="Year 年度, e.g. 2024.")]  # fmt: skip


@project_app.command("register")
@shared(actor=True)
def project_register(
    unit: Annotated[str, typer.Option("--unit", help="Unit id 所属单位 it is registered under.")],
    name: Annotated[str, typer.Option("--name", help="Project name 项目名称.")],
    year: Annotated[int, typer.Option("--year", min=2000, max=2100, help="Year 年度.")],
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Register a project 登记帮扶项目 (a county or township, in its jurisdiction)."""
    view = service(db).register_project(actor, unit_id=unit, name=name, year=year)
    if json_out:
        emit_json(view.to_dict())
        return
    say(f"已登记帮扶项目 registered project {view.name} {view.year} ({view.id}) under "
        f"{view.unit_id}")  # fmt: skip


@project_app.command("list")
@shared(actor=True)
def project_list(year: YearOpt = None, *, actor: Actor, db: str | None, json_out: bool) -> None:
    """List the projects 帮扶项目列表 of the jurisdiction and of the units above it."""
    views = service(db).list_projects(actor, year=year)
    if json_out:
        emit_json([v.to_dict() for v in views])
        return
    for v in views:
        say(f"{v.id}  {v.year}  {v.unit_id}  {v.name}")
    if not views:
        say("没有帮扶项目 no projects")


@project_app.command("report")
@shared(actor=True, json=False)
def project_report(year: YearOpt = None, fmt: FormatOpt = None, output: OutputOpt = None, *,
                   actor: Actor, db: str | None) -> None:  # fmt: skip
    """Per project 帮扶项目统计: beneficiary households (distinct) and person-times 服务人次.

    Person-times are the visits done on the project's plans plus its one-offs completed; a household counts once however many plans and one-offs it has in the project.  For Excel: --format xlsx -o projects.xlsx (or --format csv).
    """
    show_projects(service(db).report_projects(actor, year=year), fmt, output)


def show_projects(rows: list[dict[str, Any]], fmt: Any, output: Any) -> None:
    """The projects report as lines, json, csv or xlsx (``project report``, ``report --projects``)."""
    from ..sheets import PROJECTS

    view = view_of(fmt, output, None)
    if view.file:
        write_file(view, PROJECTS, rows)
    elif view.json:
        write_json(view, rows)
    else:
        for r in rows:
            say(f"{r['year']}  {r['name']} ({r['unit_name']} {r['unit']}): 受益户数 households "
                f"{r['beneficiary_households']} · 服务人次 person-times {r['person_times']} "
                f"(上门 visits {r['visits']}, 一次性项目 one-offs {r['oneoffs_completed']})")  # fmt: skip
        if not rows:
            say("没有帮扶项目 no projects")
