"""The worker side of a parallel audit (:mod:`.parallel`): one process, one snapshot, parts.

Each worker process opens its own read-only connection and enters the snapshot the parent
holds (:func:`start`: on PostgreSQL ``SET TRANSACTION SNAPSHOT`` of the parent's exported
snapshot; on SQLite a read transaction opened while the parent checks that nothing commits),
keeps it for every part it is given, and reports its parts back as plain data:

- :func:`cases_part`: the cases of a span of case ids, as a serial audit checks them (the same
  breaks in the same order), and whether the rows' leaves (events, ledger entries, credit
  records) are exactly the log's row leaves filed under the span's case ids;
- :func:`log_part`: an aligned range of the log's leaves: each leaf hashed against its data,
  the peaks of the range's subtree at each checkpoint size inside it and at its end, the
  number of row leaves and the latest leaf of each registry record.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select

from ..errors import InvalidInput
from ..models import log_sql
from ..models.db import begin_sqlite, is_sqlite, make_readonly_engine
from ..models.tables import metadata
from . import merkle, sources
from .breaks import Break
from .checkpoint import Checkpoint, load_checkpoints
from .leaves import REGISTRY, ROW_KINDS, credit_leaf, event_leaf, ledger_leaf, record_leaf
from .verify import Audit

SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+$")
_STATE: dict[str, Any] = {}


def start(url: str, snapshot_id: str | None, ready: Any) -> None:
    """Initialise a worker: its connection inside the shared snapshot, then say so."""
    engine = make_readonly_engine(url)
    conn = engine.connect()
    enter(engine, conn, snapshot_id)
    _STATE.update(engine=engine, conn=conn, checkpoints=None)
    ready.put(os.getpid())


def enter(engine: Engine, conn: Connection, snapshot_id: str | None) -> None:
    """Open ``conn``'s transaction in the parent's snapshot (PostgreSQL), or a read
    transaction fixed by a first read (SQLite; the parent checks nothing committed)."""
    if is_sqlite(engine):
        begin_sqlite(conn, write=False)
        conn.exec_driver_sql("SELECT size FROM log_head").all()
        return
    if snapshot_id is None or not SNAPSHOT_ID.match(snapshot_id):
        raise InvalidInput(f"not a snapshot id: {snapshot_id!r}", f"快照标识无效：{snapshot_id!r}")
    conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
    conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot_id}'")


def peak_kb() -> int:
    """This process's peak resident memory (``VmHWM``), 0 where /proc has none."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _checkpoints(conn: Connection) -> list[Checkpoint]:
    if _STATE.get("checkpoints") is None:
        _STATE["checkpoints"] = load_checkpoints(conn)
    found: list[Checkpoint] = _STATE["checkpoints"]
    return found


# -- the cases of a span ---------------------------------------------------------------------------
@dataclass
class CasesPart:
    breaks: list[Break]
    cases: int
    events: int
    new_cases: list[int]
    grown_events: list[int]
    leaves_match: bool  # the rows' leaves are exactly the log's row leaves under these ids
    logged: int  # the log's row leaves under these case ids
    pid: int = 0
    peak_kb: int = 0


class _Tapped:
    """A :class:`~.sources.DatabaseSource` that also keeps the leaf hash (hex) of every event,
    ledger entry and credit record it streams: what the log must hold for them."""

    def __init__(self, source: sources.DatabaseSource) -> None:
        self.source = source
        self.leaves: list[str] = []

    def events(self) -> Any:
        for case_id, events in self.source.events():
            self.leaves += [event_leaf(case_id, e["seq"], e["hash"]).hash.hex() for e in events]
            yield case_id, events

    def ledger(self) -> Any:
        for case_id, rows in self.source.ledger():
            self.leaves += [ledger_leaf(case_id, r["seq"], r["line"], r["kind"], r["amount_fen"],
                                        r["booked_on"], r["period"], r["ref"]).hash.hex()
                            for r in rows]  # fmt: skip
            yield case_id, rows

    def credits(self) -> Any:
        for case_id, rows in self.source.credits():
            self.leaves += [credit_leaf(case_id, r["seq"], r["person_id"], r["reason"],
                                        r["recorded_on"]).hash.hex() for r in rows]  # fmt: skip
            yield case_id, rows

    def cases(self) -> Any:
        return self.source.cases()

    def open_deadlines(self) -> Any:
        return self.source.open_deadlines()

    def heads(self) -> Any:
        return self.source.heads()


