"""The pieces a workflow is made of: labels, transitions, deadline rules, and the in-memory
projection of a case that triggers run on (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..clock import iso_utc

Guard = Callable[["CaseModel", dict[str, Any]], None]
Effect = Callable[["CaseModel", dict[str, Any], datetime], None]


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} {self.en}"


IMPORT = "import"  # the opening event of a case brought in from another system (.adoption)
IMPORT_LABEL = Label("迁移导入", "imported from another system")


@dataclass(frozen=True)
class Transition:
    """``dest=None`` is an internal transition: the state stays, effects still run."""

    trigger: str
    source: tuple[str, ...]
    dest: str | None
    guards: tuple[Guard, ...] = ()
    effect: Effect | None = None
    system: bool = False  # fired by a due deadline, never by a person's command
    # False: fired by a command on something other than the case (the household's moving house,
    # .transfer), so never among the triggers the case offers (``Workflow.allowed``)
    offered: bool = True


@dataclass(frozen=True)
class Firing:
    """One due deadline being fired: ``kind`` as stored (``visit_due/<id>``), ``entity`` the part
    after the ``/`` (or ``""``), and, from the service, how the next occurrence of a recurring
    entity is computed (its times come from outside the pure workflows)."""

    kind: str
    entity: str
    due_at: datetime
    now: datetime
    next_occurrence: Callable[[Mapping[str, Any]], str | None] | None = None


# what a fired deadline records besides its kind, due instant and lateness:
# (the case's facts, or the entity's for a sub-workflow's rule; the firing) -> payload fields
DeadlineEvent = Callable[[Mapping[str, Any], Firing], dict[str, Any]]


@dataclass(frozen=True)
class DeadlineRule:
    """Deadline ``kind``: when it opens and closes, and what firing it writes.

    With ``state``, the deadline lives only while the case is in that state: with ``due``,
    entering the state opens it at ``due(entered_at, policy)``; leaving the state closes it and
    every ``kind/...`` deadline opened by effects while there.  ``state=None`` is a deadline the
    effects open and close themselves (the overall limit, the monthly allowance, visits).

    When it falls due the worker fires ``fires`` (a system trigger; ``prefix.trigger`` for a
    sub-workflow's) with a payload of ``deadline``, ``due_at`` and ``late_by_seconds``, plus
    what ``event`` adds.
    """

    kind: str
    state: str | None
    due: Callable[[datetime, Mapping[str, Any]], datetime] | None = None
    fires: str | None = None
    event: DeadlineEvent | None = None


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
