"""Finding cases: ``jiuzhu case search``, ``jiuzhu queue WHICH`` and ``jiuzhu audit reads``.

Search by a member's name (part of it), an ID number (exact) or a case number, within the
actor's jurisdiction; every name shown is recorded in the personal-data read log, which the
county and auditors list with ``jiuzhu audit reads``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from .audit import audit_app
from .case_output import unit_text
from .cases import case_app
from .common import service
from .files import FileLimit, FormatOpt, OutputOpt, view_of, write_file, write_json
from .options import Limit, shared
from .output import emit_json, local_time, out, say
from .registry import household_app

if TYPE_CHECKING:
    from ..service.actors import Actor

QUEUE_HELP = ("due_this_week 本周到期, overdue_checks 核对逾期, limit_alarms 超时预警, "
              "missed_visits 未完成的服务到访, waiting 待我办理")  # fmt: skip


def register(app: typer.Typer) -> None:
    case_app.command("search")(case_search)
    household_app.command("members")(household_members)
    app.command("queue")(queue)
    audit_app.command("reads")(audit_reads)


def _case_table(title: str, extra: str) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("编号 case no\n案件 id", no_wrap=True, min_width=36)
    table.add_column("状态 state\n村 village", overflow="fold")
    table.add_column(extra, overflow="fold")
    return table


def _state_and_village(case: Any) -> str:
    return f"{case.state_zh} {case.state_en}\n{case.village_name or case.village_id}"


@shared(actor=True)
def case_search(
    name: Annotated[str | None, typer.Option("--name", help="A member's name 姓名, or part of "
                                             "it.")] = None,  # fmt: skip
    id_number: Annotated[str | None, typer.Option("--id-number", help="A member's ID number "
                                                  "身份证号 (exact, 18 characters).")] = None,
    case_no: Annotated[str | None, typer.Option("--case-no", help="A case number 案件编号, e.g. "
                                                "320922-2024-000123.")] = None,  # fmt: skip
    limit: Limit = 50,
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Find cases 查找案件 by a member's name, ID number or case number (give one), in the
    actor's jurisdiction; names shown are recorded in the personal-data read log."""
    hits = service(db).search(actor, name=name, id_number=id_number, case_no=case_no,
                              limit=min(limit, 1000))  # fmt: skip
    if json_out:
        emit_json([h.to_dict() for h in hits])
        return
    table = _case_table(f"查找结果 found ({len(hits)})", "成员 member\n关系 relation")
    from ..service.registry import RELATIONS

    for h in hits:
        who = h.person_name or "（不显示姓名 name not shown）"
        table.add_row(f"{h.case.case_no}\n{h.case.id}", _state_and_village(h.case),
                      f"{who}\n{RELATIONS.get(h.relation, h.relation)} {h.relation}")  # fmt: skip
    out().print(table)
    if not hits:
        say("未找到 nothing found in this jurisdiction")


@shared(actor=True)
def household_members(
    household: Annotated[str, typer.Argument(help="Household id 家庭编号.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Why 用途: household 家庭信息, case "
                                         "page 案件页面, search 查询 (recorded in the read "
                                         "log).")] = "household",  # fmt: skip
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """A household's members 家庭成员 with masked ID numbers and, for case workers, names
    (recorded in the personal-data read log)."""
    members = service(db).members(actor, household, purpose=purpose)
    if json_out:
        emit_json([m.to_dict() for m in members])
        return
    table = Table(title=f"家庭成员 members of household {household}", box=box.SIMPLE_HEAD)
    table.add_column("成员编号 member id", no_wrap=True, min_width=36)
    table.add_column("姓名 name\n关系 relation", overflow="fold")
    table.add_column("身份证号 ID number (masked)", no_wrap=True)
    for m in members:
        table.add_row(m.person_id, f"{m.name or '（不显示 not shown）'}\n{m.relation_zh} "
                      f"{m.relation}", m.id_number_masked)  # fmt: skip
    out().print(table)


@shared(actor=True)
def queue(
    which: Annotated[str, typer.Argument(help=f"The queue 待办队列: {QUEUE_HELP}.")],
    limit: FileLimit = None, fmt: FormatOpt = None, output: OutputOpt = None,
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """A unit's work queue 待办: what is due this week, overdue, alarmed, missed or waiting
    (csv/xlsx: up to 1000, the most a queue lists)."""
    view = view_of(fmt, output, limit, json_out)
    items = service(db).queue(actor, which, limit=min(view.limit or 1000, 1000))
    if view.file:
        from ..sheets import QUEUE, case_row

        rows = [case_row(i.case) | {"reason_zh": i.reason_zh, "reason_en": i.reason_en,
                                    "due_at": i.due_at} for i in items]  # fmt: skip
        write_file(view, QUEUE, rows)
        return
    if view.json:
        write_json(view, [i.to_dict() for i in items])
        return
    table = _case_table(f"待办 queue {which} ({len(items)})", "原因 reason\n期限 due")
    for i in items:
        due = "—" if i.due_at is None else local_time(i.due_at)
        table.add_row(f"{i.case.case_no}\n{i.case.id}", _state_and_village(i.case),
                      f"{i.reason_zh}\n{i.reason_en}\n期限 due {due}")  # fmt: skip
    out().print(table)
    if not items:
        say("无待办 nothing in this queue")


@shared(actor=True)
def audit_reads(
    limit: Limit = 50,
    before: Annotated[int | None, typer.Option("--before", min=1, max=99_999_999_999, help="Only "
                                               "entries older than this entry id (paging).")] = None,
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """The personal-data read log 个人信息查阅记录: who read whose data, when and why (county
    and auditor; person ids only, never names)."""
    from ..service.personal_data import PURPOSES

    svc = service(db)
    entries = svc.personal_data_reads(actor, limit=min(limit, 1000), before=before)
    if json_out:
        emit_json([e.to_dict() for e in entries])
        return
    names = svc.unit_names(actor)
    table = Table(title=f"个人信息查阅记录 personal-data reads ({len(entries)})",
                  box=box.SIMPLE_HEAD)  # fmt: skip
    table.add_column("#\n时间 time", no_wrap=True)
    table.add_column("查阅人 reader", overflow="fold")
    table.add_column("人员 person id\n用途 purpose", no_wrap=True, min_width=36)
    for e in entries:
        org = unit_text(names.get(e.actor_org, ""), e.actor_org)
        reader = f"{e.actor_role}@{org}" + (f" {e.actor_user}" if e.actor_user else "")
        table.add_row(f"{e.id}\n{local_time(e.read_at)}", reader,
                      f"{e.person_id}\n{PURPOSES.get(e.purpose, '')} {e.purpose}")  # fmt: skip
    out().print(table)
    if entries and len(entries) == limit:
        say(f"更早的记录 older entries: --before {entries[-1].id}")
