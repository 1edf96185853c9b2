"""Workflows are data: states, a transition table, guards and deadline rules.

One ``transitions.Machine(model=None)`` is built per workflow version and triggers are fired on
a small plain object (:class:`CaseModel`), never on a table row: a machine per row costs memory
and time, and SQLModel rows reject the attributes ``transitions`` adds.  Guards are pure
predicates over the case projection and the event payload; they raise :class:`GuardRejected`
with a reason instead of returning ``False`` so that the caller learns *why*.  Callbacks only
change memory; the service persists after the trigger returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from transitions import EventData, Machine, MachineError

from ..clock import iso_utc, parse_iso_utc
from ..errors import GuardRejected, TransitionNotAllowed, WorkflowDefinitionError
from ..ledger import pay_instant

Guard = Callable[["CaseModel", dict[str, Any]], None]
Effect = Callable[["CaseModel", dict[str, Any], datetime], None]
# a one-off payment an event makes: payload -> [(ledger kind, amount in fen), ...]
Payment = Callable[[dict[str, Any]], list[tuple[str, int]]]


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} {self.en}"


@dataclass(frozen=True)
class Transition:
    """``dest=None`` is an internal transition: the state stays, effects still run."""

    trigger: str
    source: tuple[str, ...]
    dest: str | None
    guards: tuple[Guard, ...] = ()
    effect: Effect | None = None
    system: bool = False  # fired by a due deadline, never by a person's command


@dataclass(frozen=True)
class DeadlineRule:
    """Deadline ``kind`` lives only while the case is in ``state``.

    With ``due``, entering the state opens it at ``due(entered_at, policy)``.  Leaving the
    state closes it, and every ``kind/...`` deadline opened by effects while there.
    """

    kind: str
    state: str
    due: Callable[[datetime, Mapping[str, Any]], datetime] | None = None


@dataclass
class CaseModel:
    """The in-memory projection of one case, folded from its events.

    ``facts`` holds everything the workflow records (ids, dates, amounts in fen); ``deadlines``
    maps each open deadline kind to its due instant.
    """

    case_id: str
    state: str
    facts: dict[str, Any] = field(default_factory=dict)
    deadlines: dict[str, datetime] = field(default_factory=dict)
    seq: int = 0
    head_hash: str = ""
    # transient: kinds an effect closed because their task was done (not merely cancelled)
    done: set[str] = field(default_factory=set, compare=False, repr=False)

    def columns(self) -> dict[str, Any]:
        """The values of the stored ``cases`` row that this projection implies.

        The service writes exactly these after a command; replay recomputes them from the
        events alone and compares.
        """
        facts = self.facts
        return {
            "state": self.state,
            "row_version": self.seq,
            "programme": facts["programme"],
            "household_id": facts["household_id"],
            "village_id": facts["village_id"],
            "org_path": facts["org_path"],
            "expenditure_fen": facts["expenditure_fen"],
            "monthly_amount_fen": facts.get("monthly_amount_fen"),
            "facts": facts,
            "deadlines": {kind: iso_utc(due) for kind, due in sorted(self.deadlines.items())},
            "last_seq": self.seq,
            "head_hash": self.head_hash,
        }


@dataclass(frozen=True)
class Outcome:
    """What one fired trigger changed: the state, deadlines opened and closed.

    A deadline whose due instant changed is closed and opened again.  ``done`` names the
    closed ones whose task was completed (a visit made) rather than cancelled.
    """

    source: str
    dest: str
    opened: dict[str, datetime]
    closed: tuple[str, ...]
    done: frozenset[str] = frozenset()


class Workflow:
    def __init__(
        self,
        *,
        name: str,
        version: int,
        states: Mapping[str, Label],
        initial: str,
        final: tuple[str, ...],
        transitions: tuple[Transition, ...],
        trigger_labels: Mapping[str, Label],
        opener: Callable[[Mapping[str, Any]], dict[str, Any]],
        deadline_rules: tuple[DeadlineRule, ...] = (),
        subflows: Mapping[str, SubFlow] | None = None,
        on_deadline: Mapping[str, str] | None = None,
        allowance_states: tuple[str, ...] = (),
        payments: Mapping[str, Payment] | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.states = dict(states)
        self.initial = initial
        self.final = final
        self.transitions = transitions
        self.trigger_labels = dict(trigger_labels)
        self.deadline_rules = deadline_rules
        self.subflows = dict(subflows or {})
        # which trigger a due deadline fires, by kind (the part before any "/")
        self.on_deadline = dict(on_deadline or {})
        # Money (see jiuzhu.ledger): while the case is in one of ``allowance_states`` and its
        # facts hold ``allowance`` = {"monthly_fen", "next_month": "YYYY-MM"}, the monthly
        # payment run pays it; ``payments`` names the triggers whose events pay one-off sums.
        self.allowance_states = allowance_states
        self.payments = dict(payments or {})
        self._opener = opener
        self._check_definition()
        self.machine = Machine(
            model=None,
            states=list(self.states),
            initial=initial,
            transitions=[self._as_dict(t) for t in transitions],
            auto_transitions=False,
            send_event=True,
        )
        self._allowed = {
            state: {t.trigger for t in transitions if state in t.source} for state in self.states
        }
        # (trigger, state) -> the transition the machine takes there: the first one defined
        # (its guards raise instead of returning False, so the machine never tries another)
        self._direct: dict[tuple[str, str], Transition] = {}
        for t in transitions:
            for state in t.source:
                self._direct.setdefault((t.trigger, state), t)
        self._offered = {
            state: sorted({t.trigger for t in transitions if state in t.source and not t.system})
            for state in self.states
        }

    # -- definition -----------------------------------------------------------------------
    def _as_dict(self, t: Transition) -> dict[str, Any]:
        def check(event: EventData) -> bool:
            for guard in t.guards:
                guard(event.model, event.kwargs["payload"])
            return True

        def apply(event: EventData) -> None:
            if t.effect is not None:
                t.effect(event.model, event.kwargs["payload"], event.kwargs["at"])

        return {
            "trigger": t.trigger,
            "source": list(t.source),
            "dest": t.dest,  # None: internal
            "conditions": [check],
            "after": [apply],
        }

    def _check_definition(self) -> None:
        names = set(self.states)
        for t in self.transitions:
            unknown = (set(t.source) | ({t.dest} if t.dest else set())) - names
            if unknown:
                raise WorkflowDefinitionError(f"{self.name}: {t.trigger} names unknown {unknown}")
            if t.trigger not in self.trigger_labels:
                raise WorkflowDefinitionError(f"{self.name}: trigger {t.trigger} has no label")
            if t.dest is not None and set(t.source) & set(self.final):
                raise WorkflowDefinitionError(f"{self.name}: {t.trigger} leaves a final state")
        reached = {self.initial}
        frontier = [self.initial]
        while frontier:
            state = frontier.pop()
            for t in self.transitions:
                if state in t.source and t.dest is not None and t.dest not in reached:
                    reached.add(t.dest)
                    frontier.append(t.dest)
        if reached != names:
            raise WorkflowDefinitionError(f"{self.name}: unreachable states {names - reached}")

    # -- use ------------------------------------------------------------------------------
    def open(self, case_id: str, payload: Mapping[str, Any]) -> CaseModel:
        """A new case in the initial state from its opening event's payload (guards included)."""
        return CaseModel(case_id, self.initial, self._opener(payload))

    def allowed(self, state: str) -> list[str]:
        """The triggers a person may fire in ``state`` (deadline-driven ones are not listed)."""
        return self._offered.get(state, [])

    def fire(
        self,
        model: CaseModel,
        trigger: str,
        payload: dict[str, Any],
        at: datetime,
        *,
        direct: bool = False,
    ) -> Outcome:
        """Run ``trigger`` on ``model`` (guards, state change, effects, deadline rules).

        ``prefix.trigger`` runs a sub-workflow (e.g. ``plan.visit``) on the entity its payload
        names.  Raises :class:`TransitionNotAllowed` or the guard's :class:`GuardRejected`; on
        either, ``model`` is unchanged.

        ``direct=True`` (replay, audit) runs the same definition -- guards, state change,
        effect -- without the ``transitions`` machine's per-event machinery; a test holds the two
        paths to identical results for every workflow.
        """
        before = dict(model.deadlines)
        source = model.state
        prefix, dot, sub_trigger = trigger.partition(".")
        if dot and prefix in self.subflows:
            self.subflows[prefix].fire(model, sub_trigger, payload, at, direct=direct)
        else:
            self._fire_own(model, trigger, payload, at, direct=direct)
            self._apply_deadline_rules(model, source, at)
            if self.allowance_states:
                self._arm_allowance(model)
        return self._outcome(model, source, before)

    def _arm_allowance(self, model: CaseModel) -> None:
        """Keep ``allowance_due`` at the pay day of the next unpaid month while paying."""
        allowance = model.facts.get("allowance")
        policy = model.facts.get("policy", {})
        if (
            model.state in self.allowance_states
            and allowance
            and policy.get("monthly_payments", True)
        ):
            pay_day = policy.get("pay_day", 15)
            since = parse_iso_utc(allowance["since"]) if allowance.get("since") else None
            model.deadlines["allowance_due"] = pay_instant(allowance["next_month"], pay_day,
                                                           since)  # fmt: skip
        else:
            model.deadlines.pop("allowance_due", None)

    def _fire_own(self, model: CaseModel, trigger: str, payload: dict[str, Any],
                  at: datetime, *, direct: bool = False) -> None:  # fmt: skip
        if direct:
            t = self._direct.get((trigger, model.state))
            if t is None:
                raise self._not_allowed(model, trigger)
            for guard in t.guards:
                guard(model, payload)
            if t.dest is not None:
                model.state = t.dest
            if t.effect is not None:
                t.effect(model, payload, at)
            return
        event = self.machine.events.get(trigger)
        if event is None or trigger not in self._allowed.get(model.state, ()):
            raise self._not_allowed(model, trigger)
        try:
            event.trigger(model, payload=payload, at=at)
        except MachineError:  # pragma: no cover - guarded by the check above
            raise self._not_allowed(model, trigger) from None

    @staticmethod
    def _outcome(model: CaseModel, source: str, before: dict[str, datetime]) -> Outcome:
        after = model.deadlines
        closed = tuple(k for k, due in before.items() if after.get(k) != due)
        opened = {k: due for k, due in after.items() if before.get(k) != due}
        done = frozenset(model.done & set(closed))
        model.done.clear()
        return Outcome(source, model.state, opened, closed, done)

    def _not_allowed(self, model: CaseModel, trigger: str) -> TransitionNotAllowed:
        state_label = self.states.get(model.state)
        trigger_label = self.trigger_labels.get(trigger)
        allowed = self.allowed(model.state)
        return TransitionNotAllowed(
            model.case_id,
            model.state,
            trigger,
            allowed,
            state_label.zh if state_label else "",
            trigger_label.zh if trigger_label else "",
            [self.trigger_labels[t].zh for t in allowed],
        )

    def _apply_deadline_rules(self, model: CaseModel, source: str, at: datetime) -> None:
        dest = model.state
        if dest == source:
            return
        for rule in self.deadline_rules:
            if rule.state == source:
                for kind in [k for k in model.deadlines if k == rule.kind
                             or k.startswith(rule.kind + "/")]:  # fmt: skip
                    del model.deadlines[kind]
            if rule.state == dest and rule.due is not None:
                model.deadlines[rule.kind] = rule.due(at, model.facts.get("policy", {}))

    def state_label(self, state: str) -> Label:
        return self.states[state]

    def label_of(self, trigger: str) -> Label:
        prefix, dot, sub_trigger = trigger.partition(".")
        if dot and prefix in self.subflows:
            return self.subflows[prefix].workflow.trigger_labels[sub_trigger]
        return self.trigger_labels[trigger]


