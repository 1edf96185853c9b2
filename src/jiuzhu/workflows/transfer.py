"""Moving house (迁居): an open case passes with its household to the new village (pure).

When a household moves, every open case of it (one not in its workflow's final states) records
a ``transfer`` event naming the unit ids it leaves and joins (``from_village_id`` /
``to_village_id``, with both units' paths); the effect moves the case's ``village_id`` and
``org_path``, so that the new unit's actors act on it from then on and the old unit's no
longer do.  The case's history stays as it was: its events, and the ledger lines booked before
the move under the old unit.  A case already ended stays with the unit that worked it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..clock import iso_utc
from ..errors import GuardRejected
from .model import CaseModel, Label, Transition

TRIGGER = "transfer"
LABEL = Label("迁居转移", "moved with the household to another unit")
TRIGGERS = {TRIGGER: LABEL}


def _moves_from_here(model: CaseModel, payload: dict[str, Any]) -> None:
    """Guard: the case is in the unit the household leaves, and the new one is another."""
    here, there = model.facts["village_id"], payload["to_village_id"]
    if payload["from_village_id"] != here:
        raise GuardRejected(
            f"case {model.case_id} is in unit {here}, not {payload['from_village_id']}",
            f"案件 {model.case_id} 属于 {here}，而非 {payload['from_village_id']}",
        )
    if there == here or not str(payload["to_org_path"]).endswith(f"/{there}"):
        raise GuardRejected(f"the household cannot move from {here} to {there}",
                            f"家庭不能从 {here} 迁往 {there}")  # fmt: skip


def _moved(model: CaseModel, payload: dict[str, Any], at: datetime) -> None:
    facts = model.facts
    facts["village_id"], facts["org_path"] = payload["to_village_id"], payload["to_org_path"]
    facts["transfers"] = [*facts.get("transfers", ()), {
        "from_village_id": payload["from_village_id"], "to_village_id": payload["to_village_id"],
        "at": iso_utc(at)}]  # fmt: skip


def transitions(states: Iterable[str], ended: Iterable[str]) -> tuple[Transition, ...]:
    """The ``transfer`` transition in every state of a workflow that is not among ``ended``."""
    final = set(ended)
    open_states = tuple(s for s in states if s not in final)
    return (Transition(TRIGGER, open_states, None, (_moves_from_here,), _moved, offered=False),)


__all__ = ["LABEL", "TRIGGER", "TRIGGERS", "transitions"]
