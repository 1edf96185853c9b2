"""``jiuzhu audit export``: files a third party can verify without jiuzhu.

The format is specified completely in ``docs/audit-format.md``.  In short, a directory with

* ``events.jsonl`` -- every event of the exported cases, one RFC 8785 JSON object per line,
  ordered by case id (code points) and seq: the hashed document plus its ``hash``;
* ``cases.jsonl`` -- the stored projection of each exported case (with its case number,
  ``case_no``) and its open deadlines;
* ``checkpoints.jsonl`` -- every checkpoint (document, hash, public key, signature);
* ``checkpoint_heads.jsonl`` -- every checkpoint head line, ordered by case id then checkpoint
  (all cases, also in a filtered export, so that every root can be recomputed);
* ``manifest.json`` -- what was exported, the filter, counts, each file's SHA-256, what a
  filtered export cannot prove, and (exported with the agency's key) its Ed25519 signature.

Events carry ids and case numbers, never names or ID numbers; the person registry, its
ID-number index and the personal-data read log are not exported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, select

from ..clock import iso_utc
from ..errors import InvalidInput, NotFound
from ..models import rows as store
from ..models.db import snapshot
from . import sources
from .breaks import Break
from .canonical import canonical_json
from .chain import event_document
from .checkpoint import Checkpoint, load_checkpoints, sign, signature_ok

FORMAT = "jiuzhu-audit-export"
FORMAT_VERSION = 1
FILES = ("events.jsonl", "cases.jsonl", "checkpoints.jsonl", "checkpoint_heads.jsonl")
CANNOT_PROVE = (  # what a filtered export cannot prove (its manifest says so, §6)
    "that no case was left out: the filter's choice cannot be checked from the export",
    "that the checkpoints' case and event counts match: they count cases not exported",
)


@dataclass(frozen=True)
class ExportFilter:
    start: datetime | None = None  # cases with an event at or after this instant ...
    end: datetime | None = None  # ... and before this one
    org: str | None = None  # organisation unit id: cases in its subtree

    @property
    def empty(self) -> bool:
        return self.start is None and self.end is None and self.org is None

    def to_dict(self) -> dict[str, Any]:
        return {"from": None if self.start is None else iso_utc(self.start),
                "to": None if self.end is None else iso_utc(self.end), "org": self.org}  # fmt: skip


class Writer:
    """A JSON Lines file written with its SHA-256 and line count."""

    def __init__(self, path: Path) -> None:
        self.handle: IO[bytes] = path.open("wb")
        self.digest = hashlib.sha256()
        self.lines = 0

    def write(self, value: Any) -> None:
        data = (canonical_json(value) + "\n").encode("utf-8")
        self.handle.write(data)
        self.digest.update(data)
        self.lines += 1

    def append(self, path: Path) -> None:
        """The lines of another file written by a :class:`Writer` (a parallel export's part)."""
        with path.open("rb") as part:
            while chunk := part.read(1 << 20):
                self.handle.write(chunk)
                self.digest.update(chunk)
                self.lines += chunk.count(b"\n")

    def close(self) -> dict[str, Any]:
        self.handle.close()
        return {"sha256": self.digest.hexdigest(), "lines": self.lines}


def export(engine: Engine, out: Path, *, now: datetime, where: ExportFilter = ExportFilter(),
           progress: Callable[[int], None] | None = None, key: Any = None) -> dict[str, Any]:  # fmt: skip
    """Write the export of what ``where`` selects into the new or empty directory ``out``;
    with ``key`` (the agency's Ed25519 private key) the manifest is signed (§6).  (In several
    processes: :func:`jiuzhu.audit.parallel_export.export_parallel`.)"""
    _prepare(out)
    with snapshot(engine) as conn:
        org_path = org_path_of(conn, where)
        writers = {name: Writer(out / name) for name in FILES}
        checkpoints = write_checkpoints(conn, writers)
        counts = write_cases(sources.DatabaseSource(conn), writers, org_path, where, progress)
        newest = newest_event(conn)
    files = {name: writer.close() for name, writer in writers.items()}
    return finish(out, now=now, where=where, counts=counts, checkpoints=checkpoints,
                  newest=newest, files=files, key=key)  # fmt: skip


def org_path_of(conn: Any, where: ExportFilter) -> str | None:
    return _org_path(conn, where.org) if where.org is not None else None


def write_checkpoints(conn: Any, writers: dict[str, Writer]) -> list[Checkpoint]:
    """checkpoints.jsonl and checkpoint_heads.jsonl (every case's head lines)."""
    checkpoints = load_checkpoints(conn)
    for cp in checkpoints:
        writers["checkpoints.jsonl"].write(cp.to_dict())
    for case_id, heads in sources.DatabaseSource(conn).heads():
        for k, seq, digest in heads:
            writers["checkpoint_heads.jsonl"].write(
                {"checkpoint": k, "case_id": case_id, "seq": seq, "hash": digest})  # fmt: skip
    return checkpoints


def write_cases(source: sources.DatabaseSource, writers: dict[str, Writer],
                org_path: str | None, where: ExportFilter,
                progress: Callable[[int], None] | None) -> dict[str, int]:  # fmt: skip
    """events.jsonl and cases.jsonl of the selected cases of ``source`` (all, or a span)."""
    counts = {"cases": 0, "events": 0, "database_cases": 0}
    streams = (source.events(), source.cases(), source.open_deadlines(), source.ledger(),
               source.credits())  # fmt: skip
    for case_id, (events, row, deadlines, money, credits) in sources.merge(*streams):
        counts["database_cases"] += events is not None
        if events is None or not _selected(events, row, org_path, where):
            continue
        _write_case(writers, case_id, events, row, deadlines or {}, money or [],
                    credits or [])  # fmt: skip
        counts["cases"] += 1
        counts["events"] += len(events)
        if progress is not None:
            progress(len(events))
    return counts


def newest_event(conn: Any) -> int | None:
    found = conn.execute(select(store.events.c.id).order_by(store.events.c.id.desc()).limit(1))
    return None if (newest := found.scalar()) is None else int(newest)


def finish(out: Path, *, now: datetime, where: ExportFilter, counts: dict[str, int],
           checkpoints: list[Checkpoint], newest: int | None, files: dict[str, Any],
           key: Any) -> dict[str, Any]:  # fmt: skip
    """Write (and with ``key`` sign) the manifest; return it."""
    covered = checkpoints[-1].high_water if checkpoints else 0
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "exported_at": iso_utc(now),
        "filter": where.to_dict(), "complete": where.empty,
        "cases": counts["cases"], "events": counts["events"], "checkpoints": len(checkpoints),
        "latest_checkpoint_covers_all": newest is None or (newest <= covered),
        "database_cases": counts["database_cases"],
        "cannot_prove": [] if where.empty else list(CANNOT_PROVE),
        "files": files,
    }  # fmt: skip
    if key is not None:
        manifest["public_key"] = sign({}, key)[0]  # the signed document names its key
        manifest["signature"] = sign(manifest, key)[1]
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")  # fmt: skip
    return manifest


