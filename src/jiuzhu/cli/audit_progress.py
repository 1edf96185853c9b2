"""Progress bars of the audit commands: verifying a database or an export directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from .output import err

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..audit.verify import VerifyReport


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err()) as progress:
        task = progress.add_task(description, total=total)
        yield lambda _events: progress.advance(task)


@contextmanager
def cases_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A bar advanced by a number of cases at a time (by the workers of a parallel audit)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err()) as progress:
        task = progress.add_task(description, total=total)
        yield lambda cases: progress.advance(task, cases)


def count_cases(engine: Engine) -> int:
    from sqlalchemy import func, select

    from ..models import rows as store

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(store.cases)).scalar_one())


def verify_with_progress(engine: Engine, trusted_key: str | None = None,
                         jobs: int | None = None) -> VerifyReport:  # fmt: skip
    """Verify in ``jobs`` processes (default :func:`~jiuzhu.audit.parallel.default_jobs`),
    with one bar over all of them."""
    from ..audit.parallel import default_jobs, verify_parallel

    cases = count_cases(engine)
    with cases_bar("核对哈希链 verifying chains", cases) as advance:
        return verify_parallel(engine, jobs or default_jobs(cases), trusted_key=trusted_key,
                               now=clock_of(engine), advance=advance)  # fmt: skip


def verify_export_with_progress(directory: Path, trusted: str | None) -> VerifyReport:
    from ..audit.export import read_manifest
    from ..audit.verify import check_source, verify_export

    if check_source(str(directory)) is None:
        raise InvalidInput(f"{directory} is not a directory", f"{directory} 不是目录")
    manifest, _ = read_manifest(directory)
    with progress_bar("核对导出 verifying export", manifest.get("cases")) as advance:
        return verify_export(directory, progress=advance, trusted_key=trusted)


def clock_of(engine: Engine) -> datetime:
    from ..simulation import clock_for

    return clock_for(engine).now()
