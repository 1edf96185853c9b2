"""How a case is shown: the result of a command, its next steps, its rows, its history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..clock import parse_iso_utc
from .output import compact, emit_json, local_time, say, yuan_text

if TYPE_CHECKING:
    from ..service.views import CaseView, EventView
    from ..workflows.base import Label

SUMMARY_SKIP = {"policy", "member_ids", "workflow", "workflow_version", "org_path",
                "household_id", "applicant_id", "village_id", "case_no"}  # fmt: skip


def print_case_result(view: CaseView, json_out: bool) -> None:
    if json_out:
        emit_json(view.to_dict())
        return
    say(f"案件 case {view.case_no} ({view.id}): {view.state_zh} {view.state_en} "
        f"(state {view.state}, 版本 version {view.row_version})")  # fmt: skip
    if view.replayed:
        say("幂等重放 replayed: this idempotency key was applied before; nothing changed")
    say(f"可办理 next: {next_steps(view)}")


def next_steps(view: CaseView) -> str:
    from ..workflows import get as get_workflow

    labels = get_workflow(view.workflow, view.workflow_version).trigger_labels
    steps = [f"{t} {labels[t].zh}" for t in view.allowed if t in labels]
    return "、".join(steps) or "无 none (case closed 已办结)"


def summarise(payload: dict[str, Any]) -> str:
    """A short, readable form of an event payload (amounts in yuan; ids left to --json)."""
    parts = []
    for key, value in payload.items():
        if key in SUMMARY_SKIP:
            continue
        if key.endswith("_fen") and isinstance(value, int):
            key, value = key[:-4], yuan_text(value)
        parts.append(f"{key}={compact(value)}")
    return ", ".join(parts)


def programme_label(programme: str) -> str:
    from ..workflows import fast_track

    label = fast_track.PROGRAMMES.get(programme)
    return f"{programme} {label.zh}" if label else programme


def has_expenditure(view: CaseView) -> bool:
    """Whether the case records a sudden expenditure: every fast-track case, and a temporary
    case given one (the standard path records none)."""
    from ..workflows import fast_track

    return view.workflow == fast_track.NAME or bool(view.expenditure_fen)


def unit_text(name: str, unit_id: str) -> str:
    """A unit by name, with its code beside it for the worker who needs it."""
    return f"{name} ({unit_id})" if name else unit_id


def case_rows(view: CaseView) -> list[tuple[str, str]]:
    rows = [
        ("案件编号 case no", view.case_no),
        ("案件 id case id", view.id),
        ("状态 state", f"{view.state_zh} {view.state_en} ({view.state})"),
        ("流程 workflow", f"{view.workflow} v{view.workflow_version}"),
        ("版本 row version", str(view.row_version)),
        ("救助项目 programme", programme_label(view.programme)),
        ("村（社区） village", unit_text(view.village_name, view.village_id)),
        ("家庭 household", view.household_id),
    ]
    if has_expenditure(view):
        rows.append(("突发支出 expenditure (yuan)", yuan_text(view.expenditure_fen)))
    rows += [
        ("月救助金 monthly amount (yuan)", yuan_text(view.monthly_amount_fen)),
        ("受理 opened", local_time(view.opened_at)),
        ("更新 updated", local_time(view.updated_at)),
    ]
    for kind, due in view.deadlines.items():
        rows.append((f"期限 deadline {kind}", local_time(parse_iso_utc(due))))
    for key in ("commitment", "appraisal", "refusal", "verification", "withdrawal"):
        if key in view.facts:
            rows.append((key, summarise(view.facts[key])))
    rows.append(("可办理 next", next_steps(view)))
    return rows


def states_after(events: list[EventView]) -> list[Label]:
    """The state each event left the case in (by the workflow's transition table)."""
    from ..workflows import get as get_workflow

    if not events:
        return []
    first = events[0].payload
    wf = get_workflow(first["workflow"], first["workflow_version"])
    state, result = wf.initial, []
    for event in events:
        if event.seq > 1:
            # internal transitions (overdue, reminders, plan.*) leave the state as it was
            state = next((t.dest or state for t in wf.transitions
                          if t.trigger == event.type and state in t.source), state)  # fmt: skip
        result.append(wf.states[state])
    return result


def valid_states() -> set[str]:
    """Every state of every registered workflow (what ``--state`` may name)."""
    from ..workflows import REGISTRY

    return {state for wf in REGISTRY.values() for state in wf.states}


def valid_programmes() -> set[str]:
    """Every programme a case can be on (what ``--programme`` may name)."""
    from ..workflows import fast_track, standard, temporary

    return {*fast_track.PROGRAMMES, standard.PROGRAMME, temporary.PROGRAMME}