def _prepare(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput(f"{out} exists and is not an empty directory; choose a new one",
                           f"{out} 已存在且不是空目录，请另选导出目录")  # fmt: skip
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"cannot create {out}: {exc.strerror}",
                           f"无法创建导出目录 {out}") from None  # fmt: skip


def _org_path(conn: Any, org: str) -> str:
    row = conn.execute(store.SELECT_ORG, {"id": org}).first()
    if row is None:
        raise NotFound(f"organisation unit {org} not found", f"未找到单位 {org}")
    return str(row.path)


def _selected(events: list[dict[str, Any]], row: dict[str, Any] | None, org_path: str | None,
              where: ExportFilter) -> bool:  # fmt: skip
    if org_path is not None:
        path = row["org_path"] if row is not None else events[0]["payload"].get("org_path", "")
        if path != org_path and not path.startswith(org_path + "/"):
            return False
    if where.start is None and where.end is None:
        return True
    start = iso_utc(where.start) if where.start is not None else ""
    end = iso_utc(where.end) if where.end is not None else "~"
    return any(start <= ev["occurred_at"] < end for ev in events)


def _write_case(writers: dict[str, Writer], case_id: str, events: list[dict[str, Any]],
                row: dict[str, Any] | None, deadlines: dict[str, str],
                money: list[dict[str, Any]], credits: list[dict[str, Any]]) -> None:  # fmt: skip
    for ev in events:
        doc = event_document(case_id=case_id, seq=ev["seq"], type=ev["type"],
                             payload=ev["payload"], actor=ev["actor"],
                             occurred_at=ev["occurred_at"], prev_hash=ev["prev_hash"])  # fmt: skip
        writers["events.jsonl"].write({**doc, "hash": ev["hash"]})
    if row is not None:
        writers["cases.jsonl"].write({"case_id": case_id, **row, "open_deadline_rows": deadlines,
                                      "ledger_rows": money, "credit_rows": credits})  # fmt: skip


