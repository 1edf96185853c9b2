"""A service provider's page (``/provider``): what awaits its organisation, and a form for each.

The provider's staff see the plans' open visits and the one-off projects assigned to their
organisation (:meth:`CaseService.provider_plans`: case and village ids, kind, when due; no
household data), record a visit or mark a one-off done, and come back to the list.  The
service decides: a visit on another organisation's plan, or by any other role, is refused.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..clock import parse_iso_utc
from ..errors import InvalidInput, JiuzhuError
from ..workflows import oneoff, service_plan
from . import frame, i18n, sentences


def provider_page(request: Request, error: str = "", status: int = 200) -> Response:
    signed = frame.signed_in(request)
    language = frame.lang(request)
    try:
        items = frame.service(request).provider_plans(signed.actor)
    except JiuzhuError as exc:
        return frame.render(request, "error.html", frame.status_of(exc), signed=signed,
                            message=frame.error_text(request, exc))  # fmt: skip
    tasks = [{**item, "what": _kind(item, language),
              "due": sentences.shanghai(parse_iso_utc(item["due_at"]))} for item in items]  # fmt: skip
    return frame.render(request, "provider.html", status, signed=signed, tasks=tasks,
                        error=error, done=request.query_params.get("done") == "1")  # fmt: skip


def record(request: Request) -> Response:
    """Record a visit (``plan_id``) or a one-off done (``oneoff_id``) on the case ``case_id``."""
    signed = frame.signed_in(request)
    form = frame.form_of(request, signed.csrf)
    svc = frame.service(request)
    try:
        case_id, version = form.get("case_id", ""), form.get("expected_version", "")
        if not version.isdigit():
            raise InvalidInput("the form lacks the case's version", "表单缺少案件版本号")
        if form.get("plan_id"):
            svc.record_visit(signed.actor, case_id, plan_id=form["plan_id"],
                             what=form.get("what", ""), notes=form.get("notes") or None,
                             expected_version=int(version))  # fmt: skip
        elif form.get("oneoff_id"):
            svc.complete_oneoff(signed.actor, case_id, oneoff_id=form["oneoff_id"],
                                notes=form.get("notes") or None, expected_version=int(version))  # fmt: skip
        else:
            raise InvalidInput("the form names no plan and no one-off", "表单未指明服务计划或项目")
    except JiuzhuError as exc:
        return provider_page(request, frame.error_text(request, exc), frame.status_of(exc))
    return frame.redirect("/provider?done=1")


def _kind(item: dict[str, Any], language: str) -> str:
    if "plan_id" in item:
        return i18n.pick(language, service_plan.KINDS.get(item["kind"], item["kind"]))
    label = i18n.pick(language, oneoff.KINDS.get(item["kind"], item["kind"]))
    return f"{label}: {item['what']}" if item.get("what") else label


def routes() -> list[tuple[str, Any, list[str]]]:
    return [("/provider", provider_page, ["GET"]), ("/provider/record", record, ["POST"])]
