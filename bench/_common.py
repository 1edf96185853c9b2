"""Helpers shared by the benchmarks in ``bench/`` (not part of the jiuzhu package).

Benchmarks print one JSON object per line on stdout and everything else on stderr, so that
``python bench/x.py > results.jsonl`` keeps only the figures.  Scratch databases are always
fresh and always removed: SQLite files live in a temporary directory that is deleted at the
end, PostgreSQL databases get unique names and are dropped (``WITH (FORCE)``) in a ``finally``.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any


# -- imports ------------------------------------------------------------------------------------
def import_library_transitions() -> None:
    """Make ``import transitions`` mean the state-machine library, not ``bench/transitions.py``.

    A script in ``bench/`` has ``bench/`` first on ``sys.path``, where ``transitions.py`` (the
    benchmark) shadows the library that ``jiuzhu.workflows`` imports.  Call this before
    ``import jiuzhu``; it imports the library once with ``bench/`` hidden, so that it is cached
    in ``sys.modules``, and restores ``sys.path``.
    """
    here = Path(__file__).resolve().parent
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    try:
        import transitions  # noqa: F401
    finally:
        sys.path[:] = saved


# -- output -------------------------------------------------------------------------------------
_T0 = time.perf_counter()


def info(message: str) -> None:
    """Progress for humans: stderr, with the seconds since start."""
    print(f"[{time.perf_counter() - _T0:7.2f}s] {message}", file=sys.stderr, flush=True)


def emit(record: dict[str, Any]) -> None:
    """One JSON line on stdout."""
    print(json.dumps(record, ensure_ascii=False), flush=True)


def source_fingerprint(package_dir: Path) -> str:
    """A short digest of a package's ``*.py`` files and their newest change time, so that a
    figure can be tied to the code it measured (the source may change between runs)."""
    import hashlib

    digest, newest = hashlib.sha256(), 0.0
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(str(path.relative_to(package_dir)).encode())
        digest.update(path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
    changed = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(newest))
    return f"sha256:{digest.hexdigest()[:12]}, newest file {changed}"


# -- statistics ---------------------------------------------------------------------------------
def percentile_ns(sorted_ns: Sequence[int], pct: float) -> float:
    """Nearest-rank percentile of already-sorted nanosecond samples, in milliseconds."""
    if not sorted_ns:
        return float("nan")
    rank = max(1, math.ceil(pct / 100 * len(sorted_ns)))
    return sorted_ns[rank - 1] / 1e6


def summarise(samples_ns: Sequence[int]) -> dict[str, float]:
    """rate (per second, over the summed sample times), p50_ms, p99_ms."""
    ordered = sorted(samples_ns)
    total = sum(ordered)
    return {
        "rate": round(len(ordered) / (total / 1e9), 1) if total else float("nan"),
        "p50_ms": round(percentile_ns(ordered, 50), 3),
        "p99_ms": round(percentile_ns(ordered, 99), 3),
    }


# -- scratch databases --------------------------------------------------------------------------
@contextmanager
def sqlite_dir(parent: str | None = None) -> Iterator[Path]:
    """A fresh directory for SQLite files (under ``parent`` or the system temp), removed after."""
    if parent is not None:
        Path(parent).mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="jiuzhu-bench-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sqlite_url(directory: Path, name: str) -> str:
    return f"sqlite:///{directory / name}"


class PostgresScratch:
    """Create uniquely-named databases next to the one in ``admin_url``; drop them on close.

    >>> with PostgresScratch("postgresql+psycopg://postgres@127.0.0.1:5432/postgres") as pg:
    ...     url = pg.create("engine")          # doctest: +SKIP
    """

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        from jiuzhu.models.db import resolve_url

        self._url = make_url(resolve_url(admin_url))
        if self._url.get_backend_name() != "postgresql":
            raise SystemExit(f"--pg wants a PostgreSQL URL, got {admin_url!r}")
        self._admin = create_engine(self._url, isolation_level="AUTOCOMMIT")
        self._prefix = f"jiuzhu_bench_{os.getpid()}_{secrets.token_hex(3)}"
        self.created: list[str] = []

    def server_version(self) -> str:
        """The server's version line (and a check that the admin URL connects)."""
        from sqlalchemy import text

        with self._admin.connect() as conn:
            return str(conn.execute(text("SELECT version()")).scalar_one()).split(" on ")[0]

    def create(self, suffix: str, *, template: str | None = None) -> str:
        """A new database, empty or (``template``: the URL of a database made here) a copy of
        another one; returns its URL (password kept, for the engines).

        A template must have no open connection (dispose its engines first): PostgreSQL
        refuses to copy a database that is in use.
        """
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        name = f"{self._prefix}_{suffix}"
        sql = f'CREATE DATABASE "{name}"'
        if template is not None:
            source = make_url(template).database
            if source not in self.created:
                raise ValueError(f"{source!r} was not created by this PostgresScratch")
            sql += f' TEMPLATE "{source}"'
        with self._admin.connect() as conn:
            conn.execute(text(sql))
        self.created.append(name)
        return self._url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop one database made here now (``WITH (FORCE)``), instead of at :meth:`close`."""
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        if name not in self.created:
            raise ValueError(f"{name!r} was not created by this PostgresScratch")
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.remove(name)

    def close(self) -> None:
        from sqlalchemy import text

        try:
            if not self.created:
                return
            with self._admin.connect() as conn:
                for name in reversed(self.created):
                    try:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    except Exception as exc:  # keep dropping the others
                        info(f"could not drop database {name}: {exc}")
        finally:
            self.created.clear()
            self._admin.dispose()

    def __enter__(self) -> PostgresScratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def without_commit_flush(url: str) -> str:
    """``url`` with ``synchronous_commit = off`` for its sessions, when it is PostgreSQL.

    For untimed set-up only: commits stop waiting for the WAL flush (several times faster on a
    shared disk); what a transaction writes and sees is unchanged, only crash durability is.
    Other URLs are returned unchanged.
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    parsed = parsed.update_query_dict({"options": "-c synchronous_commit=off"})
    return parsed.render_as_string(hide_password=False)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into ``SystemExit`` so that ``kill PID`` still runs every ``finally`` (and
    drops the scratch databases); Ctrl-C already raises ``KeyboardInterrupt``."""
    import signal

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


# -- domain data --------------------------------------------------------------------------------
def id_number(i: int, *, region: str = "320922") -> str:
    """The ``i``-th distinct valid 18-character ID number (adults born 1950 onwards)."""
    from jiuzhu.idnumber import check_character

    born = date(1950, 1, 1) + timedelta(days=i // 999)
    body = f"{region}{born:%Y%m%d}{i % 999 + 1:03d}"
    return body + check_character(body)


# -- the one county both benchmarks set up --------------------------------------------------------
COUNTY, TOWNSHIP, VILLAGE = "320922", "320922101", "320922101201"


def setup_county(svc: Any) -> tuple[Any, Any]:
    """Add the benchmark's county, township and village; return (village, township) actors."""
    from jiuzhu import Actor, Role

    admin = Actor(Role.ADMIN, "admin")
    county = Actor(Role.COUNTY, COUNTY, "bench-county")
    svc.add_org_unit(admin, id=COUNTY, name="滨海县", level="county")
    svc.add_org_unit(county, id=TOWNSHIP, name="东坎街道", level="township", parent_id=COUNTY)
    svc.add_org_unit(county, id=VILLAGE, name="中市社区", level="village", parent_id=TOWNSHIP)
    return Actor(Role.VILLAGE, VILLAGE, "bench-village"), Actor(
        Role.TOWNSHIP, TOWNSHIP, "bench-township"
    )


def reset_peak_memory() -> None:
    """Forget the resident high-water mark this process inherited from its parent at fork.

    ``ru_maxrss`` of a fresh child starts at the parent's resident size (here: the generator,
    which may be larger than either side), so each child resets it (Linux ``clear_refs`` 5)
    and reports ``VmHWM`` afterwards.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # not Linux: ru_maxrss below, which may include the parent's size


def peak_memory_mb() -> float:
    """This process's resident high-water mark in MB (``VmHWM``; else ``ru_maxrss``)."""
    import resource

    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