def read_manifest(directory: Path) -> tuple[dict[str, Any], list[Break]]:
    """The manifest of an export, and a break for each file that does not match it."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot read {directory / 'manifest.json'}: {exc}",
                           f"无法读取导出清单 {directory / 'manifest.json'}") from None  # fmt: skip
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise InvalidInput(f"{directory} is not a {FORMAT} v{FORMAT_VERSION} export",
                           f"{directory} 不是可识别的审计导出（格式版本 {FORMAT_VERSION}）")  # fmt: skip
    found = []
    for name in FILES:
        want = manifest["files"].get(name)
        have = _file_digest(directory / name)
        if want is None or have != (want["sha256"], want["lines"]):
            found.append(Break("", 0, "altered",
                               f"file {name} does not match the manifest (hash or lines)"))  # fmt: skip
    return manifest, found


def _file_digest(path: Path) -> tuple[str, int] | None:
    if not path.exists():
        return None
    digest, lines = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for line in handle:
            digest.update(line)
            lines += 1
    return digest.hexdigest(), lines


def manifest_check(manifest: dict[str, Any],
                   trusted_key: str | None) -> tuple[list[Break], list[str]]:  # fmt: skip
    """The manifest's signature (§6): breaks, and notes for the report.

    With ``trusted_key`` the manifest must be signed by that key; without one, a signature is
    checked against the key it names, and an unsigned manifest is reported as unprotected.
    """
    signature, public = manifest.get("signature"), manifest.get("public_key")
    if signature is None:
        if trusted_key is not None:
            return [Break("", 0, "manifest", "the manifest is not signed; the agency's key "
                          "was given, so it must be")], []  # fmt: skip
        return [], ["unprotected manifest: it is not signed, so its members (complete, the "
                    "filter, counts) could have been edited; export with --key to sign it"]  # fmt: skip
    doc = {k: v for k, v in manifest.items() if k != "signature"}
    if trusted_key is not None and public != trusted_key:
        return [Break("", 0, "manifest", "the manifest is signed by another key than the "
                      "trusted one")], []  # fmt: skip
    if not isinstance(public, str) or not isinstance(signature, str) or not signature_ok(
            doc, public, signature):  # fmt: skip
        return [Break("", 0, "manifest", "the manifest's signature does not verify: it was "
                      "edited after it was signed")], []  # fmt: skip
    if trusted_key is None:
        return [], [f"manifest signed by key {public[:16]}…, not checked against a trusted key "
                    "(give --public-key)"]  # fmt: skip
    return [], []


def partial_note(manifest: dict[str, Any], checkpoints: list[dict[str, Any]]) -> str | None:
    """The loud sentence for a filtered export (None for a complete one)."""
    if manifest.get("complete"):
        return None
    total = manifest.get("database_cases", "?")
    where = ""
    if checkpoints:
        cp = checkpoints[-1]
        where = f" (checkpoint {cp['number']} counts {cp['cases']} cases)"
    return (f"partial export: {manifest['cases']} of {total} cases{where}; checked the "
            f"{manifest['cases']}, cannot prove none was left out, nor that the checkpoints' "
            "counts match")  # fmt: skip
