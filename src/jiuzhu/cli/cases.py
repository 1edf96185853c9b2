"""``jiuzhu case``: the fast-track commands (容缺审批), and the reads of a case of any workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from .case_output import (
    case_rows,
    has_expenditure,
    print_case_result,
    states_after,
    summarise,
    valid_programmes,
    valid_states,
)
from .common import one_of, service
from .files import FileLimit, FormatOpt, OutputOpt, view_of, write_file, write_json
from .options import Abstentions, Attendance, CaseArg, VotesAgainst, VotesFor, Write, shared
from .output import emit_json, local_time, out, say_cut, yuan_text

if TYPE_CHECKING:
    from ..service.actors import Actor
    from ..service.views import CaseView

case_app = typer.Typer(
    help="Cases 案件: the fast track's commands 容缺审批 (apply … withdraw), and show, history "
    "and list for a case of any workflow (the standard path 审核确认 and temporary assistance "
    "临时救助 too).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(case_app, name="case")


# -- the fast track's commands -------------------------------------------------------------
@case_app.command("apply")
@shared(actor=True, write="key")
def case_apply(
    household: Annotated[str, typer.Option("--household", help="Household id 家庭编号.")],
    applicant: Annotated[str, typer.Option("--applicant", help="Applicant's member id 申请人.")],
    programme: Annotated[str, typer.Option("--programme", help="Programme 救助项目: dibao 低保, "
                                           "tekun 特困, near_dibao 低保边缘, rigid_expenditure "
                                           "支出型困难.")],  # fmt: skip
    cause: Annotated[str, typer.Option("--cause", help="Cause 原因: major_illness 重大疾病, "
                                       "disaster 灾害, accident 意外事故.")],  # fmt: skip
    expenditure: Annotated[str, typer.Option("--expenditure", help="Sudden expenditure 突发支出 "
                                             "in yuan, e.g. 90000 (fast track from 30,000).")],
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Open a fast-track application 受理容缺审批申请 (role village)."""
    view = service(db).apply(actor, household_id=household, applicant_id=applicant,
                             programme=programme, cause=cause, expenditure=expenditure,
                             **write)  # fmt: skip
    print_case_result(view, json_out)


