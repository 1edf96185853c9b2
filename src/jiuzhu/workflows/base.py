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

from ..clock import iso_utc
from ..errors import TransitionNotAllowed, WorkflowDefinitionError

Guard = Callable[["CaseModel", dict[str, Any]], None]
Effect = Callable[["CaseModel", dict[str, Any], datetime], None]


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} {self.en}"


@dataclass(frozen=True)
class Transition:
    trigger: str
    source: tuple[str, ...]
    dest: str
    guards: tuple[Guard, ...] = ()
    effect: Effect | None = None


@dataclass(frozen=True)
class DeadlineRule:
    """On entering ``state`` start deadline ``kind``; leaving the state cancels it."""

    kind: str
    state: str
    due: Callable[[datetime, Mapping[str, Any]], datetime]  # (entered_at, policy) -> due_at


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
    """What one fired trigger changed: the state, deadlines opened and closed."""

    source: str
    dest: str
    opened: dict[str, datetime]
    closed: tuple[str, ...]


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
    ) -> None:
        self.name = name
        self.version = version
        self.states = dict(states)
        self.initial = initial
        self.final = final
        self.transitions = transitions
        self.trigger_labels = dict(trigger_labels)
        self.deadline_rules = deadline_rules
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
            state: sorted({t.trigger for t in transitions if state in t.source})
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
            "dest": t.dest,
            "conditions": [check],
            "after": [apply],
        }

    def _check_definition(self) -> None:
        names = set(self.states)
        for t in self.transitions:
            unknown = (set(t.source) | {t.dest}) - names
            if unknown:
                raise WorkflowDefinitionError(f"{self.name}: {t.trigger} names unknown {unknown}")
            if t.trigger not in self.trigger_labels:
                raise WorkflowDefinitionError(f"{self.name}: trigger {t.trigger} has no label")
            if set(t.source) & set(self.final):
                raise WorkflowDefinitionError(f"{self.name}: {t.trigger} leaves a final state")
        reached = {self.initial}
        frontier = [self.initial]
        while frontier:
            state = frontier.pop()
            for t in self.transitions:
                if state in t.source and t.dest not in reached:
                    reached.add(t.dest)
                    frontier.append(t.dest)
        if reached != names:
            raise WorkflowDefinitionError(f"{self.name}: unreachable states {names - reached}")

    # -- use ------------------------------------------------------------------------------
    def open(self, case_id: str, payload: Mapping[str, Any]) -> CaseModel:
        """A new case in the initial state from its opening event's payload (guards included)."""
        return CaseModel(case_id, self.initial, self._opener(payload))

    def allowed(self, state: str) -> list[str]:
        return self._allowed.get(state, [])

    def fire(
        self, model: CaseModel, trigger: str, payload: dict[str, Any], at: datetime
    ) -> Outcome:
        """Run ``trigger`` on ``model`` (guards, state change, effects, deadline rules).

        Raises :class:`TransitionNotAllowed` or the guard's :class:`GuardRejected`; on either,
        ``model`` is unchanged.
        """
        source = model.state
        event = self.machine.events.get(trigger)
        if event is None or trigger not in self._allowed.get(source, ()):
            raise self._not_allowed(model, trigger)
        try:
            event.trigger(model, payload=payload, at=at)
        except MachineError:  # pragma: no cover - guarded by the check above
            raise self._not_allowed(model, trigger) from None
        return self._apply_deadline_rules(model, source, at)

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

    def _apply_deadline_rules(self, model: CaseModel, source: str, at: datetime) -> Outcome:
        dest = model.state
        closed: list[str] = []
        opened: dict[str, datetime] = {}
        for rule in self.deadline_rules:
            if rule.state == source and dest != source and rule.kind in model.deadlines:
                del model.deadlines[rule.kind]
                closed.append(rule.kind)
            if rule.state == dest and dest != source:
                due = rule.due(at, model.facts.get("policy", {}))
                model.deadlines[rule.kind] = due
                opened[rule.kind] = due
        return Outcome(source, dest, opened, tuple(closed))

    def state_label(self, state: str) -> Label:
        return self.states[state]