class SubFlow:
    """A workflow for entities that live inside a case (e.g. its service plans).

    Each entity is a dict in ``case.facts[collection][id]`` with its own ``state``; its events
    go into the case's chain as ``prefix.trigger`` with ``payload[id_key]`` naming it.  The
    entity's deadlines are the case's, named ``kind/<id>``.
    """

    def __init__(self, workflow: Workflow, *, collection: str, id_key: str, open_trigger: str,
                 may_open: Callable[[CaseModel], None], after_open: Effect) -> None:  # fmt: skip
        self.workflow = workflow
        self.collection = collection
        self.id_key = id_key
        self.open_trigger = open_trigger
        self.may_open = may_open  # (case) -> None, raises GuardRejected when it may not
        self.after_open = after_open  # (entity model, payload, at): e.g. arm the first deadline

    def fire(self, model: CaseModel, trigger: str, payload: dict[str, Any], at: datetime,
             *, direct: bool = False) -> None:  # fmt: skip
        entity_id = payload[self.id_key]
        if trigger == self.open_trigger:
            self.may_open(model)
        entities = model.facts.setdefault(self.collection, {})
        if trigger == self.open_trigger:
            if entity_id in entities:  # the service makes fresh ids; a forged chain may not
                raise GuardRejected(f"{self.id_key} {entity_id} exists already",
                                    f"{self.id_key} {entity_id} 已存在", **{self.id_key: entity_id})  # fmt: skip
            entity = self.workflow._opener(payload)
            entity["state"] = self.workflow.initial
            entities[entity_id] = entity
            sub = CaseModel(f"{model.case_id}/{entity_id}", entity["state"], entity,
                            model.deadlines, done=model.done)  # fmt: skip
            self.after_open(sub, payload, at)
            return
        entity = entities.get(entity_id)
        if entity is None:
            raise TransitionNotAllowed(model.case_id, model.state, trigger, [],
                                       trigger_zh=f"{self.id_key} {entity_id} 不存在")  # fmt: skip
        sub = CaseModel(f"{model.case_id}/{entity_id}", entity["state"], entity, model.deadlines,
                        done=model.done)  # fmt: skip
        self.workflow._fire_own(sub, trigger, payload, at, direct=direct)
        entity["state"] = sub.state
