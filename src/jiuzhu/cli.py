"""The ``jiuzhu`` command line (Typer + Rich): a thin shell over the case service.

Every command that touches a database takes ``--db`` (a SQLAlchemy URL or an SQLite file path;
default ``$JIUZHU_DATABASE_URL``, else ``./jiuzhu.db``).  Case commands act as a role at an
organisation unit, given with ``--role``/``--org`` or ``$JIUZHU_ROLE``/``$JIUZHU_ORG``.

Errors are caught here, at the boundary, and printed in Chinese and English on stderr; a
command given ``--json`` also prints the error as JSON on stdout.  Exit codes have one meaning
each (:data:`EXIT_MEANINGS`); :data:`EXIT_CODES` maps every error code to one of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

import jiuzhu

from .cli_serve import PolicyFile, use_policy_file
from .clock import SHANGHAI, Clock, SimulatedClock, SystemClock, parse_iso_utc
from .demo import grouped_yuan
from .errors import InvalidInput, JiuzhuError, StorageError
from .idnumber import mask_id_number
from .migrations import current, head, upgrade
from .models.db import ENV_URL, make_engine, resolve_url
from .service.actors import ROLE_LABELS, Actor, Role
from .service.service import CaseService
from .service.views import CaseView, EventView
from .simulation import (
    check_can_mark,
    clock_for,
    is_simulation,
    mark_simulation,
    not_a_simulation,
    simulated_start,
)
from .workflows import fast_track
from .workflows import get as get_workflow
from .workflows.base import Label

# -- exit codes: one meaning each ---------------------------------------------------------------
EXIT_OK, EXIT_AUDIT, EXIT_USAGE, EXIT_CONFLICT = 0, 1, 2, 3
EXIT_INPUT, EXIT_REFUSED, EXIT_UNAVAILABLE, EXIT_INTERNAL = 4, 5, 6, 7
EXIT_MEANINGS: dict[int, str] = {
    EXIT_OK: "ok 成功",
    EXIT_AUDIT: "audit failure 审计未通过: verify or replay found breaks, or a case's events "
    "cannot be replayed",
    EXIT_USAGE: "usage error 用法错误: an unknown option, a missing or malformed argument",
    EXIT_CONFLICT: "conflict 冲突: a stale --expect-version, a lost race, a reused idempotency "
    "key, another worker on the database; reload and decide again",
    EXIT_INPUT: "invalid input 输入无效 or an unknown record 记录不存在",
    EXIT_REFUSED: "refused 拒绝 by a rule of the workflow or by the role's permissions",
    EXIT_UNAVAILABLE: "unavailable 暂不可用: the working-day calendar of the year is not loaded, "
    "the database is unreachable, or worker --once left deadlines unfired; retry once fixed",
    EXIT_INTERNAL: "internal error 内部错误: a defect in jiuzhu (the traceback is printed; "
    "please report it)",
}
# Every error code jiuzhu raises (tests check that each JiuzhuError subclass is here); a code
# missing from this table is a defect, so it exits EXIT_INTERNAL rather than a guessed bucket.
EXIT_CODES: dict[str, int] = {
    "replay_failed": EXIT_AUDIT,  # the stored events do not replay: what an audit reports
    "conflict": EXIT_CONFLICT,
    "idempotency_key_reused": EXIT_CONFLICT,
    "invalid_input": EXIT_INPUT,
    "not_found": EXIT_INPUT,
    "rule_refused": EXIT_REFUSED,
    "transition_not_allowed": EXIT_REFUSED,
    "permission_denied": EXIT_REFUSED,
    "calendar_not_covered": EXIT_UNAVAILABLE,
    "storage": EXIT_UNAVAILABLE,
    "workflow_definition": EXIT_INTERNAL,  # a workflow is defined wrongly: jiuzhu's own defect
}


def exit_codes_help() -> str:
    """The exit-code list of ``jiuzhu --help``, from the tables above."""
    lines = []
    for number, meaning in EXIT_MEANINGS.items():
        codes = [code for code, n in EXIT_CODES.items() if n == number]
        lines.append(f"{number}  {meaning}" + (f" ({', '.join(codes)})" if codes else ""))
    return "\b\nExit codes 退出码:\n" + "\n".join(lines)


app = typer.Typer(
    name="jiuzhu",
    help="jiuzhu 救助: social-assistance cases as explicit, durable, auditable state machines.",
    epilog=exit_codes_help(),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold personal data
)
db_app = typer.Typer(help="Database schema 数据库结构 (Alembic migrations).", no_args_is_help=True)
org_app = typer.Typer(help="Organisation units 组织单位: county 县, township 乡镇, village 村.",
                      no_args_is_help=True)  # fmt: skip
household_app = typer.Typer(help="Households 家庭 and their members (the person registry).",
                            no_args_is_help=True)  # fmt: skip
case_app = typer.Typer(help="Fast-track cases 容缺审批案件: one subcommand per service command.",
                       no_args_is_help=True)  # fmt: skip
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(household_app, name="household")
app.add_typer(case_app, name="case")

# -- options shared by the commands --------------------------------------------------------------
Db = Annotated[str | None, typer.Option(
    "--db", envvar=ENV_URL, show_envvar=True,
    help="Database 数据库: SQLAlchemy URL or SQLite file path "
    "(default: ./jiuzhu.db).")]  # fmt: skip
RoleOpt = Annotated[str | None, typer.Option(
    "--role", envvar="JIUZHU_ROLE", show_envvar=True,
    help="Acting role 角色: village 村（社区）, township 乡镇（街道）, county 县民政局, "
    "verification_centre 核对中心, auditor 审计, admin 管理员.")]  # fmt: skip
OrgOpt = Annotated[str | None, typer.Option(
    "--org", envvar="JIUZHU_ORG", show_envvar=True,
    help="The role's organisation unit 所属单位 (e.g. 320922100001); not needed for "
    "admin.")]  # fmt: skip
UserOpt = Annotated[str | None, typer.Option(
    "--user", envvar="JIUZHU_USER", help="Staff id 工作人员编号 recorded with events (optional; "
    "never a personal ID number).")]  # fmt: skip
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ExpectOpt = Annotated[int | None, typer.Option(
    "--expect-version", help="Optimistic lock 乐观锁: refuse (exit 3) unless the case is still at "
    "this row version.")]  # fmt: skip
KeyOpt = Annotated[str | None, typer.Option(
    "--idempotency-key", help="Idempotency key 幂等键: repeating a command with the same key "
    "returns the first result and changes nothing.")]  # fmt: skip
CaseArg = Annotated[str, typer.Argument(help="Case id 案件编号 (a UUID).")]


# -- output -------------------------------------------------------------------------------------
def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    wide = stream.isatty() or "COLUMNS" in os.environ
    return Console(stderr=stderr, width=None if wide else 120, highlight=False)


@cache
def out() -> Console:
    return _console(stderr=False)


@cache
def err() -> Console:
    return _console(stderr=True)


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def local_time(instant: datetime) -> str:
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def yuan_text(fen: int | None) -> str:
    return "—" if fen is None else grouped_yuan(fen)


def compact(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return str(value)


def exit_code(exc: JiuzhuError) -> int:
    return EXIT_CODES.get(exc.code, EXIT_INTERNAL)


def say(text: str, style: str = "", console: Console | None = None) -> None:
    """One line, never wrapped (ids and messages stay whole for readers and for grep)."""
    (console or out()).print(Text(text, style=style), soft_wrap=True)


def print_error(exc: JiuzhuError) -> None:
    say(f"错误：{exc.zh}", "bold red", err())
    say(f"Error [{exc.code}]: {exc.message}", "red", err())


def error_json(exc: JiuzhuError, code: int) -> dict[str, Any]:
    """The ``--json`` form of an error: ``{"error": {code, message, message_zh, exit_code, …}}``."""
    details = {k: v for k, v in exc.details.items() if k not in ERROR_MEMBERS}
    return {"error": {"code": exc.code, "message": exc.message, "message_zh": exc.zh,
                      "exit_code": code, **details}}  # fmt: skip


ERROR_MEMBERS = ("code", "message", "message_zh", "exit_code")


def wants_json(args: list[str]) -> bool:
    """Did the command line ask for JSON (``--json``, or ``report --format json``)?"""
    args = args[: args.index("--")] if "--" in args else args
    return "--json" in args or "--format=json" in args or ("--format", "json") in pairwise(args)


def fail(exc: JiuzhuError, as_json: bool, code: int | None = None) -> NoReturn:
    """End the command with ``exc``: both languages on stderr, JSON on stdout if asked for."""
    code = exit_code(exc) if code is None else code
    if as_json:
        typer.echo(json.dumps(error_json(exc, code), ensure_ascii=False, indent=2, default=str))
    print_error(exc)
    raise SystemExit(code)


# -- building blocks ---------------------------------------------------------------------------
def actor_of(role: str | None, org: str | None, user: str | None) -> Actor:
    if not role:
        raise InvalidInput(
            "give the acting role with --role (or $JIUZHU_ROLE), e.g. --role village",
            "请用 --role（或环境变量 JIUZHU_ROLE）指定操作角色，例如 --role village",
        )
    actor = Actor.parse(role, org or "", user)
    if actor.role is not Role.ADMIN and not org:
        raise InvalidInput(
            f"give the organisation unit of role '{actor.role.value}' with --org (or $JIUZHU_ORG)",
            f"请用 --org（或环境变量 JIUZHU_ORG）指定“{ROLE_LABELS[actor.role].zh}”所属单位",
        )
    return actor


def service(db: str | None) -> CaseService:
    return jiuzhu.connect(db, clock=cli_clock(db))


def cli_clock(db: str | None) -> Clock:
    """The clock of a command on ``db``: the system clock, or the simulated one of
    ``$JIUZHU_SIMULATED_TIME`` on a simulation database (see :mod:`jiuzhu.simulation`).

    Decided before the command opens its service, so that a refusal writes nothing, not even
    a new SQLite file or a schema upgrade.
    """
    if simulated_start() is None:
        return SystemClock()
    path = sqlite_path(db)
    if path is not None and not path.exists():  # a database yet to be made is no simulation
        raise not_a_simulation(str(path))
    engine = make_engine(db)
    try:
        return clock_for(engine)
    finally:
        engine.dispose()


def existing_engine(db: str | None) -> Engine:
    """An engine on a database that must already exist (never creates an SQLite file).

    Refused, like every command, on a database that is not a simulation while
    ``$JIUZHU_SIMULATED_TIME`` is set; ``clock_for(engine)`` gives the command's clock.
    """
    path = sqlite_path(db)
    if path is not None and not path.exists():
        raise InvalidInput(
            f"there is no database at {path}; create one with: jiuzhu db upgrade --db {path}",
            f"数据库文件 {path} 不存在；请先运行：jiuzhu db upgrade --db {path}",
        )
    engine = make_engine(db)
    try:
        clock_for(engine)
    except JiuzhuError:
        engine.dispose()
        raise
    return engine


def sqlite_path(db: str | None) -> Path | None:
    url = make_url(resolve_url(db))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def require_head(engine: Engine) -> None:
    at, wanted = current(engine), head()
    if at != wanted:
        raise InvalidInput(
            f"the database schema is at revision {at or 'none'}, not {wanted}; "
            "run: jiuzhu db upgrade",
            f"数据库结构版本为 {at or '无'}，应为 {wanted}；请先运行：jiuzhu db upgrade",
        )


# -- jiuzhu db ---------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade(
    db: Db = None,
    simulation: Annotated[bool, typer.Option(
        "--simulation", help="Also mark the database as a simulation 模拟数据库, on which "
        "$JIUZHU_SIMULATED_TIME is honoured; only while it has no cases or events.")] = False,
) -> None:  # fmt: skip
    """Bring the schema to the newest migration 升级数据库结构 (Alembic head); safe to repeat."""
    start = simulated_start()  # a malformed variable is refused before anything is written
    if not simulation:
        cli_clock(db)  # refused on a database that is not a simulation while time is simulated
    engine = make_engine(db)
    try:
        if simulation:
            check_can_mark(engine)  # before the upgrade: a refusal writes nothing
        before = current(engine)
        upgrade(engine)
        after = current(engine)
        if before == after:
            say(f"数据库已是最新 already at head: revision {after}")
        else:
            say(f"数据库已升级 upgraded: revision {before or 'none'} → {after} (head)")
        if simulation:
            marked = mark_simulation(engine, SimulatedClock(start) if start else SystemClock())
            say("已标记为模拟数据库 marked as a simulation: $JIUZHU_SIMULATED_TIME is honoured "
                "on it" if marked else "已是模拟数据库 already a simulation")  # fmt: skip
    finally:
        engine.dispose()


@db_app.command("current")
def db_current(db: Db = None) -> None:
    """Show the schema revision of the database 当前数据库结构版本 and the newest one."""
    cli_clock(db)  # refused on a database that is not a simulation while time is simulated
    path = sqlite_path(db)
    at, simulated = None, False
    if path is None or path.exists():
        engine = make_engine(db)
        at, simulated = current(engine), is_simulation(engine)
        engine.dispose()
    wanted = head()
    status = "最新 up to date" if at == wanted else "需要升级 behind: run jiuzhu db upgrade"
    kind = "   模拟数据库 simulation" if simulated else ""
    say(f"当前版本 current: {at or 'none'}   最新版本 head: {wanted}   {status}{kind}")


# -- jiuzhu org / household --------------------------------------------------------------------
@org_app.command("add")
def org_add(
    id: Annotated[str, typer.Option("--id", help="Unit id 单位编码, e.g. division code 320922.")],
    name: Annotated[str, typer.Option("--name", help="Unit name 单位名称, e.g. 滨海县.")],
    level: Annotated[str, typer.Option("--level", help="county 县（区） | township 乡镇（街道） | "
                                       "village 村（社区）.")],  # fmt: skip
    parent: Annotated[str | None, typer.Option("--parent", help="Parent unit id 上级单位 "
                                               "(not for a county).")] = None,  # fmt: skip
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Add an organisation unit 添加单位 (a county: --role admin; below it: the county)."""
    actor = actor_of(role, org, user)
    unit = service(db).add_org_unit(actor, id=id, name=name, level=level,
                                    parent_id=parent)  # fmt: skip
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
def household_add(
    member: Annotated[list[str], typer.Option(
        "--member", help="A member 家庭成员 as 'name,id_number[,relation]' (relation 关系: head "
        "户主, spouse, child, parent, grandchild, grandparent, sibling, other); repeat per "
        "member, the head first.")],  # fmt: skip
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Register a household 登记家庭 in the acting village (role village)."""
    members = [parse_member(text, i) for i, text in enumerate(member, 1)]
    actor = actor_of(role, org, user)
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


# -- jiuzhu case: commands ---------------------------------------------------------------------
def print_case_result(view: CaseView, json_out: bool) -> None:
    if json_out:
        emit_json(view.to_dict())
        return
    say(f"案件 case {view.id}: {view.state_zh} {view.state_en} "
        f"(state {view.state}, 版本 version {view.row_version})")  # fmt: skip
    if view.replayed:
        say("幂等重放 replayed: this idempotency key was applied before; nothing changed")
    say(f"可办理 next: {next_steps(view)}")


def next_steps(view: CaseView) -> str:
    labels = get_workflow(view.workflow, view.workflow_version).trigger_labels
    steps = [f"{t} {labels[t].zh}" for t in view.allowed if t in labels]
    return "、".join(steps) or "无 none (case closed 已办结)"


@case_app.command("apply")
def case_apply(
    household: Annotated[str, typer.Option("--household", help="Household id 家庭编号.")],
    applicant: Annotated[str, typer.Option("--applicant", help="Applicant's member id 申请人.")],
    programme: Annotated[str, typer.Option("--programme", help="Programme 救助项目: dibao 低保, "
                                           "tekun 特困, near_dibao 低保边缘, rigid_expenditure "
                                           "支出型困难.")],  # fmt: skip
    cause: Annotated[str, typer.Option("--cause", help="Cause 原因: major_illness 重大疾病, "
                                       "disaster 灾害, accident 意外事故.")],  # fmt: skip
    expenditure: Annotated[str, typer.Option("--expenditure", help="Sudden expenditure 突发支出 "
                                             "in yuan, e.g. 90000 (fast track from 30,000).")],
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Open a fast-track application 受理容缺审批申请 (role village)."""
    actor = actor_of(role, org, user)
    view = service(db).apply(actor, household_id=household,
                             applicant_id=applicant, programme=programme, cause=cause,
                             expenditure=expenditure, idempotency_key=idempotency_key)  # fmt: skip
    print_case_result(view, json_out)


@case_app.command("promise")
def case_promise(
    case_id: CaseArg,
    signed_by: Annotated[str, typer.Option("--signed-by", help="Member id of the signer 签署人.")],
    signed_on: Annotated[str | None, typer.Option("--signed-on", help="Date signed 签署日期 "
                                                  "YYYY-MM-DD (default: today).")] = None,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Record the signed credit commitment 信用承诺书 (role village)."""
    actor = actor_of(role, org, user)
    view = service(db).promise(actor, case_id, signed_by=signed_by,
                               signed_on=signed_on, expected_version=expect_version,
                               idempotency_key=idempotency_key)  # fmt: skip
    print_case_result(view, json_out)


@case_app.command("appraise")
def case_appraise(
    case_id: CaseArg,
    outcome: Annotated[str, typer.Option("--outcome", help="passed 通过 | failed 未通过 "
                                         "(failed rejects the case).")],  # fmt: skip
    attendance: Annotated[int, typer.Option("--attendance", help="People present 出席人数.")],
    votes_for: Annotated[int, typer.Option("--votes-for", help="Votes for 赞成票.")],
    votes_against: Annotated[int, typer.Option("--votes-against", help="Votes against 反对票.")],
    abstentions: Annotated[int, typer.Option("--abstentions", help="Abstentions 弃权.")] = 0,
    held_on: Annotated[str | None, typer.Option("--held-on", help="Date held 评议日期 "
                                                "YYYY-MM-DD (default: today).")] = None,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Record the village democratic appraisal 村级民主评议 (role village)."""
    actor = actor_of(role, org, user)
    view = service(db).record_appraisal(
        actor,
        case_id,
        outcome=outcome,
        attendance=attendance,
        votes_for=votes_for,
        votes_against=votes_against,
        abstentions=abstentions,
        held_on=held_on,
        expected_version=expect_version,
        idempotency_key=idempotency_key,
    )
    print_case_result(view, json_out)


@case_app.command("approve")
def case_approve(
    case_id: CaseArg,
    monthly_amount: Annotated[str, typer.Option("--monthly-amount", help="Monthly assistance "
                                                "月救助金 in yuan, e.g. 2000.")],  # fmt: skip
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Decide the provisional approval 先行审批 (role township); assistance starts today."""
    actor = actor_of(role, org, user)
    view = service(db).approve(actor, case_id, monthly_amount=monthly_amount,
                               expected_version=expect_version,
                               idempotency_key=idempotency_key)  # fmt: skip
    print_case_result(view, json_out)


@case_app.command("refuse")
def case_refuse(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="Written reasons 不予批准理由.")],
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Refuse the provisional approval 不予批准 (role township)."""
    actor = actor_of(role, org, user)
    view = service(db).refuse(actor, case_id, reason=reason,
                              expected_version=expect_version,
                              idempotency_key=idempotency_key)  # fmt: skip
    print_case_result(view, json_out)


@case_app.command("verify")
def case_verify(
    case_id: CaseArg,
    result: Annotated[str, typer.Option("--result", help="Data-check result 核对结果: "
                                        "meets_standard 符合 | falsification 弄虚作假 (revokes) | "
                                        "fails_without_falsification 不符 (terminates).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Reasons 理由 (required unless "
                                               "meets_standard).")] = None,  # fmt: skip
    checked_on: Annotated[str | None, typer.Option("--checked-on", help="Date of the result "
                                                   "核对日期 YYYY-MM-DD (default: today).")] = None,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Record the household economic data check 家庭经济状况核对 (county or verification_centre)."""
    actor = actor_of(role, org, user)
    view = service(db).record_verification(
        actor,
        case_id,
        result=result,
        reason=reason,
        checked_on=checked_on,
        expected_version=expect_version,
        idempotency_key=idempotency_key,
    )
    print_case_result(view, json_out)


@case_app.command("withdraw")
def case_withdraw(
    case_id: CaseArg,
    reason: Annotated[str | None, typer.Option("--reason", help="Reason 撤回原因.")] = None,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    expect_version: ExpectOpt = None, idempotency_key: KeyOpt = None, json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """Withdraw an application before approval 撤回申请 (village or township)."""
    actor = actor_of(role, org, user)
    view = service(db).withdraw(actor, case_id, reason=reason,
                                expected_version=expect_version,
                                idempotency_key=idempotency_key)  # fmt: skip
    print_case_result(view, json_out)


# -- jiuzhu case: reads ------------------------------------------------------------------------
SUMMARY_SKIP = {"policy", "member_ids", "workflow", "workflow_version", "org_path",
                "household_id", "applicant_id", "village_id"}  # fmt: skip


def summarise(payload: dict[str, Any]) -> str:
    """A short, readable form of an event payload (amounts in yuan; ids left to --json)."""
    parts = []
    for key, value in payload.items():
        if key in SUMMARY_SKIP:
            continue
        if key.endswith("_fen") and isinstance(value, int):
            key, value = key[:-4], yuan_text(value)
        parts.append(f"{key}={compact(value)}")
    return ", ".join(parts)


def programme_label(programme: str) -> str:
    label = fast_track.PROGRAMMES.get(programme)
    return f"{programme} {label.zh}" if label else programme


@case_app.command("show")
def case_show(case_id: CaseArg, role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None,
              db: Db = None, json_out: JsonOpt = False) -> None:  # fmt: skip
    """Show a case 查看案件: state (Chinese and English), amounts, deadlines, next steps."""
    actor = actor_of(role, org, user)
    view = service(db).get_case(actor, case_id)
    if json_out:
        emit_json(view.to_dict())
        return
    table = Table(title=f"案件 case {view.id}", show_header=False)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value")
    for name, value in case_rows(view):
        table.add_row(name, Text(value))
    out().print(table)


def case_rows(view: CaseView) -> list[tuple[str, str]]:
    rows = [
        ("状态 state", f"{view.state_zh} {view.state_en} ({view.state})"),
        ("流程 workflow", f"{view.workflow} v{view.workflow_version}"),
        ("版本 row version", str(view.row_version)),
        ("救助项目 programme", programme_label(view.programme)),
        ("村（社区） village", view.village_id),
        ("家庭 household", view.household_id),
        ("突发支出 expenditure (yuan)", yuan_text(view.expenditure_fen)),
        ("月救助金 monthly amount (yuan)", yuan_text(view.monthly_amount_fen)),
        ("受理 opened", local_time(view.opened_at)),
        ("更新 updated", local_time(view.updated_at)),
    ]
    for kind, due in view.deadlines.items():
        rows.append((f"期限 deadline {kind}", local_time(parse_iso_utc(due))))
    for key in ("commitment", "appraisal", "refusal", "verification", "withdrawal"):
        if key in view.facts:
            rows.append((key, summarise(view.facts[key])))
    rows.append(("可办理 next", next_steps(view)))
    return rows


@case_app.command("history")
def case_history(case_id: CaseArg, role: RoleOpt = None, org: OrgOpt = None,
                 user: UserOpt = None, db: Db = None,
                 json_out: JsonOpt = False) -> None:  # fmt: skip
    """Show a case's events 案件历史 (the hash-chained audit trail) in order."""
    actor = actor_of(role, org, user)
    events = service(db).history(actor, case_id)
    if json_out:
        emit_json([e.to_dict() for e in events])
        return
    table = Table(title=f"案件历史 history of case {case_id}")
    for header in ("#", "时间 time (UTC+8)", "事件 → 状态 event → state", "操作 actor", "hash"):
        table.add_column(header, no_wrap=header != "事件 → 状态 event → state")
    table.add_column("内容 details", overflow="fold", ratio=1)
    for event, state in zip(events, states_after(events), strict=True):
        table.add_row(str(event.seq), local_time(event.occurred_at),
                      Text(f"{event.type_zh} → {state.zh}\n{event.type_en} → {state.en}"),
                      Text(f"{event.actor['role']}@{event.actor['org']}"), event.hash[:12],
                      Text(summarise(event.payload)))  # fmt: skip
    out().print(table)


def states_after(events: list[EventView]) -> list[Label]:
    """The state each event left the case in (by the workflow's transition table)."""
    if not events:
        return []
    first = events[0].payload
    wf = get_workflow(first["workflow"], first["workflow_version"])
    state, result = wf.initial, []
    for event in events:
        if event.seq > 1:
            # internal transitions (overdue, reminders, plan.*) leave the state as it was
            state = next((t.dest or state for t in wf.transitions
                          if t.trigger == event.type and state in t.source), state)  # fmt: skip
        result.append(wf.states[state])
    return result


@case_app.command("list")
def case_list(
    state: Annotated[str | None, typer.Option("--state", help="Only this state 状态, "
                                              "e.g. provisionally_approved.")] = None,
    programme: Annotated[str | None, typer.Option("--programme", help="Only this programme "
                                                  "救助项目, e.g. dibao.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many.")] = 0,
    role: RoleOpt = None, org: OrgOpt = None, user: UserOpt = None, db: Db = None,
    json_out: JsonOpt = False,
) -> None:  # fmt: skip
    """List cases in the actor's jurisdiction 案件列表, oldest first."""
    actor = actor_of(role, org, user)
    views = service(db).list_cases(actor, state=state, programme=programme,
                                   limit=limit, offset=offset)  # fmt: skip
    if json_out:
        emit_json([v.to_dict() for v in views])
        return
    table = Table(title=f"案件 cases ({len(views)}, offset {offset})", box=box.SIMPLE_HEAD)
    table.add_column("案件 case", no_wrap=True)
    table.add_column("状态 state", min_width=13)
    table.add_column("项目 programme\n村 village", min_width=17, overflow="fold")
    for header in ("支出 outlay", "月额 monthly", "受理 opened"):
        table.add_column(header, justify="right", no_wrap=True)
    for v in views:
        table.add_row(v.id, f"{v.state_zh}\n{v.state_en}", f"{v.programme}\n{v.village_id}",
                      yuan_text(v.expenditure_fen), yuan_text(v.monthly_amount_fen),
                      local_time(v.opened_at)[:10])  # fmt: skip
    out().print(table)


# -- jiuzhu diagrams / demo --------------------------------------------------------------------
@app.command("diagrams")
def diagrams_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory 输出目录.")] = Path(
        "diagrams"),
) -> None:  # fmt: skip
    """Write state diagrams 状态图 for every workflow (Mermaid; SVG too where `dot` exists)."""
    from .diagrams import write_all

    try:
        written = write_all(out_dir)
    except OSError as exc:
        raise InvalidInput(f"cannot write the diagrams into {out_dir}: {exc.strerror or exc}",
                           f"无法将状态图写入 {out_dir}：{exc.strerror or exc}") from None  # fmt: skip
    except subprocess.SubprocessError as exc:  # `dot` refused the text jiuzhu gave it
        detail = getattr(exc, "stderr", b"") or b""
        say(f"状态图生成失败 diagrams failed: {exc} {detail.decode(errors='replace')}".strip(),
            "bold red", err())  # fmt: skip
        raise typer.Exit(EXIT_INTERNAL) from None
    for path in written:
        say(f"wrote {path}")


# -- jiuzhu worker -----------------------------------------------------------------------------
@app.command("worker")
def worker_command(
    db: Db = None,
    interval: Annotated[float, typer.Option(
        "--interval", min=0.1, help="Seconds between sweeps 扫描间隔; a wake-up is also armed "
        "at the next due time 到期时间.")] = 30.0,
    batch: Annotated[int, typer.Option(
        "--batch", min=1, max=10_000, help="Due deadlines claimed per round 每批认领数.")] = 200,
    lease_seconds: Annotated[int, typer.Option(
        "--lease-seconds", min=1, help="Claim lease 认领租期: a dead worker's claims are taken "
        "over after this many seconds.")] = 300,
    worker_id: Annotated[str | None, typer.Option(
        "--worker-id", help="Worker id 调度进程标识 recorded on claims and events "
        "(default host:pid).")] = None,
    once: Annotated[bool, typer.Option(
        "--once", help="One catch-up sweep 单次补扫: fire what is due, print the report as a "
        "JSON line, exit (for cron; exit 6 when a deadline could not fire).")] = False,
    checkpoint_key: Annotated[Path | None, typer.Option(
        "--checkpoint-key", help="Ed25519 private key 签名私钥 (from `jiuzhu audit keygen`): the "
        "daily audit checkpoint 每日审计检查点 (00:05) is signed with it.")] = None,
    policy: PolicyFile = None,
) -> None:  # fmt: skip
    """Run the deadline worker 期限调度进程: fire due deadlines 到期期限 with APScheduler.

    Verification deadlines 核对期限, overdue reminders 逾期催办 and service visits 服务计划 fire once each; after a downtime 停机 they fire late, saying how late.

    SQLite: one worker per database file. PostgreSQL: run as many workers as you like.

    Stop with Ctrl-C or SIGTERM 优雅停止 (after the current sweep). Logs go to stderr.
    """
    import logging

    from .scheduler.worker import check_worker_id, run_once, run_worker

    use_policy_file(policy)  # the payment run and other firings decide by this book
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    logging.getLogger("jiuzhu").setLevel(logging.INFO)
    lease, worker_id = timedelta(seconds=lease_seconds), check_worker_id(worker_id)
    if not once:
        from .audit.checkpoint import load_private_key

        key = load_private_key(checkpoint_key) if checkpoint_key is not None else None
        run_worker(db, worker_id=worker_id, interval=interval, batch=batch, lease=lease,
                   checkpoint_key=key, clock=cli_clock(db))  # fmt: skip
        return
    report = run_once(db, worker_id=worker_id, batch=batch, lease=lease, clock=cli_clock(db))
    typer.echo(json.dumps({"worker": worker_id, **report.to_dict()}, ensure_ascii=False))
    if report.failed:  # logged on stderr; they stay due and the next sweep retries them
        raise typer.Exit(EXIT_UNAVAILABLE)


@app.command("demo")
def demo_command(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Demo database 演示数据库 (file path or URL; default ./jiuzhu-demo.db, "
            "recreated each run).",
        ),
    ] = None,  # fmt: skip
    cases: Annotated[
        int, typer.Option("--cases", min=0, max=200_000, help="Generated applications 生成申请数.")
    ] = 3000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed 随机种子.")] = 7,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete an existing --db SQLite file first.")
    ] = False,  # fmt: skip
) -> None:
    """Run the Binhai county 滨海县 demo: the seed's stories and a generated caseload."""
    from . import demo

    url, notice = demo.prepare_database(db, fresh=fresh)
    if notice:
        err().print(Text(notice))
    svc, clock, units = demo.open_county(url)
    with demo_progress() as on_day:
        result = demo.run(svc, clock, units, cases=cases, seed=seed, on_day=on_day)
    demo.render(result, out())
    from .audit.checkpoint import take_checkpoint

    cp = take_checkpoint(result.engine, now=clock.now(), taken_by="demo")  # the year-end one
    say(f"检查点 checkpoint {cp.number} at {local_time(parse_iso_utc(cp.taken_at))}: root "
        f"{cp.root[:16]}… over {cp.cases:,} chain heads and {cp.events:,} events (jiuzhu audit "
        "checkpoint; the worker takes one daily)")  # fmt: skip
    report = verify_with_progress(result.engine)
    render_report(report)
    result.engine.dispose()
    morning = (clock.now().astimezone(SHANGHAI) + timedelta(days=1)).replace(hour=9, minute=0)
    where = sqlite_path(url) or make_url(url).render_as_string(hide_password=True)
    say(f"模拟数据库 a simulation database: carry on from the next morning with "
        f"JIUZHU_SIMULATED_TIME={morning.replace(second=0, microsecond=0).isoformat()} "
        f"jiuzhu worker --once --db {where}")  # fmt: skip
    if not report.ok:
        raise typer.Exit(EXIT_AUDIT)


