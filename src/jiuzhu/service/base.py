"""The command machinery every command module of the service is built on.

:class:`CommandBase` holds what a command needs: the persistence port (``sql``), the unit of
work, the clock, the working-day calendar and the policy book; and the steps every command
takes: check the actor's role and jurisdiction, load the case for update, fire the trigger on
an in-memory :class:`~jiuzhu.workflows.base.CaseModel`, then write the case row, its hashed
event, its ledger lines and its deadline rows in one transaction (:meth:`CommandBase._append`).
An idempotency key that was applied before answers with the result it produced then.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import date, datetime
from os import PathLike
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection

from .. import metrics
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
from ..models import rows
from ..models.port import Statements, Writes
from ..policy import PolicyBook, book_from
from ..workflows import fast_track, workdays
from ..workflows import get as get_workflow
from ..workflows.base import CaseModel, Outcome
from . import chain, inputs
from .actors import ROLE_LEVEL, Actor, Role, require_role, within
from .calendar import CalendarStore
from .command_names import same_command
from .provider_check import provider_unit
from .unit_of_work import UnitOfWork
from .views import CaseView, case_view

# (projection, today, day the case was opened) -> (trigger, payload); dates are Shanghai days
Build = Callable[[CaseModel, date, date], tuple[str, dict[str, Any]]]
PolicySource = PolicyBook | str | PathLike[str] | Mapping[str, Any] | None


# The digest of the public command being run with an idempotency key (see CommandBase)
_ARGUMENTS: ContextVar[str | None] = ContextVar("jiuzhu_command_arguments", default=None)
_NOT_ARGUMENTS = frozenset({"self", "actor", "idempotency_key", "expected_version"})


def arguments_digest(command: str, arguments: Mapping[str, Any]) -> str:
    """SHA-256 of a command's name and arguments (not its actor, key or expected version)."""
    doc = [command, {k: v for k, v in arguments.items() if k not in _NOT_ARGUMENTS}]
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _keyed(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a public command taking ``idempotency_key``: when a key is given, the digest of its
    arguments is kept with the key, so that the key with other arguments is refused."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    def command(self: CommandBase, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("idempotency_key") is None:
            return method(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        token = _ARGUMENTS.set(arguments_digest(method.__name__, bound.arguments))
        try:
            return method(self, *args, **kwargs)
        finally:
            _ARGUMENTS.reset(token)

    return command


class CommandBase:
    """The state and the steps shared by every command module."""

    sql: Statements  # the persistence port: every statement a command runs
    uow: UnitOfWork
    clock: Clock
    calendar: CalendarStore

    def __init__(self, sql: Statements, uow: UnitOfWork, calendar: CalendarStore, *,
                 clock: Clock | None = None, policy: PolicySource = None) -> None:  # fmt: skip
        self.sql = sql
        self.uow = uow
        self.calendar = calendar  # the working-day calendar, read from the database
        self.clock = clock or SystemClock()
        self.policy_book = book_from(policy)  # see jiuzhu.policy.book_from
        self._orgs: dict[str, tuple[str, str]] = {}  # id -> (level, path); units never move
        self._unit_names: dict[str, str] = {}  # id -> name

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            key = inspect.signature(value).parameters.get("idempotency_key")
            if key is not None and key.kind is inspect.Parameter.KEYWORD_ONLY:
                setattr(cls, name, _keyed(value))

    # -- the policy ------------------------------------------------------------------------
    @property
    def policy_book(self) -> PolicyBook:
        """Dated policy (dibao lines per city, limits, ratios); see :mod:`jiuzhu.policy`."""
        return self._policy_book

    @policy_book.setter
    def policy_book(self, book: PolicyBook) -> None:
        if not isinstance(book, PolicyBook):
            raise InvalidInput("the policy book must be a jiuzhu.policy.PolicyBook",
                               "政策配置类型不正确")  # fmt: skip
        self._policy_book = book

    @property
    def policy(self) -> dict[str, Any]:
        """The fast track's settings in force today, as its ``apply`` event records them."""
        today = local_date(self.clock.now())
        return fast_track.recorded_policy(self.policy_book.settings_on(today), today)

    # -- the command machinery --------------------------------------------------------------
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
            model = rows.model_of(row)
            now = self.clock.now()
            today = local_date(now)
            trigger, payload = build(model, today, local_date(row.opened_at))
            if payload.get("allowance_months"):
                payload = chain.not_paid_twice(self.sql, conn, row, payload)
            return self._append(conn, model, row, trigger, payload, actor, now, key)

        return self._command(actor, run, key, case_id, command)

    def _command(self, actor: Actor, run: Callable[[Connection], CaseView], key: str | None,
                 case_id: str | None, command: str) -> CaseView:  # fmt: skip
        return metrics.measured(
            command, lambda: self._write_command(actor, run, key, case_id, command)
        )

    def _write_command(self, actor: Actor, run: Callable[[Connection], CaseView], key: str | None,
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
        values = self._record(conn, self.sql, model, row, trigger, payload, actor, now, key,
                              opened, fired)  # fmt: skip
        return self._case_view(SimpleNamespace(**values), conn)

    def _record(self, conn: Connection, sink: Writes, model: CaseModel, row: Any, trigger: str,
                payload: dict[str, Any], actor: Actor, now: datetime, key: str | None,
                opened: datetime | None = None, fired: str | None = None) -> dict[str, Any]:  # fmt: skip
        """:meth:`_append` with the writes given to ``sink``: the statements themselves, or a
        chunk's batch (``service/firing_set.py``); returns the case row's values."""
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
            values.update(workflow=wf.name, workflow_version=wf.version, opened_at=opened,
                          case_no=model.facts["case_no"])  # fmt: skip
            sink.insert_case_row(conn, values)
        else:
            if sink.update_case_row(conn, values, row.row_version) != 1:
                raise ConcurrencyConflict(
                    f"case {model.case_id} was changed by someone else at the same moment; "
                    "reload it and decide again",
                    f"案件 {model.case_id} 刚被他人修改，请刷新后重新办理",
                )
            values.update(workflow=row.workflow, workflow_version=row.workflow_version,
                          opened_at=row.opened_at, case_no=row.case_no)  # fmt: skip
        entries = wf.book(model.case_id, seq, trigger, payload, now,
                          lambda: self.sql.ledger_entries(conn, model.case_id))  # fmt: skip
        sink.append_event(conn, {
            "case_id": model.case_id, "seq": seq, "type": trigger, "payload": payload,
            "actor_role": actor_doc["role"], "actor_org": actor_doc["org"],
            "actor_user": actor_doc.get("user"), "occurred_at": now,
            "prev_hash": prev_hash,
            "hash": digest, "idempotency_key": None,
        })  # fmt: skip
        if key is not None:  # scoped to the actor's unit: a second use fails the unique index
            sink.record_command_key(conn, {
                "org": actor.org, "key": key, "digest": _ARGUMENTS.get(), "case_id": model.case_id,
                "seq": seq, "type": trigger, "created_at": now,
            })  # fmt: skip
        if entries:
            sink.book(conn, entries, values["org_path"], now)
            months = [e.period for e in entries if e.kind == "allowance"]
            if months:  # one allowance per household, programme and month: the primary key
                sink.hold_months(conn, values["household_id"], values["programme"], months,
                                     model.case_id, seq, now)  # fmt: skip
        credit = payload.get("credit")
        if credit:
            sink.add_credit_record(conn, person_id=credit["person_id"], case_id=model.case_id,
                                       seq=seq, reason=credit["reason"], on=local_date(now),
                                       at=now)  # fmt: skip
        for kind in outcome.closed:
            if kind == fired:
                continue  # the deadline being fired: its row is marked fired already
            status = "done" if kind in outcome.done else "cancelled"
            sink.close_deadline(conn, model.case_id, kind, seq, status=status)
        for kind, due in outcome.opened.items():
            sink.open_deadline(conn, model.case_id, kind, due, seq)
        return values

    def _replay_key(self, actor: Actor, key: str, case_id: str | None,
                    command: str) -> CaseView | None:  # fmt: skip
        """If the actor's unit applied ``key`` before, return the result it produced then.

        The key with another command, another case or other arguments is refused; the refusal
        names the earlier case only when it lies inside the actor's jurisdiction.
        """
        with self.uow.read() as conn:
            hit = self.sql.command_key(conn, actor.org, key)
            if hit is None:
                return None
            other_case = case_id is not None and hit.case_id != case_id
            digest = _ARGUMENTS.get()
            other_arguments = None not in (digest, hit.digest) and digest != hit.digest
            if other_case or other_arguments or not same_command(hit.type, command):
                earlier = self.sql.load_case(conn, hit.case_id, for_update=False)
                self._key_reused(actor, key, hit, earlier, other_arguments and not other_case)
            events = self.sql.events_of(conn, hit.case_id, upto=hit.seq)
            stored = self.sql.load_case(conn, hit.case_id, for_update=False)
        model = fold(rows.event_dicts(events))
        self._require_jurisdiction(actor, model.facts["org_path"], f"case {hit.case_id}")
        values = model.columns()
        values.update(id=hit.case_id, workflow=model.facts["workflow"],
                      workflow_version=model.facts["workflow_version"],
                      opened_at=events[0].occurred_at, updated_at=events[-1].occurred_at,
                      case_no=stored.case_no)  # fmt: skip
        return self._case_view(SimpleNamespace(**values), replayed=True)

    def _key_reused(self, actor: Actor, key: str, hit: Any, earlier: Any,
                    arguments: bool) -> None:  # fmt: skip
        what = "with other arguments" if arguments else f"for '{hit.type}'"
        shown = (earlier is not None and actor.role is not Role.ADMIN
                 and within(self._actor_path(actor), earlier.org_path))  # fmt: skip
        where = f" on case {hit.case_id}" if shown else ""
        raise IdempotencyKeyReused(
            f"idempotency key '{key}' was already used {what}{where}; use a new key for a "
            "different command",
            f"幂等键“{key}”已用于"
            + (f"案件 {hit.case_id} 的" if shown else "")
            + ("不同参数的操作" if arguments else "其他操作")
            + "，请使用新的键",
            key=key,
        )

    # -- jurisdiction --------------------------------------------------------------------------
    def _load(self, conn: Connection, case_id: str, actor: Actor, *, for_update: bool) -> Any:
        row = self.sql.load_case(conn, case_id, for_update=for_update)
        if row is None:
            raise NotFound(f"case {case_id} not found", f"未找到案件 {case_id}", case_id=case_id)
        self._require_jurisdiction(actor, row.org_path, f"case {case_id}")
        return row

    def _org(self, unit_id: str, conn: Connection | None = None) -> tuple[str, str]:
        """(level, path) of a unit, read once (on ``conn`` when given, else on a connection of
        its own) and cached with its name: units never move."""
        cached = self._orgs.get(unit_id)
        if cached is None:
            if conn is None:
                with self.uow.read() as own:
                    row = self.sql.org_unit(own, unit_id)
            else:
                row = self.sql.org_unit(conn, unit_id)
            if row is None:
                raise NotFound(f"organisation unit {unit_id} not found", f"未找到单位 {unit_id}")
            cached = self._orgs[unit_id] = (row.level, row.path)
            self._unit_names[unit_id] = row.name
        return cached

    def _unit_name(self, unit_id: str, conn: Connection | None = None) -> str:
        """The name of a unit (read on ``conn`` when given, else on a connection of its own)."""
        if unit_id not in self._unit_names:
            self._org(unit_id, conn)
        return self._unit_names[unit_id]

    def _case_view(self, row: Any, conn: Connection | None = None,
                   replayed: bool = False) -> CaseView:  # fmt: skip
        """The view of a case row, with its village's name."""
        return case_view(row, replayed, self._unit_name(row.village_id, conn))

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
        if actor.role is Role.PROVIDER:
            provider_unit(self, actor)  # its provider, registered at its unit
        return path

    def _require_jurisdiction(self, actor: Actor, target_path: str, what: str) -> None:
        path = self._actor_path(actor)
        if actor.role is not Role.ADMIN and not within(path, target_path):
            raise PermissionDenied(
                f"{what} is outside the jurisdiction of {actor.org}",
                f"{what} 不在 {actor.org} 的管辖范围内",
            )
