"""``jiuzhu circumstance``: changes of circumstance on a paying dibao or tekun case.

The village or township records a change (``record``: a death, a birth, an income change, a
move out, work found, a recovery), which opens the re-review at once (``jiuzhu review``
continues it); the county may phase an income rise out (``phase-out``, 1 to 6 months); the
village or township records and renews a rigid-expenditure status (``rigid``, ``renew``).
The commands follow the case commands (same actor options, ``--db``, ``--json``,
``--policy``, errors in Chinese and English, exit codes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .options import CaseArg, PolicyOpt, Write, shared
from .standard import step

if TYPE_CHECKING:
    from ..service.actors import Actor

circumstance_app = typer.Typer(
    help="Changes of circumstance 家庭情况变化 on a paying case: record 记录 (village or "
    "township; opens the re-review 复核), phase-out 渐退 (county), rigid 刚性支出认定 and "
    "renew 续期 (village or township).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(circumstance_app, name="circumstance")


@circumstance_app.command("record")
@shared(actor=True, write="full")
def circumstance_record(
    case_id: CaseArg,
    kind: Annotated[str, typer.Option("--kind", help="death 死亡 | birth 出生 | income_change "
                                      "收入变化 | moved_out 迁出 | work_found 就业 | recovered "
                                      "病愈.")],  # fmt: skip
    person: Annotated[str | None, typer.Option(
        "--person", help="The member (or the child born) 相关人员编号 (not for income_change).")] = None,
    income: Annotated[str | None, typer.Option(
        "--income", help="income_change: the household's new income 家庭月收入 (yuan a "
        "month).")] = None,  # fmt: skip
    note: Annotated[str | None, typer.Option("--note", help="A note 备注.")] = None,
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record a change of circumstance 记录家庭情况变化 (village or township): the re-review opens."""
    step("record_circumstance", case_id, actor, db, policy, json_out, kind=kind,
         person_id=person, household_income=income, note=note, **write)  # fmt: skip


@circumstance_app.command("phase-out")
@shared(actor=True, write="full")
def circumstance_phase_out(
    case_id: CaseArg,
    months: Annotated[int, typer.Option("--months", min=1, max=12, help="Phase-out months "
                                        "渐退月数 (1 to the policy's phase_out_months_max, "
                                        "default 6).")],  # fmt: skip
    reasons: Annotated[str, typer.Option("--reasons", help="Written reasons 书面理由.")],
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Decide a phase-out 决定渐退 (county): paid that many months, then stopped."""
    step("decide_phase_out", case_id, actor, db, policy, json_out, months=months,
         reasons=reasons, **write)  # fmt: skip


@circumstance_app.command("rigid")
@shared(actor=True, write="full")
def circumstance_rigid(
    case_id: CaseArg,
    expenditure: Annotated[str, typer.Option("--expenditure", help="The rigid expenditure "
                                             "刚性支出 (e.g. long-term dialysis 长期透析).")],  # fmt: skip
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record a rigid-expenditure status 认定刚性支出困难 (village or township; 12 months)."""
    step("record_rigid_expenditure", case_id, actor, db, policy, json_out,
         expenditure=expenditure, **write)  # fmt: skip


@circumstance_app.command("renew")
@shared(actor=True, write="full")
def circumstance_renew(
    case_id: CaseArg,
    note: Annotated[str | None, typer.Option("--note", help="A note 备注.")] = None,
    policy: PolicyOpt = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Renew the rigid-expenditure status 刚性支出认定续期 (village or township)."""
    step("renew_rigid_expenditure", case_id, actor, db, policy, json_out, note=note, **write)
