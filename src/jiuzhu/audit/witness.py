"""Witnesses and rollbacks: cosigning a published checkpoint, and checking a database against one.

A *published directory* holds ``checkpoint`` (the log's checkpoint, a C2SP signed note) and the
log's tiles under ``tile/``.  A witness -- an independent office holding its own Ed25519 key --
cosigns it (:func:`cosign`) only after checking that it extends the last checkpoint it
cosigned: same origin, not smaller, and a consistency proof, computed from the directory's
tiles, that verifies against the root the witness kept.  The witness keeps its own record in
its state directory: ``checkpoint`` (the last note it cosigned) and ``history.jsonl`` (one line
per cosignature).  A log rewritten after a witness cosigned it can never be cosigned again by
that witness.

:func:`against` checks a database against a published (or cosigned) checkpoint: a database
whose log is smaller than the checkpoint, or whose first entries have another root, was
restored from an older copy, rolled back or rewritten.  It also tells which of the given
witnesses cosigned the checkpoint.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from ..clock import SHANGHAI, ensure_utc, iso_utc
from ..errors import InvalidInput
from ..models import log_sql
from . import merkle, note
from .breaks import Break
from .log import DatabaseSource, open_note, stored_origin
from .publish import CHECKPOINT_FILE, read_note
from .tiles import TileSource

HISTORY_FILE = "history.jsonl"


@dataclass(frozen=True)
class Published:
    """A checkpoint as published: its note text, opened, and its body parsed."""

    path: Path
    text: str
    opened: note.Note
    checkpoint: note.Checkpoint


def read_published(path: Path) -> Published:
    """The checkpoint of a published directory (its ``checkpoint`` file) or a checkpoint file."""
    text = read_note(path)
    opened = open_note(text)
    file = path / CHECKPOINT_FILE if path.is_dir() else path
    return Published(file, text, opened, note.parse_checkpoint(opened.body))


def note_text(body: str, signatures: list[note.Signature]) -> str:
    """A note's text from its body and signature lines (an unsigned body stays as it is)."""
    if not signatures:
        return body
    lines = "".join(f"{note.DASH} {s.name} {base64.b64encode(s.key_id + s.blob).decode()}\n"
                    for s in signatures)  # fmt: skip
    return body + "\n" + lines


def cosignature(body: str, name: str, private_key: Any, timestamp: int) -> note.Signature:
    """The cosignature/v1 by (``name``, key) of ``body`` at ``timestamp``."""
    # add_cosignature takes a signed note: give it the body under a placeholder line
    text = note.add_cosignature(note_text(body, [_placeholder()]), name, private_key, timestamp)
    return note.open_note(text).signatures[-1]


def _placeholder() -> note.Signature:
    return note.Signature("placeholder", b"\0\0\0\0", b"\0")


def refusal(english: str, chinese: str) -> InvalidInput:
    return InvalidInput(f"cosigning refused, nothing written: {english}",
                        f"拒绝副签，未写入任何内容：{chinese}")  # fmt: skip


@dataclass(frozen=True)
class Cosigned:
    line: str
    text: str
    size: int
    previous_size: int | None
    timestamp: int


def last_cosigned(state_dir: Path) -> Published | None:
    path = state_dir / CHECKPOINT_FILE
    return read_published(path) if path.exists() else None


def check_extends(new: Published, old: Published | None, directory: Path) -> None:
    """Refuse unless the tiles of ``directory`` give ``new``'s root and prove that it extends
    ``old`` (the last checkpoint cosigned)."""
    cp = new.checkpoint
    if old is not None:
        was = old.checkpoint
        if was.origin != cp.origin:
            raise refusal(f"the checkpoint is of the log '{cp.origin}', but this witness "
                          f"cosigns the log '{was.origin}'",
                          f"该检查点属于日志“{cp.origin}”，本见证方副签的是日志“{was.origin}”")  # fmt: skip
        if cp.size < was.size:
            raise refusal(f"the checkpoint covers {cp.size} entries, fewer than the {was.size} "
                          "this witness cosigned before: the log was rolled back",
                          f"该检查点只含 {cp.size} 条，少于本见证方此前副签的 {was.size} 条：日志被回滚")  # fmt: skip
    try:
        source = TileSource(directory, cp.size)
        root = source.subtree(0, cp.size)
        proof = [] if old is None else merkle.consistency_proof(old.checkpoint.size, cp.size,
                                                                source)  # fmt: skip
    except InvalidInput as exc:
        raise refusal(f"the tiles in {directory} cannot be read: {exc.message}",
                      f"无法读取 {directory} 中的瓦片：{exc.zh}") from None  # fmt: skip
    if root != cp.root:
        raise refusal(f"the tiles in {directory} do not give the root the checkpoint names",
                      f"{directory} 中的瓦片算出的根哈希与检查点不符")  # fmt: skip
    if old is not None and not merkle.verify_consistency(
        old.checkpoint.size, cp.size, old.checkpoint.root, cp.root, proof
    ):
        raise refusal(f"the log of size {cp.size} is not consistent with the checkpoint of size "
                      f"{old.checkpoint.size} this witness cosigned: its history was rewritten",
                      f"大小为 {cp.size} 的日志与本见证方副签过的大小为 {old.checkpoint.size} 的检查点不一致：历史被改写")  # fmt: skip


