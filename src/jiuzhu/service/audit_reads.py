"""The audit reads for auditors and the county (docs/domain.md §8), for HTTP and the library.

Each reuses the audit package -- :func:`jiuzhu.audit.findings.database_findings`,
:func:`jiuzhu.audit.verify.verify_connection`, :func:`jiuzhu.audit.replay.as_of`,
:func:`jiuzhu.audit.export.export` and the checkpoints -- and adds what a caller of the service
needs: the role and jurisdiction check, paging and labels.  Nothing here writes.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ..audit.checkpoint import load_checkpoints
from ..audit.export import ExportFilter, export
from ..audit.findings import LABELS, database_findings
from ..audit.replay import as_of as replay_as_of
from ..audit.verify import verify_connection
from ..errors import InvalidInput, PermissionDenied
from ..models import rows
from ..models.db import snapshot
from . import inputs
from .actors import ROLE_LABELS, Actor, Role, require_role, within
from .base import CommandBase
from .paging import DEFAULT_LIMIT, Page, decode_cursor, encode_cursor, page_limit

AUDIT_ROLES = (Role.AUDITOR, Role.COUNTY)
FINDING_KINDS = tuple(LABELS)
COMPARED = ("state", "deadlines", "facts", "balance", "events", "workflow_version")


def kind_labels(kind: str) -> tuple[str, str]:
    """(Chinese, English) label of a finding kind."""
    zh, _, en = LABELS[kind].partition(" ")
    return zh, en


class AuditReads(CommandBase):
    """Findings, verification, replay as of an instant, checkpoints and the audit export."""

    def _audit_scope(self, actor: Actor, org: str | None = None) -> str:
        """The org path the actor audits (``org``'s subtree when given, inside its own)."""
        require_role(actor, "read")
        if actor.role not in AUDIT_ROLES:
            zh = "、".join(ROLE_LABELS[r].zh for r in AUDIT_ROLES)
            raise PermissionDenied(
                f"role '{actor.role.value}' may not read the audit; allowed roles: "
                + ", ".join(r.value for r in AUDIT_ROLES),
                f"“{ROLE_LABELS[actor.role].zh}”无权查看审计信息；应由{zh}查看",
                command="audit", role=actor.role.value,
            )  # fmt: skip
        path = self._actor_path(actor)
        if org is not None:
            _, path = self._org(inputs.org_id(org))
            self._require_jurisdiction(actor, path, f"unit {org}")
        return path

    # -- findings ------------------------------------------------------------------------------
    def findings(self, actor: Actor, *, kind: str | None = None, org: str | None = None,
                 limit: int = DEFAULT_LIMIT, after: str | None = None) -> Page:  # fmt: skip
        """Compliance findings in the jurisdiction (of ``org``'s subtree), by case id.

        ``kind`` is one of :data:`FINDING_KINDS`; ``after`` is the ``next`` cursor of the
        page before.  Findings are computed from the events (nothing stores them): the total
        is counted while they stream, one case in memory at a time.
        """
        path = self._audit_scope(actor, org)
        limit = page_limit(limit)
        if kind is not None and kind not in LABELS:
            raise InvalidInput(
                f"unknown finding kind '{kind}'; expected one of: {', '.join(FINDING_KINDS)}",
                f"未知的问题类型“{kind}”；可用：{'、'.join(FINDING_KINDS)}",
                valid=list(FINDING_KINDS),
            )  # fmt: skip
        start = decode_cursor(after, 2)
        items: list[dict[str, Any]] = []
        total, last_key, more = 0, None, False
        ordinal: Counter[str] = Counter()
        for f in database_findings(self.uow.engine, now=self.clock.now()):
            if not within(path, f.org_path) or (kind is not None and f.code != kind):
                continue
            ordinal[f.case_id] += 1
            total += 1
            key = [f.case_id, ordinal[f.case_id]]
            if start is not None and (key[0], key[1]) <= (start[0], start[1]):
                continue
            if len(items) < limit:
                zh, en = kind_labels(f.code)
                items.append({**f.to_dict(), "kind": f.code, "kind_zh": zh, "kind_en": en})
                last_key = key
            else:
                more = True
        if items:  # the page's case numbers, in one read
            ids = {item["case_id"] for item in items}
            with self.uow.read() as conn:
                numbers = dict(conn.execute(select(rows.cases.c.id, rows.cases.c.case_no)
                                            .where(rows.cases.c.id.in_(ids))).all())  # fmt: skip
            items = [{**item, "case_no": numbers.get(item["case_id"], "")} for item in items]
        return Page(items, total, encode_cursor(last_key) if more and last_key else None)

    def findings_summary(self, actor: Actor, *, org: str | None = None) -> list[dict[str, Any]]:
        """How many findings of each kind, per unit one level below the scope (the scope itself
        when it is a village): keys ``kind, kind_zh, unit_id, unit_name, count``."""
        path = self._audit_scope(actor, org)
        depth = path.count("/") + 1 if path else 0
        counts: Counter[tuple[str, str]] = Counter()
        for f in database_findings(self.uow.engine, now=self.clock.now()):
            if within(path, f.org_path):
                parts = f.org_path.split("/")
                counts[(f.code, parts[min(depth, len(parts) - 1)])] += 1
        return [{"kind": kind, "kind_zh": kind_labels(kind)[0], "unit_id": unit,
                 "unit_name": self._unit_name(unit), "count": n}
                for (kind, unit), n in sorted(counts.items())]  # fmt: skip

    # -- verification --------------------------------------------------------------------------
    def verify(self, actor: Actor, *,
               progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:  # fmt: skip
        """Verify every chain, checkpoint and case row (one consistent snapshot).

        A chain is verified whole, across the database; breaks of cases outside the actor's
        jurisdiction are counted (``breaks_elsewhere``), not listed.  ``progress(done, total)``
        is called after each case.
        """
        path = self._audit_scope(actor)
        with snapshot(self.uow.engine) as conn:
            total = int(conn.execute(select(func.count()).select_from(rows.cases)).scalar_one())
            done = 0

            def step(_events: int) -> None:
                nonlocal done
                done += 1
                if progress is not None:
                    progress(done, max(total, done))

            report = verify_connection(conn, progress=step)
            ids = sorted({b.case_id for b in report.breaks if b.case_id})
            paths = dict(conn.execute(select(rows.cases.c.id, rows.cases.c.org_path)
                                      .where(rows.cases.c.id.in_(ids))).all()) if ids else {}  # fmt: skip
        mine = [b for b in report.breaks
                if not b.case_id or within(path, paths.get(b.case_id, path))]  # fmt: skip
        result = report.to_dict()
        result["breaks"] = [dict(b.__dict__) for b in mine]
        result["breaks_elsewhere"] = len(report.breaks) - len(mine)
        return result

    # -- replay as of an instant ---------------------------------------------------------------
    def replay_as_of(self, actor: Actor, case_id: str,
                     as_of: datetime | str) -> dict[str, Any]:  # fmt: skip
        """The case as it stood at ``as_of``, rebuilt from its events, beside the case now and
        the fields that differ (``differences``: ``field, then, now``)."""
        require_role(actor, "read")
        case_id = inputs.record_id(case_id)
        now = self.clock.now()
        instant = inputs.instant(as_of, "as_of", default=now)
        if instant > now:
            raise InvalidInput("as_of lies in the future", "as_of 不能晚于当前时间")
        with self.uow.read() as conn:
            self._load(conn, case_id, actor, for_update=False)
            events = rows.event_dicts(self.sql.events_of(conn, case_id))
        then = replay_as_of(events, instant)
        current = replay_as_of(events, now)
        differences = [{"field": name, "then": then[name], "now": current[name]}
                       for name in COMPARED if then[name] != current[name]]  # fmt: skip
        return {"case_id": case_id, "as_of": then["as_of"], "then": then, "now": current,
                "differences": differences}  # fmt: skip

    # -- checkpoints and the export ------------------------------------------------------------
    def checkpoints(self, actor: Actor) -> list[dict[str, Any]]:
        """Every audit checkpoint, oldest first (number, time, counts, root, signature)."""
        self._audit_scope(actor)
        with snapshot(self.uow.engine) as conn:
            return [cp.to_dict() for cp in load_checkpoints(conn)]

    def export_archive(self, actor: Actor, *, org: str | None = None) -> bytes:
        """A zip of the audit export (docs/audit-format.md) of ``org``'s subtree (default: the
        actor's unit; an actor at the root may export everything).  Ids and hashes only: the
        export never holds names or ID numbers."""
        path = self._audit_scope(actor, org)
        if org is None and path:
            org = path.rsplit("/", 1)[-1]
        with tempfile.TemporaryDirectory(prefix="jiuzhu-export-") as tmp:
            out = Path(tmp) / "export"
            export(self.uow.engine, out, now=self.clock.now(), where=ExportFilter(org=org))
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in sorted(out.iterdir()):
                    archive.write(file, f"jiuzhu-audit-export/{file.name}")
        return buffer.getvalue()


__all__ = ["AUDIT_ROLES", "FINDING_KINDS", "AuditReads", "kind_labels"]
