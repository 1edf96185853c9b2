"""Publishing the Merkle log, and proving against it: what ``jiuzhu audit publish``, ``prove``
and ``consistency`` compute (``docs/audit-format.md``, "The Merkle log").

- :func:`publish`: a checkpoint note and the log's tiles and entry bundles in a directory that
  can be served or copied, extended incrementally.  A directory whose checkpoint names another
  log, or a tree the database does not have (larger, or with another root: the database was
  rolled back or rewritten), is refused before anything is written.
- :func:`inclusion`, :func:`case_bundle`: an event's inclusion proof, and a case's proof bundle
  (ids and hashes only) that verifies offline against the checkpoint note.
- :func:`consistency`: the proof that one checkpoint's tree extends another's.

Every published checkpoint given back (a file, or a directory holding ``checkpoint``) is
checked against the database's own tree first: same origin, a size within the log, the root
the log has at that size.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from ..errors import InvalidInput, NotFound
from ..models import log_sql
from ..models.db import snapshot
from ..models.dialect import dialect_of
from ..models.tables import metadata
from . import merkle, note, proofs, tiles
from .log import (
    DatabaseSource,
    latest_checkpoint,
    open_note,
    origin,
    stored_origin,
    take_log_checkpoint,
)

CHECKPOINT_FILE = "checkpoint"


@dataclass(frozen=True)
class Published:
    """A checkpoint note as given back: its text, and the tree it names."""

    text: str
    size: int
    root: bytes
    origin: str


# -- reading a published checkpoint ----------------------------------------------------------------
def read_note(path: Path) -> str:
    """The note text of a checkpoint file, or of ``DIR/checkpoint``."""
    file = path / CHECKPOINT_FILE if path.is_dir() else path
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{file} does not exist: expected a checkpoint file or a directory "
                           "written by jiuzhu audit publish",
                           f"{file} 不存在：应为检查点文件或 jiuzhu audit publish 写出的目录") from None  # fmt: skip
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the checkpoint {file}: {exc}",
                           f"无法读取检查点 {file}") from None  # fmt: skip


def parse_note(text: str, where: str) -> Published:
    try:
        body = note.parse_checkpoint(open_note(text).body)
    except InvalidInput as exc:
        raise InvalidInput(f"{where} is not a checkpoint note: {exc.message}",
                           f"{where} 不是检查点：{exc.zh}") from None  # fmt: skip
    return Published(text, body.size, body.root, body.origin)


def check_published(conn: Connection, cp: Published, where: str) -> None:
    """Refuse a checkpoint of another log, or of a tree this database does not have."""
    mine, size = stored_origin(conn), log_sql.size(conn)
    if mine is not None and cp.origin != mine:
        raise InvalidInput(f"{where} is a checkpoint of another log ({cp.origin}); this "
                           f"database's log is {mine}",
                           f"{where} 是另一日志（{cp.origin}）的检查点；本数据库的日志为 {mine}")  # fmt: skip
    if cp.size > size:
        raise InvalidInput(f"{where} names a tree of {cp.size} leaves but the database's log holds "
                           f"only {size}: the database was rolled back (restored from an older "
                           "copy) or leaves were removed",
                           f"{where} 记载的树有 {cp.size} 个叶子，而数据库日志只有 {size} 个："
                           "数据库已被回滚（从旧备份恢复）或叶子被删除")  # fmt: skip
    if DatabaseSource(conn, cp.size).subtree(0, cp.size) != cp.root:
        raise InvalidInput(f"{where} names a root the database's log does not have at size "
                           f"{cp.size}: the log is inconsistent with it (rolled back and "
                           "rewritten, or another history)",
                           f"{where} 记载的根哈希与数据库日志在大小 {cp.size} 时的根哈希不符："
                           "日志与其不一致（回滚后改写，或另一段历史）")  # fmt: skip


def load_published(conn: Connection, path: Path) -> Published:
    cp = parse_note(read_note(path), str(path))
    check_published(conn, cp, str(path))
    return cp


# -- publish ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PublishResult:
    size: int
    previous: int | None
    written: list[str]
    signed: bool


class _Counting:
    """A node source that reports the leaves read so far (one level-0 tile at a time) of the
    ``total`` to read."""

    def __init__(self, source: DatabaseSource, total: int,
                 progress: Callable[[int, int], None]) -> None:  # fmt: skip
        self.source, self.total, self.progress, self.done = source, total, progress, 0

    def subtree(self, start: int, end: int) -> bytes:
        return self.source.subtree(start, end)

    def leaves(self, start: int, end: int) -> list[bytes]:
        found = self.source.leaves(start, end)
        self.done += len(found)
        self.progress(self.done, self.total)
        return found


def publish_target(conn: Connection, directory: Path) -> Published | None:
    """The checkpoint already published in ``directory`` (checked), None for a new one."""
    if directory.exists() and not directory.is_dir():
        raise InvalidInput(f"{directory} is not a directory", f"{directory} 不是目录")
    if not directory.exists():
        return None
    if not (directory / CHECKPOINT_FILE).exists():
        if any(directory.iterdir()):
            raise InvalidInput(f"{directory} is not empty and holds no published checkpoint: "
                               "give a new or empty directory, or one written by jiuzhu audit "
                               "publish", f"{directory} 非空且没有已发布的检查点：请给出新目录、"
                               "空目录或 jiuzhu audit publish 写出的目录")  # fmt: skip
        return None
    return load_published(conn, directory)


def publish(engine: Engine, directory: Path, *, now: datetime, taken_by: str, key: Any = None,
            progress: Callable[[int, int], None] | None = None) -> PublishResult:  # fmt: skip
    """Checkpoint the log and publish it in ``directory`` (see the module's docstring).  The
    checkpoint is taken in a short write transaction; the tiles are read from a snapshot."""
    with engine.connect() as conn:
        dialect_of(engine.dialect.name).begin_write(conn)
        with conn.begin():
            before = publish_target(conn, directory)
            _make(directory)  # before the checkpoint: an unwritable place takes none
            cp = take_log_checkpoint(conn, now=now, taken_by=taken_by, key=key)
    already = before.size if before is not None else 0
    with snapshot(engine) as conn:
        todo = cp.size - already // tiles.WIDTH * tiles.WIDTH
        counted = _Counting(DatabaseSource(conn, cp.size), todo, progress or (lambda _d, _t: None))

        def entries(start: int, end: int) -> list[bytes]:
            return [row.data.encode() for row in log_sql.leaf_rows(conn, start, end)]

        try:
            written = tiles.write_tiles(directory, cp.size, counted, entries, already=already)
        except OSError as exc:
            raise _unwritable(directory, exc) from None
    signed = bool(open_note(cp.note).signatures)
    if (
        before is None
        or (before.size, before.root) != (cp.size, cp.root)
        or (signed and not open_note(before.text).signatures)
    ):  # an unchanged tree keeps its published note, and the cosignatures on it
        _write(directory / CHECKPOINT_FILE, cp.note)
        written.append(CHECKPOINT_FILE)
    return PublishResult(cp.size, None if before is None else before.size, written, signed)


def _unwritable(path: Path, exc: OSError) -> InvalidInput:
    return InvalidInput(f"cannot write {path}: {exc.strerror}", f"无法写入 {path}：{exc.strerror}")


def _make(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(directory, exc) from None


def _write(path: Path, text: str) -> None:
    """Write atomically (an empty log has no tiles: the directory may not exist yet)."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        raise _unwritable(path, exc) from None


# -- proofs ----------------------------------------------------------------------------------------
def resolve_case(conn: Connection, ref: str) -> str:
    """A case's id from its id or its case number (``320922-2024-000123``)."""
    from ..models.digests import CASE_NO

    cases = metadata.tables["cases"]
    wanted = ref.strip()
    column = cases.c.case_no if CASE_NO.match(wanted) else cases.c.id
    wanted = wanted if CASE_NO.match(wanted) else wanted.lower()
    found = conn.execute(select(cases.c.id).where(column == wanted)).scalar()
    if found is None:
        raise NotFound(f"case {ref} not found: give a case id (a UUID) or a case number such as "
                       "320922-2024-000123", f"未找到案件 {ref}：请给出案件编号（UUID）或案号，"
                       "如 320922-2024-000123")  # fmt: skip
    return str(found)


def checkpoint_for(conn: Connection, path: Path | None) -> Published:
    """The given published checkpoint (checked), or the database's latest."""
    if path is not None:
        return load_published(conn, path)
    latest = latest_checkpoint(conn)
    if latest is None:
        raise InvalidInput("the log has no checkpoint yet: take one with jiuzhu audit checkpoint "
                           "or jiuzhu audit publish", "日志尚无检查点：请先运行 jiuzhu audit "
                           "checkpoint 或 jiuzhu audit publish")  # fmt: skip
    return parse_note(latest.note, "the latest checkpoint")


def case_events(conn: Connection, case_id: str) -> list[tuple[int, str, int, str]]:
    """(seq, event hash, leaf index, leaf data) of every event of a case, in seq order."""
    events = metadata.tables["events"]
    query = select(events.c.seq, events.c.hash).where(events.c.case_id == case_id)
    found = []
    for seq, digest in conn.execute(query.order_by(events.c.seq)):
        leaves = log_sql.leaves_of(conn, "event", f"{case_id}/{seq}")
        if not leaves:
            raise InvalidInput(f"event {seq} of case {case_id} is not in the log: the database "
                               "was changed outside jiuzhu (run jiuzhu audit verify)",
                               f"案件 {case_id} 的第 {seq} 个事件不在日志中：数据库曾在 jiuzhu "
                               "之外被改动（请运行 jiuzhu audit verify）")  # fmt: skip
        idx, _leaf, data = leaves[-1]
        found.append((int(seq), str(digest), int(idx), str(data)))
    return found


def _after(case_id: str, seq: int, cp: Published) -> InvalidInput:
    return InvalidInput(f"event {seq} of case {case_id} was recorded after the checkpoint (tree "
                        f"size {cp.size}): take a new checkpoint (jiuzhu audit checkpoint or "
                        "publish) or prove an earlier event",
                        f"案件 {case_id} 的第 {seq} 个事件记录于检查点（树大小 {cp.size}）之后："
                        "请先生成新检查点，或证明更早的事件")  # fmt: skip


def inclusion(conn: Connection, case_id: str, seq: int | None, cp: Published) -> dict[str, Any]:
    """The inclusion proof of event ``seq`` (default: the last) with its leaf data and the
    checkpoint note it verifies against."""
    events = case_events(conn, case_id)
    if not events:
        raise NotFound(f"case {case_id} has no events", f"案件 {case_id} 没有事件")
    if seq is None:
        seq = events[-1][0]
    chosen = [e for e in events if e[0] == seq]
    if not chosen:
        raise InvalidInput(f"case {case_id} has events 1 to {events[-1][0]}, not {seq}",
                           f"案件 {case_id} 的事件序号为 1 至 {events[-1][0]}，没有 {seq}")  # fmt: skip
    _, digest, idx, data = chosen[0]
    if idx >= cp.size:
        raise _after(case_id, seq, cp)
    hashes = inclusion_hashes(conn, idx, cp.size)
    return {"case_id": case_id, "seq": seq, "hash": digest, "leaf_index": idx,
            "tree_size": cp.size, "hashes": [h.hex() for h in hashes], "leaf_data": data,
            "checkpoint": cp.text}  # fmt: skip


def case_bundle(conn: Connection, case_id: str, cp: Published) -> tuple[dict[str, Any], int]:
    """The case proof bundle of every event the checkpoint covers, and how many later events
    it leaves out."""
    events = case_events(conn, case_id)
    covered = [e for e in events if e[2] < cp.size]
    if not covered:
        if not events:
            raise NotFound(f"case {case_id} has no events", f"案件 {case_id} 没有事件")
        raise _after(case_id, events[0][0], cp)
    source = DatabaseSource(conn, cp.size)
    source.prefetch([idx for _, _, idx, _ in covered] + [cp.size - 1])
    bundle = proofs.case_proof(case_id, cp.text, [(seq, digest, idx) for seq, digest, idx, _ in covered],
                               source)  # fmt: skip
    return bundle, len(events) - len(covered)


def tree_at(conn: Connection, value: str) -> Published:
    """OLD or NEW of ``jiuzhu audit consistency``: a tree size, a checkpoint file or a
    published directory (checked against the database)."""
    text = value.strip()
    if text.isdigit():
        size, have = int(text), log_sql.size(conn)
        if size > have:
            raise InvalidInput(f"the log holds {have} leaves, not {size}",
                               f"日志只有 {have} 个叶子，没有 {size} 个")  # fmt: skip
        root = DatabaseSource(conn, size).subtree(0, size)
        return Published("", size, root, origin(conn))
    return load_published(conn, Path(value))


def consistency(conn: Connection, old: Published, new: Published) -> dict[str, Any]:
    if old.size > new.size:
        raise InvalidInput(f"the old tree ({old.size} leaves) is larger than the new one "
                           f"({new.size}): give the older checkpoint first",
                           f"旧树（{old.size} 个叶子）比新树（{new.size} 个）大：请先给出较早的检查点")  # fmt: skip
    source = DatabaseSource(conn, new.size)
    source.prefetch((old.size - 1, old.size, new.size - 1))
    return proofs.consistency_json(old.size, new.size, source)


def inclusion_hashes(conn: Connection, index: int, size: int) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree of ``size`` leaves, read from the
    database in two statements (the blocks it needs, fetched together)."""
    source = DatabaseSource(conn, size)
    source.prefetch((index, size - 1))
    return merkle.inclusion_proof(index, size, source)


def consistency_hashes(conn: Connection, old: int, new: int) -> list[bytes]:
    source = DatabaseSource(conn, new)
    source.prefetch((old - 1, old, new - 1))
    return merkle.consistency_proof(old, new, source)
