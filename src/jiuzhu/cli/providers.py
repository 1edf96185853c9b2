"""``jiuzhu provider``: service providers 服务机构 and what their staff see."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .common import service
from .options import shared
from .output import emit_json, say

if TYPE_CHECKING:
    from ..service.actors import Actor

provider_app = typer.Typer(help="Service providers 服务机构: registered under a unit; their "
                           "staff record the visits of the plans assigned to them.",
                           no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(provider_app, name="provider")


@provider_app.command("register")
@shared(actor=True)
def provider_register(
    unit: Annotated[str, typer.Option("--unit", help="Unit id 所属单位 it is registered under.")],
    name: Annotated[str, typer.Option("--name", help="Provider name 机构名称.")],
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Register a service provider 登记服务机构 (a county or township, in its jurisdiction)."""
    view = service(db).register_provider(actor, unit_id=unit, name=name)
    if json_out:
        emit_json(view.to_dict())
        return
    say(f"已登记服务机构 registered provider {view.name} ({view.id}) under {view.unit_id}")


@provider_app.command("list")
@shared(actor=True)
def provider_list(*, actor: Actor, db: str | None, json_out: bool) -> None:
    """List the providers 服务机构列表 of the jurisdiction and of the units above it."""
    views = service(db).list_providers(actor)
    if json_out:
        emit_json([v.to_dict() for v in views])
        return
    for v in views:
        say(f"{v.id}  {v.unit_id}  {v.name}")
    if not views:
        say("没有服务机构 no providers")


@provider_app.command("plans")
@shared(actor=True)
def provider_plans(*, actor: Actor, db: str | None, json_out: bool) -> None:
    """The plans awaiting a visit 待服务计划 of the acting provider (--role provider)."""
    items = service(db).provider_plans(actor)
    if json_out:
        emit_json(items)
        return
    for i in items:
        say(f"{i['due_at']}  case {i['case_id']}  plan {i['plan_id']}  {i['kind']} #{i['n']}")
    if not items:
        say("没有待服务计划 no plans awaiting a visit")
