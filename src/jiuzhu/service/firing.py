"""Firing one due deadline, and the lists that deadlines feed (overdue checks, missed visits).

Part of :class:`~jiuzhu.service.service.CaseService`.  The worker claims due rows
(``scheduler/sweep.py``) and calls :meth:`DeadlineFiring.fire_deadline` for each: in ONE
transaction the row is checked to still be this worker's claim, marked ``fired``, and the
case's transition, its hashed event and its next deadlines are written -- so a deadline fires
exactly once even when a worker dies mid-batch or another takes over its expired claims.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from ..clock import iso_utc
from ..errors import ConcurrencyConflict
from ..leases import check_lease
from ..leases import max_lease as configured_max_lease
from ..models import rows
from ..models.chunk_sql import ChunkStatements, ChunkWrites
from ..models.port import Statements
from ..workflows import allowance as pay_run
from ..workflows import get as get_workflow
from ..workflows.base import CaseModel
from . import chain
from .actors import Actor, Role, require_role
from .base import CommandBase
from .plans import following
from .unit_of_work import UnitOfWork

log = logging.getLogger("jiuzhu.scheduler")
RETRIES = 3  # a firing that lost a race is fired again at once, this many times in all


@dataclass(frozen=True)
class Fired:
    """What became of one claimed deadline: fired, skipped (not ours any more) or stale."""

    deadline_id: int
    outcome: str
    case_id: str | None = None
    kind: str | None = None
    late_by_seconds: float | None = None
    opened_due: datetime | None = None  # the earliest deadline the firing opened

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["opened_due"] = None if self.opened_due is None else iso_utc(self.opened_due)
        return data


@dataclass(frozen=True)
class Claimed:
    """A deadline row claimed by a worker (see ``scheduler/sweep.py``)."""

    id: int
    case_id: str
    due_at: datetime


class DeadlineClaims:
    """The claims of due deadline rows: a worker marks them its own, with a lease."""

    def __init__(self, uow: UnitOfWork, sql: Statements) -> None:
        self.uow = uow
        self.sql = sql

    def due(self, *, worker: str, now: datetime, batch: int, lease: timedelta,
            max_lease: timedelta | None = None) -> list[Claimed]:  # fmt: skip
        """Claim up to ``batch`` due rows (and expired claims, and claims whose lease is longer
        than the maximum: see :mod:`jiuzhu.leases`) for ``worker``, in due order."""
        check_lease(lease, max_lease)
        ceiling = max_lease if max_lease is not None else configured_max_lease()
        with self.uow.write() as conn:
            found = self.sql.claim_due(conn, worker=worker, now=now, batch=batch, lease=lease,
                                       max_lease=ceiling)  # fmt: skip
        return sorted((Claimed(*r) for r in found), key=lambda item: (item.due_at, item.id))

    def release(self, *, worker: str, ids: Sequence[int]) -> None:
        """Give back ``worker``'s claims not fired yet (a firing opened something due earlier)."""
        if ids:
            with self.uow.write() as conn:
                self.sql.release_claims(conn, worker=worker, ids=ids)

    def earliest_pending(self) -> datetime | None:
        """When the next deadline falls due (None: nothing pending)."""
        with self.uow.read() as conn:
            return self.sql.earliest_pending(conn)


def earlier_due(horizon: datetime | None, fired: Fired, now: datetime) -> datetime | None:
    """``horizon`` lowered to the deadline ``fired`` opened, if that one is due at ``now``."""
    due = fired.opened_due
    if due is None or due > now or (horizon is not None and horizon <= due):
        return horizon
    return due


def _one_per_case(items: Sequence[Claimed]) -> list[Claimed]:
    """The longest leading run of ``items`` with no case twice (at least the first item)."""
    seen: set[str] = set()
    part: list[Claimed] = []
    for item in items:
        if item.case_id in seen:
            break
        seen.add(item.case_id)
        part.append(item)
    return part


