"""``jiuzhu temporary``: temporary assistance (临时救助, new citizens' "1+4").

The commands follow the case commands (same actor options, ``--db``, ``--json``, ``--policy``,
errors in Chinese and English, exit codes); results are shown as the standard path's are.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from .common import path_service
from .options import CaseArg, PolicyOpt, Write, shared
from .standard import show, step

if TYPE_CHECKING:
    from ..service.actors import Actor

temporary_app = typer.Typer(
    help='Temporary assistance 临时救助 (new citizens\' "1+4"): assess 评估, approve 批准, pay '
    "发放 (cash 现金 + in kind 实物), or assist first 先行救助.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(temporary_app, name="temporary")


class Kind(StrEnum):  # = jiuzhu.workflows.temporary.KINDS (a test checks)
    emergency = "emergency"
    expenditure = "expenditure"


@temporary_app.command("apply")
@shared(actor=True, write="key")
def temporary_apply(
    household: Annotated[str, typer.Option("--household", help="Household id 家庭编号.")],
    applicant: Annotated[str, typer.Option("--applicant", help="Applicant's member id 申请人.")],
    kind: Annotated[Kind, typer.Option("--kind", help="emergency 急难型 | expenditure "
                                       "支出型.")] = Kind.emergency,  # fmt: skip
    new_citizen: Annotated[bool, typer.Option("--new-citizen", help="No local hukou 新市民.")]
    = False,  # fmt: skip
    waiting_on: Annotated[str | None, typer.Option(
        "--waiting-on", help="The household's pending standard case 待审核确认案件.")] = None,
    expenditure: Annotated[str | None, typer.Option("--expenditure", help="Expense 支出 "
                                                    "(yuan).")] = None,  # fmt: skip
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Open a temporary-assistance case 临时救助申请 (village or township)."""
    view = path_service(db, policy).apply_temporary(
        actor, household_id=household, applicant_id=applicant, kind=kind.value,
        new_citizen=new_citizen, waiting_on=waiting_on, expenditure=expenditure, **write)  # fmt: skip
    show(view, json_out)


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
CommitmentEvidence = Annotated[str | None, typer.Option(
    "--commitment-evidence", help="Its reference 承诺书编号.")]  # fmt: skip


