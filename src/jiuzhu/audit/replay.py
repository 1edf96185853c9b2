"""Rebuild a case from its events alone (pure: no I/O).

Replay runs the same workflow definition, in the version the case started on, with the policy
recorded in its opening event, so guards and deadline rules are checked again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..clock import parse_iso_utc
from ..errors import JiuzhuError
from ..workflows import get as get_workflow
from ..workflows.base import CaseModel


class ReplayError(JiuzhuError):
    code = "replay_failed"


def fold(events: Sequence[dict[str, Any]]) -> CaseModel:
    if not events:
        raise ReplayError("a case needs at least its opening event", "案件缺少受理事件")
    first = events[0]
    payload = first["payload"]
    if first["type"] != "apply" or "workflow" not in payload:
        raise ReplayError(
            f"case {first['case_id']}: the first event is '{first['type']}', not the opening 'apply'",
            "首个事件不是受理事件",
        )
    wf = get_workflow(payload["workflow"], payload["workflow_version"])
    model = wf.open(first["case_id"], payload)
    model.seq, model.head_hash = first["seq"], first["hash"]
    for ev in events[1:]:
        wf.fire(model, ev["type"], ev["payload"], parse_iso_utc(ev["occurred_at"]))
        model.seq, model.head_hash = ev["seq"], ev["hash"]
    return model


def expected_row(events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The ``cases`` row (as comparable values) that the events imply."""
    model = fold(events)
    first_payload = events[0]["payload"]
    values = model.columns()
    values.update(
        id=model.case_id,
        workflow=first_payload["workflow"],
        workflow_version=first_payload["workflow_version"],
        opened_at=events[0]["occurred_at"],
        updated_at=events[-1]["occurred_at"],
    )
    return values
