"""The service: one method per command, each one database transaction.

Every command names its actor; the role and jurisdiction are checked before anything is read
for writing.  A command fires its trigger on an in-memory :class:`CaseModel`, and only when the
trigger succeeded are the new case row, its hashed event and its deadline rows written, all in
one transaction.  Any error leaves the database as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from os import PathLike
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from ..audit.chain import GENESIS, event_hash
from ..audit.replay import fold
from ..clock import Clock, SystemClock, iso_utc, local_date
from ..errors import (
    ConcurrencyConflict,
    IdempotencyKeyReused,
    InvalidInput,
    JiuzhuError,
    NotFound,
    PermissionDenied,
)
from ..money import to_fen
from ..policy import PolicyBook, book_from
from ..workflows import fast_track, workdays
from ..workflows import get as get_workflow
from ..workflows.base import CaseModel, Outcome
from . import inputs, money, store
from .actors import ROLE_LEVEL, Actor, Role, require_role, within
from .calendar import CalendarStore
from .firing import DeadlineFiring
from .hotpath import HotPath
from .plans import PlanCommands
from .reports import Reports
from .standard import StandardCommands
from .temporary import TemporaryCommands
from .unit_of_work import UnitOfWork
from .views import CaseView, EventView, HouseholdView, OrgUnitView, case_view

LEVELS = ("county", "township", "village")
# deadline kinds open only while a passed limit is being chased (the overdue data check)
OVERDUE_KINDS = ("verification_reminder",)
# (projection, today, day the case was opened) -> (trigger, payload); dates are Shanghai days
Build = Callable[[CaseModel, date, date], tuple[str, dict[str, Any]]]
RELATIONS = {
    "head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母",
    "grandchild": "孙辈", "grandparent": "祖辈", "sibling": "兄弟姐妹", "other": "其他",
}  # fmt: skip


class CaseService(
    PlanCommands,
    DeadlineFiring,
    money.MoneyCommands,
    Reports,
    StandardCommands,
    TemporaryCommands,
):
    """Use :func:`jiuzhu.connect` to make one."""

    def __init__(self, engine: Engine, *, clock: Clock | None = None,
                 policy: PolicyBook | str | PathLike[str] | Mapping[str, Any] | None = None,
                 ) -> None:  # fmt: skip
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.policy_book = book_from(policy)  # see jiuzhu.policy.book_from
        self.uow = UnitOfWork(engine)
        self.calendar = CalendarStore(engine)  # the working-day calendar, read from the database
        self.sql = HotPath(engine.dialect.name)
        self._orgs: dict[str, tuple[str, str]] = {}  # id -> (level, path); units never move

    def close(self) -> None:
        self.engine.dispose()

    @property
    def policy(self) -> dict[str, Any]:
        """The fast track's settings in force today, as its ``apply`` event records them."""
        today = local_date(self.clock.now())
        return fast_track.recorded_policy(self.policy_book.settings_on(today), today)

    # -- organisation units and households -----------------------------------------------------
    def add_org_unit(self, actor: Actor, *, id: str, name: str, level: str,
                     parent_id: str | None = None) -> OrgUnitView:  # fmt: skip
        require_role(actor, "add_org_unit")
        unit_id = inputs.org_id(id)
        inputs.choice(level, "level", dict.fromkeys(LEVELS))
        name = inputs.text(name, "name", required=True, max_length=100) or ""
        if level == "county":
            if parent_id is not None or actor.role is not Role.ADMIN:
                raise PermissionDenied(
                    "a county is a root unit: only an administrator adds one, without a parent",
                    "县（区）为顶级单位，只能由系统管理员添加，且不设上级",
                )
            path = unit_id
        else:
            parent_level, parent_path = self._org(inputs.org_id(parent_id))
            if LEVELS.index(parent_level) != LEVELS.index(level) - 1:
                raise InvalidInput(
                    f"a {level} belongs under a {LEVELS[LEVELS.index(level) - 1]}, "
                    f"but {parent_id} is a {parent_level}",
                    "上级单位层级不符",
                )
            self._require_jurisdiction(actor, parent_path, f"unit {parent_id}")
            path = f"{parent_path}/{unit_id}"
        with self.uow.write() as conn:
            if conn.execute(store.SELECT_ORG, {"id": unit_id}).first() is not None:
                raise InvalidInput(
                    f"organisation unit {unit_id} already exists", "该单位编码已存在"
                )
            conn.execute(store.INSERT_ORG, {"id": unit_id, "name": name, "level": level,
                         "parent_id": parent_id, "path": path, "created_at": self.clock.now()})  # fmt: skip
        return OrgUnitView(unit_id, name, level, parent_id, path)

    def register_household(self, actor: Actor, *, members: list[dict[str, str]]) -> HouseholdView:
        """A village registers a household and its members (names and ID numbers stay here)."""
        from ..idnumber import validate_id_number

        require_role(actor, "register_household")
        self._actor_path(actor)
        if not members:
            raise InvalidInput("a household needs at least one member", "家庭至少应有一名成员")
        today = local_date(self.clock.now())
        rows, seen = [], set()
        for i, member in enumerate(members, 1):
            number = validate_id_number(str(member.get("id_number", "")), today=today)
            if number in seen:
                raise InvalidInput(
                    f"member {i}: the ID number appears twice", f"第 {i} 位成员身份证号重复"
                )
            seen.add(number)
            rows.append({
                "id": str(uuid.uuid4()), "id_number": number,
                "name": inputs.text(member.get("name"), f"member {i} name", required=True,
                                    max_length=100),
                "relation": inputs.choice(member.get("relation", "other"), "relation", RELATIONS),
            })  # fmt: skip
        household_id = str(uuid.uuid4())
        now = self.clock.now()
        with self.uow.write() as conn:
            taken = conn.execute(store.SELECT_PERSON_BY_NUMBERS, {"numbers": sorted(seen)}).first()
            if taken is not None:
                raise InvalidInput(
                    f"a person with one of these ID numbers is already registered "
                    f"(household {taken.household_id})",
                    f"该身份证号已登记（家庭 {taken.household_id}）",
                )
            conn.execute(store.INSERT_HOUSEHOLD,
                         {"id": household_id, "village_id": actor.org, "created_at": now})  # fmt: skip
            conn.execute(store.INSERT_PERSON,
                         [{**r, "household_id": household_id, "created_at": now} for r in rows])  # fmt: skip
        return HouseholdView(household_id, actor.org, [r["id"] for r in rows])

    def get_household(self, actor: Actor, household_id: str) -> HouseholdView:
        from ..idnumber import mask_id_number

        require_role(actor, "read")
        household_id = inputs.record_id(household_id, "household id")
        with self.uow.read() as conn:
            home = conn.execute(store.SELECT_HOUSEHOLD, {"id": household_id}).first()
            if home is None:
                raise NotFound(f"household {household_id} not found", f"未找到家庭 {household_id}")
            self._require_jurisdiction(
                actor, self._org(home.village_id)[1], f"household {household_id}"
            )
            people = conn.execute(store.SELECT_PERSONS, {"household_id": household_id}).all()
        show_names = actor.role is not Role.AUDITOR
        members = [
            {"id": p.id, "relation": p.relation, "id_number": mask_id_number(p.id_number)}
            | ({"name": p.name} if show_names else {})
            for p in people
        ]
        return HouseholdView(home.id, home.village_id, [p.id for p in people], members)

    # -- the fast track ------------------------------------------------------------------------
    def apply(self, actor: Actor, *, household_id: str, applicant_id: str, programme: str,
              cause: str, expenditure: object, idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Open a fast-track case (容缺审批) for a household with a sudden large expenditure."""
        require_role(actor, "apply")
        self._actor_path(actor)
        household_id = inputs.record_id(household_id, "household id")
        applicant_id = inputs.record_id(applicant_id, "applicant id")
        key = inputs.idempotency_key(idempotency_key)
        for what, value in (("programme", programme), ("cause", cause)):
            if not isinstance(value, str):
                raise InvalidInput(f"{what} must be text such as 'dibao'", f"{what}应为文字")
        expenditure_fen = to_fen(expenditure, what="sudden expenditure",
                                 maximum_yuan=self.policy["max_expenditure_yuan"])  # fmt: skip
        wf = get_workflow(fast_track.NAME)

        def run(conn: Connection) -> CaseView:
            members = self.sql.household_members(conn, household_id)
            if not members:
                raise NotFound(f"household {household_id} not found", f"未找到家庭 {household_id}")
            village_id = members[0][0]
            self._require_jurisdiction(actor, self._org(village_id)[1], f"household {household_id}")
            now = self.clock.now()
            payload = {
                "workflow": wf.name, "workflow_version": wf.version,
                "programme": programme, "cause": cause, "expenditure_fen": expenditure_fen,
                "household_id": household_id, "applicant_id": applicant_id,
                "member_ids": sorted(m[1] for m in members if m[1] is not None),
                "village_id": village_id, "org_path": self._org(village_id)[1],
                "policy": fast_track.recorded_policy(
                    self.policy_book.settings_on(local_date(now)), local_date(now)),
            }  # fmt: skip
            model = wf.open(str(uuid.uuid4()), payload)
            return self._append(conn, model, None, "apply", payload, actor, now, key, opened=now)

        return self._command(actor, run, key, None, "apply")

    def promise(self, actor: Actor, case_id: str, *, signed_by: str,
                signed_on: date | str | None = None, expected_version: int | None = None,
                idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Record the credit commitment (信用承诺) signed by a household member."""
        signer = inputs.record_id(signed_by, "signer id")
        return self._transition(actor, "promise", case_id, expected_version, idempotency_key,
                                lambda model, today, earliest: ("promise", {
                                    "signed_by": signer,
                                    "signed_on": inputs.day(signed_on, "signing date",
                                                            earliest=earliest, today=today),
                                }))  # fmt: skip

    def record_appraisal(self, actor: Actor, case_id: str, *, outcome: str, attendance: int,
                         votes_for: int, votes_against: int, abstentions: int = 0,
                         held_on: date | str | None = None, expected_version: int | None = None,
                         idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """Record the village democratic appraisal (民主评议); a failed one rejects the case."""
        result = inputs.choice(outcome, "appraisal outcome", {"passed": 1, "failed": 1})
        numbers = {
            "attendance": inputs.count(attendance, "attendance"),
            "votes_for": inputs.count(votes_for, "votes for"),
            "votes_against": inputs.count(votes_against, "votes against"),
            "abstentions": inputs.count(abstentions, "abstentions"),
        }
        trigger = "review" if result == "passed" else "fail_appraisal"
        return self._transition(actor, "record_appraisal", case_id, expected_version,
                                idempotency_key, lambda model, today, earliest: (trigger, {
                                    **numbers, "outcome": result,
                                    "held_on": inputs.day(held_on, "appraisal date",
                                                          earliest=earliest, today=today),
                                }))  # fmt: skip

    def approve(self, actor: Actor, case_id: str, *, monthly_amount: object,
                expected_version: int | None = None,
                idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The township decides the provisional approval; assistance starts that day."""
        amount = to_fen(monthly_amount, what="monthly amount",
                        maximum_yuan=self.policy["max_monthly_amount_yuan"])  # fmt: skip
        return self._transition(actor, "approve", case_id, expected_version, idempotency_key,
                                lambda model, today, earliest: (
                                    "approve", {"monthly_amount_fen": amount}))  # fmt: skip

    def refuse(self, actor: Actor, case_id: str, *, reason: str,
               expected_version: int | None = None,
               idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        why = inputs.text(reason, "reason", required=True)
        return self._transition(
            actor,
            "refuse",
            case_id,
            expected_version,
            idempotency_key,
            lambda model, today, earliest: ("refuse", {"reason": why}),
        )

    def record_verification(self, actor: Actor, case_id: str, *, result: str,
                            reason: str | None = None, checked_on: date | str | None = None,
                            expected_version: int | None = None,
                            idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        """The data check's result: verified, revoked (falsification) or terminated."""
        verdict = inputs.choice(result, "verification result", fast_track.VERIFICATION_RESULTS)
        why = inputs.text(reason, "reason", required=verdict != "meets_standard")
        trigger = fast_track.VERIFICATION_RESULTS[verdict][0]

        def build(model: CaseModel, today: date, earliest: date) -> tuple[str, dict[str, Any]]:
            payload: dict[str, Any] = {"result": verdict, "checked_on": inputs.day(
                checked_on, "check date", earliest=earliest, today=today)}  # fmt: skip
            if why is not None:
                payload["reason"] = why
            return trigger, payload | money.decision_payload(model, trigger, today, why)

        return self._transition(actor, "record_verification", case_id, expected_version,
                                idempotency_key, build)  # fmt: skip

    def withdraw(self, actor: Actor, case_id: str, *, reason: str | None = None,
                 expected_version: int | None = None,
                 idempotency_key: str | None = None) -> CaseView:  # fmt: skip
        why = inputs.text(reason, "reason", required=False)
        return self._transition(actor, "withdraw", case_id, expected_version, idempotency_key,
                                lambda model, today, earliest: (
                                    "withdraw", {"reason": why} if why else {}))  # fmt: skip

    # -- reads ---------------------------------------------------------------------------------
    def get_case(self, actor: Actor, case_id: str) -> CaseView:
        require_role(actor, "read")
        case_id = inputs.record_id(case_id)
        with self.uow.read() as conn:
            row = self._load(conn, case_id, actor, for_update=False)
        return case_view(row)

    def history(self, actor: Actor, case_id: str) -> list[EventView]:
        require_role(actor, "read")
        case_id = inputs.record_id(case_id)
        with self.uow.read() as conn:
            self._load(conn, case_id, actor, for_update=False)
            rows = conn.execute(store.SELECT_EVENTS, {"case_id": case_id}).all()
        wf_name = rows[0].payload["workflow"]
        wf = get_workflow(wf_name, rows[0].payload["workflow_version"])
        return [EventView(r.case_id, r.seq, r.type, wf.label_of(r.type).zh,
                          wf.label_of(r.type).en, r.payload, store.actor_of(r),
                          r.occurred_at, r.prev_hash, r.hash) for r in rows]  # fmt: skip

    def list_cases(self, actor: Actor, *, state: str | None = None, programme: str | None = None,
                   workflow: str | None = None, org: str | None = None,
                   overdue: bool | None = None, limit: int = 50,
                   offset: int = 0) -> list[CaseView]:  # fmt: skip
        """Cases in the actor's jurisdiction, oldest first, ``limit`` at a time (at most 1,000).

        Filters: ``state``, ``programme``, ``workflow``, ``org`` (a unit inside the actor's
        jurisdiction: its subtree), ``overdue`` (True: the fast-track data check is overdue and
        still awaited; the standard path's passed limits are on :meth:`limit_alarms`).
        """
        require_role(actor, "read")
        path = self._actor_path(actor)
        limit = min(max(inputs.count(limit, "limit"), 1), 1000)
        if org is not None:
            _, path = self._org(inputs.org_id(org))
            self._require_jurisdiction(actor, path, f"unit {org}")
        cases, d = store.cases, store.deadlines
        query = select(cases).where(store.in_subtree(cases.c.org_path, path))
        if state is not None:
            query = query.where(cases.c.state == state)
        if programme is not None:
            query = query.where(cases.c.programme == programme)
        if workflow is not None:
            query = query.where(cases.c.workflow == get_workflow(workflow).name)
        if overdue is not None:
            if not isinstance(overdue, bool):
                raise InvalidInput("overdue must be true or false", "overdue 应为 true 或 false")
            late = (select(d.c.id).where(d.c.case_id == cases.c.id,
                                         d.c.status.in_(("pending", "claimed")),
                                         d.c.kind.in_(OVERDUE_KINDS)).exists())  # fmt: skip
            query = query.where(late if overdue else ~late)
        query = (
            query.order_by(cases.c.opened_at, cases.c.id)
            .limit(limit)
            .offset(inputs.count(offset, "offset"))
        )
        with self.uow.read() as conn:
            return [case_view(r) for r in conn.execute(query)]

    def count_by_state(self, actor: Actor) -> dict[tuple[str, str], int]:
        """(programme, state) -> number of cases in the actor's jurisdiction."""
        require_role(actor, "read")
        path = self._actor_path(actor)
        cases = store.cases
        query = (select(cases.c.programme, cases.c.state, func.count())
                 .where(store.in_subtree(cases.c.org_path, path))
                 .group_by(cases.c.programme, cases.c.state))  # fmt: skip
        with self.uow.read() as conn:
            return {(p, s): n for p, s, n in conn.execute(query)}

    # -- the command machinery ----------------------------------------------------------------
    def _transition(self, actor: Actor, command: str, case_id: str,
                    expected_version: int | None, idempotency_key: str | None,
                    build: Build) -> CaseView:  # fmt: skip
        """Load the case, let ``build`` turn the command into (trigger, payload), fire, write."""
        require_role(actor, command)
        self._actor_path(actor)
        case_id = inputs.record_id(case_id)
        key = inputs.idempotency_key(idempotency_key)
        if expected_version is not None:
            inputs.count(expected_version, "expected version")

        def run(conn: Connection) -> CaseView:
            row = self._load(conn, case_id, actor, for_update=True)
            if expected_version is not None and row.row_version != expected_version:
                raise ConcurrencyConflict(
                    f"case {case_id} changed since you read it (version {expected_version}, "
                    f"now {row.row_version}, state '{row.state}'); reload it and decide again",
                    f"案件 {case_id} 在您查看后已被修改（版本 {expected_version} → {row.row_version}），"
                    "请刷新后重新办理",
                    case_id=case_id, expected_version=expected_version,
                    current_version=row.row_version,
                )  # fmt: skip
            model = store.model_of(row)
            now = self.clock.now()
            today = local_date(now)
            trigger, payload = build(model, today, local_date(row.opened_at))
            return self._append(conn, model, row, trigger, payload, actor, now, key)

        return self._command(actor, run, key, case_id, command)

    def _command(self, actor: Actor, run: Callable[[Connection], CaseView], key: str | None,
                 case_id: str | None, command: str) -> CaseView:  # fmt: skip
        try:
            with self.uow.write() as conn:
                return run(conn)
        except (PermissionDenied, InvalidInput, NotFound):
            raise  # never answer from an earlier result what the caller may not do now
        except JiuzhuError:
            # The command failed against the current state.  If its key was applied before,
            # this is a retry: answer with that first result instead (writing nothing).
            if key is not None:
                earlier = self._replay_key(actor, key, case_id, command)
                if earlier is not None:
                    return earlier
            raise

    def _append(self, conn: Connection, model: CaseModel, row: Any, trigger: str,
                payload: dict[str, Any], actor: Actor, now: datetime, key: str | None,
                opened: datetime | None = None, fired: str | None = None) -> CaseView:  # fmt: skip
        """Fire ``trigger`` in memory, then write case row, event and deadlines."""
        wf = get_workflow(model.facts["workflow"], model.facts["workflow_version"])
        if row is None:
            outcome = Outcome("", model.state, {}, ())
        else:
            with workdays.recording(self.calendar.current(conn)) as counted:
                outcome = wf.fire(model, trigger, payload, now)
            computed = counted.computed()
            if computed is not None:  # the limits it counted and the calendar revisions used
                payload = {**payload, workdays.COMPUTED: computed}
        seq, prev_hash = model.seq + 1, model.head_hash or GENESIS
        actor_doc = actor.as_event_actor()
        occurred = iso_utc(now)
        digest = event_hash(case_id=model.case_id, seq=seq, type=trigger, payload=payload,
                            actor=actor_doc, occurred_at=occurred,
                            prev_hash=prev_hash)  # fmt: skip
        model.seq, model.head_hash = seq, digest
        values = model.columns()
        values.update(id=model.case_id, updated_at=now)
        if row is None:
            values.update(workflow=wf.name, workflow_version=wf.version, opened_at=opened)
            self.sql.insert_case_row(conn, values)
        else:
            if self.sql.update_case_row(conn, values, row.row_version) != 1:
                raise ConcurrencyConflict(
                    f"case {model.case_id} was changed by someone else at the same moment; "
                    "reload it and decide again",
                    f"案件 {model.case_id} 刚被他人修改，请刷新后重新办理",
                )
            values.update(workflow=row.workflow, workflow_version=row.workflow_version,
                          opened_at=row.opened_at)  # fmt: skip
        entries = wf.book(model.case_id, seq, trigger, payload, now,
                          lambda: self.sql.ledger_entries(conn, model.case_id))  # fmt: skip
        self.sql.append_event(conn, {
            "case_id": model.case_id, "seq": seq, "type": trigger, "payload": payload,
            "actor_role": actor_doc["role"], "actor_org": actor_doc["org"],
            "actor_user": actor_doc.get("user"), "occurred_at": now,
            "prev_hash": prev_hash,
            "hash": digest, "idempotency_key": key,
        })  # fmt: skip
        if entries:
            self.sql.book(conn, entries, values["org_path"], now)
        credit = payload.get("credit")
        if credit:
            self.sql.add_credit_record(conn, person_id=credit["person_id"], case_id=model.case_id,
                                       seq=seq, reason=credit["reason"], on=local_date(now),
                                       at=now)  # fmt: skip
        for kind in outcome.closed:
            if kind == fired:
                continue  # the deadline being fired: its row is marked fired already
            status = "done" if kind in outcome.done else "cancelled"
            self.sql.close_deadline(conn, model.case_id, kind, seq, status=status)
        for kind, due in outcome.opened.items():
            self.sql.open_deadline(conn, model.case_id, kind, due, seq)
        return case_view(SimpleNamespace(**values))

    def _replay_key(self, actor: Actor, key: str, case_id: str | None,
                    command: str) -> CaseView | None:  # fmt: skip
        """If ``key`` was applied before, return the result it produced then."""
        with self.uow.read() as conn:
            hit = conn.execute(store.SELECT_EVENT_BY_KEY, {"key": key}).first()
            if hit is None:
                return None
            other_case = case_id is not None and hit.case_id != case_id
            if other_case or not store.same_command(hit.type, command):
                raise IdempotencyKeyReused(
                    f"idempotency key '{key}' was already used for '{hit.type}' on case "
                    f"{hit.case_id}; use a new key for a different command",
                    f"幂等键“{key}”已用于案件 {hit.case_id} 的其他操作，请使用新的键",
                )
            events = conn.execute(store.SELECT_EVENTS_UPTO,
                                  {"case_id": hit.case_id, "seq": hit.seq}).all()  # fmt: skip
        model = fold(store.event_dicts(events))
        self._require_jurisdiction(actor, model.facts["org_path"], f"case {hit.case_id}")
        values = model.columns()
        values.update(id=hit.case_id, workflow=model.facts["workflow"],
                      workflow_version=model.facts["workflow_version"],
                      opened_at=events[0].occurred_at, updated_at=events[-1].occurred_at)  # fmt: skip
        return case_view(SimpleNamespace(**values), replayed=True)

    # -- jurisdiction --------------------------------------------------------------------------
    def _load(self, conn: Connection, case_id: str, actor: Actor, *, for_update: bool) -> Any:
        row = self.sql.load_case(conn, case_id, for_update=for_update)
        if row is None:
            raise NotFound(f"case {case_id} not found", f"未找到案件 {case_id}", case_id=case_id)
        self._require_jurisdiction(actor, row.org_path, f"case {case_id}")
        return row

    def _org(self, unit_id: str) -> tuple[str, str]:
        cached = self._orgs.get(unit_id)
        if cached is None:
            with self.uow.read() as conn:
                row = conn.execute(store.SELECT_ORG, {"id": unit_id}).first()
            if row is None:
                raise NotFound(f"organisation unit {unit_id} not found", f"未找到单位 {unit_id}")
            cached = self._orgs[unit_id] = (row.level, row.path)
        return cached

    def _actor_path(self, actor: Actor) -> str:
        if actor.user is not None:
            inputs.staff_id(actor.user)
        if actor.role is Role.ADMIN:
            return ""
        try:
            level, path = self._org(inputs.org_id(actor.org))
        except NotFound:
            raise PermissionDenied(f"unknown organisation unit '{actor.org}' for the actor",
                                   f"操作人所属单位“{actor.org}”不存在") from None  # fmt: skip
        wanted = ROLE_LEVEL[actor.role]
        if wanted is not None and level != wanted:
            raise PermissionDenied(
                f"role '{actor.role.value}' acts from a {wanted}, but {actor.org} is a {level}",
                f"角色与所属单位层级不符（{actor.org} 为 {level}）",
            )
        return path

    def _require_jurisdiction(self, actor: Actor, target_path: str, what: str) -> None:
        path = self._actor_path(actor)
        if actor.role is not Role.ADMIN and not within(path, target_path):
            raise PermissionDenied(
                f"{what} is outside the jurisdiction of {actor.org}",
                f"{what} 不在 {actor.org} 的管辖范围内",
            )
