"""``jiuzhu money`` and ``jiuzhu report``: the ledger of a case and the county's figures.

``money`` records medical bills, repayments, fines and write-offs and shows a case's ledger and
the credit record; ``report`` gives, per county and township, the cases by state, the
fast-track cases, the beneficiaries, the money paid this month and in total, what is owed back,
overdue checks and missed visits.  Amounts are yuan (元) on the command line and in tables, and
fen (分, integers) in ``--json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from .case_output import print_case_result
from .common import service
from .files import FileLimit, FormatOpt, OutputOpt, view_of, write_file, write_json
from .options import CaseArg, Write, shared
from .output import emit_json, out, say, say_cut, yuan_text

if TYPE_CHECKING:
    from ..service.actors import Actor

money_app = typer.Typer(
    help="Money 资金: medical bills 医疗救助, repayments 退还, fines 罚款, write-offs 核销, a "
    "case's ledger 台账 and the credit record 信用记录.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(money_app, name="money")
    from .report import report_command

    app.command("report")(report_command)


AmountOpt = Annotated[str, typer.Option("--amount", help="Amount 金额 in yuan, e.g. 1500 or "
                                        "1500.50.")]  # fmt: skip
ReasonOpt = Annotated[str, typer.Option("--reason", help="Reason 原因.")]


@money_app.command("bill")
@shared(actor=True, write="full")
def money_bill(
    case_id: CaseArg,
    total: Annotated[str, typer.Option("--total", help="The bill's total 医疗费用总额, yuan.")],
    hospital: Annotated[str, typer.Option("--hospital", help="Hospital 医院.")],
    billed_on: Annotated[str, typer.Option("--date", help="Date of the bill 票据日期 "
                                           "(YYYY-MM-DD).")],  # fmt: skip
    insurance: Annotated[str, typer.Option("--insurance", help="What medical insurance already "
                                           "paid 医保已报销, yuan.")] = "0",  # fmt: skip
    bill_id: Annotated[str | None, typer.Option("--bill-id", help="The bill's number 票据号 "
                                                "(default: a new id).")] = None,  # fmt: skip
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Pay medical assistance 医疗救助 on a bill (township or county).

    Only bills dated on or after the day of inclusion are eligible (on a temporary case: dated within its out-of-area dibao or tekun status 户籍地身份有效期内); the policy's share of what insurance left is paid, within the case's yearly cap.
    """
    view = service(db).record_medical_bill(actor, case_id, billed_on=billed_on, total=total,
                                           insurance_paid=insurance, hospital=hospital,
                                           bill_id=bill_id, **write)  # fmt: skip
    if not json_out:
        medical = view.facts.get("medical", {})
        say(f"医疗救助 medical assistance paid this year 本年已支付: "
            f"{yuan_text(medical.get('used_fen', {}).get(billed_on[:4], 0))}")  # fmt: skip
    print_case_result(view, json_out)


@money_app.command("repay")
@shared(actor=True, write="full")
def money_repay(
    case_id: CaseArg, amount: AmountOpt,
    paid_on: Annotated[str | None, typer.Option("--date", help="Day paid 退还日期 "
                                                "(default: today).")] = None,  # fmt: skip
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record a repayment 退还 against what is owed (township or county); more is refused."""
    view = service(db).record_repayment(actor, case_id, amount=amount, paid_on=paid_on, **write)
    owed_line(view.facts, json_out)
    print_case_result(view, json_out)


@money_app.command("fine")
@shared(actor=True, write="full")
def money_fine(
    case_id: CaseArg,
    multiple: Annotated[str, typer.Option("--multiple", help="1 to 3 times what was obtained "
                                          "罚款倍数, e.g. 1.5.")],  # fmt: skip
    reason: ReasonOpt,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Impose a fine 罚款 on a case revoked for falsification (county; never automatic)."""
    view = service(db).impose_fine(actor, case_id, multiple=multiple, reason=reason, **write)
    owed_line(view.facts, json_out)
    print_case_result(view, json_out)


@money_app.command("write-off")
@shared(actor=True, write="full")
def money_write_off(
    case_id: CaseArg, amount: AmountOpt, reason: ReasonOpt,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Write off 核销 (part of) what is owed, with the reason (county)."""
    view = service(db).write_off(actor, case_id, amount=amount, reason=reason, **write)
    owed_line(view.facts, json_out)
    print_case_result(view, json_out)


def owed_line(facts: dict[str, Any], json_out: bool) -> None:
    if not json_out:
        say(f"尚欠 still owed: {yuan_text(facts.get('money', {}).get('owed_fen', 0))}")


@money_app.command("ledger")
@shared(actor=True)
def money_ledger(case_id: CaseArg, *, actor: Actor, db: str | None, json_out: bool) -> None:
    """A case's ledger 台账: every entry with the event that caused it, and the balance."""
    from .. import ledger

    view = service(db).ledger(actor, case_id)
    if json_out:
        emit_json(view.to_dict())
        return
    table = Table(box=box.SIMPLE_HEAVY, title=f"台账 ledger — case {case_id}")
    for name in ("事件 event", "类别 kind", "所属月 period", "记账日 booked", "金额 amount",
                 "关联 ref"):  # fmt: skip
        table.add_column(name, justify="right" if "amount" in name else "left")
    for e in view.entries:
        zh, en = ledger.KIND_LABELS.get(e.kind, (e.kind, e.kind))
        table.add_row(f"{e.seq}/{e.line}", f"{zh} {en}", e.period or "", e.booked_on.isoformat(),
                      yuan_text(e.amount_fen), e.ref or "")  # fmt: skip
    out().print(table)
    b = view.balance
    say(f"已发放 paid out: {yuan_text(b['paid_fen'])}   应追回 recovery ordered: "
        f"{yuan_text(b['recovery'])}   罚款 fines: {yuan_text(b['fine'])}   已退还 repaid: "
        f"{yuan_text(b['repayment'])}   核销 written off: {yuan_text(b['write_off'])}   "
        f"尚欠 still owed: {yuan_text(b['owed_fen'])}")  # fmt: skip


@money_app.command("credit")
@shared(actor=True)
def money_credit(
    case_id: Annotated[str | None, typer.Option("--case", help="Only this case.")] = None,
    limit: FileLimit = None, fmt: FormatOpt = None, output: OutputOpt = None,
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """The credit record 信用记录: person id, case, reason and date of each entry."""
    from ..sheets import CREDIT

    view = view_of(fmt, output, limit, json_out)
    records = service(db).credit_records(actor, case_id=case_id)
    shown = view.cut(records)  # the service lists them all: cut here
    if view.file:
        write_file(view, CREDIT, shown, len(records))
        return
    if view.json:
        write_json(view, shown)
        say_cut(len(shown), len(records), json_out=True)
        return
    table = Table(box=box.SIMPLE_HEAVY, title="信用记录 credit record")
    for name in ("日期 date", "人员 person id", "案件 case", "原因 reason"):
        table.add_column(name)
    for r in shown:
        table.add_row(r["recorded_on"], r["person_id"], r["case_id"], r["reason"])
    out().print(table)
    say(f"{len(records)} 条 entries")
    say_cut(len(shown), len(records), json_out=False)