@contextmanager
def demo_progress() -> Iterator[Callable[[int, int, str], None]]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err()) as progress:
        task = progress.add_task("模拟 simulating", total=None)

        def on_day(done: int, total: int, today: str) -> None:
            progress.update(task, completed=done, total=total,
                            description=f"模拟 simulating {today}")  # fmt: skip

        yield on_day


def main() -> None:
    as_json = wants_json(sys.argv[1:])
    try:
        app(prog_name="jiuzhu")
    except JiuzhuError as exc:
        fail(exc, as_json)
    except SQLAlchemyError as exc:  # one the service did not translate: the database's own words
        message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        fail(StorageError(f"database error: {message}", f"数据库错误：{message}"), as_json)
    except Exception as exc:  # a defect: its traceback (without locals) is for the bug report
        sys.excepthook(type(exc), exc, exc.__traceback__)
        defect = JiuzhuError(f"internal error: {type(exc).__name__}; please report it",
                             f"内部错误：{type(exc).__name__}，请报告此问题")  # fmt: skip
        defect.code = "internal_error"
        fail(defect, as_json, EXIT_INTERNAL)


from .cli_plans import register as register_plan_commands  # noqa: E402  (it imports this module)

register_plan_commands(app)  # jiuzhu plan …, jiuzhu deadlines …
from .cli_money import register as register_money_commands  # noqa: E402

register_money_commands(app)  # jiuzhu money …, jiuzhu report
from .cli_audit import register as register_audit_commands, render_report, verify_with_progress  # noqa: E402,F401,I001  (audit; the demo verifies with these)

register_audit_commands(app)  # jiuzhu audit …
from .cli_serve import register as register_serve_commands  # noqa: E402

register_serve_commands(app)  # jiuzhu serve, jiuzhu token …
from .cli_standard import register as register_standard_commands  # noqa: E402

register_standard_commands(app)  # jiuzhu standard …, jiuzhu temporary …, jiuzhu policy …
from .cli_calendar import register as register_calendar_commands  # noqa: E402

register_calendar_commands(app)  # jiuzhu calendar import|show

if __name__ == "__main__":
    main()
