"""``jiuzhu standard``: the standard path (审核确认) of a dibao application, and its alarms.

The commands follow the case commands (same actor options, ``--db``, ``--json``, errors in
Chinese and English, exit codes).  ``--policy FILE`` (or ``$JIUZHU_POLICY_FILE``, which every
command reads) adds a policy file (``docs/policy.md``) to the built-in book; see ``jiuzhu
policy show``.  Times shown are Shanghai time (UTC+8).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from ..clock import local_date, parse_iso_utc
from .case_output import print_case_result
from .common import path_service, service
from .files import FileLimit, FormatOpt, OutputOpt, view_of, write_file, write_json
from .options import (
    Abstentions,
    Attendance,
    CaseArg,
    PolicyOpt,
    VotesAgainst,
    VotesFor,
    Write,
    shared,
)
from .output import local_time, out, say, say_cut, yuan_text

if TYPE_CHECKING:
    from ..service.actors import Actor
    from ..service.views import CaseView

standard_app = typer.Typer(
    help="Standard path 审核确认 (dibao): accept 受理, investigate 入户调查, data check 信息核对, "
    "opinion 初审, public notice 公示, county decision 审核确认; limits in Chinese working days "
    "工作日.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(standard_app, name="standard")


Staff = Annotated[list[str] | None, typer.Option(
    "--investigator", help="Investigator's staff id 调查人员工号; repeat, at least two.")]  # fmt: skip


def show(view: CaseView, json_out: bool) -> None:
    """The result of a standard-path or temporary-assistance command."""
    from ..workflows import standard, temporary

    print_case_result(view, json_out)
    if json_out:
        return
    for kind, due in sorted(view.deadlines.items()):
        say(f"  期限 deadline {kind}: {local_time(parse_iso_utc(due))} (UTC+8)")
    grant = view.facts.get("grant")
    if view.workflow == temporary.NAME and grant:
        say(f"  救助金 grant: {grant['multiplier']} × {yuan_text(grant['policy']['dibao_line_fen'])}"
            f" × {grant['household_size']} = {yuan_text(grant['total_fen'])} "
            f"(现金 cash {yuan_text(grant['cash_fen'])}, 实物 in kind "
            f"{yuan_text(grant['in_kind_fen'])})")  # fmt: skip
    if view.workflow == standard.NAME and view.monthly_amount_fen is not None:
        say(f"  月救助金 monthly: {yuan_text(view.monthly_amount_fen)} from "
            f"{view.facts['allowance']['next_month']}")  # fmt: skip


def step(method: str, case_id: str, actor: Actor, db: str | None, policy: Path | None,
         json_out: bool, **kwargs: Any) -> None:  # fmt: skip
    """Run the service's ``method`` on the case and show the result."""
    show(getattr(path_service(db, policy), method)(actor, case_id, **kwargs), json_out)


