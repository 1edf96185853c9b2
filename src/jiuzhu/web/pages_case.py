"""The case page (``/cases/{ref}``: a case UUID or a case number) and its action forms."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..clock import parse_iso_utc
from ..errors import ConcurrencyConflict, InvalidInput, JiuzhuError
from ..workflows import fast_track, service_plan
from ..workflows import get as get_workflow
from ..workflows.deadline_labels import TASK_DEADLINES, VISIT
from . import diagram, forms, frame, i18n, sentences


def case_page(request: Request) -> Response:
    signed = frame.signed_in(request)
    try:
        case = frame.service(request).find_case(signed.actor, request.path_params["ref"])
    except JiuzhuError as exc:
        return frame.render(request, "error.html", frame.status_of(exc), signed=signed,
                            message=frame.error_text(request, exc))  # fmt: skip
    return _page(request, signed, case)


def _page(request: Request, signed: Any, case: Any, error: str = "", status: int = 200,
          conflict: bool = False, failed: str = "") -> Response:  # fmt: skip
    svc = frame.service(request)
    actor = signed.actor
    language = frame.lang(request)
    wf = get_workflow(case.workflow, case.workflow_version)
    units = _units(svc, actor)
    members, members_error = None, ""
    try:
        members = svc.members(actor, case.household_id, purpose="case page")
    except JiuzhuError as exc:  # e.g. a role that may not see names
        members_error = frame.error_text(request, exc)
    names = {m.person_id: m.name for m in members or ()}
    events = svc.history(actor, case.id)
    timeline = [
        {"event": e, "when": sentences.shanghai(e.occurred_at),
         "who": _who(e.actor, units, language),
         "what": sentences.sentence(e, language, names.get)}
        for e in events
    ]  # fmt: skip
    now = svc.clock.now()
    deadlines = []
    for kind, due in sorted(case.deadlines.items(), key=lambda kv: kv[1]):
        due_at = parse_iso_utc(due) if isinstance(due, str) else due
        left = (due_at - now).total_seconds()
        span = sentences.duration(left, language)
        deadlines.append({"kind": _deadline_label(kind, case, language), "due": sentences.shanghai(due_at),
                          "left": span if left >= 0 else i18n.t(language, "overdue_by", t=span),
                          "overdue": left < 0})  # fmt: skip
    plans = [
        {"id": pid, "kind": i18n.pick(language, service_plan.KINDS.get(p.get("kind"), p.get("kind"))),
         "state": i18n.pick(language, service_plan.STATES.get(p.get("state"), p.get("state", ""))),
         "done": p.get("done", 0), "missed": p.get("missed", 0),
         "next": sentences.shanghai(parse_iso_utc(p["scheduled_at"]))
         if p.get("scheduled_at") else ""}
        for pid, p in case.facts.get("plans", {}).items()
    ]  # fmt: skip
    visits = [row for row in timeline if row["event"].type.startswith("plan.")]
    ledger = svc.ledger(actor, case.id)
    return frame.render(
        request, "case.html", status, signed=signed, back=f"/cases/{case.case_no}", case=case, wf=wf,
        svg=diagram.svg(wf, case.state, language, i18n.t(language, "diagram_desc")),
        timeline=timeline, deadlines=deadlines, ledger=ledger, plans=plans, visits=visits,
        members=members, members_error=members_error, names=names, units=units,
        actions=forms.actions(case, actor), kind_label=_kind_label, error=error,
        conflict=conflict, failed=failed, now=sentences.shanghai(now),
        village=units.get(case.village_id, case.village_id),
        programme=i18n.pick(language, fast_track.PROGRAMMES.get(case.programme, case.programme)),
    )  # fmt: skip


def _deadline_label(kind: str, case: Any, language: str) -> str:
    """A deadline's name: the task's (queues' labels), a plan's visit, else the next step."""
    base, _, entity = kind.partition("/")
    if base in TASK_DEADLINES:
        return i18n.pick(language, TASK_DEADLINES[base])
    if entity and base == "visit_due":
        return i18n.pick(language, VISIT)
    wf = get_workflow(case.workflow, case.workflow_version)
    trigger = wf.on_deadline.get(base)
    if trigger is not None:
        try:
            return i18n.pick(language, wf.label_of(trigger))
        except KeyError:
            pass
    return kind


def _units(svc: Any, actor: Any) -> dict[str, str]:
    try:
        return dict(svc.unit_names(actor))
    except JiuzhuError:
        return {}


def _who(actor: dict[str, str], units: dict[str, str], language: str) -> str:
    from ..service.actors import ROLE_LABELS, Role

    role = actor.get("role", "")
    try:
        role_text = i18n.pick(language, ROLE_LABELS[Role(role)])
    except ValueError:
        role_text = role
    unit = units.get(actor.get("org", ""), actor.get("org", ""))
    who = f"{unit} · {role_text}" if unit else role_text
    return f"{who} ({actor['user']})" if actor.get("user") else who


def _kind_label(kind: str, language: str) -> str:
    from ..ledger import KIND_LABELS

    if kind in ("paid_fen", "owed_fen"):
        return i18n.t(language, kind)
    return i18n.pick(language, KIND_LABELS.get(kind, kind))


def act(request: Request) -> Response:
    """Send one action form: the service decides; success redirects back to the case page."""
    signed = frame.signed_in(request)
    form = frame.form_of(request, signed.csrf)
    svc = frame.service(request)
    command = request.path_params["command"]
    try:
        case = svc.find_case(signed.actor, request.path_params["ref"])
    except JiuzhuError as exc:
        return frame.render(request, "error.html", frame.status_of(exc), signed=signed,
                            message=frame.error_text(request, exc))  # fmt: skip
    try:
        if command not in forms.case_commands():
            raise InvalidInput(f"unknown action '{command}'", f"未知的办理事项“{command}”")
        kwargs = forms.parse(command, form)
        version = form.get("expected_version", "")
        if not version.isdigit():
            raise InvalidInput("the form lacks the case's version", "表单缺少案件版本号")
        getattr(svc, command)(signed.actor, case.id, expected_version=int(version), **kwargs)
    except JiuzhuError as exc:
        fresh = svc.find_case(signed.actor, case.id)
        return _page(request, signed, fresh, frame.error_text(request, exc),
                     frame.status_of(exc), isinstance(exc, ConcurrencyConflict), command)  # fmt: skip
    return frame.redirect(f"/cases/{request.path_params['ref']}")


def routes() -> list[tuple[str, Any, list[str]]]:
    return [
        ("/cases/{ref}", case_page, ["GET"]),
        ("/cases/{ref}/actions/{command}", act, ["POST"]),
    ]
