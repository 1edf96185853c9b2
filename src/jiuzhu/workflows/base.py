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
from datetime import date, datetime
from typing import Any, cast

from transitions import EventData, Machine, MachineError

from ..clock import iso_utc, local_date, parse_iso_utc
from ..errors import TransitionNotAllowed, WorkflowDefinitionError
from ..ledger import KINDS, Entry
from .allowance import pays
from .calendar import pay_instant
from .hooks import Booked, Books, Decide, Hooks
from .model import (
    IMPORT,
    IMPORT_LABEL,
    CaseModel,
    DeadlineEvent,
    DeadlineRule,
    Effect,
    Firing,
    Guard,
    Label,
    Outcome,
    Transition,
)
from .subflow import SubFlow

# which trigger a due deadline fires, what it records, and the collection of its entity
_Fires = tuple[str, DeadlineEvent | None, str | None]


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
        allowance_states: tuple[str, ...] = (),
        hooks: Mapping[str, Hooks] | None = None,
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
        # Money: while the case is in one of ``allowance_states`` and its facts hold
        # ``allowance`` = {"monthly_fen", "next_month": "YYYY-MM"}, the monthly payment run
        # pays it (see .allowance); ``hooks`` say what each trigger decides and books.
        self.allowance_states = allowance_states
        self.hooks = dict(hooks or {})
        self._opener = opener
        self._check_definition()
        self._fires = self._deadline_firings()
        # which trigger a due deadline fires, by kind (the part before any "/")
        self.on_deadline = {kind: fires[0] for kind, fires in self._fires.items()}
        self._state_rules = tuple(r for r in deadline_rules if r.state is not None)
        self._books = {t: h.books for t, h in self.hooks.items() if h.books}
        self._decide: dict[str, Decide] = {t: h.decide for t, h in self.hooks.items()
                                           if h.decide is not None}  # fmt: skip
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
            state: sorted(
                {t.trigger for t in transitions if state in t.source and not t.system and t.offered}
            )
            for state in self.states
        }

    # -- definition -----------------------------------------------------------------------
    def _as_dict(self, t: Transition) -> dict[str, Any]:
        def check(event: EventData) -> bool:
            for guard in t.guards:
                guard(cast(CaseModel, event.model), event.kwargs["payload"])
            return True

        def apply(event: EventData) -> None:
            if t.effect is not None:
                t.effect(cast(CaseModel, event.model), event.kwargs["payload"], event.kwargs["at"])

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
        self._check_rules(names)
        self._check_hooks()

    def _check_rules(self, names: set[str]) -> None:
        triggers = {t.trigger: t for t in self.transitions}
        fired: dict[str, str] = {}
        for rule in self.deadline_rules:
            where = f"{self.name}: deadline rule {rule.kind}"
            if rule.state is not None and rule.state not in names:
                raise WorkflowDefinitionError(f"{where} names unknown state {rule.state!r}")
            if rule.fires is None:
                if rule.event is not None:
                    raise WorkflowDefinitionError(f"{where} records an event but fires nothing")
                continue
            if rule.fires not in triggers:
                raise WorkflowDefinitionError(f"{where} fires unknown trigger {rule.fires!r}")
            if not triggers[rule.fires].system:
                raise WorkflowDefinitionError(
                    f"{where} fires {rule.fires!r}, which is not a system trigger"
                )
            if fired.setdefault(rule.kind, rule.fires) != rule.fires:
                raise WorkflowDefinitionError(f"{where} fires both {fired[rule.kind]!r} and "
                                              f"{rule.fires!r}")  # fmt: skip
        for t in self.transitions:
            if t.system and t.trigger not in fired.values():
                raise WorkflowDefinitionError(f"{self.name}: system trigger {t.trigger} is fired "
                                              "by no deadline rule")  # fmt: skip

    def _check_hooks(self) -> None:
        triggers = {t.trigger for t in self.transitions}
        for trigger, hooks in self.hooks.items():
            if trigger not in triggers:
                raise WorkflowDefinitionError(f"{self.name}: hooks for unknown trigger {trigger!r}")
            for books in hooks.books:
                unknown = sorted(set(books.kinds) - set(KINDS))
                if unknown or not books.kinds:
                    raise WorkflowDefinitionError(
                        f"{self.name}: {trigger} books unknown ledger kinds {unknown}; "
                        f"known: {', '.join(KINDS)}")  # fmt: skip

    def _deadline_firings(self) -> dict[str, _Fires]:
        out: dict[str, _Fires] = {}
        for prefix, sub in self.subflows.items():
            for kind, (trigger, event, _) in sub.workflow._fires.items():
                out[kind] = (f"{prefix}.{trigger}", event, sub.collection)
        for rule in self.deadline_rules:
            if rule.fires is not None:
                out[rule.kind] = (rule.fires, rule.event, None)
        return out

    # -- use ------------------------------------------------------------------------------
    def open(self, case_id: str, payload: Mapping[str, Any]) -> CaseModel:
        """A new case in the initial state from its opening event's payload (guards included)."""
        return CaseModel(case_id, self.initial, self._opener(payload))

    def enter(self, model: CaseModel, at: datetime) -> None:
        """Open the deadlines the rules give on entering ``model.state`` at ``at`` and arm the
        monthly allowance: how an adopted case (:mod:`.adoption`) gets its deadlines."""
        for rule in self._state_rules:
            if rule.state == model.state and rule.due is not None:
                model.deadlines[rule.kind] = rule.due(at, model.facts.get("policy", {}))
        if self.allowance_states:
            self._arm_allowance(model)

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
            and pays(allowance)
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
        for rule in self._state_rules:
            if rule.state == source:
                for kind in [k for k in model.deadlines if k == rule.kind
                             or k.startswith(rule.kind + "/")]:  # fmt: skip
                    del model.deadlines[kind]
            if rule.state == dest and rule.due is not None:
                model.deadlines[rule.kind] = rule.due(at, model.facts.get("policy", {}))

    # -- what a trigger records and books --------------------------------------------------------
    def decide(self, model: CaseModel, trigger: str, today: date, **args: Any) -> dict[str, Any]:
        """The facts a decision by ``trigger`` records, from the case, ``today`` and the
        command's ``args`` (nothing when the trigger decides nothing)."""
        hook = self._decide.get(trigger)
        return {} if hook is None else hook(model, today, args)

    def deadline_event(self, model: CaseModel, kind: str, due_at: datetime, now: datetime, *,
                       next_occurrence: Callable[[Mapping[str, Any]], str | None] | None = None,
                       ) -> tuple[str, dict[str, Any]]:  # fmt: skip
        """The trigger and payload that firing deadline ``kind`` (due ``due_at``) writes."""
        base, _, entity = kind.partition("/")
        trigger, event, collection = self._fires[base]
        late = max((now - due_at).total_seconds(), 0.0)
        payload: dict[str, Any] = {"deadline": kind, "due_at": iso_utc(due_at),
                                   "late_by_seconds": int(late)}  # fmt: skip
        if event is not None:
            facts = model.facts if collection is None else model.facts[collection][entity]
            payload.update(event(facts, Firing(kind, entity, due_at, now, next_occurrence)))
        return trigger, payload

    def book(self, case_id: str, seq: int, trigger: str, payload: Mapping[str, Any],
             occurred_at: datetime, prior: Booked) -> list[Entry]:  # fmt: skip
        """The ledger entries event ``seq`` (``trigger`` with ``payload``) books, dated the
        Shanghai day it occurred; ``prior`` returns the case's entries before it (read only
        when a line needs them, e.g. a recovery itemising what was paid)."""
        hooks = self._books.get(trigger)
        if not hooks:
            return []
        booked_on = local_date(occurred_at)
        entries: list[Entry] = []

        def booked() -> tuple[Entry, ...]:
            return (*prior(), *entries)

        line = 0
        for books in hooks:
            for kind, fen, period, ref in books.lines(payload, booked):
                if kind not in books.kinds:
                    raise WorkflowDefinitionError(f"{self.name}: {trigger} booked {kind!r}, "
                                                  f"not one of {books.kinds}")  # fmt: skip
                if fen > 0:
                    entries.append(Entry(case_id, seq, line, kind, fen, booked_on, period, ref))
                line += 1
        return entries

    def state_label(self, state: str) -> Label:
        return self.states[state]

    def label_of(self, trigger: str) -> Label:
        prefix, dot, sub_trigger = trigger.partition(".")
        if dot and prefix in self.subflows:
            return self.subflows[prefix].workflow.trigger_labels[sub_trigger]
        if trigger == IMPORT and trigger not in self.trigger_labels:
            return IMPORT_LABEL  # an adopted case's opening event (.adoption)
        return self.trigger_labels[trigger]


__all__ = ["Books", "CaseModel", "DeadlineEvent", "DeadlineRule", "Effect", "Firing", "Guard",
           "Hooks", "Label", "Outcome", "SubFlow", "Transition", "Workflow"]  # fmt: skip
