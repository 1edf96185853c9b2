"""Rebuild a case from its events alone (pure: no I/O).

Replay runs the same workflow definition, in the version the case started on, with the policy
recorded in its opening event, so guards and deadline rules are checked again.  Working-day
limits are taken from what each event recorded (``payload["computed"]``), so a calendar loaded
or corrected later never changes a replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..clock import ensure_utc, iso_utc, parse_iso_utc
from ..errors import JiuzhuError, NotFound
from ..ledger import Entry
from ..workflows import get as get_workflow
from ..workflows import workdays
from ..workflows.adoption import IMPORT, adopt
from ..workflows.base import CaseModel

OPENINGS = ("apply", IMPORT)  # the events a chain may open with


class ReplayError(JiuzhuError):
    """A case's stored events do not replay (no opening event, or one the workflow refuses)."""

    code = "replay_failed"


def fold(events: Sequence[dict[str, Any]]) -> CaseModel:
    if not events:
        raise ReplayError("a case needs at least its opening event", "案件缺少受理事件")
    first = events[0]
    payload = first["payload"]
    if first["type"] not in OPENINGS or "workflow" not in payload:
        raise ReplayError(
            f"case {first['case_id']}: the first event is '{first['type']}', not the opening "
            "'apply' or 'import'",
            "首个事件不是受理事件或导入事件",
        )
    wf = get_workflow(payload["workflow"], payload["workflow_version"])
    if first["type"] == IMPORT:  # a running case brought in from another system
        model = adopt(wf, first["case_id"], payload, parse_iso_utc(first["occurred_at"]))
    else:
        model = wf.open(first["case_id"], payload)
    model.seq, model.head_hash = first["seq"], first["hash"]
    # working-day limits come from what each event recorded, never from today's calendar
    with workdays.replaying() as recorded:
        for ev in events[1:]:
            payload = ev["payload"]
            recorded.answer_from(payload)
            wf.fire(model, ev["type"], workdays.without_computed(payload),
                    parse_iso_utc(ev["occurred_at"]), direct=True)  # fmt: skip
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


def fold_as_of(events: Sequence[dict[str, Any]], as_of: datetime) -> tuple[CaseModel, int]:
    """The case as it stood at ``as_of``: the fold of the events that had occurred by then.

    Returns the model and how many events it folded.  Raises :class:`NotFound` when the case
    was opened after ``as_of`` (there was no such case then: nothing is wrong with its events).
    """
    upto = [ev for ev in events if parse_iso_utc(ev["occurred_at"]) <= as_of]
    if not upto:
        case_id = events[0]["case_id"] if events else ""
        opened = events[0]["occurred_at"] if events else "never"
        raise NotFound(
            f"case {case_id} did not exist yet at {iso_utc(as_of)} (opened {opened})",
            f"该时间点案件尚未受理（受理时间 {opened}）",
            case_id=case_id, as_of=iso_utc(as_of), opened=opened,
        )  # fmt: skip
    return fold(upto), len(upto)


def as_of(events: Sequence[dict[str, Any]], instant: datetime) -> dict[str, Any]:
    """State, open deadlines, ledger and the workflow version and policy in force at ``instant``,
    rebuilt from the events alone."""
    from .. import ledger

    model, used = fold_as_of(events, instant)
    opening = events[0]["payload"]
    wf = get_workflow(opening["workflow"], opening["workflow_version"])
    entries = ledger_entries(events, as_of=instant)
    label = wf.states.get(model.state)
    return {
        "case_id": model.case_id,
        "as_of": iso_utc(instant),
        "events": used,
        "last_event": {k: events[used - 1][k] for k in ("seq", "type", "occurred_at", "hash")},
        "workflow": wf.name,
        "workflow_version": wf.version,
        "policy": opening.get("policy", {}),
        "state": model.state,
        "state_zh": label.zh if label else model.state,
        "state_en": label.en if label else model.state,
        "deadlines": {kind: iso_utc(due) for kind, due in sorted(model.deadlines.items())},
        "facts": model.facts,
        "ledger": [entry.as_dict() for entry in entries],
        "balance": ledger.balance(entries),
    }


def ledger_entries(events: Iterable[Mapping[str, Any]], *,
                   as_of: datetime | None = None) -> list[Entry]:  # fmt: skip
    """Every ledger entry the events imply (up to ``as_of``), rebuilt from the events alone: each
    event books what its case's workflow (named by the opening event) says it books."""
    out: list[Entry] = []
    wf = None
    for ev in events:
        at = ev["occurred_at"]
        at = parse_iso_utc(at) if isinstance(at, str) else ensure_utc(at)
        if as_of is not None and at > as_of:
            break
        if ev["seq"] == 1:
            wf = get_workflow(ev["payload"]["workflow"], ev["payload"]["workflow_version"])
        if wf is None:
            raise ReplayError(f"case {ev['case_id']}: events before the opening one",
                              "受理事件之前有其他事件")  # fmt: skip
        out.extend(wf.book(ev["case_id"], ev["seq"], ev["type"], ev["payload"], at,
                           lambda: tuple(out)))  # fmt: skip
    return out
