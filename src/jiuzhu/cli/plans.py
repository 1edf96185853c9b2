"""``jiuzhu plan`` and ``jiuzhu deadlines``: service plans (物质+服务) and what deadlines feed.

``plan`` opens, visits, suspends, resumes, ends and lists the recurring services of a case
(cleaning four times a month, a visit every other day, a monthly follow-up); ``deadlines``
lists the data checks that are overdue and the visits that were missed, in the actor's
jurisdiction (``--limit`` rows; a line says when the list was cut).

Times given on the command line without an offset are Shanghai time; times shown are
Shanghai time (UTC+8); ``--json`` gives the stored UTC instants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ..errors import InvalidInput
from .common import local_instant, required, service
from .files import FileLimit, FormatOpt, OutputOpt, view_of, write_file, write_json
from .options import CaseArg, Write, shared
from .output import emit_json, out, say, say_cut, when

if TYPE_CHECKING:
    from ..service.actors import Actor
    from ..service.service import CaseService
    from ..service.views import CaseView

plan_app = typer.Typer(
    help="Service plans 服务计划 (物质+服务): recurring visits inside a case — cleaning 清洁, "
    "home visits 探访, follow-up visits 回访.",
    no_args_is_help=True,
)
deadlines_app = typer.Typer(
    help="Deadlines 期限: overdue data checks 核对逾期 and missed visits 漏访, as the worker "
    "recorded them.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
    app.add_typer(deadlines_app, name="deadlines")


PlanOpt = Annotated[str | None, typer.Option(
    "--plan", help="Plan id 服务计划编号 (required 必填; see: jiuzhu plan list CASE).")]  # fmt: skip
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Reason 原因.")]


# -- input ---------------------------------------------------------------------------------
def parse_cron(text: str) -> dict[str, Any]:
    """``"day=1,8,15,22 hour=9"`` -> ``{"type": "cron", "day": "1,8,15,22", "hour": 9}``."""
    spec: dict[str, Any] = {"type": "cron"}
    for token in text.replace("，", ",").split():
        key, sep, value = token.partition("=")
        if not (sep and key and value) or key in spec:
            raise InvalidInput(
                f"--cron '{text}': expected fields such as 'day=1,8,15,22 hour=9', each "
                f"once, got '{token}'",
                f"--cron“{text}”格式不正确，应如“day=1,8,15,22 hour=9”（每个字段一次）",
            )
        spec[key] = int(value) if value.isdigit() else value
    return spec


def recurrence_of(cron: str | None, weeks: int | None, days: int | None,
                  hours: int | None) -> dict[str, Any]:  # fmt: skip
    """Exactly one of ``--cron`` or the ``--every-*`` options, as the service's spec."""
    every = {k: v for k, v in (("weeks", weeks), ("days", days), ("hours", hours))
             if v is not None}  # fmt: skip
    if (cron is None) == (not every):
        raise InvalidInput(
            "give the recurrence either with --cron 'day=1,8,15,22 hour=9' or with "
            "--every-days/--every-hours/--every-weeks, not both",
            "请用 --cron（如“day=1,8,15,22 hour=9”）或 --every-days/--every-hours/--every-weeks "
            "之一指定服务频次",
        )
    return parse_cron(cron) if cron is not None else {"type": "interval", **every}


def provider_of(
    name: str | None, org: str | None, provider_id: str | None = None
) -> dict[str, str]:
    if [name, org, provider_id].count(None) != 2:
        raise InvalidInput(
            "give the provider with one of --provider-org UNIT_ID (a village, township or "
            "county), --provider-id PROVIDER_ID (a registered provider) or --provider-name "
            "'third-party organisation'",
            "请用 --provider-org（单位编码）、--provider-id（已登记服务机构）或 --provider-name"
            "（第三方机构名称）之一指定服务提供方",
        )
    if provider_id is not None:
        return {"provider": provider_id}
    return {"org": org} if org is not None else {"name": name or ""}


# -- output --------------------------------------------------------------------------------
def plan_of(view: CaseView, plan_id: str) -> dict[str, Any]:
    return view.facts.get("plans", {}).get(plan_id.strip().lower(), {})  # type: ignore[no-any-return]


def plans_of(view: CaseView) -> list[dict[str, Any]]:
    plans = view.facts.get("plans", {}).values()
    return sorted(plans, key=lambda p: (p["starts_at"], p["plan_id"]))


def kind_text(kind: str | None) -> str:
    from ..workflows import service_plan

    label = service_plan.KINDS.get(kind or "")
    return f"{label.zh} {label.en}" if label else str(kind)


