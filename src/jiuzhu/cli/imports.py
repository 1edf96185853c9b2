"""``jiuzhu import``: bring an existing caseload in (docs/import.md).

``households FILE`` and ``cases FILE`` import a CSV or XLSX file in chunked transactions, with
a progress bar on stderr and a summary; refused rows go to ``FILE.errors.csv`` and do not make
the command fail (it exits non-zero only when the run itself failed).  Running the same file
again adds nothing; a run that was interrupted resumes after its last committed chunk.
``template KIND -o FILE`` writes an empty file with the headers; ``jobs`` lists the jobs.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..clock import iso_utc
from .common import service
from .options import shared
from .output import emit_json, err, local_time, out, say

if TYPE_CHECKING:
    from ..service.actors import Actor
    from ..service.imports import ImportResult

import_app = typer.Typer(
    help="Import 迁移导入: bring households and running cases in from another system's files "
    "(CSV or XLSX; docs/import.md).",
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(help="CSV (UTF-8 or GB18030) or XLSX file 导入文件.",
                                         show_default=False)]  # fmt: skip
DryRun = Annotated[bool, typer.Option("--dry-run", help="Check every row and write nothing but "
                                      "the error report 仅检查，不写入.")]  # fmt: skip
ChunkRows = Annotated[int, typer.Option("--chunk-rows", min=1, max=10_000,
                                        help="Rows per transaction 每批行数.")]  # fmt: skip
ErrorsOpt = Annotated[Path | None, typer.Option(
    "--errors", help="Error report 错误报告 (default: FILE.errors.csv next to the file).")]  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")


def _run(kind: str, file: Path, actor: Actor, db: str | None, json_out: bool, dry_run: bool,
         chunk_rows: int, errors: Path | None) -> None:  # fmt: skip
    svc = service(db)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err(), transient=True, disable=json_out) as bar:
        task = bar.add_task(f"导入 importing {file.name}", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = svc.import_file(actor, kind, file, dry_run=dry_run, chunk_rows=chunk_rows,
                                 errors_path=errors, progress=step)  # fmt: skip
    if json_out:
        emit_json(asdict(result))
        return
    _summary(result)


def _summary(result: ImportResult) -> None:
    table = Table(box=box.SIMPLE_HEAD, title=f"导入结果 import {result.kind}"
                  + ("（试运行 dry run：未写入 nothing written）" if result.dry_run else ""))  # fmt: skip
    table.add_column("项目 item")
    table.add_column("行数 rows", justify="right")
    lines = [("文件行数 rows in the file", result.rows_total)]
    if result.kind == "households":
        lines += [("新增家庭 households added", result.added_households),
                  ("新增成员 persons added", result.added_persons),
                  ("关联已登记人员 persons linked", result.linked_persons)]  # fmt: skip
    else:
        lines.append(("新增在办案件 cases added", result.added_cases))
    lines += [("此前已导入 imported before", result.skipped), ("拒绝 refused", result.refused)]
    for label, n in lines:
        table.add_row(label, f"{n:,}")
    out().print(table)
    say(f"任务 job {result.job_id} · {result.state} · SHA-256 {result.sha256[:16]}…")
    if result.refused:
        say(f"{result.refused} 行被拒绝，原因见错误报告 {result.errors_file}", "yellow")
        say(f"{result.refused} row(s) refused; the reasons are in {result.errors_file} (the "
            "good rows went in; fix the refused ones and import them in a new file)", "yellow")  # fmt: skip


@import_app.command("households")
@shared(actor=True)
def import_households(
    file: FileArg, dry_run: DryRun = False, chunk_rows: ChunkRows = 500,
    errors: ErrorsOpt = None, *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Import households and their members 导入家庭成员 (admin, county): one row per person."""
    _run("households", file, actor, db, json_out, dry_run, chunk_rows, errors)


@import_app.command("cases")
@shared(actor=True)
def import_cases(
    file: FileArg, dry_run: DryRun = False, chunk_rows: ChunkRows = 500,
    errors: ErrorsOpt = None, *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """Import running cases at their current state 导入在办案件 (admin, county)."""
    _run("cases", file, actor, db, json_out, dry_run, chunk_rows, errors)


@import_app.command("template")
@shared(db=None, json=False)
def import_template(
    kind: Annotated[str, typer.Argument(help="households 家庭成员 or cases 在办案件.",
                                        show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write (.csv or "
                                         ".xlsx) 模板文件.", show_default=False)],
) -> None:  # fmt: skip
    """Write an empty import file with the headers 生成导入模板 (docs/import.md shows examples)."""
    from ..service.import_layout import write_template

    write_template(kind, output)
    say(f"已写入模板 {output}", "green")
    say(f"Template written to {output}")


@import_app.command("jobs")
@shared(actor=True)
def import_jobs(
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000,
                                       help="Show at most this many jobs 最多显示条数.")] = 50,
    *, actor: Actor, db: str | None, json_out: bool,
) -> None:  # fmt: skip
    """List import jobs, newest first 导入任务列表 (admin, county)."""
    jobs = service(db).import_jobs(actor, limit=limit)
    if json_out:
        emit_json(
            [
                {k: iso_utc(v) if isinstance(v, datetime) else v for k, v in asdict(j).items()}
                for j in jobs
            ]
        )
        return
    table = Table(box=box.SIMPLE_HEAD, title="导入任务 import jobs")
    for name in ("任务 job", "类型 kind", "文件 file", "状态 state", "行数 rows",
                 "完成 done", "拒绝 refused", "开始 started"):  # fmt: skip
        table.add_column(name)
    for j in jobs:
        table.add_row(j.id[:8], j.kind, j.file_name, j.state, f"{j.rows_total:,}",
                      f"{j.rows_done:,}", f"{j.rows_refused:,}",
                      local_time(j.started_at) if j.started_at else "—")  # fmt: skip
    out().print(table)
    if not jobs:
        say("没有导入任务 no import jobs")
