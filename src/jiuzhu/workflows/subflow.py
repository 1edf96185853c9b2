"""Sub-workflows: entities that live inside a case, such as its service plans (pure)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import GuardRejected, TransitionNotAllowed
from .model import CaseModel, Effect

if TYPE_CHECKING:
    from .base import Workflow


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