def provider_text(provider: dict[str, str] | None) -> str:
    if not provider:
        return "—"
    if "org" in provider:
        return f"单位 unit {provider['org']}"
    if "provider" in provider:
        return f"服务机构 provider {provider['provider']}"
    return f"{provider.get('name')}（第三方 third party）"


def recurrence_text(spec: dict[str, Any]) -> str:
    if spec.get("type") == "interval":
        units = {"weeks": ("周", "week"), "days": ("天", "day"), "hours": ("小时", "hour")}
        parts = [(spec[k], zh, en) for k, (zh, en) in units.items() if spec.get(k)]
        return " ".join(f"每 {n} {zh} every {n} {en}{'s' if n != 1 else ''}"
                        for n, zh, en in parts)  # fmt: skip
    fields = " ".join(f"{k}={v}" for k, v in spec.items() if k != "type")
    return f"定时 cron {fields}"


def print_plan_result(view: CaseView, plan_id: str, done: str, json_out: bool) -> None:
    from ..workflows import service_plan

    plan = plan_of(view, plan_id)
    if json_out:
        emit_json({"plan": plan, "case": view.to_dict()})
        return
    state = service_plan.STATES[plan["state"]]
    say(f"{done}: 服务计划 plan {plan['plan_id']}")
    say(f"  {kind_text(plan['kind'])} · {provider_text(plan['provider'])} · "
        f"{recurrence_text(plan['recurrence'])}")  # fmt: skip
    say(f"  状态 state: {state.zh} {state.en} · 已完成 done {plan['done']} · "
        f"未完成 missed {plan['missed']} · 下次 next (UTC+8): {when(plan['scheduled_at'])}")  # fmt: skip
    say(f"  案件 case {view.id} (版本 version {view.row_version})")
    if view.replayed:
        say("幂等重放 replayed: this idempotency key was applied before; nothing changed")


def opened_plan_id(svc: CaseService, actor: Actor, view: CaseView) -> str:
    """The plan ``open`` added, named by the event at the returned view's head.

    That event is this command's own (or, for a replayed idempotency key, the first result's),
    whatever others appended since, so the id is right even when two plans open at once.
    """
    event = next(e for e in reversed(svc.history(actor, view.id)) if e.seq == view.last_seq)
    return str(event.payload["plan_id"])


