"""The working-day calendar as the database holds it: built-in years plus loaded notices.

Every process on one database -- the CLI, ``jiuzhu serve``, the worker, a program using
:func:`jiuzhu.connect` -- counts limits on the same calendar, read from ``calendar_revisions``.
The table is append-only, so its row count tells whether anything was loaded since the last
read; a service checks that at most every :data:`RECHECK_SECONDS` (and at once after loading
a notice itself).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from ..calendar_notice import Notice
from ..calendar_notice import parse as parse_notice
from ..errors import InvalidInput
from ..models import rows
from ..policy import SETTINGS
from ..workflows.workdays import BUILTIN, FIX, WorkCalendar, YearTable
from .actors import Actor, require_role
from .unit_of_work import UnitOfWork

RECHECK_SECONDS = 30.0
WARN_FROM = (10, 1)  # from 1 October, warn when next year's calendar is missing


def revision_label(year: int, revision: int, document: str) -> str:
    return f"{year}r{revision} {document}"


def table_of(row: Any) -> YearTable:
    holidays = frozenset(date.fromisoformat(d) for d in row.holidays)
    return YearTable(row.year, holidays, frozenset(date.fromisoformat(d) for d in row.workdays),
                     revision_label(row.year, row.revision, row.document), row.effective_from,
                     {date.fromisoformat(d): n for d, n in row.names.items()})  # fmt: skip


@dataclass(frozen=True)
class Loaded:
    """What ``import_notice`` did: the revision written, or the one already there."""

    year: int
    revision: int
    document: str
    effective_from: date
    created: bool  # False: the same notice was loaded before, nothing written

    @property
    def label(self) -> str:
        return revision_label(self.year, self.revision, self.document)


class CalendarStore:
    def __init__(self, engine: Engine) -> None:
        self.uow = UnitOfWork(engine)
        self._calendar: WorkCalendar | None = None
        self._count = -1
        self._checked = 0.0

    # -- reading -----------------------------------------------------------------------------
    def current(self, conn: Connection | None = None) -> WorkCalendar:
        """The calendar to count on now (built in + loaded), reloaded when the table grew.

        A command passes its own connection: a second one, opened inside its transaction,
        would leave SQLite's pool alternating between two page caches.
        """
        if self._calendar is None or time.monotonic() - self._checked > RECHECK_SECONDS:
            if conn is None:
                with self.uow.read() as own:
                    self._reload(own)
            else:
                self._reload(conn)
            self._checked = time.monotonic()
        return self._calendar  # type: ignore[return-value]

    def _reload(self, conn: Connection) -> None:
        count = conn.execute(rows.COUNT_CALENDAR_REVISIONS).scalar_one()
        if self._calendar is None or count != self._count:
            loaded = conn.execute(rows.SELECT_CALENDAR_REVISIONS).all()
            self._calendar = BUILTIN.with_tables([table_of(r) for r in loaded])
            self._count = count

    def invalidate(self) -> None:
        self._calendar = None

    def describe(self, today: date, year: int | None = None) -> list[dict[str, Any]]:
        """Each year (or one) with its revisions: source, document, when in force, counts."""
        calendar = self.current()
        years = [year] if year is not None else calendar.years()
        out = []
        for y in years:
            in_force = calendar.table(y, today)
            out.append({
                "year": y,
                "in_force": in_force.revision if in_force else None,
                "revisions": [{
                    "revision": t.revision,
                    "source": "built in" if t.effective_from is None else "loaded",
                    "effective_from": t.effective_from.isoformat() if t.effective_from else None,
                    "holidays": len(t.holidays), "make_up_workdays": len(t.workdays),
                    "working_days": len(t.working_days()),
                } for t in calendar.revisions(y)],
            })  # fmt: skip
        return out

    def warnings(self, today: date, settings: dict[str, Any]) -> list[dict[str, Any]]:
        """From 1 October: next year's calendar is missing, and which limits are refused when.

        One entry per working-day setting (``*_wd`` in the policy book), ordered by the day
        from which a limit of that length can no longer be counted.
        """
        calendar = self.current()
        nxt = today.year + 1
        if (today.month, today.day) < WARN_FROM or calendar.covers(nxt, today):
            return []
        out = []
        for key, spec in SETTINGS.items():
            if not key.endswith("_wd") or key not in settings:
                continue
            n = int(settings[key])
            refused_from = calendar.refused_from(today.year, n, today)
            if refused_from is None:
                continue
            out.append({"year": nxt, "setting": key, "working_days": n, "what": spec.meaning,
                        "refused_from": refused_from.isoformat(),
                        "refused_now": refused_from <= today, "fix": FIX})  # fmt: skip
        return sorted(out, key=lambda w: (w["refused_from"], w["setting"]))

    # -- loading -----------------------------------------------------------------------------
    def import_notice(self, actor: Actor, text: str, *, filename: str = "",
                      now: datetime) -> Loaded:  # fmt: skip
        """Load one year's notice: a new revision, or nothing when the same one is loaded.

        Refused: a malformed file; the same document number with other content (a loaded
        revision is never rewritten); a correction that takes effect no later than the
        revision before it.
        """
        require_role(actor, "import_calendar")
        notice = parse_notice(text, filename)
        digest = notice.content_sha256()
        with self.uow.write() as conn:
            year = conn.execute(rows.SELECT_CALENDAR_REVISIONS_OF_YEAR, {"year": notice.year}).all()
            for row in year:
                if row.document == notice.document:
                    if row.source_sha256 == digest:
                        return Loaded(row.year, row.revision, row.document, row.effective_from,
                                      False)  # fmt: skip
                    raise InvalidInput(
                        f"{notice.year}: document {notice.document} is loaded already as "
                        f"revision {row.revision} with other content; a loaded revision is "
                        "never rewritten -- load the correction under its own document number",
                        f"{notice.year} 年文号 {notice.document} 已作为第 {row.revision} 版载入且内容"
                        "不同；已载入的版本不能改写，更正请以其自己的文号载入",
                        year=notice.year, document=notice.document,
                    )  # fmt: skip
            if year and notice.effective_from <= year[-1].effective_from:
                last = year[-1]
                raise InvalidInput(
                    f"{notice.year}: a correction must take effect after revision "
                    f"{last.revision} ({last.document}, in force from {last.effective_from}); "
                    f"this one says {notice.effective_from}",
                    f"{notice.year} 年更正版本的生效日期（{notice.effective_from}）须晚于第 "
                    f"{last.revision} 版（{last.effective_from}）",
                    year=notice.year,
                )  # fmt: skip
            number = (year[-1].revision if year else 0) + 1
            conn.execute(rows.INSERT_CALENDAR_REVISION, _row(notice, number, digest, actor, now))
        self.invalidate()
        return Loaded(notice.year, number, notice.document, notice.effective_from, True)


def _row(notice: Notice, number: int, digest: str, actor: Actor, now: datetime) -> dict[str, Any]:
    return {
        "year": notice.year, "revision": number, "document": notice.document,
        "published_on": notice.published_on, "effective_from": notice.effective_from,
        "holidays": [d.isoformat() for d in sorted(notice.holidays)],
        "workdays": [d.isoformat() for d in notice.workdays],
        "names": {d.isoformat(): n for d, n in sorted(notice.holidays.items())},
        "note": notice.note, "source_sha256": digest,
        "loaded_by": actor.user or actor.role.value, "loaded_at": now,
    }  # fmt: skip
