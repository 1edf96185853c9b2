"""``jiuzhu org`` and ``jiuzhu household``: organisation units and the person registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ..errors import InvalidInput
from .common import service
from .options import shared
from .output import emit_json, out, say

if TYPE_CHECKING:
    from ..service.actors import Actor

org_app = typer.Typer(help="Organisation units 组织单位: county 县, township 乡镇, village 村.",
                      no_args_is_help=True)  # fmt: skip
household_app = typer.Typer(help="Households 家庭 and their members (the person registry).",
                            no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")
    app.add_typer(household_app, name="household")


@org_app.command("add")
@shared(actor=True)
def org_add(
    id: Annotated[str, typer.Option("--id", help="Unit id 单位编码, e.g. division code 320922.")],
    name: Annotated[str, typer.Option("--name", help="Unit name 单位名称, e.g. 滨海县.")],
    level: Annotated[str, typer.Option("--level", help="county 县（区） | township 乡镇（街道） | "
                                       "village 村（社区）.")],  # fmt: skip
    parent: Annotated[str | None, typer.Option("--parent", help="Parent unit id 上级单位 "
                                               "(not for a county).")] = None,  # fmt: skip
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Add an organisation unit 添加单位 (a county: --role admin; below it: the county)."""
    unit = service(db).add_org_unit(actor, id=id, name=name, level=level, parent_id=parent)
    if json_out:
        emit_json(unit.to_dict())
        return
    say(f"已添加单位 added {unit.level} {unit.name} ({unit.id}); path {unit.path}")


def parse_member(text: str, position: int) -> dict[str, str]:
    parts = [p.strip() for p in text.replace("，", ",").split(",")]
    if len(parts) not in (2, 3) or not all(parts):
        raise InvalidInput(
            f"--member {position}: expected 'name,id_number[,relation]' "
            f"(relation: head, spouse, child, parent, ...), got {len(parts)} field(s)",
            f"第 {position} 个 --member 格式应为“姓名,身份证号[,关系]”，实际为 {len(parts)} 项",
        )
    member = {"name": parts[0], "id_number": parts[1]}
    if len(parts) == 3:
        member["relation"] = parts[2]
    return member


@household_app.command("add")
@shared(actor=True)
def household_add(
    member: Annotated[list[str], typer.Option(
        "--member", help="A member 家庭成员 as 'name,id_number[,relation]' (relation 关系: head "
        "户主, spouse, child, parent, grandchild, grandparent, sibling, other); repeat per "
        "member, the head first.")],  # fmt: skip
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Register a household 登记家庭 in the acting village (role village)."""
    from ..idnumber import mask_id_number

    members = [parse_member(text, i) for i, text in enumerate(member, 1)]
    household = service(db).register_household(actor, members=members)
    if json_out:
        emit_json(household.to_dict())
        return
    table = Table(title=f"家庭 household {household.id} · 村 village {household.village_id}")
    for header in ("#", "成员编号 member id", "关系 relation", "身份证号 ID number (masked)"):
        table.add_column(header, no_wrap=True)
    for i, (person_id, given) in enumerate(zip(household.member_ids, members, strict=True), 1):
        table.add_row(str(i), person_id, given.get("relation", "other"),
                      mask_id_number(given["id_number"]))  # fmt: skip
    out().print(table)