@temporary_app.command("assess")
@shared(actor=True, write="full")
def temporary_assess(
    case_id: CaseArg, income: Income = None, income_evidence: IncomeEvidence = None,
    dependants: Dependants = None, sudden_event: Sudden = None, commitment_signed_by: Signer = None,
    commitment_evidence: CommitmentEvidence = None, policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """The "1+4" assessment 评估: at least one of the four conditions, with evidence."""
    step("assess_temporary", case_id, actor, db, policy, json_out, income=income,
         income_evidence=income_evidence, dependants=dependants, sudden_event=sudden_event,
         commitment_signed_by=commitment_signed_by, commitment_evidence=commitment_evidence,
         **write)  # fmt: skip


@temporary_app.command("paperwork")
@shared(actor=True, write="full")
def temporary_paperwork(
    case_id: CaseArg, income: Income = None, income_evidence: IncomeEvidence = None,
    dependants: Dependants = None, sudden_event: Sudden = None, commitment_signed_by: Signer = None,
    commitment_evidence: CommitmentEvidence = None, policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Complete the paperwork after assisting first 补齐手续 (the "1+4" assessment)."""
    step("complete_paperwork", case_id, actor, db, policy, json_out, income=income,
         income_evidence=income_evidence, dependants=dependants, sudden_event=sudden_event,
         commitment_signed_by=commitment_signed_by, commitment_evidence=commitment_evidence,
         **write)  # fmt: skip


# the policy bounds it (1-5 by default; a policy file may change that): absurd values are a
# usage error here, the rest is the service's to refuse
Multiplier = Annotated[int, typer.Option("--multiplier", min=1, max=100, help="Times the dibao "
                                         "line per person 救助倍数 (1-5).")]  # fmt: skip
InKind = Annotated[str, typer.Option("--in-kind", help="Part given in kind 实物部分 (yuan); "
                                     "the rest is cash 现金.")]  # fmt: skip


@temporary_app.command("approve")
@shared(actor=True, write="full")
def temporary_approve(
    case_id: CaseArg, multiplier: Multiplier, in_kind: InKind = "0",
    reason: Annotated[str | None, typer.Option("--reason", help="Reasons 理由.")] = None,
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Approve the grant 批准: multiplier x line in force today x household size."""
    step("decide_temporary", case_id, actor, db, policy, json_out, decision="approve",
         multiplier=multiplier, in_kind=in_kind, reason=reason, **write)  # fmt: skip


@temporary_app.command("reject")
@shared(actor=True, write="full")
def temporary_reject(
    case_id: CaseArg, reason: Annotated[str, typer.Option("--reason", help="Reasons 理由.")],
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Reject 不予救助 (township or county)."""
    step("decide_temporary", case_id, actor, db, policy, json_out, decision="reject",
         reason=reason, **write)  # fmt: skip


@temporary_app.command("assist-first")
@shared(actor=True, write="full")
def temporary_assist_first(
    case_id: CaseArg, multiplier: Multiplier,
    reason: Annotated[str, typer.Option("--reason", help="The emergency 紧急情况.")],
    in_kind: InKind = "0", policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Assist first 先行救助: pay now, complete the paperwork within the limit."""
    step("assist_first", case_id, actor, db, policy, json_out, multiplier=multiplier,
         reason=reason, in_kind=in_kind, **write)  # fmt: skip


@temporary_app.command("pay")
@shared(actor=True, write="full")
def temporary_pay(case_id: CaseArg, policy: PolicyOpt = None, *, actor: Actor,
                  db: str | None, write: Write, json_out: bool) -> None:  # fmt: skip
    """Pay the approved grant 发放 (cash and in kind; township or county)."""
    step("pay_temporary", case_id, actor, db, policy, json_out, **write)


@temporary_app.command("close")
@shared(actor=True, write="full")
def temporary_close(
    case_id: CaseArg, note: Annotated[str | None, typer.Option("--note", help="Note 说明.")] = None,
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Close a paid case 结案 (township or county)."""
    step("close_temporary", case_id, actor, db, policy, json_out, note=note, **write)


# a new citizen's dibao or tekun status at the hukou place (户籍地低保、特困身份)
Document = Annotated[str, typer.Option("--document", help="The issuing unit's statement 证明文书 "
                                       "(number or text).")]  # fmt: skip
ValidUntil = Annotated[str, typer.Option("--valid-until", help="Valid until 有效期至 "
                                         "(YYYY-MM-DD, after today).")]  # fmt: skip


@temporary_app.command("out-of-area")
@shared(actor=True, write="full")
def temporary_out_of_area(
    case_id: CaseArg,
    status: Annotated[str, typer.Option("--status", help="dibao 低保 | tekun 特困.")],
    unit_name: Annotated[str, typer.Option("--unit-name", help="Issuing unit at the hukou "
                                           "place 户籍地出具单位.")],  # fmt: skip
    unit_code: Annotated[str, typer.Option("--unit-code", help="Its 6-digit division code "
                                           "行政区划代码 (not this county).")],  # fmt: skip
    document: Document, valid_until: ValidUntil, policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record the household's out-of-area status 登记户籍地低保、特困身份 (village or township):
    while valid, medical bills are paid at the dibao ratio (jiuzhu money bill)."""
    step("record_out_of_area", case_id, actor, db, policy, json_out, status=status,
         unit_name=unit_name, unit_code=unit_code, document=document, valid_until=valid_until,
         **write)  # fmt: skip


@temporary_app.command("reconfirm")
@shared(actor=True, write="full")
def temporary_reconfirm(
    case_id: CaseArg, document: Document, valid_until: ValidUntil, policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Re-confirm the out-of-area status 复核户籍地身份 with a new document and valid-until."""
    step("reconfirm_out_of_area", case_id, actor, db, policy, json_out, document=document,
         valid_until=valid_until, **write)  # fmt: skip
