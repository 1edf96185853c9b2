"""Finding people and their cases: search by name, ID number or case number; a household's
members; the personal-data read log; the names of units.

Search stays inside the actor's jurisdiction (a village sees its village, a township its
villages, a county its townships: docs/domain.md §2).  Names are shown to case workers, not to
auditors (as :meth:`~jiuzhu.service.registry.Registry.get_household` does); ID numbers are
always masked.  Every call that returns a person's name, and every search by ID number, writes
one row per person to the read log right after the read (:mod:`.personal_data`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..clock import local_date
from ..errors import InvalidInput, NotFound, PermissionDenied
from ..models import find_sql
from ..models.digests import id_number_digest
from . import inputs
from .actors import Actor, Role, require_role
from .casenumbers import CaseNumbers, parse_case_no
from .paging import page_limit
from .personal_data import PURPOSES, digest_secret, read_rows
from .registry import RELATIONS
from .views import CaseView, MemberView, ReadLogEntry

READ_LOG_ROLES = frozenset({Role.AUDITOR, Role.COUNTY})


@dataclass(frozen=True)
class SearchHit:
    """A case found, with the person it was found by (``person_name`` is ``""`` for auditors)."""

    case: CaseView
    person_id: str
    person_name: str
    relation: str
    household_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case.to_dict(), "person_id": self.person_id,
                "person_name": self.person_name, "relation": self.relation,
                "household_id": self.household_id}  # fmt: skip


class Search(CaseNumbers):
    """Search, members, the read log and unit names (and, from :class:`CaseNumbers`, a case by
    its number); each checks role and jurisdiction."""

    def search(self, actor: Actor, *, name: str | None = None, id_number: str | None = None,
               case_no: str | None = None, limit: int = 50) -> list[SearchHit]:  # fmt: skip
        """Cases by a member's name (substring), ID number (exact) or case number, newest
        first, inside the actor's jurisdiction; exactly one of the three is given."""
        require_role(actor, "read")
        path = self._actor_path(actor)
        given = [k for k, v in (("name", name), ("id_number", id_number), ("case_no", case_no))
                 if v is not None]  # fmt: skip
        if len(given) != 1:
            raise InvalidInput("search by exactly one of: name, id_number, case_no",
                               "请仅按姓名、身份证号或案件编号之一查询")  # fmt: skip
        limit = page_limit(limit)
        now = self.clock.now()
        with self.uow.read() as conn:
            if name is not None:
                text = inputs.text(name, "name", required=True, max_length=100) or ""
                found = list(conn.execute(find_sql.search_by_name(path, text, limit)))
            elif id_number is not None:
                from ..idnumber import validate_id_number

                number = validate_id_number(id_number, today=local_date(now))
                secret = digest_secret(self.sql, conn, now=now, create=False)
                digest = "" if secret is None else id_number_digest(secret, number)
                found = list(conn.execute(find_sql.search_by_digest(path, digest, limit)))
            else:
                found = self._by_case_no(conn, actor, parse_case_no(case_no))
            cases = {r.id: self._case_view(r, conn)
                     for r in conn.execute(find_sql.cases_by_id(h.case_id for h in found))}  # fmt: skip
        show_names = actor.role is not Role.AUDITOR
        hits = [SearchHit(cases[h.case_id], h.person_id, h.name if show_names else "",
                          h.relation, h.household_id) for h in found]  # fmt: skip
        if show_names or id_number is not None:
            self._log_reads(actor, (h.person_id for h in hits), "search")
        return hits

    def _by_case_no(self, conn: Any, actor: Actor, number: str) -> list[Any]:
        """The applicant of the numbered case (NotFound, or PermissionDenied outside)."""
        row = self._numbered_case(conn, actor, number)
        applicant = row.facts.get("applicant_id")
        return [h for h in conn.execute(find_sql.hits_of_case(row.id)) if h.person_id == applicant]

    def members(self, actor: Actor, household_id: str, *,
                purpose: str = "household") -> list[MemberView]:  # fmt: skip
        """A household's members with masked ID numbers and, for case workers, their names
        (logged as a personal-data read with ``purpose``: household, case page or search)."""
        from ..idnumber import mask_id_number

        require_role(actor, "read")
        household_id = inputs.record_id(household_id, "household id")
        purpose = inputs.choice(purpose, "purpose", PURPOSES)
        with self.uow.read() as conn:
            home = self.sql.household(conn, household_id)
            if home is None:
                raise NotFound(f"household {household_id} not found", f"未找到家庭 {household_id}")
            self._require_jurisdiction(actor, self._org(home.village_id)[1],
                                       f"household {household_id}")  # fmt: skip
            people = self.sql.persons(conn, household_id)
        show_names = actor.role is not Role.AUDITOR
        if show_names:
            self._log_reads(actor, (p.id for p in people), purpose)
        return [MemberView(p.id, p.name if show_names else "", p.relation,
                           RELATIONS.get(p.relation, p.relation), mask_id_number(p.id_number))
                for p in people]  # fmt: skip

    def personal_data_reads(self, actor: Actor, *, limit: int = 50,
                            before: int | None = None) -> list[ReadLogEntry]:  # fmt: skip
        """The read log about persons in the actor's jurisdiction, newest first; ``before``
        (an entry's id) pages back.  Auditors and the county only."""
        if actor.role not in READ_LOG_ROLES:
            raise PermissionDenied(
                f"role '{actor.role.value}' may not read the personal-data read log; allowed "
                "roles: auditor, county",
                "仅审计监督和县（区）民政局可查看个人信息查阅记录",
                command="personal_data_reads", role=actor.role.value,
            )  # fmt: skip
        path = self._actor_path(actor)
        limit = page_limit(limit)
        if before is not None:
            before = inputs.count(before, "before")
        with self.uow.read() as conn:
            found = conn.execute(find_sql.reads_of(path, limit=limit, before=before)).all()
        return [ReadLogEntry(r.id, r.read_at, r.actor_role, r.actor_org, r.actor_user,
                             r.person_id, r.purpose) for r in found]  # fmt: skip

    def unit_names(self, actor: Actor) -> dict[str, str]:
        """Unit id -> name for the actor's jurisdiction and the units above it."""
        require_role(actor, "read")
        path = self._actor_path(actor)
        with self.uow.read() as conn:
            found = conn.execute(find_sql.units_named(path)).all()
        names = {unit_id: name for unit_id, name in found}
        self._unit_names.update(names)
        return names

    def _log_reads(self, actor: Actor, person_ids: Iterable[str], purpose: str) -> None:
        entries = read_rows(actor, person_ids, purpose, self.clock.now())
        if entries:
            with self.uow.write() as conn:
                self.sql.log_personal_reads(conn, entries)


__all__ = ["SearchHit", "Search"]
