"""``jiuzhu household show``: the household's assistance chain (一户一条救助链) -- every case,
payment and service of one household, across workflows, in time order; ``jiuzhu household
transfer``: moving house (迁居), the household and its open cases to another village."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from .common import one_of, service
from .options import shared
from .output import emit_json, out, say, when
from .registry import household_app

if TYPE_CHECKING:
    from ..service.actors import Actor

PAGE = 1000  # the service's largest page: the chain is read whole, page after page
ShowFormat = Annotated[str, typer.Option(
    "--format", metavar="FORMAT", help="table 表格 (default) or json (every item, amounts in "
    "fen 分 and yuan 元).")]  # fmt: skip


def register(app: typer.Typer) -> None:
    household_app.command("show")(household_show)
    household_app.command("transfer")(household_transfer)


def chain_items(svc: Any, actor: Actor, household_id: str) -> list[dict[str, Any]]:
    """Every item of the household's chain, oldest first (all pages)."""
    page = svc.household_chain(actor, household_id, limit=PAGE)
    items = list(page.items)
    while page.next is not None:
        page = svc.household_chain(actor, household_id, limit=PAGE, after=page.next)
        items += page.items
    return items


def detail(item: dict[str, Any]) -> str:
    """What an item says beyond its kind: the state, the month and amount, the service."""
    if item["what"] == "transfer":
        return f"{item['from_unit_name']} → {item['unit_name']} ({item['state_zh']})"
    if item["kind"] == "case":
        name = item.get("applicant_name") or item.get("applicant_id", "")
        return f"{item['state_zh']} {item['state_en']} · 申请人 applicant {name}"
    if item["kind"] == "payment":
        month = f" · {item['period']}" if item.get("period") else ""
        return f"{item['amount_yuan']} 元 yuan{month}"
    if item["kind"] == "withheld":
        other = item.get("overlap_case_no") or item.get("overlap_case")
        why = f"已由案件 paid under case {other}" if other else "暂停 suspended"
        return f"{item.get('period', '')} · {why}"
    provider = item.get("provider") or {}
    return f"{item.get('service_zh', '')} {item.get('service_en', '')} · " + str(
        provider.get("name") or provider.get("org") or ""
    )


@shared(actor=True)
def household_show(
    household: Annotated[str, typer.Argument(help="Household id 家庭编号.")],
    fmt: ShowFormat = "table",
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Show the household's assistance chain 家庭救助链: every case 案件, payment 发放 (the
    ledger's lines) and service 服务 (plans, visits) across workflows, in time order, with
    the unit 单位 by name and amounts in yuan 元.  Names shown are recorded in the
    personal-data read log."""
    chosen = one_of(fmt.strip().lower(), ("table", "json"), "--format")
    items = chain_items(service(db), actor, household)
    if json_out or chosen == "json":
        emit_json(items)
        return
    table = Table(title=f"家庭救助链 chain of household {household}", box=box.SIMPLE_HEAD)
    for header in ("时间 when", "类别 kind", "事项 what", "案件 case", "单位 unit", "说明 detail"):
        table.add_column(header, overflow="fold")
    for item in items:
        table.add_row(when(item["at"]), f"{item['kind_zh']} {item['kind_en']}",
                      Text(f"{item['what_zh']} {item['what_en']}"), item["case_no"],
                      item["unit_name"], Text(detail(item)))  # fmt: skip
    out().print(table)
    say(f"共 {len(items)} 项 items" if items else "无记录 nothing recorded for this household")


@shared(actor=True)
def household_transfer(
    household: Annotated[str, typer.Argument(help="Household id 家庭编号.")],
    to: Annotated[str, typer.Option("--to", help="The village it moves to 迁入村（社区）, "
                                    "e.g. 320922101001.")],  # fmt: skip
    reason: Annotated[str, typer.Option("--reason", help="Why 迁居原因 (recorded on each "
                                        "case moved).")],  # fmt: skip
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Move a household to another village 家庭迁居 (role county, both villages in its
    jurisdiction): its open cases 未结案件 pass to the new village, each with an event naming
    both units; ended cases and the history stay."""
    moved = service(db).transfer_household(actor, household, to_village=to, reason=reason)
    if json_out:
        emit_json(moved)
        return
    say(f"已迁居 moved household {household}: {moved['from_village_id']} → "
        f"{moved['to_village_id']}; 转移案件 cases moved: {len(moved['cases'])}")  # fmt: skip
    for case_id in moved["cases"]:
        say(f"  {case_id}")