def cosign(directory: Path, *, key: Any, name: str, state_dir: Path, now: datetime,
           log_key: str | None = None) -> Cosigned:  # fmt: skip
    """Cosign the checkpoint published in ``directory`` at ``now``, after the checks above;
    add the cosignature to ``directory/checkpoint`` and keep the witness's record."""
    note.check_key_name(name)
    if not directory.is_dir():
        raise InvalidInput(f"{directory} is not a published directory",
                           f"{directory} 不是发布目录")  # fmt: skip
    new = read_published(directory / CHECKPOINT_FILE)
    cp = new.checkpoint
    if log_key is not None and not note.verify_note(new.opened, cp.origin, log_key):
        raise refusal(f"the checkpoint is not signed by the log's key (key name '{cp.origin}')",
                      f"该检查点没有日志密钥（名称“{cp.origin}”）的有效签名")  # fmt: skip
    if state_dir.exists() and not state_dir.is_dir():
        raise InvalidInput(f"the witness state {state_dir} is not a directory",
                           f"见证方状态 {state_dir} 不是目录")  # fmt: skip
    old = last_cosigned(state_dir)
    check_extends(new, old, directory)
    stamp = int(ensure_utc(now).timestamp())
    mine = cosignature(new.opened.body, name, key, stamp)
    others = [s for s in new.opened.signatures if (s.name, s.key_id) != (mine.name, mine.key_id)]
    text = note_text(new.opened.body, [*others, mine])
    line = note_text(new.opened.body, [mine])[len(new.opened.body) + 1 :]
    state_dir.mkdir(parents=True, exist_ok=True)
    _replace(directory / CHECKPOINT_FILE, text)
    _replace(state_dir / CHECKPOINT_FILE, text)
    record = {"cosigned_at": iso_utc(datetime.fromtimestamp(stamp, UTC)), "timestamp": stamp,
              "witness": name, "origin": cp.origin, "size": cp.size,
              "root": base64.b64encode(cp.root).decode(), "directory": str(directory),
              "previous_size": None if old is None else old.checkpoint.size}  # fmt: skip
    with open(state_dir / HISTORY_FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return Cosigned(line, text, cp.size, None if old is None else old.checkpoint.size, stamp)


def _replace(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".new")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# -- a database against a published checkpoint -------------------------------------------------
def witness_key(text: str) -> note.VerifierKey:
    """A witness's verifier key (``name+id+key``, type 0x04), given as the text or a file."""
    value = text.strip()
    path = Path(value)
    if "+" not in value or (len(value) < 4096 and path.is_file()):
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise InvalidInput(f"--witness {text!r} is neither a verifier key "
                               "'<name>+<id>+<key>' nor a readable file holding one",
                               f"--witness {text!r} 既不是验证公钥“<名称>+<标识>+<公钥>”，也不是含验证公钥的文件") from None  # fmt: skip
    key = note.parse_vkey(value)
    if key.key_type != note.COSIGNATURE_V1:
        raise InvalidInput(f"the witness key {key.name} is a note-signing key (type 0x01); a "
                           "witness's key is a cosignature/v1 key (type 0x04), as "
                           "`jiuzhu audit cosign` prints it",
                           f"见证方公钥 {key.name} 是签名公钥（类型 0x01）；见证方公钥应为 cosignature/v1 类型（0x04），见 `jiuzhu audit cosign` 的输出")  # fmt: skip
    return key


@dataclass
class Against:
    """What checking a database against a published checkpoint found."""

    path: str
    origin: str
    size: int
    database_size: int = 0
    published: str = ""
    cosigned: dict[str, str] = field(default_factory=dict)  # witness -> when (UTC, ISO)
    breaks: list[Break] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"checkpoint": self.path, "origin": self.origin, "size": self.size,
                "database_size": self.database_size, "published": self.published,
                "cosigned_by": self.cosigned, "ok": not self.breaks}  # fmt: skip


def _shown(instant: datetime) -> str:
    return ensure_utc(instant).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M (UTC+8)")


def against(conn: Connection, published: Published, *,
            witnesses: Sequence[note.VerifierKey] = (), log_key: str | None = None) -> Against:  # fmt: skip
    """Check the database of ``conn`` against ``published``; see the module's docstring."""
    cp = published.checkpoint
    found = Against(str(published.path), cp.origin, cp.size)

    def add(detail: str) -> None:
        found.breaks.append(Break("", cp.size, "log", detail))

    times = []
    for key in witnesses:
        stamp = note.verify_cosignature(published.opened, key.name, key.public_key)
        if stamp is None:
            add(f"witness {key.name} did not cosign the checkpoint checked against")
        else:
            times.append(stamp)
            found.cosigned[key.name] = iso_utc(datetime.fromtimestamp(stamp, UTC))
    when = (datetime.fromtimestamp(min(times), UTC) if times else
            datetime.fromtimestamp(published.path.stat().st_mtime, UTC))  # fmt: skip
    found.published = iso_utc(when)
    on = f"the checkpoint published on {_shown(when)}"
    if log_key is not None and not note.verify_note(published.opened, cp.origin, log_key):
        add(f"{on} is not signed by the log's trusted key")
    name = stored_origin(conn)  # None: the database never took a log checkpoint
    size = found.database_size = log_sql.size(conn)
    if name is not None and name != cp.origin:
        add(f"{on} is of another log ('{cp.origin}'); this database's log is '{name}'")
    elif size < cp.size:
        add(
            f"this database is older than {on}: it was restored from a backup or rolled back "
            f"(its log holds {size} entries, the checkpoint covers {cp.size})"
        )
    elif _root(conn, size, cp.size) != cp.root:
        add(
            f"this database disagrees with {on}: its first {cp.size} log entries have another "
            "root, so it was restored from an older copy and changed since, or its log was "
            "rewritten"
        )
    return found


def _root(conn: Connection, size: int, prefix: int) -> bytes | None:
    try:
        return DatabaseSource(conn, size).subtree(0, prefix)
    except ValueError:  # a leaf is missing
        return None
