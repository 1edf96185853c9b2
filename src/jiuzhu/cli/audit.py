"""``jiuzhu audit``: verify, replay as of any moment, export, checkpoints, compliance findings.

An auditor needs only this and a database URL -- or only an export directory: ``verify``
accepts either.  Times given without an offset are Shanghai time; ``--json`` prints UTC
instants.  Exit codes as every command's: 1 when an audit finds a break.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ..clock import parse_iso_utc
from ..errors import InvalidInput, NotFound
from . import audit_witness
from .audit_db import audit_engine
from .audit_progress import (
    cases_bar,
    clock_of,
    count_cases,
    progress_bar,
    verify_export_with_progress,
    verify_with_progress,
)
from .audit_witness import AgainstOpt, WitnessOpt
from .common import existing_engine, local_instant, require_head
from .exits import EXIT_AUDIT
from .files import FileLimit, FormatOpt, OutputOpt, view_of, write_file, write_json
from .options import CaseArg, shared
from .output import compact, emit_json, err, local_time, out, say, say_cut

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..audit.verify import ReplayResult, VerifyReport

audit_app = typer.Typer(
    help="Audit 审计: verify the hash chains and checkpoints, replay a case as of any moment, "
    "export for third parties, list compliance findings.",
    no_args_is_help=True,
)

KeyOpt = Annotated[Path | None, typer.Option(
    "--key", help="Ed25519 private key file 签名私钥 (PEM, from `jiuzhu audit keygen`) to sign "
    "the checkpoint with.")]  # fmt: skip
PublicKeyOpt = Annotated[Path | None, typer.Option(
    "--public-key", help="Require every checkpoint (and the --against one) to be signed by "
    "this Ed25519 public key 受信公钥 (PEM, 64 hex characters or a verifier key file).")]  # fmt: skip

JobsOpt = Annotated[int | None, typer.Option(
    "--jobs", min=1, max=64, show_default=False, help="Worker processes 并行进程数 reading a "
    "database (1-64; default: the cores, or 1 below 20,000 cases). All read one snapshot "
    "一致快照; the result is that of one process, in the same order.")]  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
    audit_witness.register(audit_app)


WHERE = {"checkpoint": "检查点 checkpoint", "log": "日志 log"}  # a break of no one case


def render_report(report: VerifyReport) -> None:
    from ..audit.breaks import KIND_LABELS

    say(f"已核对 checked: {report.cases:,} 案件 cases, {report.events:,} 事件 events, "
        f"{report.checkpoints:,} 检查点 checkpoints ({report.signed:,} signed 已签名)")  # fmt: skip
    for note in report.notes:
        say(f"注意 note: {note}", "yellow")
    if report.ok and report.partial:
        say(f"部分导出 PARTIAL: {report.partial}; 未发现断裂 no break in what was exported",
            "bold yellow")  # fmt: skip
        return
    if report.ok:
        say("审计通过 audit passed: every hash chain, checkpoint and case row agrees with its "
            "events")  # fmt: skip
        return
    table = Table(title=f"审计发现 {len(report.breaks)} 处断裂 breaks")
    table.add_column("案件 case", no_wrap=True)
    table.add_column("序号 seq", justify="right", no_wrap=True)
    table.add_column("类型 kind", no_wrap=True)
    table.add_column("说明 detail")
    for b in report.breaks:
        where = b.case_id or WHERE.get(b.kind, "导出 export")
        table.add_row(where, str(b.seq), f"{b.kind}\n{KIND_LABELS.get(b.kind, '')}",
                      Text(b.detail))  # fmt: skip
    out().print(table)
    say(f"审计未通过 audit FAILED: {len(report.breaks)} break(s)", "bold red")


def instant_option(text: str | None, option: str) -> datetime | None:
    """A date (its start, Shanghai time) or a date-time."""
    if text is not None and len(text.strip()) == 10:
        text = text.strip() + "T00:00"
    return local_instant(text, option)


# -- verify ------------------------------------------------------------------------------------
@audit_app.command("verify")
@shared()
def audit_verify(
    export_dir: Annotated[Path | None, typer.Argument(
        help="An export directory 导出目录 to verify instead of a database.")] = None,
    public_key: PublicKeyOpt = None, against: AgainstOpt = None, witness: WitnessOpt = None,
    jobs: JobsOpt = None,
    *, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Verify every hash chain, checkpoint and case row 核验审计链 (exit 1 on any break).

    Lists every break with its case, sequence number and kind: altered 篡改, missing 缺失,
    inserted 插入, reordered 乱序, truncated 截断, deleted_case 整案删除, projection_differs
    投影不符, checkpoint 检查点, stuck_claim 期限被占用 (a due deadline held by an absurd or
    long-over claim), manifest 导出清单 (an export's manifest unsigned or edited). A filtered
    export is reported as partial 部分导出, never as passed.
    """
    from ..audit.verify import check_source

    trusted = audit_witness.public_key_of(public_key) if public_key is not None else None
    directory = export_dir or (check_source(db) if db else None)
    extra: dict[str, Any] = {}
    if directory is not None:
        if against is not None or witness:
            raise InvalidInput("--against and --witness check a database, not an export",
                               "--against 和 --witness 用于核验数据库，而非导出目录")  # fmt: skip
        report = verify_export_with_progress(directory, trusted)
    else:
        engine = audit_engine(db, json_out=json_out)
        report = verify_with_progress(engine, trusted, jobs)
        extra = audit_witness.apply_against(engine, against, witness, trusted, report,
                                            json_out=json_out)  # fmt: skip
    if json_out:
        emit_json({**report.to_dict(), **extra})
    else:
        render_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_AUDIT)


