"""``jiuzhu standard``, ``jiuzhu temporary``, ``jiuzhu policy``: the standard path (审核确认),
temporary assistance (临时救助, "1+4") and the dated policy they decide by.

The commands follow the case commands of :mod:`jiuzhu.cli` (same actor options, ``--db``,
``--json``, errors in Chinese and English, exit codes).  ``--policy FILE`` (or
``$JIUZHU_POLICY_FILE``, which every command reads) adds a policy file (JSON or TOML,
``docs/policy.md``) -- dibao lines of other cities, dated changes of the settings -- to the
built-in book (Nanjing's 945 yuan from 2020-07-01); see ``jiuzhu policy show``.  Times shown are Shanghai time (UTC+8).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from . import policy as policy_data
from .clock import local_date, parse_iso_utc
from .service.service import CaseService
from .service.views import CaseView
from .workflows import standard, temporary

standard_app = typer.Typer(
    help="Standard path 审核确认 (dibao): accept 受理, investigate 入户调查, data check 信息核对, "
    "opinion 初审, public notice 公示, county decision 审核确认; limits in Chinese working days "
    "工作日.",
    no_args_is_help=True,
)
temporary_app = typer.Typer(
    help='Temporary assistance 临时救助 (new citizens\' "1+4"): assess 评估, approve 批准, pay '
    "发放 (cash 现金 + in kind 实物), or assist first 先行救助.",
    no_args_is_help=True,
)
policy_app = typer.Typer(help="Dated policy 政策: dibao lines 低保标准 per city and date, limits.",
                         no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``standard``, ``temporary`` and ``policy`` to the main command line."""
    app.add_typer(standard_app, name="standard")
    app.add_typer(temporary_app, name="temporary")
    app.add_typer(policy_app, name="policy")


PolicyOpt = Annotated[Path | None, typer.Option(
    "--policy", envvar="JIUZHU_POLICY_FILE", show_envvar=True,
    help="Policy file 政策配置文件 (JSON, or TOML by extension; added to the built-in book; "
    "format: docs/policy.md).")]  # fmt: skip
Staff = Annotated[list[str] | None, typer.Option(
    "--investigator", help="Investigator's staff id 调查人员工号; repeat, at least two.")]  # fmt: skip


def book_of(path: Path | None) -> policy_data.PolicyBook:
    """The book of ``--policy FILE`` (the built-in one without it)."""
    return policy_data.DEFAULT_BOOK if path is None else policy_data.read_file(path)


def path_service(db: str | None, policy: Path | None) -> CaseService:
    """The service on ``db``; ``--policy FILE`` (or ``$JIUZHU_POLICY_FILE``, which every
    command's service reads through :func:`jiuzhu.connect`) gives its book."""
    svc = service(db)
    if policy is not None and str(policy) != os.environ.get(policy_data.ENV_POLICY_FILE):
        svc.policy_book = book_of(policy)  # an explicit --policy over the environment's file
    return svc


def show(view: CaseView, json_out: bool) -> None:
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


# -- jiuzhu standard ---------------------------------------------------------------------------
@standard_app.command("apply")
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
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Open a dibao application on the standard path 常规审核确认申请 (village or township)."""
    actor = actor_of(role, org, user)
    view = path_service(db, policy).apply_standard(
        actor, household_id=household, applicant_id=applicant, special=special,
        fast_track_case=fast_track_case, fast_track_expenditure=fast_track_expenditure,
        idempotency_key=idempotency_key)  # fmt: skip
    show(view, json_out)


def _step(method: str, case_id: str, role: str | None, org: str | None, user: str | None,
          db: str | None, policy: Path | None, json_out: bool, **kwargs: Any) -> None:  # fmt: skip
    actor = actor_of(role, org, user)
    view = getattr(path_service(db, policy), method)(actor, case_id, **kwargs)
    show(view, json_out)


@standard_app.command("accept")
def standard_accept(
    case_id: CaseArg, role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None,
    db: Db = None, policy: PolicyOpt = None, expect_version: ExpectOpt = None,
    idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Accept the application 受理 (township): the 30-working-day limit starts."""
    _step("accept_standard", case_id, role, org, user, db, policy, json_out,
          expected_version=expect_version, idempotency_key=idempotency_key)  # fmt: skip


