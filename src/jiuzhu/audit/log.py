"""The Merkle log in the database: its tree, its checkpoints, and its agreement with the tables.

The leaves are written by each command's transaction (:mod:`jiuzhu.models.log_sql`).  Here:

- :class:`DatabaseSource`, the :class:`~jiuzhu.audit.merkle.NodeSource` over the stored leaves
  and the stored hashes of complete subtrees of 2**8, 2**16, ... leaves (:func:`store_nodes`
  writes those a checkpoint covers), so a proof reads a few hundred hashes at most;
- :func:`take_log_checkpoint`: the tree's size and root as a C2SP signed note.  It needs no
  lock: the size committed in ``log_head`` is always that of a complete prefix of leaves, since
  each transaction moves the counter in commit order;
- :func:`log_breaks`: every leaf hashes to what is stored, the tree has the roots its
  checkpoints name, every event, ledger entry and credit record has its leaf, and every
  registry record matches its latest leaf -- so a row written or changed behind the
  application's back shows, and so does one deleted.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from ..errors import InvalidInput
from ..models import log_sql
from ..models.tables import metadata
from . import merkle, note
from .breaks import Break
from .leaves import REGISTRY, credit_leaf, event_leaf, ledger_leaf, record_leaf

TILE = 8  # a stored node covers 2**8, 2**16, ... leaves
ORIGIN_SETTING = "log_origin"


class DatabaseSource:
    """A :class:`~jiuzhu.audit.merkle.NodeSource` over the log of one database connection."""

    def __init__(self, conn: Connection, size: int | None = None) -> None:
        self.conn = conn
        self.size = log_sql.size(conn) if size is None else size
        self._cache: dict[tuple[int, int], bytes] = {}
        self._blocks: dict[tuple[int, int], list[bytes]] = {}

    def leaves(self, start: int, end: int) -> list[bytes]:
        return log_sql.leaf_hashes(self.conn, start, end)

    def subtree(self, start: int, end: int) -> bytes:
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"range [{start}, {end}) is outside the {self.size} leaves")
        return merkle.range_hash(start, end, self.perfect)

    def perfect(self, index: int, height: int) -> bytes:
        key = (index, height)
        if key not in self._cache:
            if height == 0:
                self._cache[key] = self._at(0, index, 1)[0]
            elif height % TILE == 0:  # a stored level: read it, computed only when missing
                self._cache[key] = self._at(height, index, 1)[0]
            else:
                self._cache[key] = self._fold(index, height)
        return self._cache[key]

    def _fold(self, index: int, height: int) -> bytes:
        """From the stored level just below: at most 2**8 hashes."""
        base = (height - 1) // TILE * TILE
        return merkle.fold_perfect(self._at(base, index << (height - base), 1 << (height - base)))

    def _at(self, level: int, start: int, count: int) -> list[bytes]:
        """``count`` hashes of stored ``level`` from ``start``, read a block of 256 at a time
        (one read serves a whole proof's lower levels)."""
        out = []
        for i in range(start, start + count):
            block = self._blocks.get((level, i >> TILE))
            if block is None:
                block = self._read_block(level, i >> TILE)
            found = block[i & 0xFF] if (i & 0xFF) < len(block) else b""
            if not found and level == 0:
                raise ValueError(f"leaf {i} is not in the log")
            out.append(found or self._fold(i, level))
        return out

    def prefetch(self, indices: Iterable[int]) -> None:
        """Read at once (two statements) the blocks that proofs through these leaves need: at
        each stored level, the block of each one's ancestor.  A proof through leaf m of the
        tree reads those of m and of the last leaf; any block missed is read when needed."""
        wanted, level, picked = set(), 0, [i for i in indices if 0 <= i < self.size]
        while self.size >> level:
            wanted |= {(level, (i >> level) >> TILE) for i in picked}
            level += TILE
        wanted -= set(self._blocks)
        ranges = [(lv, b << TILE, (b + 1) << TILE) for lv, b in sorted(wanted)]
        found = log_sql.hash_ranges(self.conn, [(lo, min(hi, self.size)) for lv, lo, hi in ranges
                                                if lv == 0], [r for r in ranges if r[0]])  # fmt: skip
        for lv, lo, hi in ranges:
            block = [
                found.get((lv, i), b"") for i in range(lo, min(hi, self.size) if lv == 0 else hi)
            ]
            self._blocks[(lv, lo >> TILE)] = [h for h in block if h] if lv == 0 else block

    def _read_block(self, level: int, block: int) -> list[bytes]:
        lo, hi = block << TILE, (block + 1) << TILE
        if level == 0:
            found = self.leaves(lo, min(hi, self.size))
        else:
            stored = log_sql.nodes(self.conn, level, lo, hi)
            found = [stored.get(i, b"") for i in range(lo, hi)]
        self._blocks[(level, block)] = found
        return found


def store_nodes(conn: Connection, size: int) -> int:
    """Store the hash of every complete subtree of 2**8, 2**16, ... leaves within ``size``."""
    source, written, level = DatabaseSource(conn, size), 0, TILE
    while size >> level:
        have, want = log_sql.stored_node_count(conn, level), size >> level
        rows = []
        for index in range(have, want):
            rows.append({"level": level, "idx": index, "hash": source.perfect(index, level).hex()})
            if len(rows) >= 1000:
                log_sql.insert_nodes(conn, rows)
                written, rows = written + len(rows), []
        log_sql.insert_nodes(conn, rows)
        written += len(rows)
        level += TILE
    return written


# -- checkpoints ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LogCheckpoint:
    size: int
    root: bytes
    note: str
    taken_at: datetime | None = None


def stored_origin(conn: Connection) -> str | None:
    """The log's origin line (its name in checkpoints and the key name of its signature);
    None until the database takes its first log checkpoint."""
    found = conn.execute(select(SETTINGS.c.value).where(SETTINGS.c.key == ORIGIN_SETTING))
    value = found.scalar()
    return str(value) if value else None


def origin(conn: Connection) -> str:
    """:func:`stored_origin`, or "" before the first log checkpoint."""
    return stored_origin(conn) or ""


def _chosen_origin(conn: Connection, now: datetime) -> str:
    """The stored origin, or a new one stored now: ``jiuzhu.local/log/`` and 16 random hex
    digits, chosen once per database."""
    value = stored_origin(conn)
    if value is None:
        value = f"jiuzhu.local/log/{secrets.token_hex(8)}"
        conn.execute(SETTINGS.insert(), {"key": ORIGIN_SETTING, "value": value, "set_at": now})
    return value


SETTINGS = metadata.tables["database_settings"]


def open_note(text: str) -> note.Note:
    """A stored checkpoint: a signed note, or (unsigned) its body alone."""
    if "\n\n" not in text:
        return note.Note(text, ())
    return note.open_note(text)


def take_log_checkpoint(conn: Connection, *, now: datetime, taken_by: str,
                        key: Any = None) -> LogCheckpoint:  # fmt: skip
    """Checkpoint the log as committed now (signed with ``key`` when given); reuse the last one
    when the log has not grown."""
    size = log_sql.size(conn)
    last = latest_checkpoint(conn)
    if last is not None and last.size == size and (key is None or note_signed(last.note)):
        return last
    source = DatabaseSource(conn, size)
    root = source.subtree(0, size)
    name = _chosen_origin(conn, now)
    body = note.checkpoint_body(name, size, root)
    text = note.sign_note(body, name, key) if key is not None else body
    store_nodes(conn, size)
    if last is None or last.size != size:
        conn.execute(log_sql.CHECKPOINTS.insert(), {"size": size, "root": root.hex(), "note": text,
                                                    "taken_at": now, "taken_by": taken_by})  # fmt: skip
    return LogCheckpoint(size, root, text, now)


def note_signed(text: str) -> bool:
    return bool(open_note(text).signatures)


def latest_checkpoint(conn: Connection) -> LogCheckpoint | None:
    cps = log_sql.CHECKPOINTS
    row = conn.execute(select(cps).order_by(cps.c.size.desc()).limit(1)).first()
    return None if row is None else LogCheckpoint(row.size, bytes.fromhex(row.root), row.note,
                                                  row.taken_at)  # fmt: skip


def checkpoints(conn: Connection) -> list[LogCheckpoint]:
    cps = log_sql.CHECKPOINTS
    return [LogCheckpoint(r.size, bytes.fromhex(r.root), r.note, r.taken_at)
            for r in conn.execute(select(cps).order_by(cps.c.size))]  # fmt: skip


# -- the log against the tables ---------------------------------------------------------------------
def _break(idx: int, detail: str) -> Break:
    return Break("", idx, "log", detail)


def log_breaks(conn: Connection, trusted_key: str | None = None) -> list[Break]:
    """Everything wrong with the log: its leaves, its checkpoints, and the tables against it."""
    found: list[Break] = []
    size = log_sql.size(conn)
    cps = checkpoints(conn)
    found += _checkpoint_breaks(conn, cps, size, trusted_key)
    rows: set[bytes] = set()
    latest: dict[tuple[str, str], bytes] = {}
    builder, due = merkle.TreeBuilder(), {cp.size: cp for cp in cps}
    for idx, kind, ref, digest, data in log_sql.leaf_rows(conn, 0, size):
        if idx != builder.size:
            found.append(_break(builder.size, f"leaf {builder.size} is missing from the log"))
            break
        leaf = merkle.leaf_hash(data.encode())
        if leaf.hex() != digest:
            found.append(_break(idx, f"leaf {idx} ({kind} {ref}) does not hash to its data"))
        builder.append(leaf)
        if kind in ("event", "ledger", "credit"):
            rows.add(leaf)
        else:
            latest[(kind, ref)] = leaf
        cp = due.get(builder.size)
        if cp is not None and builder.root() != cp.root:
            found.append(_break(idx, f"the log's first {cp.size} leaves do not have the root "
                                     "its checkpoint names: the log was rewritten"))  # fmt: skip
    if builder.size < size:
        found.append(_break(builder.size, f"the log holds {builder.size} leaves; its head "
                                          f"says {size}"))  # fmt: skip
    found += _rows_against(conn, rows, size)
    found += _records_against(conn, latest)
    return found


def _checkpoint_breaks(conn: Connection, cps: list[LogCheckpoint], size: int,
                       trusted_key: str | None) -> list[Break]:  # fmt: skip
    found: list[Break] = []
    name = origin(conn)
    signer: bytes | None = None
    for cp in cps:
        try:
            opened = open_note(cp.note)
            body = note.parse_checkpoint(opened.body)
        except InvalidInput as exc:
            found.append(_break(cp.size, f"the checkpoint at size {cp.size} is malformed: "
                                         f"{exc.message}"))  # fmt: skip
            continue
        if body.size != cp.size or body.root != cp.root:
            found.append(_break(cp.size, f"the checkpoint note at size {cp.size} names another "
                                         "tree than its row"))  # fmt: skip
        if cp.size > size:
            found.append(_break(cp.size, f"a checkpoint covers {cp.size} leaves but the log "
                                         f"holds {size}: leaves were removed"))  # fmt: skip
        if trusted_key is not None and not note.verify_note(opened, name, trusted_key):
            found.append(_break(cp.size, f"the checkpoint at size {cp.size} is not signed by "
                                         "the trusted key"))  # fmt: skip
        # once the log signs, every later checkpoint names the same key, trusted key or not
        ids = {s.key_id for s in opened.signatures if s.name == name}
        if signer is not None and signer not in ids:
            found.append(_break(cp.size, f"the checkpoint at size {cp.size} is not signed by "
                                         f"the key (id {signer.hex()}) that signed the ones "
                                         "before: a signature was stripped or replaced"))  # fmt: skip
        signer = signer or min(ids, default=None)
    return found


def _stored_rows(conn: Connection) -> Iterator[tuple[str, str, bytes]]:
    events, ledger = metadata.tables["events"], metadata.tables["ledger_entries"]
    credits = metadata.tables["credit_records"]
    query = select(events.c.case_id, events.c.seq, events.c.hash)
    for case_id, seq, digest in conn.execute(query.execution_options(yield_per=5000)):
        yield "event", f"{case_id}/{seq}", event_leaf(case_id, seq, digest).hash
    cols = ledger.c
    query = select(cols.case_id, cols.seq, cols.line, cols.kind, cols.amount_fen, cols.booked_on,
                   cols.period, cols.ref)  # fmt: skip
    for r in conn.execute(query.execution_options(yield_per=5000)):
        yield "ledger", f"{r[0]}/{r[1]}/{r[2]}", ledger_leaf(*r).hash
    cols = credits.c
    query = select(cols.case_id, cols.seq, cols.person_id, cols.reason, cols.recorded_on)
    for r in conn.execute(query):
        yield "credit", f"{r[0]}/{r[1]}", credit_leaf(*r).hash


def _row_break(kind: str, ref: str, detail: str) -> Break:
    """A break naming the case and seq of an event, ledger or credit row (``ref`` is
    ``case/seq[/line]``)."""
    case_id, seq, *_ = ref.split("/") + ["0"]
    return Break(case_id, int(seq) if seq.isdigit() else 0, "log", f"{kind} {ref} {detail}")


def _rows_against(conn: Connection, leaves: set[bytes], size: int) -> list[Break]:
    found = []
    for kind, ref, leaf in _stored_rows(conn):
        if leaf in leaves:
            leaves.discard(leaf)
        else:
            found.append(_row_break(kind, ref, "is not in the log as stored: it was written or "
                                               "changed outside jiuzhu"))  # fmt: skip
    if leaves:  # name them: a second pass over the log, only when something is wrong
        for _idx, kind, ref, _digest, data in log_sql.leaf_rows(conn, 0, size):
            if merkle.leaf_hash(data.encode()) in leaves:
                found.append(_row_break(kind, ref, "is in the log but no longer stored as "
                                                   "logged: deleted or changed"))  # fmt: skip
    return found


def _records_against(conn: Connection, latest: dict[tuple[str, str], bytes]) -> list[Break]:
    found = []
    for kind, (name, key, _fields) in REGISTRY.items():
        table = metadata.tables[name]
        for row in conn.execute(select(table).order_by(table.c[key])):
            leaf = record_leaf(kind, dict(row._mapping))
            logged = latest.pop((kind, leaf.ref), None)
            if logged is None:
                found.append(_break(0, f"{kind} {leaf.ref} is not in the log: it was written "
                                       "outside jiuzhu"))  # fmt: skip
            elif logged != leaf.hash:
                found.append(_break(0, f"{kind} {leaf.ref} differs from its last logged state: "
                                       "it was changed outside jiuzhu"))  # fmt: skip
    for kind, ref in sorted(latest):
        found.append(_break(0, f"{kind} {ref} is in the log but no longer stored: deleted"))
    return found


def leaf_json(data: str) -> dict[str, Any]:
    value = json.loads(data)
    return value if isinstance(value, dict) else {}