# -- replay ------------------------------------------------------------------------------------
@audit_app.command("replay")
@shared()
def audit_replay(
    case_id: CaseArg,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Rebuild the case as it stood at this moment 历史时点 (date or date-time, "
        "Shanghai time unless an offset is given) instead of comparing it with its row.")] = None,
    *, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Rebuild a case from its events alone 事件重放: compare with its row, or show it as of T."""
    from ..audit.verify import replay_case

    engine = audit_engine(db, json_out=json_out, need_cases=False)
    instant = instant_option(as_of, "--as-of")
    if instant is not None:
        state = replay_as_of(engine, case_id, instant)
        emit_json(state) if json_out else render_as_of(state)
        return
    result = replay_case(engine, case_id)
    if json_out:
        diffs = [{"field": f, "expected": e, "stored": s} for f, e, s in result.differences]
        emit_json({"case_id": result.case_id, "events": result.events, "ok": result.ok,
                   "expected": result.expected, "stored": result.stored,
                   "differences": diffs})  # fmt: skip
    else:
        render_replay(result)
    if not result.ok:
        raise typer.Exit(EXIT_AUDIT)


def replay_as_of(engine: Engine, case_id: str, instant: datetime) -> dict[str, Any]:
    from ..audit.replay import as_of
    from ..audit.sources import DatabaseSource
    from ..models.db import snapshot

    with snapshot(engine) as conn:
        _, events, *_ = DatabaseSource(conn).case(case_id.strip().lower())
    if not events:
        raise NotFound(f"case {case_id} not found", f"未找到案件 {case_id}")
    return as_of(events, instant)


def render_as_of(state: dict[str, Any]) -> None:
    at = local_time(parse_iso_utc(state["as_of"]))
    table = Table(title=f"案件 case {state['case_id']} 于 as of {at} (UTC+8)", show_header=False)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    last = state["last_event"]
    rows = [
        ("状态 state", f"{state['state_zh']} {state['state_en']} ({state['state']})"),
        ("流程 workflow", f"{state['workflow']} v{state['workflow_version']}"),
        ("事件 events", f"{state['events']} (last: seq {last['seq']} {last['type']}, "
         f"{local_time(parse_iso_utc(last['occurred_at']))})"),
        ("政策 policy", compact(state["policy"])),
    ]  # fmt: skip
    for kind, due in state["deadlines"].items():
        rows.append((f"期限 deadline {kind}", local_time(parse_iso_utc(due))))
    for entry in state["ledger"]:
        rows.append((f"账目 ledger {entry['seq']}/{entry['line']}",
                     f"{entry['kind']} {entry['amount_fen'] / 100:,.2f} yuan "
                     f"{entry['period'] or ''} {entry['booked_on']}"))  # fmt: skip
    balance = state["balance"]
    rows.append(("余额 balance", f"paid 已发放 {balance['paid_fen'] / 100:,.2f} yuan, "
                 f"owed 应追回 {balance['owed_fen'] / 100:,.2f} yuan"))  # fmt: skip
    for name, value in rows:
        table.add_row(name, Text(value))
    out().print(table)


def render_replay(result: ReplayResult) -> None:
    table = Table(title=f"重放 replay of case {result.case_id} from {result.events} events")
    for header in ("字段 field", "事件推算 expected (events)", "存储 stored (row)", ""):
        table.add_column(header, overflow="fold")
    differing = {name for name, _, _ in result.differences}
    for name in sorted(set(result.stored) | differing):
        for field, want, have in replay_rows(name, result.expected.get(name, "—"),
                                             result.stored.get(name, "—")):  # fmt: skip
            same = want == have
            shown = ("（相同 same）",) * 2 if same and len(compact(have)) > 60 else (want, have)
            table.add_row(field, Text(compact(shown[0])), Text(compact(shown[1])),
                          "✓" if same else "✗")  # fmt: skip
    out().print(table)
    if differing:
        say(f"重放不一致 replay DIFFERS in: {', '.join(sorted(differing))}", "bold red")
    else:
        say("重放一致 replay matches the stored case")


def replay_rows(name: str, want: Any, have: Any) -> list[tuple[str, Any, Any]]:
    """One row per field; two differing mappings are opened one level, to show what differs."""
    if want == have or not (isinstance(want, dict) and isinstance(have, dict)):
        return [(name, want, have)]
    keys = sorted(k for k in set(want) | set(have) if want.get(k, "—") != have.get(k, "—"))
    return [(f"{name}.{k}", want.get(k, "—"), have.get(k, "—")) for k in keys]


# -- checkpoints and keys ----------------------------------------------------------------------
@audit_app.command("checkpoint")
@shared()
def audit_checkpoint(
    key: KeyOpt = None,
    taken_by: Annotated[str, typer.Option("--by", help="Who takes it 签发者 (recorded).")] = "cli",
    *, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Take a checkpoint now 生成检查点: a root over every chain head, signed with --key."""
    from ..audit import checkpoint as checkpoints

    engine = existing_engine(db)
    require_head(engine)
    signing = checkpoints.load_private_key(key) if key is not None else None
    cp = checkpoints.take_checkpoint(engine, now=clock_of(engine), taken_by=taken_by[:64],
                                     key=signing)  # fmt: skip
    if json_out:
        emit_json(cp.to_dict())
        return
    signed = f"signed 已签名 by {cp.public_key[:16]}…" if cp.public_key else "unsigned 未签名"
    say(f"检查点 checkpoint {cp.number}: {cp.cases:,} cases, {cp.events:,} events, "
        f"{cp.changed:,} heads changed; root {cp.root[:16]}…, hash {cp.hash[:16]}…; {signed}")  # fmt: skip


