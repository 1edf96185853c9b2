"""``jiuzhu user``: the people who sign in to the web front (create, list, disable, password).

Like ``jiuzhu token``, these are the operator's commands on the database (they act as the
administrator); a county manages its own people through the library or, later, the web front.
A password is read from a hidden prompt, from one line of stdin (``--password-stdin``), or made
up and shown once (``--generate``); it is never an option's value, which would stay in the
shell's history.
"""

from __future__ import annotations

import json
import secrets
import sys
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from ..errors import InvalidInput
from .common import service
from .options import shared
from .output import out, say

user_app = typer.Typer(
    help="People 用户 who sign in to the web front (jiuzhu serve): each is a role at a unit, "
    "like a token, with a password (stored as an argon2 hash only).",
    no_args_is_help=True,
)

STATUS_ZH = {"active": "正常", "locked": "已锁定", "disabled": "已停用"}
UsernameArg = Annotated[str, typer.Argument(help="User name 用户名 (1-64 ASCII characters, "
                                            "no spaces; recorded with the events they make).")]  # fmt: skip
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of stdin 从标准输入读取密码.",
    ),
]
Generate = Annotated[
    bool,
    typer.Option(
        "--generate", help="Make up a strong password and show it once 生成随机密码（只显示一次）."
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")


def _admin() -> Any:
    from ..service.actors import Actor, Role

    return Actor(Role.ADMIN, "")


def _password(from_stdin: bool, generate: bool) -> tuple[str, bool]:
    """The new password, and whether it was made up here (and must be shown)."""
    if from_stdin and generate:
        raise InvalidInput("give --password-stdin or --generate, not both",
                           "--password-stdin 与 --generate 只能选一个")  # fmt: skip
    if generate:
        return secrets.token_urlsafe(12), True
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInput("no password on stdin", "标准输入中没有密码")
        return line, False
    text: str = typer.prompt("密码 Password", hide_input=True, confirmation_prompt=True)
    return text, False


def _tell(view: Any, made_up: str | None, json_out: bool, line: str) -> None:
    """Print what was done, and a made-up password (the only time anyone sees it)."""
    if json_out:
        extra = {"password": made_up} if made_up is not None else {}
        typer.echo(json.dumps({**view.to_dict(), **extra}, ensure_ascii=False))
        return
    say(line)
    if made_up is not None:
        say("密码只显示这一次 The password is shown only this once:", "bold")
        typer.echo(made_up)


@user_app.command("create")
@shared()
def user_create(
    username: UsernameArg,
    role: Annotated[str, typer.Option("--role", help="Role 角色: village, township, county, "
                                      "verification_centre, auditor, admin, provider (with "
                                      "--provider).")],  # fmt: skip
    name: Annotated[str, typer.Option("--name", help="The person's name as shown on pages "
                                      "姓名（页面显示）.")],  # fmt: skip
    org: Annotated[str | None, typer.Option("--org", help="Organisation unit 所属单位 "
                                            "(not for admin).")] = None,  # fmt: skip
    provider: Annotated[str | None, typer.Option("--provider", help="Service provider 服务机构 "
                                                 "id (role provider only).")] = None,  # fmt: skip
    password_stdin: PasswordStdin = False,
    generate: Generate = False,
    *, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Add a person 新增用户 who signs in as a role at a unit."""
    password, made_up = _password(password_stdin, generate)
    svc = service(db)
    try:
        view = svc.create_user(_admin(), username=username, password=password, role=role,
                               org=org, display_name=name, provider=provider)  # fmt: skip
    finally:
        svc.close()
    _tell(view, password if made_up else None, json_out,
          f"用户已创建 user {view.username} ({view.display_name}): {view.role} "
          f"{view.org_name or ''} {view.org or ''}".rstrip())  # fmt: skip


@user_app.command("list")
@shared()
def user_list(*, db: str | None, json_out: bool) -> None:
    """List the people 用户列表 who may sign in: role, unit, status, last sign-in."""
    svc = service(db)
    try:
        views = svc.list_users(_admin())
    finally:
        svc.close()
    if json_out:
        typer.echo(json.dumps([v.to_dict() for v in views], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"用户 users ({len(views)})", box=box.SIMPLE_HEAD)
    for header in ("用户名 user", "姓名 name", "角色 role", "单位 unit", "状态 status",
                   "上次登录 last sign-in (UTC)"):  # fmt: skip
        table.add_column(header)
    for v in views:
        unit = f"{v.org_name} {v.org}" if v.org else "—"
        last = f"{v.last_sign_in_at:%Y-%m-%d %H:%M}" if v.last_sign_in_at else "—"
        table.add_row(v.username, v.display_name, v.role, unit,
                      f"{STATUS_ZH[v.status]} {v.status}", last)  # fmt: skip
    out().print(table)


@user_app.command("disable")
@shared()
def user_disable(username: UsernameArg, *, db: str | None, json_out: bool) -> None:
    """Disable an account 停用用户 and end its sessions at once (it is kept, never deleted)."""
    svc = service(db)
    try:
        view = svc.disable_user(_admin(), username)
    finally:
        svc.close()
    if json_out:
        typer.echo(json.dumps(view.to_dict(), ensure_ascii=False))
        return
    say(f"用户已停用 user {view.username} disabled; their sessions have ended")


@user_app.command("password")
@shared()
def user_password(username: UsernameArg, password_stdin: PasswordStdin = False,
                  generate: Generate = False, *, db: str | None, json_out: bool) -> None:  # fmt: skip
    """Set a new password 重设密码; this also unlocks the account and ends its sessions."""
    password, made_up = _password(password_stdin, generate)
    svc = service(db)
    try:
        view = svc.set_password(_admin(), username, password)
    finally:
        svc.close()
    _tell(
        view,
        password if made_up else None,
        json_out,
        f"密码已重设 password of {view.username} set; the account is {view.status}",
    )