class DeadlineFiring(CommandBase):
    """Firing claimed deadlines, and the lists they feed."""

    @functools.cached_property
    def claims(self) -> DeadlineClaims:
        """Claiming due deadlines for a worker, and giving claims back (``scheduler/sweep.py``)."""
        return DeadlineClaims(self.uow, self.sql)

    @functools.cached_property
    def _chunk_sql(self) -> ChunkStatements:
        return ChunkStatements(self.sql)

    def fire_deadline(self, deadline_id: int, *, worker: str,
                      now: datetime | None = None) -> Fired:  # fmt: skip
        """Fire deadline ``deadline_id`` in its own transaction, if ``worker`` holds its claim."""
        with self.uow.read() as conn:
            peek = self.sql.load_deadline(conn, deadline_id, for_update=False)
        if peek is None:
            return Fired(deadline_id, "skipped")
        return self._fire_again_on_conflict(Claimed(deadline_id, peek.case_id, peek.due_at),
                                            worker, now)  # fmt: skip

    def fire_chunk(self, items: Sequence[Claimed], *, worker: str, now: datetime | None = None,
                   horizon: datetime | None = None) -> list[Fired]:  # fmt: skip
        """Fire claimed deadlines in one transaction, a few statements for the whole chunk.

        The chunk is the longest run of ``items`` with no case twice (at least one item); the
        results say which were fired, so the caller goes on with the rest.  The chunk also
        stops before an item due later than ``horizon`` or than a deadline one of its firings
        opened that is due already (the next visit of a long-missed plan): the caller gives the
        rest back and claims again, so that a catch-up fires in due order across cases -- which
        of two cases of a household is paid a month depends on it.  Each deadline is
        still marked fired in the transaction that writes its event, so it fires exactly once.
        A deadline whose case has an earlier one open is ``deferred`` (the caller gives it
        back; it fires after that one), so that each case's events follow due order after a
        downtime.  If the chunk fails, it is rolled back and its deadlines fired one
        transaction each, so one bad deadline delays no other.
        """
        part = _one_per_case(items)
        try:
            with self.uow.write() as conn:
                return self._fire_set(conn, part, worker, now, horizon)
        except Exception:  # noqa: BLE001 - the job boundary: each is retried on its own below
            if len(part) > 1:
                log.info("chunk of %d rolled back; firing one by one", len(part))
            return [self._fire_alone(item, worker, now) for item in part]

    def _fire_again_on_conflict(self, item: Claimed, worker: str,
                                now: datetime | None) -> Fired:  # fmt: skip
        """Fire in a transaction of its own; a lost race (another case of the household paid
        the same month at the same moment: ``household_months`` refused the second row) is
        fired again at once, and then sees that month held and withholds it."""
        for attempt in range(1, RETRIES + 1):
            try:
                with self.uow.write() as conn:
                    return self._fire_set(conn, [item], worker, now)[0]
            except ConcurrencyConflict:
                if attempt == RETRIES:
                    raise
                log.info("deadline %s of case %s lost a race; firing again", item.id,
                         item.case_id)  # fmt: skip
        raise AssertionError("unreachable")

    def _fire_alone(self, item: Claimed, worker: str, now: datetime | None) -> Fired:
        try:
            return self._fire_again_on_conflict(item, worker, now)
        except Exception as exc:  # noqa: BLE001 - left claimed; retried after its lease
            log.error("deadline %s of case %s could not fire: %s", item.id, item.case_id, exc)
            return Fired(item.id, "failed", item.case_id)

    def _fire_set(self, conn: Connection, items: Sequence[Claimed], worker: str,
                  now: datetime | None, horizon: datetime | None = None) -> list[Fired]:  # fmt: skip
        """Fire ``items`` (one per case) on ``conn``: read their cases (locked, in id order,
        before the deadline rows, as commands lock them: no deadlock) and the claims still
        held, decide each firing in memory, then write them all (:class:`ChunkWrites`)."""
        chunk_sql = self._chunk_sql
        cases = chunk_sql.load_cases(conn, [item.case_id for item in items])
        held = chunk_sql.claims_held(conn, [item.id for item in items], worker)
        writes = ChunkWrites(chunk_sql, worker)
        writes.know_months(conn, {  # the months a chunk of payments pays: paid already?
            (row.household_id, row.programme, row.facts["allowance"]["next_month"])
            for row in cases.values() if row.facts.get("allowance")})  # fmt: skip
        at = now or self.clock.now()
        results: list[Fired] = []
        for item in items:
            if horizon is not None and item.due_at > horizon:
                break  # a firing opened something due earlier: it fires first (the caller)
            fired = self._fire_one(conn, writes, item, cases.get(item.case_id),
                                   held.get(item.id), worker, at)  # fmt: skip
            results.append(fired)
            horizon = earlier_due(horizon, fired, at)
        writes.flush(conn)
        return results

    def _fire_one(self, conn: Connection, writes: ChunkWrites, item: Claimed, row: Any,
                  claim: tuple[str, datetime] | None, worker: str, now: datetime) -> Fired:  # fmt: skip
        if row is None or claim is None:
            return Fired(item.id, "skipped")  # not ours any more: fired or taken over
        kind, due_at = claim
        model = rows.model_of(row)
        if model.deadlines.get(kind) != due_at:
            writes.mark_stale(item.id)  # closed meanwhile; nothing to fire
            return Fired(item.id, "stale", item.case_id, kind)
        if any(due < due_at for other, due in model.deadlines.items() if other != kind):
            return Fired(item.id, "deferred", item.case_id, kind)  # an earlier one fires first
        writes.mark_fired(item.id, now, model.seq + 1)
        before = dict(model.deadlines)
        trigger, payload = self._deadline_event(model, row, kind, due_at, now)
        if trigger == pay_run.TRIGGER:  # the month paid already under another case: withheld
            other = chain.other_case(writes, conn, row, payload["month"])  # type: ignore[arg-type]
            if other is not None:
                payload = pay_run.overlapped(payload, other)
        county = row.org_path.split("/", 1)[0]
        self._record(conn, writes, model, row, trigger, payload,
                     Actor(Role.SYSTEM, county, worker), now, None, fired=kind)  # fmt: skip
        opened = min((due for k, due in model.deadlines.items() if before.get(k) != due),
                     default=None)  # fmt: skip
        return Fired(item.id, "fired", item.case_id, kind, payload["late_by_seconds"], opened)

    @staticmethod
    def _deadline_event(model: CaseModel, row: Any, kind: str, due_at: datetime,
                        now: datetime) -> tuple[str, dict[str, Any]]:  # fmt: skip
        wf = get_workflow(row.workflow, row.workflow_version)
        return wf.deadline_event(model, kind, due_at, now, next_occurrence=following)

    # -- the lists deadlines feed --------------------------------------------------------------
    def overdue_verifications(self, actor: Actor, *,
                              now: datetime | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """Provisionally approved cases whose data check is overdue, most overdue first."""
        require_role(actor, "read")
        path = self._actor_path(actor)
        now = now or self.clock.now()
        with self.uow.read() as conn:
            found = conn.execute(rows.overdue_verifications(path)).all()
        out = []
        for case_id, village_id, facts in found:
            due = facts["overdue"]["due_at"]
            late = now - datetime.fromisoformat(due.replace("Z", "+00:00"))
            out.append({"case_id": case_id, "village_id": village_id, "due_at": due,
                        "late_days": round(late.total_seconds() / 86400, 1),
                        "reminders": facts["overdue"]["reminders"]})  # fmt: skip
        return sorted(out, key=lambda item: item["due_at"])

    def missed_visits(self, actor: Actor) -> list[dict[str, Any]]:
        """Every service occurrence that passed its grace period undone, oldest first."""
        require_role(actor, "read")
        path = self._actor_path(actor)
        out = []
        with self.uow.read() as conn:
            query = rows.missed_visits(path)
            for case_id, village_id, facts, kind, due_at, fired_at in conn.execute(query):
                plan_id = kind.partition("/")[2]
                plan = facts.get("plans", {}).get(plan_id, {})
                out.append({"case_id": case_id, "village_id": village_id, "plan_id": plan_id,
                            "service": plan.get("kind"), "provider": plan.get("provider"),
                            "due_at": iso_utc(due_at),
                            "recorded_missed_at": iso_utc(fired_at)})  # fmt: skip
        return out