@audit_app.command("keygen")
def audit_keygen(
    out_file: Annotated[Path, typer.Option("--out", help="Private key file to create 私钥文件 "
                                           "(the public key goes to FILE.pub).")],
) -> None:  # fmt: skip
    """Make an Ed25519 key pair 生成签名密钥 for signing checkpoints."""
    from ..audit import checkpoint as checkpoints

    public = checkpoints.generate_key(out_file)
    say(f"私钥 private key: {out_file} (keep it off the database server 勿存放于数据库服务器)")
    say(f"公钥 public key: {out_file}.pub  ({public})")


# -- export ------------------------------------------------------------------------------------
@audit_app.command("export")
@shared(json=False)
def audit_export(
    out_dir: Annotated[Path, typer.Option("--out", help="New or empty directory 导出目录.")],
    start: Annotated[str | None, typer.Option(
        "--from", help="Only cases with an event at or after this date/time 起始时间.")] = None,
    end: Annotated[str | None, typer.Option(
        "--to", help="… and before this date/time 截止时间 (exclusive).")] = None,
    org: Annotated[str | None, typer.Option(
        "--org", help="Only cases in this organisation unit's subtree 单位编码.")] = None,
    checkpoint_first: Annotated[bool, typer.Option(
        "--checkpoint", help="Take a checkpoint first 先生成检查点, so that it covers every "
        "exported event.")] = False,
    key: Annotated[Path | None, typer.Option(
        "--key", help="Ed25519 private key file 签名私钥 (from `jiuzhu audit keygen`): signs the "
        "manifest 签署导出清单 (and the --checkpoint).")] = None,
    jobs: JobsOpt = None,
    *, db: str | None,
) -> None:  # fmt: skip
    """Export events, case rows and checkpoints as JSON Lines 导出审计数据 (docs/audit-format.md).

    No personal data 不含个人信息: events carry ids only; names and ID numbers stay in the
    database.
    """
    from ..audit import checkpoint as checkpoints
    from ..audit.export import ExportFilter
    from ..audit.parallel import default_jobs
    from ..audit.parallel_export import export_parallel

    where = ExportFilter(instant_option(start, "--from"), instant_option(end, "--to"), org)
    if where.start and where.end and where.start >= where.end:
        raise InvalidInput("--from must come before --to", "--from 应早于 --to")
    if checkpoint_first:  # the one write: the export itself reads a read-only engine
        writer = existing_engine(db)
        require_head(writer)
        signing = checkpoints.load_private_key(key) if key is not None else None
        checkpoints.take_checkpoint(writer, now=clock_of(writer), taken_by="export",
                                    key=signing)  # fmt: skip
        writer.dispose()
    engine = audit_engine(db)
    signer = checkpoints.load_private_key(key) if key is not None else None
    cases = count_cases(engine)
    with cases_bar("导出 exporting", cases) as advance:
        manifest = export_parallel(engine, out_dir, jobs or default_jobs(cases),
                                   now=clock_of(engine), where=where, advance=advance,
                                   key=signer)  # fmt: skip
    say(f"已导出 exported {manifest['cases']:,} 案件 cases, {manifest['events']:,} 事件 events, "
        f"{manifest['checkpoints']} 检查点 checkpoints to {out_dir}")  # fmt: skip
    if not manifest["latest_checkpoint_covers_all"]:
        say("注意 note: some events are newer than the latest checkpoint; take one with "
            "`jiuzhu audit checkpoint` (or export with --checkpoint)", "yellow", err())  # fmt: skip