# -- jiuzhu plan ---------------------------------------------------------------------------
@plan_app.command("open")
@shared(actor=True, write="full")
def plan_open(
    case_id: CaseArg,
    kind: Annotated[str | None, typer.Option("--kind", help="Service 服务 (required 必填): "
                                             "cleaning 清洁照料, home_visit 上门探访, follow_up "
                                             "回访, companionship 陪伴聊天, repair 微改造维修, "
                                             "other 其他.")] = None,  # fmt: skip
    provider_name: Annotated[str | None, typer.Option(
        "--provider-name", help="A third-party provider 第三方社会组织, e.g. 暖心洁家.")] = None,
    provider_org: Annotated[str | None, typer.Option(
        "--provider-org", help="Or an organisation unit 服务单位 (village, township, county id).")
    ] = None,  # fmt: skip
    provider_id: Annotated[str | None, typer.Option(
        "--provider-id", help="Or a registered service provider 已登记服务机构 (jiuzhu provider "
        "list); its staff then record the visits.")] = None,  # fmt: skip
    project: Annotated[str | None, typer.Option(
        "--project", help="The project 帮扶项目 it belongs to (jiuzhu project list).")] = None,
    cron: Annotated[str | None, typer.Option(
        "--cron", help="Cron fields 定时 in Shanghai time, e.g. 'day=1,8,15,22 hour=9' (four "
        "times a month); fields: year month day week day_of_week hour minute.")] = None,
    every_weeks: Annotated[int | None, typer.Option("--every-weeks", min=1, max=520,
                                                    help="Or every N weeks 每 N 周.")] = None,
    every_days: Annotated[int | None, typer.Option("--every-days", min=1, max=3660, help="Or "
                                                   "every N days 每 N 天 (2: every other day "
                                                   "隔天).")] = None,  # fmt: skip
    every_hours: Annotated[int | None, typer.Option("--every-hours", min=1, max=87_840, help="Or "
                                                    "every N hours 每 N 小时 (with --every-days: "
                                                    "added).")] = None,  # fmt: skip
    starts: Annotated[str | None, typer.Option("--starts", help="Start 开始 (ISO; no offset: "
                                               "Shanghai time; default: now).")] = None,
    ends: Annotated[str | None, typer.Option("--ends", help="End 结束 (ISO; default: open "
                                             "ended).")] = None,  # fmt: skip
    grace_hours: Annotated[int, typer.Option("--grace-hours", min=0, max=8784, help="Hours after "
                                             "each occurrence before it counts as missed "
                                             "宽限小时.")] = 24,  # fmt: skip
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Open a service plan 设立服务计划 on an approved case (village, township or county)."""
    kind = required(kind, "--kind", "the service", "服务类型（如 cleaning）")
    provider = provider_of(provider_name, provider_org, provider_id)
    spec = recurrence_of(cron, every_weeks, every_days, every_hours)
    svc = service(db)
    view = svc.open_service_plan(actor, case_id, kind=kind, provider=provider, recurrence=spec,
                                 starts_at=local_instant(starts, "--starts"),
                                 ends_at=local_instant(ends, "--ends"), grace_hours=grace_hours,
                                 project_id=project, **write)  # fmt: skip
    print_plan_result(view, opened_plan_id(svc, actor, view), "已设立 opened", json_out)


@plan_app.command("visit")
@shared(actor=True, write="full")
def plan_visit(
    case_id: CaseArg,
    plan: PlanOpt = None,
    what: Annotated[str | None, typer.Option("--what", help="What was done 服务内容 (required "
                                             "必填), e.g. 打扫卫生.")] = None,  # fmt: skip
    at: Annotated[str | None, typer.Option("--at", help="When 服务时间 (ISO; no offset: "
                                           "Shanghai time; default: now).")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes 备注.")] = None,
    *, actor: Actor, db: str | None, write: Write, json_out: bool,
) -> None:  # fmt: skip
    """Record a visit 记录服务: it completes the plan's open occurrence and arms the next."""
    plan_id = required(plan, "--plan", "the plan id", "服务计划编号")
    done = required(what, "--what", "what was done", "服务内容（如 打扫卫生）")
    view = service(db).record_visit(
        actor,
        case_id,
        plan_id=plan_id,
        what=done,
        visited_at=local_instant(at, "--at"),
        notes=notes,
        **write,
    )
    print_plan_result(view, plan_id, "已记录服务 visit recorded", json_out)


STEPS = {"suspend": "已暂停 suspended", "resume": "已恢复 resumed", "end": "已结束 ended"}


def plan_step(step: str, case_id: str, plan: str | None, reason: str | None, actor: Actor,
              db: str | None, write: Write, json_out: bool) -> None:  # fmt: skip
    """Suspend, resume or end a plan (a reason is required to suspend or end)."""
    plan_id = required(plan, "--plan", "the plan id", "服务计划编号")
    if step != "resume":
        reason = required(reason, "--reason", "the reason", "原因")
    svc = service(db)
    command: Callable[..., CaseView] = {"suspend": svc.suspend_service_plan,
                                        "resume": svc.resume_service_plan,
                                        "end": svc.end_service_plan}[step]  # fmt: skip
    view = command(actor, case_id, plan_id=plan_id, reason=reason, **write)
    print_plan_result(view, plan_id, STEPS[step], json_out)


@plan_app.command("suspend")
@shared(actor=True, write="full")
def plan_suspend(case_id: CaseArg, plan: PlanOpt = None, reason: ReasonOpt = None, *,
                 actor: Actor, db: str | None, write: Write, json_out: bool) -> None:  # fmt: skip
    """Suspend a plan 暂停服务计划 (e.g. a stay in hospital): its occurrences are cancelled."""
    plan_step("suspend", case_id, plan, reason, actor, db, write, json_out)


@plan_app.command("resume")
@shared(actor=True, write="full")
def plan_resume(case_id: CaseArg, plan: PlanOpt = None, reason: ReasonOpt = None, *,
                actor: Actor, db: str | None, write: Write, json_out: bool) -> None:  # fmt: skip
    """Resume a suspended plan 恢复服务计划 from its next occurrence after now."""
    plan_step("resume", case_id, plan, reason, actor, db, write, json_out)


@plan_app.command("end")
@shared(actor=True, write="full")
def plan_end(case_id: CaseArg, plan: PlanOpt = None, reason: ReasonOpt = None, *,
             actor: Actor, db: str | None, write: Write, json_out: bool) -> None:  # fmt: skip
    """End a plan 结束服务计划: no further occurrences."""
    plan_step("end", case_id, plan, reason, actor, db, write, json_out)


@plan_app.command("list")
@shared(actor=True)
def plan_list(case_id: CaseArg, *, actor: Actor, db: str | None, json_out: bool) -> None:
    """List a case's service plans 服务计划列表: state, next occurrence, done and missed."""
    from ..workflows import service_plan

    plans = plans_of(service(db).get_case(actor, case_id))
    if json_out:
        emit_json(plans)
        return
    table = Table(title=f"服务计划 service plans of case {case_id} ({len(plans)})",
                  box=box.SIMPLE_HEAD, pad_edge=False)  # fmt: skip
    table.add_column("计划 plan\n服务 service", overflow="fold", min_width=36)
    table.add_column("提供方 provider\n频次 recurrence", overflow="fold", ratio=1, min_width=12)
    table.add_column("状态\nstate", min_width=6)
    table.add_column("下次 next\n(UTC+8)", min_width=10)
    table.add_column("完成/未完成\ndone/missed", justify="right", min_width=6)
    for p in plans:
        state = service_plan.STATES[p["state"]]
        table.add_row(f"{p['plan_id']}\n{kind_text(p['kind'])}",
                      Text(f"{provider_text(p['provider'])}\n{recurrence_text(p['recurrence'])}"),
                      f"{state.zh}\n{state.en}", when(p["scheduled_at"]),
                      f"{p['done']} / {p['missed']}")  # fmt: skip
    out().print(table)


# -- jiuzhu deadlines (and plan missed) ----------------------------------------------------
@deadlines_app.command("overdue")
@shared(actor=True)
def deadlines_overdue(limit: FileLimit = None, fmt: FormatOpt = None, output: OutputOpt = None,
                      *, actor: Actor, db: str | None, json_out: bool) -> None:  # fmt: skip
    """Overdue data checks 核对逾期: provisionally approved cases past their verification month."""
    view = view_of(fmt, output, limit, json_out)
    svc = service(db)
    rows = svc.overdue_verifications(actor)
    shown = view.cut(rows)  # the service lists them all: cut here
    if view.file:
        from ..sheets import OVERDUE, named

        write_file(view, OVERDUE, named(shown, svc.unit_names(actor)), len(rows))
        return
    if view.json:
        write_json(view, shown)
        say_cut(len(shown), len(rows), json_out=True)
        return
    table = Table(title=f"核对逾期 overdue verifications ({len(rows)}), most overdue first",
                  box=box.SIMPLE_HEAD, pad_edge=False)  # fmt: skip
    table.add_column("案件 case", no_wrap=True)
    table.add_column("村（社区） village", no_wrap=True)
    table.add_column("应核对 due (UTC+8)", no_wrap=True)
    table.add_column("逾期 late (days 天)", justify="right", no_wrap=True)
    table.add_column("已催办 reminders", justify="right", no_wrap=True)
    for r in shown:
        table.add_row(r["case_id"], r["village_id"], when(r["due_at"]), f"{r['late_days']:.1f}",
                      str(r["reminders"]))  # fmt: skip
    out().print(table)
    say_cut(len(shown), len(rows), json_out=False)


@shared(actor=True)
def missed_command(
    case: Annotated[str | None, typer.Option("--case", help="Only this case 仅此案件.")] = None,
    limit: FileLimit = None, fmt: FormatOpt = None, output: OutputOpt = None,
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Missed visits 漏访: service occurrences not done within their grace period, oldest first."""
    from ..service import inputs

    view = view_of(fmt, output, limit, json_out)
    svc = service(db)
    rows = svc.missed_visits(actor)
    if case is not None:
        case_id = inputs.record_id(case)
        rows = [r for r in rows if r["case_id"] == case_id]
    shown = view.cut(rows)  # the service lists them all: cut here
    if view.file:
        from ..sheets import MISSED, named

        texts = [{**r, "service": kind_text(r["service"]),
                  "provider": provider_text(r["provider"])} for r in shown]  # fmt: skip
        write_file(view, MISSED, named(texts, svc.unit_names(actor)), len(rows))
        return
    if view.json:
        write_json(view, shown)
        say_cut(len(shown), len(rows), json_out=True)
        return
    table = Table(title=f"漏访 missed visits ({len(rows)}), oldest first", box=box.SIMPLE_HEAD,
                  pad_edge=False)  # fmt: skip
    table.add_column("案件 case\n计划 plan", no_wrap=True)
    table.add_column("服务 service\n提供方 provider", overflow="fold")
    table.add_column("村（社区）\nvillage", no_wrap=True)
    table.add_column("宽限截止 due (UTC+8)\n记录 recorded", no_wrap=True)
    for r in shown:
        table.add_row(f"{r['case_id']}\n{r['plan_id']}",
                      Text(f"{kind_text(r['service'])}\n{provider_text(r['provider'])}"),
                      r["village_id"], f"{when(r['due_at'])}\n{when(r['recorded_missed_at'])}")  # fmt: skip
    out().print(table)
    say_cut(len(shown), len(rows), json_out=False)


deadlines_app.command("missed")(missed_command)
plan_app.command("missed")(missed_command)
