"""What a worker checks before it starts: its id and settings, and on SQLite the one-worker lock.

SQLite serves ONE worker: it holds an exclusive ``flock`` on ``<db>.worker.lock`` (holding its
pid) for its whole life, and a second worker refuses to start (:class:`WorkerAlreadyRunning`).
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from ..errors import InvalidInput, JiuzhuError, StorageError
from ..leases import check_lease

DEFAULT_INTERVAL = 30.0
MAX_WORKER_ID = 64  # deadlines.claimed_by and events.actor_user are 64 characters


class WorkerAlreadyRunning(JiuzhuError):
    """Another worker holds this SQLite database: it serves one worker at a time."""

    code = "conflict"


def check_worker_id(worker_id: str | None) -> str:
    """The id written on claims and events; default ``hostname:pid``."""
    if worker_id is None:
        return f"{socket.gethostname()[:40]}:{os.getpid()}"
    worker_id = worker_id.strip()
    if not worker_id or len(worker_id) > MAX_WORKER_ID:
        raise InvalidInput(f"a worker id has 1 to {MAX_WORKER_ID} characters",
                           f"调度进程标识应为 1 到 {MAX_WORKER_ID} 个字符")  # fmt: skip
    return worker_id


def check_settings(batch: int, lease: timedelta, interval: float = DEFAULT_INTERVAL) -> None:
    """Positive settings, and a lease no longer than the configured maximum (``leases.py``)."""
    if interval <= 0 or batch < 1 or lease <= timedelta(0):
        raise InvalidInput(
            f"interval ({interval} s), batch ({batch}) and lease ({lease}) must be positive",
            "扫描间隔、批量和认领租期均应为正数",
        )
    check_lease(lease)


def sqlite_file(url: str | None) -> Path | None:
    """The database file of an SQLite URL (None for PostgreSQL)."""
    from sqlalchemy.engine import make_url

    from ..models.db import resolve_url

    parsed = make_url(resolve_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise InvalidInput("a worker needs a database file, not an in-memory SQLite database",
                           "调度进程需要数据库文件，不能使用内存数据库")  # fmt: skip
    return Path(parsed.database).expanduser().resolve()


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".worker.lock")


@contextmanager
def worker_lock(url: str | None) -> Iterator[Path | None]:
    """Hold the SQLite database's worker lock for the block (nothing to hold on PostgreSQL).

    ``flock`` is released by the kernel when the holder dies, even by SIGKILL, so a crash never
    leaves a stale lock.  The file is kept (unlinking it would let two workers lock two inodes).
    """
    database = sqlite_file(url)
    if database is None:
        yield None
        return
    path = lock_path(database)
    try:
        handle = open(path, "a+", encoding="ascii")  # held (locked) for the whole block
    except OSError as exc:
        raise StorageError(f"cannot open the worker lock {path}: {exc.strerror}",
                           f"无法打开调度锁文件 {path}：{exc.strerror}") from None  # fmt: skip
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise _refusal(database, path, handle.read().strip() or "unknown") from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield path
        finally:
            handle.truncate(0)  # while still holding it: no stale pid for the next one


def _refusal(database: Path, path: Path, holder: str) -> WorkerAlreadyRunning:
    return WorkerAlreadyRunning(
        f"another jiuzhu worker (pid {holder}) is already running on {database} "
        f"(it holds {path}); an SQLite database serves one worker: stop that one first, "
        "or use PostgreSQL to run several workers",
        f"已有 jiuzhu 调度进程（pid {holder}）在数据库 {database} 上运行（持有 {path}）；"
        "SQLite 数据库只能由一个调度进程服务：请先停止该进程，或改用 PostgreSQL 以运行多个调度进程",
        pid=holder,
        lock=str(path),
    )