# -- findings ----------------------------------------------------------------------------------
@audit_app.command("findings")
@shared()
def audit_findings(
    as_of: Annotated[str | None, typer.Option(
        "--now", help="Judge overdue checks at this moment 判定时点 (default: now).")] = None,
    limit: FileLimit = None, fmt: FormatOpt = None, output: OutputOpt = None,
    *, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """List compliance findings 合规检查: approvals without commitment or appraisal, payments
    after revocation, revocations without recovery or credit record, overdue verifications,
    missed visits, amounts outside policy, allowances withheld as paid under another case of
    the household."""
    from ..audit.findings import LABELS, database_findings

    view = view_of(fmt, output, limit, json_out)
    engine = audit_engine(db, json_out=json_out)
    now = instant_option(as_of, "--now") or clock_of(engine)
    with progress_bar("合规检查 checking", count_cases(engine)) as advance:
        found = list(database_findings(engine, now=now, progress=advance))
    shown = view.cut(found)  # every finding is computed (the audit reads every case): cut here
    if view.file:
        from ..sheets import FINDINGS, finding_rows, unit_names

        write_file(view, FINDINGS, finding_rows(shown, LABELS, unit_names(engine)), len(found))
        return
    if view.json:
        write_json(view, [f.to_dict() for f in shown])
        say_cut(len(shown), len(found), json_out=True)
        return
    table = Table(title=f"合规发现 findings: {len(found)}")
    for header in (
        "案件 case",
        "序号 seq",
        "发现 finding",
        "天数 days",
        "金额 yuan",
        "说明 detail",
    ):
        table.add_column(header, overflow="fold")
    for f in shown:
        table.add_row(f.case_id, str(f.seq), Text(LABELS.get(f.code, f.code)),
                      "" if f.days is None else f"{f.days:g}",
                      "" if f.amount_fen is None else f"{f.amount_fen / 100:,.2f}",
                      Text(f.detail))  # fmt: skip
    out().print(table)
    say(f"共 {len(found)} 项合规发现 findings" if found else "无合规发现 no findings")
    say_cut(len(shown), len(found), json_out=False)