def cases_part(span: tuple[str | None, str | None], trusted_key: str | None,
               size: int) -> CasesPart:  # fmt: skip
    """Check the cases whose ids fall in ``span`` (``size``: the log's size in the snapshot)."""
    conn: Connection = _STATE["conn"]
    audit = Audit(_checkpoints(conn), trusted_key, with_ids=True)
    source = sources.DatabaseSource(conn, span)
    tapped = _Tapped(source)
    audit.walk(tapped, None)
    kinds = ", ".join(f"'{k}'" for k in ROW_KINDS)
    where = source.within("ref", f"AND idx < {int(size)}")
    logged = [h for (h,) in source.rows(f"SELECT hash FROM log_leaves WHERE kind IN ({kinds}) "
                                        f"{where}")]  # fmt: skip
    stored = tapped.leaves
    match = len(stored) == len(logged) == len(set(stored)) and sorted(stored) == sorted(logged)
    report = audit.report
    return CasesPart(report.breaks, report.cases, report.events, audit.new_cases,
                     audit.grown_events, match, len(logged), os.getpid(), peak_kb())  # fmt: skip


# -- a range of the log ------------------------------------------------------------------------------
@dataclass
class LogPart:
    start: int
    end: int
    whole: bool  # every leaf in [start, end) is there, in order, and hashes to its data
    peaks: dict[int, list[bytes]]  # size (a checkpoint's, or end) -> this range's peaks there
    rows: int  # event, ledger and credit leaves
    latest: dict[tuple[str, str], bytes] = field(default_factory=dict)  # registry leaves
    pid: int = 0
    peak_kb: int = 0


def log_part(start: int, end: int, sizes: list[int]) -> LogPart:
    """Leaves [start, end) of the log (``start`` a multiple of a power of two at least the
    range's length), the range's peaks at each of ``sizes`` inside it, and at ``end``."""
    conn: Connection = _STATE["conn"]
    builder, wanted = merkle.TreeBuilder(), set(sizes)
    peaks: dict[int, list[bytes]] = {}
    rows, latest, expected, whole = 0, {}, start, True
    for idx, kind, ref, digest, data in log_sql.leaf_rows(conn, start, end):
        leaf = merkle.leaf_hash(data.encode())
        if idx != expected or leaf.hex() != digest:
            whole = False
            break
        builder.append(leaf)
        expected += 1
        if kind in ROW_KINDS:
            rows += 1
        else:
            latest[(kind, ref)] = leaf
        if expected in wanted:
            peaks[expected] = builder.peaks
    whole = whole and expected == end
    peaks[end] = builder.peaks
    return LogPart(start, end, whole, peaks, rows, latest, os.getpid(), peak_kb())


# -- the registry ------------------------------------------------------------------------------------
def records_digest(records: dict[tuple[str, str], bytes]) -> str:
    """SHA-256 over the (kind, key, leaf hash) of ``records`` in sorted order: two sets of
    records are equal exactly when their digests are."""
    digest = hashlib.sha256()
    for (kind, ref), leaf in sorted(records.items()):
        digest.update(f"{kind}\t{ref}\t{leaf.hex()}\n".encode())
    return digest.hexdigest()


def records_part() -> tuple[int, int, str, int, int]:
    """Every registry record's leaf as stored: (records read, distinct keys, their digest)."""
    conn: Connection = _STATE["conn"]
    found: dict[tuple[str, str], bytes] = {}
    count = 0
    for kind, (name, _key, _fields) in REGISTRY.items():
        table = metadata.tables[name]
        for row in conn.execute(select(table)):
            leaf = record_leaf(kind, dict(row._mapping))
            found[(kind, leaf.ref)] = leaf.hash
            count += 1
    return count, len(found), records_digest(found), os.getpid(), peak_kb()