@case_app.command("promise")
@shared(actor=True, write="full")
def case_promise(
    case_id: CaseArg,
    signed_by: Annotated[str, typer.Option("--signed-by", help="Member id of the signer 签署人.")],
    signed_on: Annotated[str | None, typer.Option("--signed-on", help="Date signed 签署日期 "
                                                  "YYYY-MM-DD (default: today).")] = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record the signed credit commitment 信用承诺书 (role village)."""
    view = service(db).promise(actor, case_id, signed_by=signed_by, signed_on=signed_on, **write)
    print_case_result(view, json_out)


@case_app.command("appraise")
@shared(actor=True, write="full")
def case_appraise(
    case_id: CaseArg,
    outcome: Annotated[str, typer.Option("--outcome", help="passed 通过 | failed 未通过 "
                                         "(failed rejects the case).")],  # fmt: skip
    attendance: Attendance, votes_for: VotesFor, votes_against: VotesAgainst,
    abstentions: Abstentions = 0,
    held_on: Annotated[str | None, typer.Option("--held-on", help="Date held 评议日期 "
                                                "YYYY-MM-DD (default: today).")] = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record the village democratic appraisal 村级民主评议 (role village)."""
    view = service(db).record_appraisal(
        actor, case_id, outcome=outcome, attendance=attendance, votes_for=votes_for,
        votes_against=votes_against, abstentions=abstentions, held_on=held_on, **write)  # fmt: skip
    print_case_result(view, json_out)


@case_app.command("approve")
@shared(actor=True, write="full")
def case_approve(
    case_id: CaseArg,
    monthly_amount: Annotated[str, typer.Option("--monthly-amount", help="Monthly assistance "
                                                "月救助金 in yuan, e.g. 2000.")],  # fmt: skip
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Decide the provisional approval 先行审批 (role township); assistance starts today."""
    view = service(db).approve(actor, case_id, monthly_amount=monthly_amount, **write)
    print_case_result(view, json_out)


@case_app.command("refuse")
@shared(actor=True, write="full")
def case_refuse(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="Written reasons 不予批准理由.")],
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Refuse the provisional approval 不予批准 (role township)."""
    print_case_result(service(db).refuse(actor, case_id, reason=reason, **write), json_out)


@case_app.command("verify")
@shared(actor=True, write="full")
def case_verify(
    case_id: CaseArg,
    result: Annotated[str, typer.Option("--result", help="Data-check result 核对结果: "
                                        "meets_standard 符合 | falsification 弄虚作假 (revokes) | "
                                        "fails_without_falsification 不符 (terminates).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Reasons 理由 (required unless "
                                               "meets_standard).")] = None,  # fmt: skip
    checked_on: Annotated[str | None, typer.Option("--checked-on", help="Date of the result "
                                                   "核对日期 YYYY-MM-DD (default: today).")] = None,
    category: Annotated[str | None, typer.Option(
        "--category", help="meets_standard: household category 家庭类别 for the re-review 复核: "
        "stable | unstable | able_to_work | tekun (default: tekun for tekun, else stable).")]
    = None,  # fmt: skip
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record the household economic data check 家庭经济状况核对 (county or verification_centre)."""
    view = service(db).record_verification(actor, case_id, result=result, reason=reason,
                                           checked_on=checked_on, household_category=category,
                                           **write)  # fmt: skip
    print_case_result(view, json_out)


@case_app.command("withdraw")
@shared(actor=True, write="full")
def case_withdraw(
    case_id: CaseArg,
    reason: Annotated[str | None, typer.Option("--reason", help="Reason 撤回原因.")] = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Withdraw an application before approval 撤回申请 (village or township)."""
    print_case_result(service(db).withdraw(actor, case_id, reason=reason, **write), json_out)


# -- reads: a case of any workflow ---------------------------------------------------------
CaseRef = Annotated[str, typer.Argument(help="Case number 案件编号 (e.g. 320922-2024-000123) "
                                        "or case id (a UUID).")]  # fmt: skip


@case_app.command("show")
@shared(actor=True)
def case_show(case_ref: CaseRef, *, actor: Actor, db: str | None, json_out: bool) -> None:
    """Show a case 查看案件 by number or id: state (Chinese and English), amounts, deadlines,
    next steps."""
    view = service(db).find_case(actor, case_ref)
    if json_out:
        emit_json(view.to_dict())
        return
    table = Table(title=f"案件 case {view.case_no}", show_header=False)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value")
    for name, value in case_rows(view):
        table.add_row(name, Text(value))
    out().print(table)


@case_app.command("history")
@shared(actor=True)
def case_history(case_ref: CaseRef, *, actor: Actor, db: str | None, json_out: bool) -> None:
    """Show a case's events 案件历史 (the hash-chained audit trail) in order, by number or id."""
    svc = service(db)
    case = svc.find_case(actor, case_ref)
    events = svc.history(actor, case.id)
    if json_out:
        emit_json([e.to_dict() for e in events])
        return
    names = svc.unit_names(actor)
    table = Table(title=f"案件历史 history of case {case.case_no} ({case.id})")
    for header in ("#", "时间 time (UTC+8)", "事件 → 状态 event → state", "操作 actor", "hash"):
        table.add_column(header, no_wrap=header != "事件 → 状态 event → state")
    table.add_column("内容 details", overflow="fold", ratio=1)
    for event, state in zip(events, states_after(events), strict=True):
        table.add_row(str(event.seq), local_time(event.occurred_at),
                      Text(f"{event.type_zh} → {state.zh}\n{event.type_en} → {state.en}"),
                      Text(f"{event.actor['role']}@{event.actor['org']}\n"
                           f"{names.get(event.actor['org'], '')}"), event.hash[:12],
                      Text(summarise(event.payload)))  # fmt: skip
    out().print(table)


PAGE = 1000  # the most the service lists at a time


@case_app.command("list")
@shared(actor=True)
def case_list(
    state: Annotated[str | None, typer.Option("--state", help="Only this state 状态, "
                                              "e.g. provisionally_approved.")] = None,
    programme: Annotated[str | None, typer.Option("--programme", help="Only this programme "
                                                  "救助项目, e.g. dibao.")] = None,
    limit: FileLimit = None,
    offset: Annotated[int, typer.Option("--offset", min=0, max=10**9,
                                        help="Skip this many.")] = 0,  # fmt: skip
    fmt: FormatOpt = None, output: OutputOpt = None,
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """List cases in the actor's jurisdiction 案件列表, oldest first (csv/xlsx: every case)."""
    view = view_of(fmt, output, limit, json_out)
    one_of(state, valid_states(), "--state")
    one_of(programme, valid_programmes(), "--programme")
    svc = service(db)
    views: list[CaseView] = []
    wanted = view.limit
    while wanted is None or len(views) < wanted:  # pages of at most PAGE (the service's bound)
        page = svc.list_cases(
            actor,
            state=state,
            programme=programme,
            limit=PAGE if wanted is None else min(PAGE, wanted - len(views)),
            offset=offset + len(views),
        )
        views += page
        if len(page) < PAGE:
            break
    total = sum(n for (p, s), n in svc.count_by_state(actor).items()
                if state in (None, s) and programme in (None, p))  # fmt: skip
    if view.file:
        from ..sheets import CASES, case_row

        write_file(view, CASES, [case_row(v) for v in views], total)
        return
    if view.json:
        write_json(view, [v.to_dict() for v in views])
        say_cut(len(views), total, json_out=True, offset=offset)
        return
    table = Table(title=f"案件 cases ({total:,})", box=box.SIMPLE_HEAD)
    table.add_column("编号 case no\n案件 id", no_wrap=True, min_width=36)
    table.add_column("状态 state", overflow="fold")
    table.add_column("项目 programme\n村 village", overflow="fold")
    table.add_column("支出 outlay\n月额 monthly\n受理 opened", justify="right", no_wrap=True)
    for v in views:
        outlay = yuan_text(v.expenditure_fen) if has_expenditure(v) else "—"
        table.add_row(f"{v.case_no}\n{v.id}", f"{v.state_zh}\n{v.state_en}",
                      f"{v.programme}\n{v.village_name or v.village_id}",
                      f"{outlay}\n{yuan_text(v.monthly_amount_fen)}\n"
                      f"{local_time(v.opened_at)[:10]}")  # fmt: skip
    out().print(table)
    say_cut(len(views), total, json_out=False, offset=offset)