@standard_app.command("apply")
@shared(actor=True, write="key")
def standard_apply(
    household: Annotated[str, typer.Option("--household", help="Household id 家庭编号.")],
    applicant: Annotated[str, typer.Option("--applicant", help="Applicant's member id 申请人.")],
    special: Annotated[str | None, typer.Option("--special", help="Special case 特殊情况 (45 "
                                                "working days): hukou_split, hard_investigation, "
                                                "other.")] = None,  # fmt: skip
    fast_track_case: Annotated[str | None, typer.Option(
        "--fast-track-case", help="The refused fast-track case 被拒的容缺审批案件 (routing).")] = None,
    fast_track_expenditure: Annotated[str | None, typer.Option(
        "--fast-track-expenditure", help="The expenditure the fast track refused as below its "
        "threshold 低于门槛的支出 (yuan).")] = None,  # fmt: skip
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Open a dibao application on the standard path 常规审核确认申请 (village or township)."""
    view = path_service(db, policy).apply_standard(
        actor, household_id=household, applicant_id=applicant, special=special,
        fast_track_case=fast_track_case, fast_track_expenditure=fast_track_expenditure,
        **write)  # fmt: skip
    show(view, json_out)


@standard_app.command("accept")
@shared(actor=True, write="full")
def standard_accept(case_id: CaseArg, policy: PolicyOpt = None, *, actor: Actor,
                    db: str | None, write: Write, json_out: bool) -> None:  # fmt: skip
    """Accept the application 受理 (township): the 30-working-day limit starts."""
    step("accept_standard", case_id, actor, db, policy, json_out, **write)


@standard_app.command("start-investigation")
@shared(actor=True, write="full")
def standard_start_investigation(
    case_id: CaseArg, investigator: Staff = None, policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Start the home investigation 启动入户调查 (at least two investigators)."""
    step("start_investigation", case_id, actor, db, policy, json_out,
         investigators=investigator or [], **write)  # fmt: skip


@standard_app.command("complete-investigation")
@shared(actor=True, write="full")
def standard_complete_investigation(
    case_id: CaseArg,
    income: Annotated[str, typer.Option("--income", help="Household monthly income 家庭月收入 "
                                        "(yuan), as investigated.")],  # fmt: skip
    signed_by: Annotated[str, typer.Option("--signed-by", help="Member who signed 签字家庭成员.")],
    investigator: Staff = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes 备注.")] = None,
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record the signed investigation 调查记录 and request the data check 提请核对."""
    step("complete_investigation", case_id, actor, db, policy, json_out, household_income=income,
         signed_by=signed_by, investigators=investigator or [], notes=notes, **write)  # fmt: skip


@standard_app.command("start-check")
@shared(actor=True, write="full")
def standard_start_check(case_id: CaseArg, policy: PolicyOpt = None, *, actor: Actor,
                         db: str | None, write: Write, json_out: bool) -> None:  # fmt: skip
    """Start the data check 启动信息核对 (county or verification_centre; within 3 WD)."""
    step("start_verification", case_id, actor, db, policy, json_out, **write)


@standard_app.command("check")
@shared(actor=True, write="full")
def standard_check(
    case_id: CaseArg,
    result: Annotated[str, typer.Option("--result", help="meets_standard 符合 | fails 不符合.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Reasons 理由 (for fails).")] = None,
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record the data-check result 核对结果 (county or verification_centre)."""
    step("record_check", case_id, actor, db, policy, json_out, result=result, reason=reason,
         **write)  # fmt: skip


@standard_app.command("opinion")
@shared(actor=True, write="full")
def standard_opinion(
    case_id: CaseArg,
    opinion: Annotated[str, typer.Option("--opinion", help="The opinion 初审意见 (text).")],
    recommend: Annotated[bool, typer.Option("--recommend/--not-recommend", help="Recommend "
                                            "同意 (7-day public notice 公示) or not 不同意.")] = True,
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """The township's opinion 乡镇初审意见 (township)."""
    step("give_opinion", case_id, actor, db, policy, json_out, recommend=recommend,
         opinion=opinion, **write)  # fmt: skip


@standard_app.command("object")
@shared(actor=True, write="full")
def standard_object(
    case_id: CaseArg,
    route: Annotated[str, typer.Option("--route", help="reinvestigate 重新调查 | appraisal "
                                       "民主评议.")],  # fmt: skip
    summary: Annotated[str, typer.Option("--summary", help="The objection 异议内容.")],
    investigator: Staff = None, policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record an objection during the public notice 公示异议 (village or township)."""
    step("record_objection", case_id, actor, db, policy, json_out, route=route, summary=summary,
         investigators=investigator, **write)  # fmt: skip


@standard_app.command("appraise")
@shared(actor=True, write="full")
def standard_appraise(
    case_id: CaseArg,
    outcome: Annotated[str, typer.Option("--outcome", help="passed 通过 | failed 未通过.")],
    attendance: Attendance, votes_for: VotesFor, votes_against: VotesAgainst,
    abstentions: Abstentions = 0,
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record the democratic appraisal after an objection 民主评议 (village)."""
    step("appraise_standard", case_id, actor, db, policy, json_out, outcome=outcome,
         attendance=attendance, votes_for=votes_for, votes_against=votes_against,
         abstentions=abstentions, **write)  # fmt: skip


@standard_app.command("special")
@shared(actor=True, write="full")
def standard_special(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="hukou_split 分户 | hard_investigation "
                                        "调查困难 | other 其他.")],  # fmt: skip
    note: Annotated[str | None, typer.Option("--note", help="Note 说明.")] = None,
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Mark a special case 特殊情况: the overall limit becomes 45 working days (township)."""
    step("mark_special", case_id, actor, db, policy, json_out, reason=reason, note=note, **write)


@standard_app.command("decide")
@shared(actor=True, write="full")
def standard_decide(
    case_id: CaseArg,
    decision: Annotated[str, typer.Option("--decision", help="confirm 审核确认 | reject 不予确认.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Written reasons 理由 (reject, "
                                               "or a fixed amount).")] = None,  # fmt: skip
    monthly_amount: Annotated[str | None, typer.Option(
        "--monthly-amount", help="A fixed monthly amount 固定月救助金 (yuan); default: (line - "
        "per-capita income) x household size.")] = None,  # fmt: skip
    category: Annotated[str | None, typer.Option(
        "--category", help="Household category 家庭类别, sets the re-review 复核: stable 收入稳定 "
        "(12 months) | unstable 收入不稳定 | able_to_work 有劳动能力 (6) | tekun 特困 (12); "
        "default stable.")] = None,  # fmt: skip
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """The county's decision 县级审核确认 (county); paid from the month after."""
    step("decide_standard", case_id, actor, db, policy, json_out, decision=decision,
         reason=reason, monthly_amount=monthly_amount, household_category=category,
         **write)  # fmt: skip


@standard_app.command("deliver")
@shared(actor=True, write="full")
def standard_deliver(
    case_id: CaseArg,
    delivered_on: Annotated[str | None, typer.Option("--delivered-on", help="Date 送达日期 "
                                                     "YYYY-MM-DD (default today).")] = None,
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """The written reasons of a rejection were delivered 送达不予确认通知 (village or township)."""
    step("deliver_rejection_notice", case_id, actor, db, policy, json_out,
         delivered_on=delivered_on, **write)  # fmt: skip


@standard_app.command("alarms")
@shared(actor=True)
def standard_alarms(
    include_resolved: Annotated[bool, typer.Option("--all", help="Include resolved alarms "
                                                   "含已处理.")] = False,  # fmt: skip
    limit: FileLimit = None, fmt: FormatOpt = None, output: OutputOpt = None,
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Passed limits 超时预警 of standard and temporary cases, oldest first."""
    from .calendar import print_warnings

    view = view_of(fmt, output, limit, json_out)
    svc = service(db)
    rows = svc.limit_alarms(actor, include_resolved=include_resolved)
    today = local_date(svc.clock.now())  # from 1 October: is next year's calendar loaded?
    print_warnings(svc.calendar.warnings(today, svc.policy_book.settings_on(today)))
    shown = view.cut(rows)
    if view.file:
        from ..sheets import ALARMS, named

        write_file(view, ALARMS, named(shown, svc.unit_names(actor)), len(rows))
        return
    if view.json:
        write_json(view, shown)
        say_cut(len(shown), len(rows), json_out=True)
        return
    table = Table(title=f"超时预警 limit alarms ({len(rows)})", box=box.SIMPLE_HEAD)
    for header in ("案件 case", "流程 workflow", "时限 limit", "到期 due (UTC+8)", "超时 late (d)",
                   "状态 state"):  # fmt: skip
        table.add_column(header, no_wrap=header.startswith("案件"))
    for r in shown:
        status = "已处理 resolved" if r["resolved_at"] else "未处理 open"
        table.add_row(r["case_id"], r["workflow"], f"{r['limit_zh']}\n{r['limit_en']}",
                      local_time(parse_iso_utc(r["due_at"])), f"{r['late_days']:.1f}",
                      f"{r['state']}\n{status}")  # fmt: skip
    out().print(table)
    say_cut(len(shown), len(rows), json_out=False)
