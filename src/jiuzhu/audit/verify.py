"""Audit a database or an export: every chain, every checkpoint, every case row.

One pass walks four streams ordered by case id (events, case rows, open deadline rows and the
checkpoints' head lines; see :mod:`.sources`), holding one case at a time, so memory stays flat
whatever the size.  It never stops at the first problem: every break is reported with its case,
sequence number and kind (:mod:`.breaks`).  For each case:

1. the chain itself: altered, missing, inserted or reordered events;
2. its end against the case row: truncated, or events appended after the recorded head;
3. its heads against every checkpoint (a case deleted whole, a chain cut or rewritten, events
   slipped in below a checkpoint's high-water mark);
4. when all that holds, the row and open deadlines against a replay of the events.

The checkpoints are checked as a chain (numbering, links, hashes, signatures), and each one's
root and counts are recomputed from the head lines.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from .. import ledger
from ..errors import InvalidInput, JiuzhuError, NotFound
from ..models.db import snapshot
from . import sources
from .breaks import Break, chain_breaks
from .checkpoint import Checkpoint, checkpoint_breaks, head_line, load_checkpoints
from .claims import bad_claims
from .log import log_breaks
from .replay import expected_row, ledger_entries

COMPARED = ("state", "row_version", "programme", "household_id", "village_id", "org_path",
            "expenditure_fen", "monthly_amount_fen", "facts", "deadlines", "last_seq",
            "head_hash", "workflow", "workflow_version", "opened_at", "updated_at")  # fmt: skip
ChainBreak = Break  # the name this module used before the kinds were refined
Progress = Callable[[int], None]


@dataclass
class VerifyReport:
    cases: int = 0
    events: int = 0
    checkpoints: int = 0
    signed: int = 0
    breaks: list[Break] = field(default_factory=list)
    partial: str | None = None  # a filtered export: what was checked, what cannot be proved
    notes: list[str] = field(default_factory=list)  # e.g. an unprotected (unsigned) manifest

    @property
    def ok(self) -> bool:
        return not self.breaks

    def to_dict(self) -> dict[str, Any]:
        extra = {} if self.partial is None and not self.notes else {
            "partial": self.partial, "notes": self.notes}  # fmt: skip
        return {"ok": self.ok, "cases": self.cases, "events": self.events,
                "checkpoints": self.checkpoints, "signed_checkpoints": self.signed,
                "breaks": [b.__dict__ for b in self.breaks], **extra}  # fmt: skip


@dataclass(frozen=True)
class ReplayResult:
    case_id: str
    events: int
    expected: dict[str, Any]
    stored: dict[str, Any]
    differences: list[tuple[str, Any, Any]]

    @property
    def ok(self) -> bool:
        return not self.differences


def compare(case_id: str, events: Sequence[dict[str, Any]], stored: dict[str, Any],
            open_deadlines: dict[str, str], ledger_rows: list[dict[str, Any]],
            credit_rows: list[dict[str, Any]] | None = None) -> ReplayResult:  # fmt: skip
    """Replay ``events`` and compare with the stored row values (instants as ISO text), its
    open deadline rows, its ledger rows and its credit-record rows."""
    stored = {name: stored[name] for name in COMPARED} | {
        "open_deadline_rows": open_deadlines, "ledger_rows": ledger_rows}  # fmt: skip
    if credit_rows is not None:
        stored["credit_rows"] = credit_rows
    try:
        expected = expected_row(events)
        expected["ledger_rows"] = [e.as_dict() for e in ledger_entries(events)]
        expected["credit_rows"] = ledger.credit_rows(events)
    except (JiuzhuError, KeyError, TypeError, ValueError) as exc:
        return ReplayResult(case_id, len(events), {}, stored, [("replay", str(exc), None)])
    expected["open_deadline_rows"] = expected["deadlines"]
    diffs = [(k, expected[k], stored[k]) for k in stored if expected.get(k) != stored[k]]
    return ReplayResult(case_id, len(events), expected, stored, diffs)


def replay_case(engine: Engine, case_id: str) -> ReplayResult:
    """Rebuild one case from its events and compare it with its stored row."""
    with snapshot(engine) as conn:
        return replay_on(conn, case_id)


def replay_on(conn: Connection, case_id: str) -> ReplayResult:
    source = sources.DatabaseSource(conn)
    row, events, deadlines, ledger_rows, credit_rows = source.case(case_id)
    if row is None:
        raise NotFound(f"case {case_id} not found", f"未找到案件 {case_id}")
    return compare(case_id, events, row, deadlines, ledger_rows, credit_rows)


# -- the whole database / an export ------------------------------------------------------------
def verify_database(engine: Engine, *, progress: Progress | None = None,
                    trusted_key: str | None = None,
                    now: datetime | None = None) -> VerifyReport:  # fmt: skip
    """Check everything in one consistent snapshot, even while others write."""
    with snapshot(engine) as conn:
        return verify_connection(conn, progress=progress, trusted_key=trusted_key, now=now)


def verify_connection(conn: Connection, *, progress: Progress | None = None,
                      trusted_key: str | None = None,
                      now: datetime | None = None) -> VerifyReport:  # fmt: skip
    """:func:`verify_database` inside the caller's transaction (tests tamper, verify, roll back).

    Besides the chains, it names every due deadline held by an absurd or long-over claim
    (``stuck_claim``, at ``now``: default the wall clock; see :mod:`jiuzhu.audit.claims`).
    """
    source = sources.DatabaseSource(conn)
    report = Audit(load_checkpoints(conn), trusted_key, with_ids=True).run(source, progress)
    report.breaks += log_breaks(conn, trusted_key)
    report.breaks += [Break(b.case_id, b.seq, "stuck_claim", b.detail)
                      for b in bad_claims(conn, now=now)]  # fmt: skip
    return report


def verify_export(directory: Path, *, progress: Progress | None = None,
                  trusted_key: str | None = None) -> VerifyReport:  # fmt: skip
    """Check an export directory: its manifest and files, then as :func:`verify_database`."""
    from .export import manifest_check, partial_note, read_manifest

    manifest, file_breaks = read_manifest(directory)
    signed, notes = manifest_check(manifest, trusted_key)
    documents = list(sources.jsonl(directory / "checkpoints.jsonl"))
    checkpoints = [Checkpoint(**{k: v for k, v in cp.items() if k != "v"}) for cp in documents]
    audit = Audit(checkpoints, trusted_key, with_ids=False, complete=manifest["complete"])
    report = audit.run(sources.ExportSource(directory), progress)
    report.breaks[:0] = signed + file_breaks
    report.partial, report.notes = partial_note(manifest, documents), notes
    return report


class Audit:
    """One verification pass (see the module's docstring)."""

    def __init__(self, checkpoints: list[Checkpoint], trusted_key: str | None, *,
                 with_ids: bool, complete: bool = True) -> None:  # fmt: skip
        self.checkpoints = checkpoints
        self.trusted_key = trusted_key
        self.with_ids = with_ids  # a database: events carry their ids (high-water checks)
        self.complete = complete  # every case is present (an unfiltered export, a database)
        self.index = {cp.number: i for i, cp in enumerate(checkpoints)}
        self.high_waters = [cp.high_water for cp in checkpoints]
        self.roots = [hashlib.sha256() for _ in checkpoints]
        self.grown_events = [0] * (len(checkpoints) + 1)  # per checkpoint, then prefix sums
        self.new_cases = [0] * (len(checkpoints) + 1)
        self.report = VerifyReport(checkpoints=len(checkpoints),
                                   signed=sum(cp.signature is not None for cp in checkpoints))  # fmt: skip

    def run(self, source: Any, progress: Progress | None) -> VerifyReport:
        report = self.report
        report.breaks += checkpoint_breaks(self.checkpoints, self.trusted_key)
        self.walk(source, progress)
        report.breaks += self.checkpoint_totals()
        return report

    def walk(self, source: Any, progress: Progress | None) -> None:
        """Check every case of ``source`` (all of them, or a parallel audit's span)."""
        report = self.report
        streams = (source.events(), source.cases(), source.open_deadlines(), source.heads(),
                   source.ledger(), source.credits())  # fmt: skip
        for case_id, (events, row, deadlines, heads, money, credits) in sources.merge(*streams):
            if events is not None:
                report.events += len(events)
            if row is not None or events is not None:
                report.cases += 1
            found = self.case(case_id, events, row, deadlines or {}, heads or [], money or [],
                              credits or [])  # fmt: skip
            report.breaks += sorted(found.values(), key=lambda b: (b.seq, b.kind))
            if progress is not None and (row is not None or events is not None):
                progress(len(events or ()))

    # -- one case ------------------------------------------------------------------------------
    def case(self, case_id: str, events: list[dict[str, Any]] | None, row: dict[str, Any] | None,
             deadlines: dict[str, str], heads: list[tuple[int, int, str]],
             money: list[dict[str, Any]],
             credits: list[dict[str, Any]] | None = None) -> dict[Any, Break]:  # fmt: skip
        found: dict[tuple[int, str], Break] = {}

        def add(seq: int, kind: str, detail: str) -> None:
            found.setdefault((seq, kind), Break(case_id, seq, kind, detail))

        self.count_heads(case_id, heads, add)
        if not events:
            if row is not None:
                add(row["last_seq"], "deleted_case", "the case row remains but it has no events")
            elif heads and self.complete:
                seq = max(s for _, s, _ in heads)
                add(seq, "deleted_case", "a checkpoint records this case; it has no events now")
            return found
        chain, top = chain_breaks(case_id, events)
        for b in chain:
            add(b.seq, b.kind, b.detail)
        if row is None:
            add(top, "projection_differs", "there is no case row for these events")
        else:
            self.tail(row, events, top, add)
        self.against_heads(events, top, heads, add)
        if not found and row is not None:
            for name, want, have in compare(case_id, events, row, deadlines, money,
                                            credits or []).differences:  # fmt: skip
                add(row["last_seq"], "projection_differs",
                    f"{name}: events imply {want!r}, row has {have!r}")  # fmt: skip
        return found

    @staticmethod
    def tail(row: dict[str, Any], events: list[dict[str, Any]], top: int, add: Any) -> None:
        last = row["last_seq"]
        if top < last:
            add(top + 1, "truncated", f"the chain ends at seq {top}; the case row records {last}")
        elif top > last:
            add(last + 1, "inserted", f"events after seq {last}, the head the case row records")
        elif events[-1]["hash"] != row["head_hash"]:
            add(top, "altered", "the last event's hash is not the head the case row records")

    def against_heads(self, events: list[dict[str, Any]], top: int,
                      heads: list[tuple[int, int, str]], add: Any) -> None:  # fmt: skip
        recorded = {self.index[k]: (s, h) for k, s, h in heads if k in self.index}
        expected: dict[int, tuple[int, str]] = {}
        if self.with_ids:
            for ev in events:
                i = bisect.bisect_left(self.high_waters, ev["id"])
                if i < len(self.high_waters):
                    expected[i] = (ev["seq"], ev["hash"])
        by_seq = {ev["seq"]: ev for ev in events} if not self.with_ids else {}
        for i in sorted(recorded.keys() | expected.keys()):
            rec, exp = recorded.get(i), expected.get(i)
            number = self.checkpoints[i].number
            if rec == exp:
                continue
            if not self.with_ids and rec is not None:  # an export: check the recorded head only
                head = by_seq.get(rec[0])
                if head is not None and head["hash"] == rec[1]:
                    continue
            if rec is None:
                assert exp is not None
                add(exp[0], "inserted", f"checkpoint {number} covers this event's id but "
                    "records no head for the case there")  # fmt: skip
            elif rec[0] > top:
                add(top + 1, "truncated",
                    f"checkpoint {number} records head seq {rec[0]}; the chain ends at {top}")  # fmt: skip
            elif exp is not None and exp[0] > rec[0]:
                add(rec[0] + 1, "inserted", f"checkpoint {number} records head seq {rec[0]}, "
                    f"but events up to seq {exp[0]} fall under it")  # fmt: skip
            else:
                add(rec[0], "altered", f"checkpoint {number} records another hash (or place) "
                    f"for seq {rec[0]}")  # fmt: skip

    def count_heads(self, case_id: str, heads: list[tuple[int, int, str]], add: Any) -> None:
        """Feed the head lines to their checkpoint's root, and its counts."""
        before = 0
        for k, seq, digest in heads:
            i = self.index.get(k)
            if i is None:
                add(seq, "checkpoint", f"a head line names checkpoint {k}, which does not exist")
                continue
            self.roots[i].update(head_line(case_id, seq, digest))
            if before == 0:
                self.new_cases[i] += 1
            self.grown_events[i] += seq - before
            before = seq

    def checkpoint_totals(self) -> list[Break]:
        out = []
        cases = events = 0
        for i, cp in enumerate(self.checkpoints):
            cases += self.new_cases[i]
            events += self.grown_events[i]
            if self.roots[i].hexdigest() != cp.root:
                out.append(Break("", cp.number, "checkpoint",
                                 "its root is not the hash of its head lines"))  # fmt: skip
            if self.complete and (cases, events) != (cp.cases, cp.events):
                out.append(Break("", cp.number, "checkpoint",
                                 f"it covers {cp.events} events in {cp.cases} cases; its head "
                                 f"lines add up to {events} in {cases}"))  # fmt: skip
        return out


def check_source(value: str) -> Path | None:
    """An existing export directory named where a database was expected, or None."""
    path = Path(value)
    if "://" in value or not path.is_dir():
        return None
    if not (path / "manifest.json").exists():
        raise InvalidInput(f"{path} is a directory without manifest.json, not a jiuzhu export",
                           f"{path} 是目录但没有 manifest.json，不是审计导出")  # fmt: skip
    return path
