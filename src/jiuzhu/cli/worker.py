"""``jiuzhu worker`` (the deadline worker) and ``jiuzhu diagrams`` (the workflows' drawings)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from ..clock import Clock
from ..errors import InvalidInput
from .common import cli_clock, database_url, use_policy_file
from .exits import EXIT_AUDIT, EXIT_INTERNAL, EXIT_UNAVAILABLE
from .options import PolicyOpt, shared
from .output import err, local_time, out, say

DAY = 86_400
LEASE_CEILING = 10**10  # beyond this typer refuses; up to it, the configured maximum does
COUNTS = ("到期 due", "租约过期 expired claims")  # the dry run's columns of counts


def register(app: typer.Typer) -> None:
    app.command("diagrams")(diagrams_command)
    app.command("worker")(worker_command)


def diagrams_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory 输出目录.")] = Path(
        "diagrams"),
) -> None:  # fmt: skip
    """Write state diagrams 状态图 for every workflow (Mermaid; SVG too where `dot` exists)."""
    from ..diagrams import write_all

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


@shared(json=False)
def worker_command(
    interval: Annotated[float, typer.Option(
        "--interval", min=0.1, max=DAY, help="Seconds between sweeps 扫描间隔 (0.1 to 86400); a "
        "wake-up is also armed at the next due time 到期时间.")] = 30.0,
    batch: Annotated[int, typer.Option(
        "--batch", min=1, max=10_000, help="Due deadlines claimed per round 每批认领数.")] = 1000,  # sweep.DEFAULT_BATCH
    lease_seconds: Annotated[int, typer.Option(
        "--lease-seconds", min=1, max=LEASE_CEILING, help="Claim lease 认领租期 in seconds, at "
        "most the maximum lease 最长租期 (JIUZHU_MAX_LEASE_SECONDS, default 3600): a dead "
        "worker's claims are taken over after this many seconds.")] = 300,
    worker_id: Annotated[str | None, typer.Option(
        "--worker-id", help="Worker id 调度进程标识 recorded on claims and events "
        "(default host:pid).")] = None,
    once: Annotated[bool, typer.Option(
        "--once", help="One catch-up sweep 单次补扫: say what is due, fire it with a progress bar "
        "进度 on stderr (a log line every 5 s off a terminal), end with a summary, print the "
        "report as a JSON line, exit (for cron; exit 6 when a deadline could not fire).")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Fire nothing 只查看不触发: list what is due now 当前到期, by workflow and "
        "kind, and how late 迟了多久; runs beside a live worker.")] = False,
    checkpoint_key: Annotated[Path | None, typer.Option(
        "--checkpoint-key", help="Ed25519 private key 签名私钥 (from `jiuzhu audit keygen`): the "
        "daily audit checkpoint 每日审计检查点 (00:05) is signed with it.")] = None,
    against: Annotated[Path | None, typer.Option(
        "--against", envvar="JIUZHU_AUDIT_PUBLISHED", show_envvar=True, help="The published "
        "directory 发布目录 (or checkpoint file) of the audit log: refuse to start on a database "
        "that is older than it or disagrees with it 拒绝在回滚的数据库上启动.")] = None,
    policy: PolicyOpt = None,
    *, db: str | None,
) -> None:  # fmt: skip
    """Run the deadline worker 期限调度进程: fire due deadlines 到期期限 with APScheduler.

    Verification deadlines 核对期限, overdue reminders 逾期催办 and service visits 服务计划 fire once each; after a downtime 停机 they fire late, saying how late.

    SQLite: one worker per database file. PostgreSQL: run as many workers as you like.

    Stop with Ctrl-C or SIGTERM 优雅停止 (after the current sweep). Logs go to stderr.
    """
    import logging

    from ..scheduler.startup import check_published, check_worker_id
    from ..scheduler.worker import run_once, run_worker

    use_policy_file(policy)  # the payment run and other firings decide by this book
    url = database_url(db)  # the worker never creates a database
    if dry_run:
        show_due(url, cli_clock(db))
        return
    refusal = check_published(url, against) if against is not None else None
    if refusal is not None:  # a rolled-back database: what an audit reports, exit 1
        say(f"错误：{refusal.zh}", "bold red", err())
        say(f"Error: {refusal.message}", "red", err())
        raise typer.Exit(EXIT_AUDIT)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    logging.getLogger("jiuzhu").setLevel(logging.INFO)
    lease, worker_id = timedelta(seconds=lease_seconds), check_worker_id(worker_id)
    from .worker_progress import BarCatchUp, catch_up_display

    if not once:
        from ..audit.checkpoint import load_private_key

        key = load_private_key(checkpoint_key) if checkpoint_key is not None else None
        first = catch_up_display()  # the first sweep: what fell due while no worker ran
        try:
            run_worker(url, worker_id=worker_id, interval=interval, batch=batch, lease=lease,
                       checkpoint_key=key, clock=cli_clock(db), catch_up=first)  # fmt: skip
        finally:
            if isinstance(first, BarCatchUp):
                first.close()
        return
    catch_up = catch_up_display()  # what is due, progress on stderr, a summary at the end
    try:
        report = run_once(url, worker_id=worker_id, batch=batch, lease=lease,
                          clock=cli_clock(db), catch_up=catch_up)  # fmt: skip
    finally:
        if isinstance(catch_up, BarCatchUp):
            catch_up.close()
    typer.echo(json.dumps({"worker": worker_id, **report.to_dict()}, ensure_ascii=False))
    if report.failed:  # logged on stderr; they stay due and the next sweep retries them
        raise typer.Exit(EXIT_UNAVAILABLE)


def show_due(url: str, clock: Clock) -> None:
    """``worker --dry-run``: the due deadlines as a table, the most late first; nothing fired."""
    from rich.table import Table

    import jiuzhu

    from ..diagrams import TITLES
    from ..scheduler.due import due_groups, late_text

    svc = jiuzhu.connect(url, clock=clock)
    try:
        now = clock.now()
        groups = due_groups(svc.engine, now)
    finally:
        svc.close()
    table = Table(title=f"到期期限 deadlines due at {local_time(now)} (未触发 nothing fired)")
    for header in ("流程 workflow", "期限 deadline", "到期 due", "租约过期 expired claims",
                   "最早到期 earliest due", "最晚到期 latest due", "最多迟 most late"):  # fmt: skip
        table.add_column(header, justify="right" if header in COUNTS else "left", overflow="fold")
    for g in groups:
        title = TITLES.get(g.workflow)
        table.add_row(f"{title.zh} {title.en}" if title else g.workflow, f"{g.label.zh} {g.label.en}", f"{g.due:,}",
                      f"{g.expired_claims:,}", local_time(g.earliest), local_time(g.latest),
                      late_text(g.late_seconds(now)))  # fmt: skip
    out().print(table)
    total = sum(g.due for g in groups)
    say(f"共 {total:,} 个期限到期 {total:,} deadline(s) due; 未触发 none fired (dry run)")
