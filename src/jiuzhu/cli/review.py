"""``jiuzhu review``: the re-review 复核 of a paying dibao or tekun case.

The township opens one early (one also falls due by itself at the cycle's ``rereview_due``),
the village investigates, the township gives its opinion, the county decides.  The commands
follow the case commands (same actor options, ``--db``, ``--json``, ``--policy``, errors in
Chinese and English, exit codes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .options import CaseArg, PolicyOpt, Write, shared
from .standard import step

if TYPE_CHECKING:
    from ..service.actors import Actor

review_app = typer.Typer(
    help="Re-review 复核 of a paying case: open 启动 (township), investigate 入户调查 (village), "
    "opinion 乡镇意见 (township), decide 县级决定 (county): continue 继续 | change 调整 | "
    "suspend 暂停 | stop 停止.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")


@review_app.command("open")
@shared(actor=True, write="full")
def review_open(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="Why now 启动复核的原因 (e.g. a change "
                                        "of circumstance 家庭情况变化).")],  # fmt: skip
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Open a re-review 启动复核 before it falls due (township)."""
    step("open_review", case_id, actor, db, policy, json_out, reason=reason, **write)


@review_app.command("investigate")
@shared(actor=True, write="full")
def review_investigate(
    case_id: CaseArg,
    findings: Annotated[str, typer.Option("--findings", help="What the visit found 调查情况.")],
    investigator: Annotated[list[str] | None, typer.Option(
        "--investigator", help="Staff id 调查人员 (repeat for each).")] = None,
    income: Annotated[str | None, typer.Option("--income", help="Household income now 家庭月收入 "
                                               "(yuan a month).")] = None,  # fmt: skip
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record the re-review's home investigation 复核入户调查 (village or township)."""
    step("investigate_review", case_id, actor, db, policy, json_out, findings=findings,
         investigators=investigator or [], household_income=income, **write)  # fmt: skip


@review_app.command("opinion")
@shared(actor=True, write="full")
def review_opinion(
    case_id: CaseArg,
    opinion: Annotated[str, typer.Option("--opinion", help="The township's opinion 乡镇意见.")],
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Give the township's re-review opinion 复核乡镇意见 (township)."""
    step("give_review_opinion", case_id, actor, db, policy, json_out, opinion=opinion, **write)


@review_app.command("decide")
@shared(actor=True, write="full")
def review_decide(
    case_id: CaseArg,
    outcome: Annotated[str, typer.Option("--outcome", help="continue 继续 | change 调整金额 | "
                                         "suspend 暂停 | stop 停止.")],  # fmt: skip
    reasons: Annotated[str, typer.Option("--reasons", help="Written reasons 书面理由.")],
    category: Annotated[str | None, typer.Option(
        "--category", help="Household category for the next re-review 家庭类别: stable 收入稳定 "
        "| unstable 收入不稳定 | able_to_work 有劳动能力 | tekun 特困 (default: as before).")] = None,
    monthly_amount: Annotated[str | None, typer.Option(
        "--monthly-amount", help="change: the new monthly amount 新月救助金 (yuan).")] = None,
    from_month: Annotated[str | None, typer.Option(
        "--from-month", help="change: paid from this month 起始月份 (YYYY-MM, not yet "
        "paid).")] = None,  # fmt: skip
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """The county's re-review decision 复核决定 (county)."""
    step("decide_review", case_id, actor, db, policy, json_out, outcome=outcome,
         reasons=reasons, household_category=category, monthly_amount=monthly_amount,
         from_month=from_month, **write)  # fmt: skip
