"""One chunk of an import file, in one transaction: check every row, then bulk-insert.

A chunk reads what its rows need in a few ``IN (...)`` queries and writes each table with one
executemany.  Households: a person whose ID number is registered already is linked to that
record, not added again; the first row of a household key adds the household, the next ones
add members to it.  Cases: each enters at its current state through its ``import`` event
(:mod:`jiuzhu.workflows.adoption`), its hash chain starting from 64 zeros, its deadlines the
workflow's own.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from ..audit.chain import GENESIS, event_hash
from ..audit.leaves import event_leaf
from ..clock import iso_utc
from ..errors import JiuzhuError
from ..models import import_sql as q
from ..models import log_sql
from ..models.digests import case_no
from ..policy import city_code
from ..workflows import REGISTRY, fast_track
from ..workflows.adoption import IMPORT, adopt
from ..workflows.base import CaseModel
from .actors import Actor, Role, within
from .base import CommandBase
from .import_checks import CaseRow, HouseholdRow, RowRefused, case_row, household_row, refuse
from .personal_data import digests

# states in which a household's case of a programme is still running (or paying); a case
# stopped by a re-review (复核) pays at most its decision's month and is not running
BUSY = sorted({s for wf in REGISTRY.values() for s in wf.states
               if s not in wf.final or (s in wf.allowance_states and s != "stopped")})  # fmt: skip
Cells = dict[str, str]


@dataclass
class Chunk:
    """What one chunk decided, before it is written."""

    outcomes: list[dict[str, Any]] = field(default_factory=list)
    households: list[dict[str, Any]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    refused: list[tuple[int, RowRefused]] = field(default_factory=list)


@dataclass
class Run:
    """The context of one run: the job, the actor, the day, the units, the policy cache."""

    job_id: str
    sha: str
    kind: str
    actor: Actor
    actor_path: str
    now: datetime
    today: date
    units: dict[str, tuple[str, str]]
    secret: str = ""
    policies: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def inside(self, path: str) -> bool:
        return self.actor.role is Role.ADMIN or within(self.actor_path, path)


class ImportChunks(CommandBase):
    """Checking and writing the chunks of an import (part of :class:`ImportCommands`)."""

    def _chunk(self, conn: Connection, run: Run, rows: Sequence[tuple[int, Cells]]) -> Chunk:
        chunk = Chunk()
        if run.kind == "households":
            self._household_chunk(conn, run, rows, chunk)
        else:
            self._case_chunk(conn, run, rows, chunk)
        self._write_chunk(conn, run, chunk)
        return chunk

    def _refuse(self, run: Run, chunk: Chunk, row_no: int, why: RowRefused,
                key: str | None = None) -> None:  # fmt: skip
        chunk.refused.append((row_no, why))
        chunk.counts["refused"] += 1
        chunk.outcomes.append(_outcome(run, row_no, "refused", source_key=key,
                                       refused_column=why.column, reason_zh=why.zh[:500],
                                       reason_en=why.en[:500]))  # fmt: skip

    def _village(self, run: Run, code: str) -> str:
        """The path of village ``code``, which must lie inside the actor's jurisdiction."""
        unit = run.units.get(code)
        if unit is None or unit[0] != "village":
            what = "not found" if unit is None else f"a {unit[0]}, not a village"
            raise refuse("village", f"村（社区）代码“{code}”不存在或不是村（社区）",
                         f"village unit '{code}' is {what}")  # fmt: skip
        if not run.inside(unit[1]):
            raise refuse("village", f"村（社区）“{code}”不在 {run.actor.org} 的管辖范围内",
                         f"village unit '{code}' is outside the jurisdiction of {run.actor.org}")  # fmt: skip
        return unit[1]

    # -- households ----------------------------------------------------------------------------
    def _household_chunk(self, conn: Connection, run: Run, rows: Sequence[tuple[int, Cells]],
                         chunk: Chunk) -> None:  # fmt: skip
        parsed: list[tuple[int, HouseholdRow | RowRefused]] = []
        for row_no, cells in rows:
            try:
                row = household_row(row_no, cells, run.today)
                self._village(run, row.village)
                parsed.append((row_no, row))
            except RowRefused as why:
                parsed.append((row_no, why))
        good = [r for _, r in parsed if isinstance(r, HouseholdRow)]
        known = q.persons_by_number(conn, [r.id_number for r in good])
        keys = {k: (r.household_id, r.village_id)
                for k, r in q.households_by_key(conn, [r.key for r in good]).items()}  # fmt: skip
        repeated = q.persons_imported_from(conn, run.sha, [p.id for p in known.values()])
        seen: dict[str, int] = {}
        for row_no, row in parsed:
            if isinstance(row, RowRefused):
                self._refuse(run, chunk, row_no, row)
                continue
            try:
                self._person(run, chunk, row, known, keys, repeated, seen)
            except RowRefused as why:
                self._refuse(run, chunk, row_no, why, row.key)

    def _person(self, run: Run, chunk: Chunk, row: HouseholdRow, known: dict[str, Any],
                keys: dict[str, tuple[str, str]], repeated: set[str],
                seen: dict[str, int]) -> None:  # fmt: skip
        if row.id_number in seen:
            raise _duplicate("id_number", seen[row.id_number])
        person = known.get(row.id_number)
        if person is not None:
            if person.id in repeated:
                raise _duplicate("id_number", None)
            if not run.inside(run.units[person.village_id][1]):
                raise refuse("id_number", "该身份证号已在其他辖区登记，请联系原登记地办理转移",
                             "a person with this ID number is registered in another "
                             "jurisdiction; ask the county holding the record to transfer it")  # fmt: skip
            seen[row.id_number] = row.row_no
            keys.setdefault(row.key, (person.household_id, person.village_id))
            chunk.counts["linked_persons"] += 1
            chunk.outcomes.append(_outcome(run, row.row_no, "linked", source_key=row.key,
                                           household_id=person.household_id,
                                           person_id=person.id))  # fmt: skip
            return
        household = keys.get(row.key)
        if household is not None and household[1] != row.village:
            raise refuse("village", f"与同户其他成员的村（社区）代码（{household[1]}）不一致",
                         f"the village differs from the household's ({household[1]})")  # fmt: skip
        if household is None:
            household = keys[row.key] = (str(uuid.uuid4()), row.village)
            chunk.households.append({"id": household[0], "village_id": row.village,
                                     "created_at": run.now})  # fmt: skip
            chunk.counts["added_households"] += 1
        seen[row.id_number] = row.row_no
        person_id = str(uuid.uuid4())
        chunk.persons.append({"id": person_id, "household_id": household[0], "name": row.name,
                              "id_number": row.id_number, "relation": row.relation,
                              "created_at": run.now})  # fmt: skip
        chunk.counts["added_persons"] += 1
        chunk.outcomes.append(_outcome(run, row.row_no, "added", source_key=row.key,
                                       household_id=household[0], person_id=person_id))  # fmt: skip

    # -- cases -----------------------------------------------------------------------------------
    def _case_chunk(self, conn: Connection, run: Run, rows: Sequence[tuple[int, Cells]],
                    chunk: Chunk) -> None:  # fmt: skip
        parsed: list[tuple[int, CaseRow | RowRefused]] = []
        for row_no, cells in rows:
            try:
                parsed.append((row_no, case_row(row_no, cells, run.today)))
            except RowRefused as why:
                parsed.append((row_no, why))
        good = [r for _, r in parsed if isinstance(r, CaseRow)]
        by_key = q.households_by_key(conn, [r.household_key for r in good if r.household_key])
        heads = q.persons_by_number(conn, [n for r in good for n in (r.head_number,
                                                                      r.applicant_number) if n])  # fmt: skip
        homes = {r.row_no: _home(r, by_key, heads) for r in good}
        members = q.members_of(conn, [h for h in homes.values() if h])
        running = q.running_cases(conn, [h for h in homes.values() if h], BUSY)
        mine = q.cases_imported_from(conn, run.sha, list(running.values()))
        ready: list[tuple[CaseRow, dict[str, Any], CaseModel]] = []
        taken: dict[tuple[str, str], int] = {}
        for row_no, row in parsed:
            try:
                if isinstance(row, RowRefused):
                    raise row
                payload = self._case_payload(run, row, homes[row_no], members, heads)
                where = (payload["household_id"], row.programme)
                if where in taken or where in running:
                    earlier = taken.get(where, mine.get(running.get(where, "")))
                    if earlier is not None:
                        raise _duplicate("household_key", earlier)
                    raise refuse("household_key", "该家庭已有同一救助项目的在办案件",
                                 f"the household already has a running {row.programme} case")  # fmt: skip
                case_id = str(uuid.uuid4())  # the rules checked once, numbered after
                model = adopt(REGISTRY[(row.workflow, 1)], case_id, payload, run.now)
                taken[where] = row_no
                ready.append((row, payload, model))
            except RowRefused as why:
                self._refuse(run, chunk, row_no, why, getattr(row, "household_key", None))
            except JiuzhuError as why:  # a rule of the workflow refused the decision facts
                self._refuse(run, chunk, row_no, RowRefused("state", why.zh, why.message))
        self._open_cases(conn, run, chunk, ready)

    def _case_payload(self, run: Run, row: CaseRow, home: str | None,
                      members: dict[str, list[Any]], heads: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        column = "household_key" if row.household_key else "head_id_number"
        if home is None or home not in members:
            raise refuse(column, "未找到该家庭（请先导入家庭成员文件）",
                         "household not found (import the households file first)")  # fmt: skip
        people = members[home]
        village = str(people[0].village_id)
        path = self._village(run, village)
        applicant = next((p for p in people if p.id_number == row.applicant_number), None)
        if row.applicant_number and applicant is None:
            raise refuse("applicant_id_number", "申请人不是该家庭成员",
                         "the applicant is not a member of the household")  # fmt: skip
        applicant = applicant or next((p for p in people if p.relation == "head"), people[0])
        policy = self._import_policy(run, row.workflow, path)
        if row.workflow == fast_track.NAME and row.expenditure_fen < policy["threshold_fen"]:
            raise refuse("expenditure", "突发支出低于容缺审批门槛",
                         f"the sudden expenditure is below the fast-track threshold of "
                         f"{policy['threshold_fen'] // 100} yuan")  # fmt: skip
        provenance = {"job_id": run.job_id, "file_sha256": run.sha, "row": row.row_no}
        if row.source_case_no:
            provenance["source_case_no"] = row.source_case_no
        payload = {
            "workflow": row.workflow, "workflow_version": 1, "programme": row.programme,
            "expenditure_fen": row.expenditure_fen, "household_id": home,
            "applicant_id": applicant.id, "member_ids": sorted(p.id for p in people),
            "village_id": village, "org_path": path, "policy": policy, "state": row.state,
            "decision": row.decision, IMPORT: provenance,
        }  # fmt: skip
        if row.cause is not None:
            payload["cause"] = row.cause
        return payload

    def _import_policy(self, run: Run, workflow: str, path: str) -> dict[str, Any]:
        key = (workflow, path.split("/", 1)[0])
        if key not in run.policies:
            if workflow == fast_track.NAME:
                settings = self.policy_book.settings_on(run.today)
                run.policies[key] = fast_track.recorded_policy(settings, run.today)
            else:
                try:
                    run.policies[key] = self.policy_book.snapshot(city_code(key[1]), run.today)
                except JiuzhuError as err:
                    raise RowRefused("village", err.zh, err.message) from None
        return run.policies[key]

    def _open_cases(self, conn: Connection, run: Run, chunk: Chunk,
                    ready: list[tuple[CaseRow, dict[str, Any], CaseModel]]) -> None:  # fmt: skip
        per_county = Counter(p["org_path"].split("/", 1)[0] for _, p, _ in ready)
        year = run.today.year
        serial = {}
        for county, n in sorted(per_county.items()):
            last = conn.execute(q.reserve_case_serials(self.sql.codec.name),
                                {"county": county, "year": year, "n": n}).scalar_one()  # fmt: skip
            serial[county] = int(last) - n
        actor_doc = run.actor.as_event_actor()
        occurred = iso_utc(run.now)
        for row, payload, model in ready:
            county = payload["org_path"].split("/", 1)[0]
            serial[county] += 1
            # the number joins the payload and the facts alike (replay copies one to the other)
            payload["case_no"] = model.facts["case_no"] = case_no(county, year, serial[county])
            case_id = model.case_id
            wf = REGISTRY[(row.workflow, 1)]
            digest = event_hash(case_id=case_id, seq=1, type=IMPORT, payload=payload,
                                actor=actor_doc, occurred_at=occurred, prev_hash=GENESIS)  # fmt: skip
            model.seq, model.head_hash = 1, digest
            values = model.columns()
            values.update(id=case_id, updated_at=run.now, workflow=wf.name,
                          workflow_version=wf.version, opened_at=run.now,
                          case_no=payload["case_no"])  # fmt: skip
            chunk.cases.append(values)
            chunk.events.append({
                "case_id": case_id, "seq": 1, "type": IMPORT, "payload": payload,
                "actor_role": actor_doc["role"], "actor_org": actor_doc["org"],
                "actor_user": actor_doc.get("user"), "occurred_at": run.now,
                "prev_hash": GENESIS, "hash": digest, "idempotency_key": None})  # fmt: skip
            chunk.deadlines.extend({"case_id": case_id, "kind": kind, "due_at": due,
                                    "status": "pending", "opened_seq": 1}
                                   for kind, due in sorted(model.deadlines.items()))  # fmt: skip
            chunk.counts["added_cases"] += 1
            chunk.outcomes.append(_outcome(run, row.row_no, "added", source_key=row.household_key,
                                           household_id=payload["household_id"],
                                           case_id=case_id))  # fmt: skip

    # -- writing -------------------------------------------------------------------------------
    def _write_chunk(self, conn: Connection, run: Run, chunk: Chunk) -> None:
        dialect = self.sql.codec.name
        for table, batch in (("households", chunk.households), ("persons", chunk.persons),
                             ("person_digests", digests(run.secret, chunk.persons)),
                             ("cases", chunk.cases), ("events", chunk.events),
                             ("deadlines", chunk.deadlines), ("import_rows", chunk.outcomes)):  # fmt: skip
            q.insert_many(conn, dialect, table, batch)
        log_sql.log_records(conn, "household", [h["id"] for h in chunk.households])
        log_sql.log_records(conn, "person", [p["id"] for p in chunk.persons])
        log_sql.queue(conn, [event_leaf(e["case_id"], e["seq"], e["hash"]) for e in chunk.events])


def _home(row: CaseRow, by_key: dict[str, Any], heads: dict[str, Any]) -> str | None:
    if row.household_key:
        found = by_key.get(row.household_key)
        return None if found is None else str(found.household_id)
    head = heads.get(row.head_number or "")
    return None if head is None else str(head.household_id)


def _duplicate(column: str, earlier: int | None) -> RowRefused:
    where = f"row {earlier}" if earlier is not None else "an earlier row"
    zh_where = f"第 {earlier} 行" if earlier is not None else "前面的行"
    return refuse(column, f"与本文件{zh_where}重复", f"duplicate of {where} of this file")


def _outcome(run: Run, row_no: int, outcome: str, **values: Any) -> dict[str, Any]:
    row = {"file_sha256": run.sha, "kind": run.kind, "row_no": row_no, "job_id": run.job_id,
           "outcome": outcome, "source_key": None, "household_id": None, "person_id": None,
           "case_id": None, "refused_column": None, "reason_zh": None, "reason_en": None}  # fmt: skip
    row.update(values)
    return row


__all__ = ["BUSY", "Chunk", "ImportChunks", "Run"]