@standard_app.command("start-investigation")
def standard_start_investigation(
    case_id: CaseArg, investigator: Staff = None, role: RoleOpt = None, org: OrgOpt = None,
    user: UserOpt = None, db: Db = None, policy: PolicyOpt = None,
    expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Start the home investigation 启动入户调查 (at least two investigators)."""
    _step("start_investigation", case_id, role, org, user, db, policy, json_out,
          investigators=investigator or [], expected_version=expect_version,
          idempotency_key=idempotency_key)  # fmt: skip


@standard_app.command("complete-investigation")
def standard_complete_investigation(
    case_id: CaseArg,
    income: Annotated[str, typer.Option("--income", help="Household monthly income 家庭月收入 "
                                        "(yuan), as investigated.")],  # fmt: skip
    signed_by: Annotated[str, typer.Option("--signed-by", help="Member who signed 签字家庭成员.")],
    investigator: Staff = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes 备注.")] = None,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Record the signed investigation 调查记录 and request the data check 提请核对."""
    _step("complete_investigation", case_id, role, org, user, db, policy, json_out,
          household_income=income, signed_by=signed_by, investigators=investigator or [],
          notes=notes, expected_version=expect_version, idempotency_key=idempotency_key)  # fmt: skip


@standard_app.command("start-check")
def standard_start_check(
    case_id: CaseArg, role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None,
    db: Db = None, policy: PolicyOpt = None, expect_version: ExpectOpt = None,
    idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Start the data check 启动信息核对 (county or verification_centre; within 3 WD)."""
    _step("start_verification", case_id, role, org, user, db, policy, json_out,
          expected_version=expect_version, idempotency_key=idempotency_key)  # fmt: skip


@standard_app.command("check")
def standard_check(
    case_id: CaseArg,
    result: Annotated[str, typer.Option("--result", help="meets_standard 符合 | fails 不符合.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Reasons 理由 (for fails).")] = None,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Record the data-check result 核对结果 (county or verification_centre)."""
    _step(
        "record_check",
        case_id,
        role,
        org,
        user,
        db,
        policy,
        json_out,
        result=result,
        reason=reason,
        expected_version=expect_version,
        idempotency_key=idempotency_key,
    )


@standard_app.command("opinion")
def standard_opinion(
    case_id: CaseArg,
    opinion: Annotated[str, typer.Option("--opinion", help="The opinion 初审意见 (text).")],
    recommend: Annotated[bool, typer.Option("--recommend/--not-recommend", help="Recommend "
                                            "同意 (7-day public notice 公示) or not 不同意.")] = True,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """The township's opinion 乡镇初审意见 (township)."""
    _step(
        "give_opinion",
        case_id,
        role,
        org,
        user,
        db,
        policy,
        json_out,
        recommend=recommend,
        opinion=opinion,
        expected_version=expect_version,
        idempotency_key=idempotency_key,
    )


@standard_app.command("object")
def standard_object(
    case_id: CaseArg,
    route: Annotated[str, typer.Option("--route", help="reinvestigate 重新调查 | appraisal "
                                       "民主评议.")],  # fmt: skip
    summary: Annotated[str, typer.Option("--summary", help="The objection 异议内容.")],
    investigator: Staff = None,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Record an objection during the public notice 公示异议 (village or township)."""
    _step("record_objection", case_id, role, org, user, db, policy, json_out, route=route,
          summary=summary, investigators=investigator, expected_version=expect_version,
          idempotency_key=idempotency_key)  # fmt: skip


@standard_app.command("appraise")
def standard_appraise(
    case_id: CaseArg,
    outcome: Annotated[str, typer.Option("--outcome", help="passed 通过 | failed 未通过.")],
    attendance: Annotated[int, typer.Option("--attendance", help="People present 出席人数.")],
    votes_for: Annotated[int, typer.Option("--votes-for", help="Votes for 赞成票.")],
    votes_against: Annotated[int, typer.Option("--votes-against", help="Votes against 反对票.")],
    abstentions: Annotated[int, typer.Option("--abstentions", help="Abstentions 弃权.")] = 0,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Record the democratic appraisal after an objection 民主评议 (village)."""
    _step("appraise_standard", case_id, role, org, user, db, policy, json_out, outcome=outcome,
          attendance=attendance, votes_for=votes_for, votes_against=votes_against,
          abstentions=abstentions, expected_version=expect_version,
          idempotency_key=idempotency_key)  # fmt: skip


@standard_app.command("special")
def standard_special(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="hukou_split 分户 | hard_investigation "
                                        "调查困难 | other 其他.")],  # fmt: skip
    note: Annotated[str | None, typer.Option("--note", help="Note 说明.")] = None,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Mark a special case 特殊情况: the overall limit becomes 45 working days (township)."""
    _step(
        "mark_special",
        case_id,
        role,
        org,
        user,
        db,
        policy,
        json_out,
        reason=reason,
        note=note,
        expected_version=expect_version,
        idempotency_key=idempotency_key,
    )


@standard_app.command("decide")
def standard_decide(
    case_id: CaseArg,
    decision: Annotated[str, typer.Option("--decision", help="confirm 审核确认 | reject 不予确认.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Written reasons 理由 (reject, "
                                               "or a fixed amount).")] = None,  # fmt: skip
    monthly_amount: Annotated[str | None, typer.Option(
        "--monthly-amount", help="A fixed monthly amount 固定月救助金 (yuan); default: (line - "
        "per-capita income) x household size.")] = None,  # fmt: skip
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """The county's decision 县级审核确认 (county); paid from the month after."""
    _step("decide_standard", case_id, role, org, user, db, policy, json_out, decision=decision,
          reason=reason, monthly_amount=monthly_amount, expected_version=expect_version,
          idempotency_key=idempotency_key)  # fmt: skip


@standard_app.command("deliver")
def standard_deliver(
    case_id: CaseArg,
    delivered_on: Annotated[str | None, typer.Option("--delivered-on", help="Date 送达日期 "
                                                     "YYYY-MM-DD (default today).")] = None,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """The written reasons of a rejection were delivered 送达不予确认通知 (village or township)."""
    _step("deliver_rejection_notice", case_id, role, org, user, db, policy, json_out,
          delivered_on=delivered_on, expected_version=expect_version,
          idempotency_key=idempotency_key)  # fmt: skip


@standard_app.command("alarms")
def standard_alarms(
    include_resolved: Annotated[bool, typer.Option("--all", help="Include resolved alarms "
                                                   "含已处理.")] = False,  # fmt: skip
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Passed limits 超时预警 of standard and temporary cases, oldest first."""
    from .cli_calendar import print_warnings

    actor = actor_of(role, org, user)
    svc = service(db)
    rows = svc.limit_alarms(actor, include_resolved=include_resolved)
    today = local_date(svc.clock.now())  # from 1 October: is next year's calendar loaded?
    print_warnings(svc.calendar.warnings(today, svc.policy_book.settings_on(today)))
    if json_out:
        emit_json(rows)
        return
    table = Table(title=f"超时预警 limit alarms ({len(rows)})", box=box.SIMPLE_HEAD)
    for header in ("案件 case", "流程 workflow", "时限 limit", "到期 due (UTC+8)", "超时 late (d)",
                   "状态 state"):  # fmt: skip
        table.add_column(header, no_wrap=header.startswith("案件"))
    for r in rows:
        status = "已处理 resolved" if r["resolved_at"] else "未处理 open"
        table.add_row(r["case_id"], r["workflow"], f"{r['limit_zh']}\n{r['limit_en']}",
                      local_time(parse_iso_utc(r["due_at"])), f"{r['late_days']:.1f}",
                      f"{r['state']}\n{status}")  # fmt: skip
    out().print(table)


# -- jiuzhu temporary --------------------------------------------------------------------------
@temporary_app.command("apply")
def temporary_apply(
    household: Annotated[str, typer.Option("--household", help="Household id 家庭编号.")],
    applicant: Annotated[str, typer.Option("--applicant", help="Applicant's member id 申请人.")],
    kind: Annotated[str, typer.Option("--kind", help="emergency 急难型 | expenditure "
                                      "支出型.")] = "emergency",  # fmt: skip
    new_citizen: Annotated[bool, typer.Option("--new-citizen", help="No local hukou 新市民.")]
    = False,  # fmt: skip
    waiting_on: Annotated[str | None, typer.Option(
        "--waiting-on", help="The household's pending standard case 待审核确认案件.")] = None,
    expenditure: Annotated[str | None, typer.Option("--expenditure", help="Expense 支出 "
                                                    "(yuan).")] = None,  # fmt: skip
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Open a temporary-assistance case 临时救助申请 (village or township)."""
    actor = actor_of(role, org, user)
    view = path_service(db, policy).apply_temporary(
        actor, household_id=household, applicant_id=applicant, kind=kind, new_citizen=new_citizen,
        waiting_on=waiting_on, expenditure=expenditure, idempotency_key=idempotency_key)  # fmt: skip
    show(view, json_out)


def _assessment(method: str, case_id: str, income: str | None, income_evidence: str | None,
                dependants: str | None, sudden_event: str | None, signed_by: str | None,
                commitment_evidence: str | None, role: str | None, org: str | None,
                user: str | None, db: str | None, policy: Path | None,
                expect_version: int | None, idempotency_key: str | None,
                json_out: bool) -> None:  # fmt: skip
    _step(method, case_id, role, org, user, db, policy, json_out, income=income,
          income_evidence=income_evidence, dependants=dependants, sudden_event=sudden_event,
          commitment_signed_by=signed_by, commitment_evidence=commitment_evidence,
          expected_version=expect_version, idempotency_key=idempotency_key)  # fmt: skip


Income = Annotated[str | None, typer.Option("--income", help="1: six-month average monthly "
                                            "income per person 六个月月均收入 (yuan).")]  # fmt: skip
IncomeEvidence = Annotated[str | None, typer.Option("--income-evidence", help="Its evidence "
                                                    "收入证明.")]  # fmt: skip
Dependants = Annotated[
    str | None,
    typer.Option(
        "--dependants", help="2: evidence of an ill, disabled, minor or elderly member 证明."
    ),
]
Sudden = Annotated[str | None, typer.Option("--sudden-event", help="3: evidence of a fire, "
                                            "accident or disaster 突发事件证明.")]  # fmt: skip
Signer = Annotated[
    str | None,
    typer.Option(
        "--commitment-signed-by", help="4: member who signed the integrity commitment 诚信承诺书."
    ),
]
CommitmentEvidence = Annotated[
    str | None, typer.Option("--commitment-evidence", help="Its reference 承诺书编号.")
]


@temporary_app.command("assess")
def temporary_assess(
    case_id: CaseArg, income: Income = None, income_evidence: IncomeEvidence = None,
    dependants: Dependants = None, sudden_event: Sudden = None, commitment_signed_by: Signer = None,
    commitment_evidence: CommitmentEvidence = None, role: RoleOpt = None, org: OrgOpt = None,
    user: UserOpt = None, db: Db = None, policy: PolicyOpt = None,
    expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """The "1+4" assessment 评估: at least one of the four conditions, with evidence."""
    _assessment("assess_temporary", case_id, income, income_evidence, dependants, sudden_event,
                commitment_signed_by, commitment_evidence, role, org, user, db, policy,
                expect_version, idempotency_key, json_out)  # fmt: skip


@temporary_app.command("paperwork")
def temporary_paperwork(
    case_id: CaseArg, income: Income = None, income_evidence: IncomeEvidence = None,
    dependants: Dependants = None, sudden_event: Sudden = None, commitment_signed_by: Signer = None,
    commitment_evidence: CommitmentEvidence = None, role: RoleOpt = None, org: OrgOpt = None,
    user: UserOpt = None, db: Db = None, policy: PolicyOpt = None,
    expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Complete the paperwork after assisting first 补齐手续 (the "1+4" assessment)."""
    _assessment("complete_paperwork", case_id, income, income_evidence, dependants,
                sudden_event, commitment_signed_by, commitment_evidence, role, org, user, db,
                policy, expect_version, idempotency_key, json_out)  # fmt: skip


Multiplier = Annotated[int, typer.Option("--multiplier", help="Times the dibao line per person "
                                         "救助倍数 (1-5).")]  # fmt: skip
InKind = Annotated[str, typer.Option("--in-kind", help="Part given in kind 实物部分 (yuan); "
                                     "the rest is cash 现金.")]  # fmt: skip


@temporary_app.command("approve")
def temporary_approve(
    case_id: CaseArg, multiplier: Multiplier, in_kind: InKind = "0",
    reason: Annotated[str | None, typer.Option("--reason", help="Reasons 理由.")] = None,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Approve the grant 批准: multiplier x line in force today x household size."""
    _step("decide_temporary", case_id, role, org, user, db, policy, json_out, decision="approve",
          multiplier=multiplier, in_kind=in_kind, reason=reason,
          expected_version=expect_version, idempotency_key=idempotency_key)  # fmt: skip


@temporary_app.command("reject")
def temporary_reject(
    case_id: CaseArg, reason: Annotated[str, typer.Option("--reason", help="Reasons 理由.")],
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Reject 不予救助 (township or county)."""
    _step(
        "decide_temporary",
        case_id,
        role,
        org,
        user,
        db,
        policy,
        json_out,
        decision="reject",
        reason=reason,
        expected_version=expect_version,
        idempotency_key=idempotency_key,
    )


@temporary_app.command("assist-first")
def temporary_assist_first(
    case_id: CaseArg, multiplier: Multiplier,
    reason: Annotated[str, typer.Option("--reason", help="The emergency 紧急情况.")],
    in_kind: InKind = "0", role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None,
    db: Db = None, policy: PolicyOpt = None, expect_version: ExpectOpt = None,
    idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Assist first 先行救助: pay now, complete the paperwork within the limit."""
    _step("assist_first", case_id, role, org, user, db, policy, json_out, multiplier=multiplier,
          reason=reason, in_kind=in_kind, expected_version=expect_version,
          idempotency_key=idempotency_key)  # fmt: skip


@temporary_app.command("pay")
def temporary_pay(
    case_id: CaseArg, role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None,
    db: Db = None, policy: PolicyOpt = None, expect_version: ExpectOpt = None,
    idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Pay the approved grant 发放 (cash and in kind; township or county)."""
    _step("pay_temporary", case_id, role, org, user, db, policy, json_out,
          expected_version=expect_version, idempotency_key=idempotency_key)  # fmt: skip


@temporary_app.command("close")
def temporary_close(
    case_id: CaseArg, note: Annotated[str | None, typer.Option("--note", help="Note 说明.")] = None,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    policy: PolicyOpt = None, expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Close a paid case 结案 (township or county)."""
    _step("close_temporary", case_id, role, org, user, db, policy, json_out, note=note,
          expected_version=expect_version, idempotency_key=idempotency_key)  # fmt: skip


# -- jiuzhu policy ------------------------------------------------------------------------------
@policy_app.command("show")
def policy_show(policy: PolicyOpt = None, json_out: JsonOpt = False) -> None:
    """Show the policy book 政策: dibao lines per city and date, settings and their changes."""
    data = book_of(policy).describe()
    if json_out:
        emit_json(data)
        return
    table = Table(title="低保标准 dibao lines (yuan per person per month)", box=box.SIMPLE_HEAD)
    for header in ("城市 city", "起 from", "元 yuan", "依据 source"):
        table.add_column(header)
    for city, entries in data["dibao_lines"].items():
        for e in entries:
            table.add_row(city, e["from"], e["yuan"], e["source"])
    out().print(table)
    settings = Table(title="参数 settings (defaults; dated changes below)", box=box.SIMPLE_HEAD)
    settings.add_column("参数 setting")
    settings.add_column("值 value", justify="right")
    settings.add_column("说明 meaning")
    settings.add_column("依据 source")
    for key, value in data["defaults"].items():
        spec = policy_data.SETTINGS[key]
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        settings.add_row(key, shown, spec.meaning, spec.source)
    out().print(settings)
    for change in data["changes"]:
        say(f"自 from {change['from']}: " + ", ".join(f"{k}={v}" for k, v in change.items()
                                                      if k != "from"))  # fmt: skip


# Last, because cli.py imports this module at its end (see cli_plans.py for why).
from .cli import (  # noqa: E402
    CaseArg,
    Db,
    ExpectOpt,
    JsonOpt,
    KeyOpt,
    OrgOpt,
    RoleOpt,
    UserOpt,
    actor_of,
    emit_json,
    local_time,
    out,
    print_case_result,
    say,
    service,
    yuan_text,
)
